"""Where a Lambent code signature travels and what it covers (docs/decisions/0016).

CreateFunction and UpdateFunctionCode take only zip bytes, so the signature rides in the zip's
own archive comment (the trailing bytes after the End Of Central Directory record), which every
unzip tool ignores. It covers a SHA-256 digest of every byte before the comment-length field,
and names the signing profile version and signing job; both names are under the signature too,
so none of the three can be swapped. Pure: no I/O, no clock.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .limits import ZIP_COMMENT_MAX

MAGIC = b"lambent-code-signature:v1:"
_DOMAIN = b"lambent-code-signature-v1\x00"
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22


class Verdict(enum.Enum):
    VALID = "valid"
    UNSIGNED = "unsigned"  # no signature comment at all (or not a zip)
    TAMPERED = "tampered"  # a signature that does not match these bytes
    UNTRUSTED = "untrusted"  # a good signature by a profile version not allowed here


@dataclass(frozen=True)
class Signature:
    profile_version_arn: str
    job_arn: str
    value: bytes
    digest: bytes  # of the package's signed part, as found


def _eocd_offset(package: bytes) -> int | None:
    """Offset of the End Of Central Directory record whose comment runs to the end, if any."""
    low = max(0, len(package) - _EOCD_SIZE - ZIP_COMMENT_MAX)
    at = package.rfind(_EOCD, low)
    while at >= 0:
        if len(package) - at >= _EOCD_SIZE:
            comment_length = int.from_bytes(package[at + 20 : at + 22], "little")
            if at + _EOCD_SIZE + comment_length == len(package):
                return at
        at = package.rfind(_EOCD, low, at)
    return None


def _message(digest: bytes, profile_version_arn: str, job_arn: str) -> bytes:
    return _DOMAIN + digest + profile_version_arn.encode() + b"\x00" + job_arn.encode()


def sign(package: bytes, key: Ed25519PrivateKey, profile_version_arn: str, job_arn: str) -> bytes:
    """*package* with its archive comment replaced by a signature over the rest."""
    at = _eocd_offset(package)
    if at is None:
        raise ValueError("not a zip archive: no End Of Central Directory record")
    head = package[: at + 20]
    digest = hashlib.sha256(head).digest()
    value = key.sign(_message(digest, profile_version_arn, job_arn))
    envelope = {"profile": profile_version_arn, "job": job_arn, "sig": base64.b64encode(value).decode()}
    comment = MAGIC + json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()
    if len(comment) > ZIP_COMMENT_MAX:
        raise ValueError("signature does not fit in a zip comment")
    return head + len(comment).to_bytes(2, "little") + comment


def read_signature(package: bytes) -> Signature | None:
    """The signature *package* carries, or None when it carries none (or none readable)."""
    at = _eocd_offset(package)
    if at is None:
        return None
    comment = package[at + _EOCD_SIZE :]
    if not comment.startswith(MAGIC):
        return None
    try:
        envelope = json.loads(comment[len(MAGIC) :])
        profile, job = envelope["profile"], envelope["job"]
        value = base64.b64decode(envelope["sig"], validate=True)
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(profile, str) or not isinstance(job, str):
        return None
    return Signature(profile, job, value, hashlib.sha256(package[: at + 20]).digest())


def verify(package: bytes, trusted: dict[str, bytes]) -> tuple[Verdict, Signature | None]:
    """Check *package* against *trusted* (profile version ARN -> raw Ed25519 public key)."""
    signature = read_signature(package)
    if signature is None:
        return Verdict.UNSIGNED, None
    public = trusted.get(signature.profile_version_arn)
    if public is None:
        return Verdict.UNTRUSTED, signature
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(
            signature.value, _message(signature.digest, signature.profile_version_arn, signature.job_arn)
        )
    except (InvalidSignature, ValueError):
        return Verdict.TAMPERED, signature
    return Verdict.VALID, signature
