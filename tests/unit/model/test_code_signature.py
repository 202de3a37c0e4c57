"""The code signature format: a signed zip still unzips, and any change to any part is caught."""

from __future__ import annotations

import base64
import io
import json
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from lambent.model.code_signature import MAGIC, Verdict, read_signature, sign, verify

PROFILE = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/Main/abcdef0123"
OTHER = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/Other/0123abcdef"
JOB = "arn:aws:signer:us-east-1:123456789012:/signing-jobs/11111111-2222-3333-4444-555555555555"
KEY = Ed25519PrivateKey.generate()
OTHER_KEY = Ed25519PrivateKey.generate()


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


TRUSTED = {PROFILE: raw(KEY)}


def package(comment: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n")
        archive.writestr("lib/data.txt", "x" * 100)
        archive.comment = comment
    return buffer.getvalue()


SIGNED = sign(package(), KEY, PROFILE, JOB)


def test_signed_package_verifies_and_still_unzips() -> None:
    verdict, signature = verify(SIGNED, TRUSTED)
    assert verdict is Verdict.VALID
    assert signature is not None and (signature.profile_version_arn, signature.job_arn) == (PROFILE, JOB)
    with zipfile.ZipFile(io.BytesIO(SIGNED)) as archive:
        assert archive.testzip() is None
        assert archive.read("lib/data.txt") == b"x" * 100
        assert archive.comment.startswith(MAGIC)


def test_signing_replaces_an_existing_comment() -> None:
    again = sign(package(b"made by zip"), KEY, PROFILE, JOB)
    assert verify(again, TRUSTED)[0] is Verdict.VALID
    assert b"made by zip" not in again


@pytest.mark.parametrize("data", [package(), package(b"a comment"), b"", b"not a zip at all"])
def test_unsigned(data: bytes) -> None:
    assert verify(data, TRUSTED) == (Verdict.UNSIGNED, None)


def test_sign_refuses_what_is_not_a_zip() -> None:
    with pytest.raises(ValueError):
        sign(b"not a zip", KEY, PROFILE, JOB)


def test_profile_not_allowed_is_untrusted() -> None:
    signed = sign(package(), OTHER_KEY, OTHER, JOB)
    assert verify(signed, TRUSTED)[0] is Verdict.UNTRUSTED
    assert verify(signed, {OTHER: raw(OTHER_KEY)})[0] is Verdict.VALID


def test_key_of_another_profile_is_tampered() -> None:
    # Signed with another key but claiming the trusted profile version.
    assert verify(sign(package(), OTHER_KEY, PROFILE, JOB), TRUSTED)[0] is Verdict.TAMPERED


def envelope_of(data: bytes) -> dict[str, str]:
    return json.loads(data[data.index(MAGIC) + len(MAGIC) :])  # type: ignore[no-any-return]


def with_envelope(data: bytes, envelope: dict[str, str]) -> bytes:
    head = data[: data.index(MAGIC) - 2]
    comment = MAGIC + json.dumps(envelope).encode()
    return head + len(comment).to_bytes(2, "little") + comment


@pytest.mark.parametrize("field", ["job", "profile"])
def test_swapping_a_name_breaks_the_signature(field: str) -> None:
    envelope = envelope_of(SIGNED)
    envelope[field] = envelope[field] + "x"
    trusted = {PROFILE: raw(KEY), PROFILE + "x": raw(KEY)}
    assert verify(with_envelope(SIGNED, envelope), trusted)[0] is Verdict.TAMPERED


def test_changed_signature_value_is_tampered() -> None:
    envelope = envelope_of(SIGNED)
    value = bytearray(base64.b64decode(envelope["sig"]))
    value[0] ^= 1
    envelope["sig"] = base64.b64encode(bytes(value)).decode()
    assert verify(with_envelope(SIGNED, envelope), TRUSTED)[0] is Verdict.TAMPERED


@pytest.mark.parametrize(
    "broken", [{"job": JOB}, {"profile": PROFILE, "job": JOB, "sig": "%%"}, {"profile": 1, "job": JOB, "sig": ""}]
)
def test_unreadable_envelope_is_unsigned(broken: dict[str, object]) -> None:
    data = SIGNED[: SIGNED.index(MAGIC) - 2]
    comment = MAGIC + json.dumps(broken).encode()
    assert read_signature(data + len(comment).to_bytes(2, "little") + comment) is None


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_byte_changed_anywhere_is_caught(data: st.DataObject) -> None:
    """Flip any bit of any byte (file data, headers, central directory, EOCD, the comment)."""
    position = data.draw(st.integers(0, len(SIGNED) - 1))
    bit = data.draw(st.integers(0, 7))
    tampered = bytearray(SIGNED)
    tampered[position] ^= 1 << bit
    assert verify(bytes(tampered), TRUSTED)[0] is not Verdict.VALID


@given(st.binary(min_size=1, max_size=64))
def test_bytes_appended_or_prepended_are_caught(extra: bytes) -> None:
    assert verify(SIGNED + extra, TRUSTED)[0] is not Verdict.VALID
    assert verify(extra + SIGNED, TRUSTED)[0] is not Verdict.VALID
