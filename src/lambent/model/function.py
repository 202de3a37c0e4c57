"""Function records and the rules AWS applies to them. Pure: no I/O, no clock.

``CreateFunctionInput`` and ``UpdateFunctionConfigurationInput`` are the request bodies as the
API model names their members; ``FunctionVersion`` is what is stored for ``$LATEST`` and for each
published version (an immutable snapshot of configuration and code). ``configuration_document``
renders a version the way AWS's ``FunctionConfiguration`` looks, every field AWS returns.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

from lambent.errors import InvalidParameterValueException, PreconditionFailedException
from lambent.model.arns import LATEST, function_arn
from lambent.model.constraints import runtime_enum_message
from lambent.model.limits import ENVIRONMENT_LIMIT_BYTES

RESERVED_ENVIRONMENT_KEYS = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)


class _Input(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class FunctionCodeInput(_Input, frozen=True):
    zip_file: bytes | None = msgspec.field(default=None, name="ZipFile")
    s3_bucket: str | None = msgspec.field(default=None, name="S3Bucket")
    s3_key: str | None = msgspec.field(default=None, name="S3Key")
    s3_object_version: str | None = msgspec.field(default=None, name="S3ObjectVersion")
    image_uri: str | None = msgspec.field(default=None, name="ImageUri")


class EnvironmentInput(_Input, frozen=True):
    variables: dict[str, str] = msgspec.field(default_factory=dict, name="Variables")


class EphemeralStorageInput(_Input, frozen=True):
    size_mb: int = msgspec.field(name="Size")


# Members of the API model that Lambent records but does not act on yet, or refuses when set.
_Opaque = dict[str, Any] | None


class CreateFunctionInput(_Input, frozen=True):
    function_name: str = msgspec.field(name="FunctionName")
    role: str = msgspec.field(name="Role")
    code: FunctionCodeInput = msgspec.field(name="Code")
    runtime: str | None = msgspec.field(default=None, name="Runtime")
    handler: str | None = msgspec.field(default=None, name="Handler")
    description: str = msgspec.field(default="", name="Description")
    timeout_s: int = msgspec.field(default=3, name="Timeout")
    memory_mb: int = msgspec.field(default=128, name="MemorySize")
    publish: bool = msgspec.field(default=False, name="Publish")
    package_type: str = msgspec.field(default="Zip", name="PackageType")
    environment: EnvironmentInput | None = msgspec.field(default=None, name="Environment")
    tags: dict[str, str] = msgspec.field(default_factory=dict, name="Tags")
    architectures: list[str] = msgspec.field(default_factory=lambda: ["x86_64"], name="Architectures")
    ephemeral_storage: EphemeralStorageInput | None = msgspec.field(default=None, name="EphemeralStorage")
    tracing_config: _Opaque = msgspec.field(default=None, name="TracingConfig")
    kms_key_arn: str | None = msgspec.field(default=None, name="KMSKeyArn")
    dead_letter_config: _Opaque = msgspec.field(default=None, name="DeadLetterConfig")
    logging_config: _Opaque = msgspec.field(default=None, name="LoggingConfig")
    snap_start: _Opaque = msgspec.field(default=None, name="SnapStart")
    vpc_config: _Opaque = msgspec.field(default=None, name="VpcConfig")
    layers: list[str] = msgspec.field(default_factory=list, name="Layers")
    file_system_configs: list[Any] = msgspec.field(default_factory=list, name="FileSystemConfigs")
    code_signing_config_arn: str | None = msgspec.field(default=None, name="CodeSigningConfigArn")
    image_config: _Opaque = msgspec.field(default=None, name="ImageConfig")
    publish_to: str | None = msgspec.field(default=None, name="PublishTo")
    tenancy_config: _Opaque = msgspec.field(default=None, name="TenancyConfig")
    capacity_provider_config: _Opaque = msgspec.field(default=None, name="CapacityProviderConfig")
    durable_config: _Opaque = msgspec.field(default=None, name="DurableConfig")
    runtime_config: _Opaque = msgspec.field(default=None, name="RuntimeConfig")
    accelerator_config: _Opaque = msgspec.field(default=None, name="AcceleratorConfig")


class UpdateFunctionConfigurationInput(_Input, frozen=True):
    role: str | None = msgspec.field(default=None, name="Role")
    handler: str | None = msgspec.field(default=None, name="Handler")
    description: str | None = msgspec.field(default=None, name="Description")
    timeout_s: int | None = msgspec.field(default=None, name="Timeout")
    memory_mb: int | None = msgspec.field(default=None, name="MemorySize")
    environment: EnvironmentInput | None = msgspec.field(default=None, name="Environment")
    runtime: str | None = msgspec.field(default=None, name="Runtime")
    ephemeral_storage: EphemeralStorageInput | None = msgspec.field(default=None, name="EphemeralStorage")
    revision_id: str | None = msgspec.field(default=None, name="RevisionId")
    tracing_config: _Opaque = msgspec.field(default=None, name="TracingConfig")
    kms_key_arn: str | None = msgspec.field(default=None, name="KMSKeyArn")
    dead_letter_config: _Opaque = msgspec.field(default=None, name="DeadLetterConfig")
    logging_config: _Opaque = msgspec.field(default=None, name="LoggingConfig")
    snap_start: _Opaque = msgspec.field(default=None, name="SnapStart")
    vpc_config: _Opaque = msgspec.field(default=None, name="VpcConfig")
    layers: list[str] | None = msgspec.field(default=None, name="Layers")
    file_system_configs: list[Any] | None = msgspec.field(default=None, name="FileSystemConfigs")
    image_config: _Opaque = msgspec.field(default=None, name="ImageConfig")
    capacity_provider_config: _Opaque = msgspec.field(default=None, name="CapacityProviderConfig")
    durable_config: _Opaque = msgspec.field(default=None, name="DurableConfig")
    runtime_config: _Opaque = msgspec.field(default=None, name="RuntimeConfig")
    accelerator_config: _Opaque = msgspec.field(default=None, name="AcceleratorConfig")


class UpdateFunctionCodeInput(_Input, frozen=True):
    zip_file: bytes | None = msgspec.field(default=None, name="ZipFile")
    s3_bucket: str | None = msgspec.field(default=None, name="S3Bucket")
    s3_key: str | None = msgspec.field(default=None, name="S3Key")
    s3_object_version: str | None = msgspec.field(default=None, name="S3ObjectVersion")
    image_uri: str | None = msgspec.field(default=None, name="ImageUri")
    architectures: list[str] | None = msgspec.field(default=None, name="Architectures")
    publish: bool = msgspec.field(default=False, name="Publish")
    publish_to: str | None = msgspec.field(default=None, name="PublishTo")
    dry_run: bool = msgspec.field(default=False, name="DryRun")
    revision_id: str | None = msgspec.field(default=None, name="RevisionId")
    source_kms_key_arn: str | None = msgspec.field(default=None, name="SourceKMSKeyArn")


class PublishVersionInput(_Input, frozen=True):
    code_sha256: str | None = msgspec.field(default=None, name="CodeSha256")
    description: str | None = msgspec.field(default=None, name="Description")
    revision_id: str | None = msgspec.field(default=None, name="RevisionId")
    publish_to: str | None = msgspec.field(default=None, name="PublishTo")


class FunctionVersion(msgspec.Struct, frozen=True, kw_only=True):
    """One stored version of a function: ``$LATEST`` (mutable by replacement) or a number."""

    name: str
    version: str = LATEST
    runtime: str
    handler: str
    role: str
    description: str = ""
    memory_mb: int = 128
    timeout_s: int = 3
    ephemeral_storage_mb: int = 512
    environment: dict[str, str] = msgspec.field(default_factory=dict)
    architectures: tuple[str, ...] = ("x86_64",)
    package_type: str = "Zip"
    code_sha256_hex: str
    code_size: int
    last_modified: str
    revision_id: str
    state: str = "Active"
    #: Empty while the function is being created (AWS shows no LastUpdateStatus then).
    last_update_status: str = "Successful"
    #: For a published version, the RevisionId of ``$LATEST`` it was taken from ("" before
    #: Lambent recorded it): PublishVersion makes nothing new while $LATEST is still that one.
    published_from: str = ""
    tracing_mode: str = "PassThrough"
    kms_key_arn: str | None = None
    dead_letter_target_arn: str | None = None
    log_format: str = "Text"
    log_group: str | None = None
    application_log_level: str | None = None
    system_log_level: str | None = None
    snap_start_apply_on: str = "None"
    code_unzipped_size: int = 0
    #: Layer version ARNs in order, with each one's zipped size (for the Layers field).
    layers: tuple[tuple[str, int], ...] = ()
    #: Name of the merged /opt tree of those layers (None: no layers).
    opt_key: str | None = None
    #: Who signed the code, when a code signing config verified it (decision 0022).
    signing_profile_version_arn: str | None = None
    signing_job_arn: str | None = None

    @property
    def code_sha256(self) -> str:
        return base64.b64encode(bytes.fromhex(self.code_sha256_hex)).decode()

    @property
    def log_group_name(self) -> str:
        return self.log_group or f"/aws/lambda/{self.name}"


def aws_timestamp(moment: datetime) -> str:
    """LastModified as AWS formats it, in UTC: ``2024-05-01T12:00:00.000+0000``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def check_environment(variables: Mapping[str, str]) -> None:
    """Refuse reserved keys and more than 4 KB of variables, with AWS's messages."""
    reserved = sorted(k for k in variables if k in RESERVED_ENVIRONMENT_KEYS)
    if reserved:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided contains reserved keys that are currently not supported "
            f"for modification. Reserved keys used in this request: {', '.join(reserved)}"
        )
    measured = json.dumps(dict(variables), separators=(",", ":"), ensure_ascii=False)
    if len(measured.encode()) > ENVIRONMENT_LIMIT_BYTES:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided exceeded the 4KB limit. String measured: " + measured
        )


