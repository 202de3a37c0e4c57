"""Code signing configs: their ids and ARNs, and what a deployment's verdict means under a
config's policy (botocore's lambda model; AWS's exception docs). Pure: randomness and names are
arguments."""

from __future__ import annotations

import enum
import string

import regex

from ..errors import CodeVerificationFailedException, InvalidCodeSignatureException
from .code_signature import Verdict

_ID_ALPHABET = string.ascii_lowercase + string.digits
#: Shape CodeSigningConfigArn: "csc-" and 17 of [a-z0-9].
CONFIG_ID = regex.compile(r"csc-[a-z0-9]{17}")
#: AWS Signer's profile version ARN form (arn:aws:signer:REGION:ACCOUNT:/signing-profiles/NAME/VERSION).
PROFILE_VERSION_ARN = regex.compile(
    r"arn:aws[a-zA-Z-]*:signer:[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d:\d{12}:/signing-profiles/[a-zA-Z0-9_]{2,64}/[a-zA-Z0-9]{10}"
)


class Policy(enum.Enum):
    WARN = "Warn"  # AWS's default for UntrustedArtifactOnDeployment
    ENFORCE = "Enforce"


class Outcome(enum.Enum):
    ACCEPT = "accept"
    WARN = "warn"  # deployed, with a warning logged


def new_config_id(random_bytes: bytes) -> str:
    """A config id from 17 bytes of randomness."""
    if len(random_bytes) < 17:
        raise ValueError("need 17 random bytes")
    return "csc-" + "".join(_ID_ALPHABET[b % len(_ID_ALPHABET)] for b in random_bytes[:17])


def config_arn(region: str, account: str, config_id: str) -> str:
    return f"arn:aws:lambda:{region}:{account}:code-signing-config:{config_id}"


def judge(verdict: Verdict, policy: Policy, function_name: str) -> Outcome:
    """What a deployment of code with *verdict* gets; raises the refusal AWS answers.

    A signature that fails its integrity check is refused whatever the policy (AWS's
    InvalidCodeSignatureException); unsigned code or code of a profile not allowed is refused
    only under Enforce (CodeVerificationFailedException) and deployed with a warning under Warn.
    """
    if verdict is Verdict.VALID:
        return Outcome.ACCEPT
    if verdict is Verdict.TAMPERED:
        raise InvalidCodeSignatureException()
    if policy is Policy.ENFORCE:
        # The words relayed by CloudFormation from Lambda in aws/aws-cdk#29474.
        raise CodeVerificationFailedException(
            "Lambda cannot deploy the function. The function or layer might be signed using a signature "
            f"that the client is not configured to accept. Check the provided signature for {function_name}."
        )
    return Outcome.WARN
