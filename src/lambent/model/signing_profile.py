"""Signing profiles, Lambent's stand-in for AWS Signer (decision 0022): a profile version is
one Ed25519 key pair, named by an ARN of Signer's form, whose private half is only ever stored
sealed. A signing job is one package signed by one profile version. Pure: randomness, keys and
time are arguments."""

from __future__ import annotations

import string

import msgspec
import regex

from ..errors import InvalidParameterValueException, ResourceNotFoundException

#: Signer's profile name: 2 to 64 of [a-zA-Z0-9_].
PROFILE_NAME = regex.compile(r"[a-zA-Z0-9_]{2,64}")
_VERSION_ALPHABET = string.ascii_letters + string.digits
VERSION_LENGTH = 10


class SigningProfileVersion(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    name: str
    version: str
    arn: str
    public_key: bytes  # raw Ed25519
    sealed_private_key: bytes  # raw Ed25519, sealed by the server's key
    created: str


def check_profile_name(name: str) -> str:
    if not PROFILE_NAME.fullmatch(name):
        raise InvalidParameterValueException(f"Signing profile name {name!r} is not 2 to 64 of A-Z, a-z, 0-9 and _.")
    return name


def new_version(random_bytes: bytes) -> str:
    """A profile version (Signer's: 10 letters and digits) from 10 bytes of randomness."""
    if len(random_bytes) < VERSION_LENGTH:
        raise ValueError("need 10 random bytes")
    return "".join(_VERSION_ALPHABET[b % len(_VERSION_ALPHABET)] for b in random_bytes[:VERSION_LENGTH])


def profile_version_arn(region: str, account_id: str, name: str, version: str) -> str:
    return f"arn:aws:signer:{region}:{account_id}:/signing-profiles/{name}/{version}"


def job_arn(region: str, account_id: str, job_id: str) -> str:
    return f"arn:aws:signer:{region}:{account_id}:/signing-jobs/{job_id}"


def profile_not_found(arn: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Signing profile version {arn} does not exist.")


def profile_document(profile: SigningProfileVersion) -> dict[str, str]:
    """What ``signing-profile create`` answers (Signer's PutSigningProfile names these)."""
    return {
        "ProfileName": profile.name,
        "ProfileVersion": profile.version,
        "ProfileVersionArn": profile.arn,
        "Arn": profile.arn.rsplit("/", 1)[0],
        "PlatformId": "Lambent-Ed25519",
    }