def check_runtime(runtime: str | None, handler: str | None, available: Iterable[str], known: list[str]) -> None:
    """A Zip function needs a runtime AWS knows, installed here, and a handler."""
    names = sorted(available)
    if runtime is not None and runtime not in known:
        raise InvalidParameterValueException(runtime_enum_message(runtime))
    if runtime is None:
        raise InvalidParameterValueException(
            "Runtime and Handler are mandatory parameters for functions created with deployment packages."
        )
    if runtime not in names:
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime} is not supported by this Lambent server. "
            f"Runtimes available here: {', '.join(names) or 'none'}."
        )
    if not handler:
        raise InvalidParameterValueException(
            "Runtime and Handler are mandatory parameters for functions created with deployment packages."
        )


#: Runtimes AWS offers SnapStart on, by prefix: Java 11+, Python 3.12+, .NET 8+.
_SNAP_START_FROM = {"java": 11, "python3.": 12, "dotnet": 8}


def snap_start_supported(runtime: str) -> bool:
    for prefix, first in _SNAP_START_FROM.items():
        rest = runtime.removeprefix(prefix)
        if rest != runtime and rest.isdigit():
            return int(rest) >= first
    return False


def check_snap_start(runtime: str | None, apply_on: str) -> None:
    """SnapStart on published versions only where AWS offers it, refused as AWS refuses it."""
    if apply_on == "PublishedVersions" and runtime and not snap_start_supported(runtime):
        raise InvalidParameterValueException(f"{runtime} is not supported for SnapStart enabled functions.")


