"""Code signing configs: their ids and ARNs, the API's records (create and update bodies, the
stored config and the ``CodeSigningConfig`` document), the refusals AWS answers for a config that
does not exist, and what a deployment's verdict means under a config's policy (botocore's lambda
model; AWS's exception docs; decision 0022). Pure: randomness, names and time are arguments."""

from __future__ import annotations

import enum
import string
from typing import Any

import msgspec
import regex

from ..errors import (
    CodeSigningConfigNotFoundException,
    CodeVerificationFailedException,
    InvalidCodeSignatureException,
    InvalidParameterValueException,
    ResourceNotFoundException,
)
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


# -- the API's records ----------------------------------------------------------------------------


class _Input(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class AllowedPublishersInput(_Input, frozen=True):
    signing_profile_version_arns: list[str] = msgspec.field(name="SigningProfileVersionArns")


class CodeSigningPoliciesInput(_Input, frozen=True):
    untrusted_artifact_on_deployment: str = msgspec.field(default=Policy.WARN.value, name="UntrustedArtifactOnDeployment")


class CreateCodeSigningConfigInput(_Input, frozen=True):
    allowed_publishers: AllowedPublishersInput = msgspec.field(name="AllowedPublishers")
    description: str = msgspec.field(default="", name="Description")
    code_signing_policies: CodeSigningPoliciesInput | None = msgspec.field(default=None, name="CodeSigningPolicies")
    tags: dict[str, str] = msgspec.field(default_factory=dict, name="Tags")


class UpdateCodeSigningConfigInput(_Input, frozen=True):
    description: str | None = msgspec.field(default=None, name="Description")
    allowed_publishers: AllowedPublishersInput | None = msgspec.field(default=None, name="AllowedPublishers")
    code_signing_policies: CodeSigningPoliciesInput | None = msgspec.field(default=None, name="CodeSigningPolicies")


class CodeSigningConfig(msgspec.Struct, frozen=True, kw_only=True):
    """One stored code signing config (``CodeSigningConfig`` of the API model)."""

    config_id: str
    arn: str
    description: str = ""
    allowed_publishers: tuple[str, ...]
    policy: str = Policy.WARN.value
    last_modified: str
    tags: dict[str, str] = msgspec.field(default_factory=dict)

    @property
    def enforced(self) -> Policy:
        return Policy(self.policy)


def check_publishers(arns: list[str]) -> tuple[str, ...]:
    """AllowedPublishers' ARNs, each a signer profile version ARN (the model checks 1 to 20)."""
    for arn in arns:
        if not PROFILE_VERSION_ARN.fullmatch(arn):
            raise InvalidParameterValueException(f"{arn} is not a signing profile version ARN.")
    return tuple(dict.fromkeys(arns))


def created_config(request: CreateCodeSigningConfigInput, config_id: str, arn: str, last_modified: str) -> CodeSigningConfig:
    return CodeSigningConfig(
        config_id=config_id,
        arn=arn,
        description=request.description,
        allowed_publishers=check_publishers(request.allowed_publishers.signing_profile_version_arns),
        policy=(request.code_signing_policies or CodeSigningPoliciesInput()).untrusted_artifact_on_deployment,
        last_modified=last_modified,
        tags=dict(request.tags),
    )


def updated_config(config: CodeSigningConfig, request: UpdateCodeSigningConfigInput, last_modified: str) -> CodeSigningConfig:
    """*config* with what *request* gives replaced (AWS's UpdateCodeSigningConfig: a member
    left out stays)."""
    changes: dict[str, Any] = {"last_modified": last_modified}
    if request.description is not None:
        changes["description"] = request.description
    if request.allowed_publishers is not None:
        changes["allowed_publishers"] = check_publishers(request.allowed_publishers.signing_profile_version_arns)
    if request.code_signing_policies is not None:
        changes["policy"] = request.code_signing_policies.untrusted_artifact_on_deployment
    return msgspec.structs.replace(config, **changes)


def config_document(config: CodeSigningConfig) -> dict[str, Any]:
    """The ``CodeSigningConfig`` shape, every member AWS returns."""
    return {
        "CodeSigningConfigId": config.config_id,
        "CodeSigningConfigArn": config.arn,
        "Description": config.description,
        "AllowedPublishers": {"SigningProfileVersionArns": list(config.allowed_publishers)},
        "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": config.policy},
        "LastModified": config.last_modified,
    }


def not_found(arn: str) -> ResourceNotFoundException:
    """Get, Update, Delete and ListFunctionsBy- of a config that does not exist (LocalStack's
    parity-tested words; decision 0022)."""
    return ResourceNotFoundException(f"The Lambda code signing configuration {arn} can not be found.")


def missing_config(arn: str) -> CodeSigningConfigNotFoundException:
    """CreateFunction and PutFunctionCodeSigningConfig naming a config that does not exist."""
    return CodeSigningConfigNotFoundException(
        f"The code signing configuration cannot be found. Check that the provided configuration is not deleted: {arn}."
    )
