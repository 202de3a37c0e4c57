"""Code signing config ids, ARNs and the verdict-under-policy rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.errors import CodeVerificationFailedException, InvalidCodeSignatureException
from lambent.model.code_signature import Verdict
from lambent.model.code_signing import (
    CONFIG_ID,
    PROFILE_VERSION_ARN,
    Outcome,
    Policy,
    config_arn,
    judge,
    new_config_id,
)


@given(st.binary(min_size=17, max_size=17))
def test_config_ids_have_aws_form(random_bytes: bytes) -> None:
    config_id = new_config_id(random_bytes)
    assert CONFIG_ID.fullmatch(config_id), config_id
    assert config_arn("us-east-1", "123456789012", config_id) == (
        f"arn:aws:lambda:us-east-1:123456789012:code-signing-config:{config_id}"
    )


def test_config_id_needs_enough_randomness() -> None:
    with pytest.raises(ValueError):
        new_config_id(b"short")


@pytest.mark.parametrize(
    ("arn", "ok"),
    [
        ("arn:aws:signer:us-east-1:123456789012:/signing-profiles/Main/abcdef0123", True),
        ("arn:aws:signer:us-east-1:123456789012:/signing-profiles/Main", False),
        ("arn:aws:lambda:us-east-1:123456789012:/signing-profiles/Main/abcdef0123", False),
        ("arn:aws:signer:us-east-1:12345:/signing-profiles/Main/abcdef0123", False),
    ],
)
def test_profile_version_arn_form(arn: str, ok: bool) -> None:
    assert bool(PROFILE_VERSION_ARN.fullmatch(arn)) is ok


@pytest.mark.parametrize("policy", list(Policy))
def test_valid_code_is_accepted_and_tampered_refused_under_any_policy(policy: Policy) -> None:
    assert judge(Verdict.VALID, policy, "f") is Outcome.ACCEPT
    with pytest.raises(InvalidCodeSignatureException) as caught:
        judge(Verdict.TAMPERED, policy, "f")
    assert caught.value.message.startswith("The code signature failed the integrity check.")


@pytest.mark.parametrize("verdict", [Verdict.UNSIGNED, Verdict.UNTRUSTED])
def test_untrusted_warns_or_is_refused_by_policy(verdict: Verdict) -> None:
    assert judge(verdict, Policy.WARN, "f") is Outcome.WARN
    with pytest.raises(CodeVerificationFailedException) as caught:
        judge(verdict, Policy.ENFORCE, "my-fn")
    assert caught.value.message.endswith("Check the provided signature for my-fn.")
    assert caught.value.status == 400