REVISION_MISMATCH = (
    "The Revision Id provided does not match the latest Revision Id. "
    "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
)


def check_revision(given: str | None, current: str) -> None:
    """The optimistic lock of every update: a RevisionId, when given, must be the current one."""
    if given is not None and given != current:
        raise PreconditionFailedException(REVISION_MISMATCH)


def check_unsupported(values: Mapping[str, Any]) -> None:
    """Refuse, by name, parameters whose feature Lambent does not offer (yet): never ignore them."""
    for member, value in values.items():
        if value:
            raise InvalidParameterValueException(f"{member} is not supported by Lambent yet.")


def architectures_of(values: list[str]) -> tuple[str, ...]:
    return tuple(values) if values else ("x86_64",)


def runtime_version_arn(region: str, runtime: str) -> str:
    return f"arn:aws:lambda:{region}::runtime:lambent-{runtime}"


def snap_start_status(version: FunctionVersion) -> str:
    """SnapStart's OptimizationStatus: On for a published version of a function that applies it
    to published versions (whose environments are then restored from its snapshot), else Off."""
    return "On" if version.snap_start_apply_on == "PublishedVersions" and version.version != LATEST else "Off"


def configuration_document(version: FunctionVersion, region: str, account_id: str) -> dict[str, Any]:
    """The ``FunctionConfiguration`` AWS returns for *version*, every field it returns."""
    doc: dict[str, Any] = {
        "FunctionName": version.name,
        "FunctionArn": function_arn(region, account_id, version.name, version.version if version.version != LATEST else None)
        if version.version != LATEST
        else function_arn(region, account_id, version.name),
        "Runtime": version.runtime,
        "Role": version.role,
        "Handler": version.handler,
        "CodeSize": version.code_size,
        "Description": version.description,
        "Timeout": version.timeout_s,
        "MemorySize": version.memory_mb,
        "LastModified": version.last_modified,
        "CodeSha256": version.code_sha256,
        "Version": version.version,
        "TracingConfig": {"Mode": version.tracing_mode},
        "RevisionId": version.revision_id,
        **_state_fields(version),
        "PackageType": version.package_type,
        "Architectures": list(version.architectures),
        "EphemeralStorage": {"Size": version.ephemeral_storage_mb},
        "SnapStart": {"ApplyOn": version.snap_start_apply_on, "OptimizationStatus": snap_start_status(version)},
        "RuntimeVersionConfig": {"RuntimeVersionArn": runtime_version_arn(region, version.runtime)},
        "LoggingConfig": _logging_document(version),
    }
    if version.environment:
        doc["Environment"] = {"Variables": dict(version.environment)}
    if version.layers:
        doc["Layers"] = [{"Arn": arn, "CodeSize": size} for arn, size in version.layers]
    if version.kms_key_arn:
        doc["KMSKeyArn"] = version.kms_key_arn
    if version.dead_letter_target_arn:
        doc["DeadLetterConfig"] = {"TargetArn": version.dead_letter_target_arn}
    if version.signing_profile_version_arn:
        doc.update(SigningProfileVersionArn=version.signing_profile_version_arn, SigningJobArn=version.signing_job_arn)
    return doc


#: AWS's reason and code for a function being created, and (word for word) for one being updated.
CREATING_REASON = "The function is being created."
CREATING_CODE = "Creating"

#: Members ListFunctions and ListVersionsByFunction leave out ("a subset of the
#: FunctionConfiguration fields": botocore's documentation of ListFunctions names them).
LIST_OMITTED = frozenset(
    {"State", "StateReason", "StateReasonCode", "RuntimeVersionConfig"}
    | {"LastUpdateStatus", "LastUpdateStatusReason", "LastUpdateStatusReasonCode"}
)


def _state_fields(version: FunctionVersion) -> dict[str, str]:
    """State and LastUpdateStatus with their reasons, as AWS shows them (no LastUpdateStatus
    while a function is being created)."""
    fields = {"State": version.state}
    if version.state == "Pending":
        fields.update(StateReason=CREATING_REASON, StateReasonCode=CREATING_CODE)
    if version.last_update_status:
        fields["LastUpdateStatus"] = version.last_update_status
    if version.last_update_status == "InProgress":
        fields.update(LastUpdateStatusReason=CREATING_REASON, LastUpdateStatusReasonCode=CREATING_CODE)
    return fields


def listed_document(version: FunctionVersion, region: str, account_id: str) -> dict[str, Any]:
    """*version* as ListFunctions and ListVersionsByFunction list it."""
    return {k: v for k, v in configuration_document(version, region, account_id).items() if k not in LIST_OMITTED}


def _logging_document(version: FunctionVersion) -> dict[str, Any]:
    doc: dict[str, Any] = {"LogFormat": version.log_format, "LogGroup": version.log_group_name}
    if version.log_format == "JSON":
        doc["ApplicationLogLevel"] = version.application_log_level or "INFO"
        doc["SystemLogLevel"] = version.system_log_level or "INFO"
    return doc


#: Lambent's per-function switch for the route out (AWS functions outside a VPC always have one).
OUTBOUND_TAG = "lambent:outbound"
OUTBOUND_VALUES = ("allow", "none")


def outbound_allowed(tags: dict[str, str], default: bool) -> bool:
    """Whether a function with *tags* gets outbound network (the tag, else the server's default)."""
    value = tags.get(OUTBOUND_TAG)
    return default if value is None else value == "allow"


def check_outbound_tag(tags: dict[str, str]) -> None:
    value = tags.get(OUTBOUND_TAG)
    if value is not None and value not in OUTBOUND_VALUES:
        raise InvalidParameterValueException(f"Tag {OUTBOUND_TAG} must be one of {', '.join(OUTBOUND_VALUES)}, not {value!r}.")
