"""From requests to versions: what CreateFunction, UpdateFunctionConfiguration,
UpdateFunctionCode and PublishVersion make of the version they start from. Pure.

Every fact the service learns by doing something (the stored package's digest and sizes, the
layers' ARNs and merged /opt tree, the time, new revision ids) comes in as an argument; what
comes out is a new ``FunctionVersion`` or the changes to apply to one. Checks refuse with AWS's
messages, in the order AWS applies them; nothing here stores, reads a clock or draws an id.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec

from lambent.errors import InvalidParameterValueException
from lambent.model.event_invoke import destination_kind
from lambent.model.function import (
    CreateFunctionInput,
    FunctionVersion,
    UpdateFunctionCodeInput,
    UpdateFunctionConfigurationInput,
    architectures_of,
    aws_timestamp,
    check_environment,
    check_outbound_tag,
    check_runtime,
    check_snap_start,
    check_unsupported,
)

#: Fields PublishVersion does not compare: a version differing only in these is no new version.
_SNAPSHOT_EXCLUDED = frozenset(
    {"version", "revision_id", "last_modified", "state", "last_update_status", "description", "published_from"}
)
_NO_SOURCE = "Please provide a source for function code."


class Package(msgspec.Struct, frozen=True, kw_only=True):
    """A stored code package: its digest and its zipped and unzipped sizes."""

    sha256_hex: str
    size: int
    unzipped_size: int


class LayerFields(msgspec.Struct, frozen=True, kw_only=True):
    """A function's layers as a version records them, once resolved and merged into /opt."""

    layers: tuple[tuple[str, int], ...] = ()
    opt_key: str | None = None

    def changes(self) -> dict[str, Any]:
        return {"layers": self.layers, "opt_key": self.opt_key}


def check_dead_letter_target(arn: str | None) -> None:
    """Dead-letter queues are SQS queues here (AWS also takes SNS topics, which Lambent lacks)."""
    if arn and destination_kind(arn) != "sqs":
        raise InvalidParameterValueException(f"The dead-letter target {arn} is not an SQS queue; Lambent sends to SQS only.")


def check_create(request: CreateFunctionInput, available: Iterable[str], known: list[str]) -> None:
    """Refuse what CreateFunction refuses before anything is stored (not: a name in use)."""
    check_outbound_tag(dict(request.tags))
    check_unsupported(
        {
            "Code.S3Bucket": request.code.s3_bucket,
            "Code.ImageUri": request.code.image_uri,
            "VpcConfig.SubnetIds": (request.vpc_config or {}).get("SubnetIds"),
            "FileSystemConfigs": request.file_system_configs,
            "ImageConfig": request.image_config,
            "PublishTo": request.publish_to,
            "CapacityProviderConfig": request.capacity_provider_config,
            "DurableConfig": request.durable_config,
            "TenancyConfig": request.tenancy_config,
            "AcceleratorConfig": request.accelerator_config,
            "RuntimeConfig": request.runtime_config,
        }
    )
    if request.package_type != "Zip":
        raise InvalidParameterValueException("PackageType Image is not supported by Lambent yet.")
    check_runtime(request.runtime, request.handler, available, known)
    check_snap_start(request.runtime, (request.snap_start or {}).get("ApplyOn", "None"))
    check_dead_letter_target((request.dead_letter_config or {}).get("TargetArn"))
    check_environment(request.environment.variables if request.environment else {})
    if request.code.zip_file is None:
        raise InvalidParameterValueException(_NO_SOURCE)
    if ":" in request.function_name:
        raise InvalidParameterValueException(f"Function name {request.function_name} is not a plain name.")


def created_version(
    request: CreateFunctionInput, package: Package, layers: LayerFields, moment: datetime, revision_id: str
) -> FunctionVersion:
    """``$LATEST`` of a function CreateFunction makes from *request* (checked by ``check_create``)."""
    logging_config = request.logging_config or {}
    return FunctionVersion(
        name=request.function_name,
        runtime=request.runtime or "",
        handler=request.handler or "",
        role=request.role,
        description=request.description,
        memory_mb=request.memory_mb,
        timeout_s=request.timeout_s,
        ephemeral_storage_mb=request.ephemeral_storage.size_mb if request.ephemeral_storage else 512,
        environment=dict(request.environment.variables if request.environment else {}),
        architectures=architectures_of(request.architectures),
        code_sha256_hex=package.sha256_hex,
        code_size=package.size,
        last_modified=aws_timestamp(moment),
        revision_id=revision_id,
        tracing_mode=(request.tracing_config or {}).get("Mode", "PassThrough"),
        kms_key_arn=request.kms_key_arn,
        dead_letter_target_arn=(request.dead_letter_config or {}).get("TargetArn"),
        log_format=logging_config.get("LogFormat", "Text"),
        log_group=logging_config.get("LogGroup"),
        application_log_level=logging_config.get("ApplicationLogLevel"),
        system_log_level=logging_config.get("SystemLogLevel"),
        snap_start_apply_on=(request.snap_start or {}).get("ApplyOn", "None"),
        code_unzipped_size=package.unzipped_size,
        layers=layers.layers,
        opt_key=layers.opt_key,
    )


def check_configuration_update(request: UpdateFunctionConfigurationInput) -> None:
    check_unsupported(
        {
            "VpcConfig.SubnetIds": (request.vpc_config or {}).get("SubnetIds"),
            "FileSystemConfigs": request.file_system_configs,
            "ImageConfig": request.image_config,
            "CapacityProviderConfig": request.capacity_provider_config,
            "DurableConfig": request.durable_config,
            "AcceleratorConfig": request.accelerator_config,
            "RuntimeConfig": request.runtime_config,
        }
    )


_PLAIN_FIELDS = ("role", "handler", "description", "timeout_s", "memory_mb", "runtime", "kms_key_arn")


def configuration_changes(
    request: UpdateFunctionConfigurationInput, current: FunctionVersion, available: Iterable[str], known: list[str]
) -> dict[str, Any]:
    """The fields of *current* that *request* changes (layers apart: they need /opt built),
    once checked against what the version would become."""
    changes: dict[str, Any] = {}
    if request.runtime is not None or request.handler is not None:
        check_runtime(request.runtime or current.runtime, request.handler or current.handler, available, known)
    if request.environment is not None:
        check_environment(request.environment.variables)
        changes["environment"] = dict(request.environment.variables)
    for field in _PLAIN_FIELDS:
        value = getattr(request, field)
        if value is not None:
            changes[field] = value
    if request.ephemeral_storage is not None:
        changes["ephemeral_storage_mb"] = request.ephemeral_storage.size_mb
    if request.tracing_config is not None:
        changes["tracing_mode"] = request.tracing_config.get("Mode", "PassThrough")
    if request.dead_letter_config is not None:
        check_dead_letter_target(request.dead_letter_config.get("TargetArn"))
        changes["dead_letter_target_arn"] = request.dead_letter_config.get("TargetArn") or None
    if request.logging_config is not None:
        given = request.logging_config
        changes.update(
            log_format=given.get("LogFormat", current.log_format),
            log_group=given.get("LogGroup", current.log_group),
            application_log_level=given.get("ApplicationLogLevel", current.application_log_level),
            system_log_level=given.get("SystemLogLevel", current.system_log_level),
        )
    if request.snap_start is not None:
        changes["snap_start_apply_on"] = request.snap_start.get("ApplyOn", "None")
    check_snap_start(changes.get("runtime", current.runtime), changes.get("snap_start_apply_on", current.snap_start_apply_on))
    return changes


def check_code_update(request: UpdateFunctionCodeInput) -> None:
    check_unsupported({"S3Bucket": request.s3_bucket, "ImageUri": request.image_uri, "PublishTo": request.publish_to})
    if request.zip_file is None:
        raise InvalidParameterValueException(_NO_SOURCE)


def code_changes(request: UpdateFunctionCodeInput, package: Package, layers: LayerFields) -> dict[str, Any]:
    """The fields UpdateFunctionCode changes: the code, the layers' /opt (whose size limit
    counts the new code), and the architectures when given."""
    changes: dict[str, Any] = {
        "code_sha256_hex": package.sha256_hex,
        "code_size": package.size,
        "code_unzipped_size": package.unzipped_size,
        **layers.changes(),
    }
    if request.architectures is not None:
        changes["architectures"] = architectures_of(request.architectures)
    return changes


def replaced(current: FunctionVersion, changes: dict[str, Any], moment: datetime, revision_id: str) -> FunctionVersion:
    """``$LATEST`` with *changes* applied: a new revision, modified at *moment*."""
    return msgspec.structs.replace(current, **changes, last_modified=aws_timestamp(moment), revision_id=revision_id)


def check_publish(latest: FunctionVersion, code_sha256: str | None) -> None:
    """PublishVersion's CodeSha256, when given, must be that of ``$LATEST``."""
    if code_sha256 is not None and code_sha256 != latest.code_sha256:
        raise InvalidParameterValueException(
            f"CodeSHA256 ({code_sha256}) is different from current CodeSHA256 in $LATEST "
            f"({latest.code_sha256}). Please try again with the CodeSHA256 in $LATEST."
        )


def same_snapshot(a: FunctionVersion, b: FunctionVersion) -> bool:
    """Whether two versions have the same code and configuration (what PublishVersion compares)."""
    return all(getattr(a, f) == getattr(b, f) for f in a.__struct_fields__ if f not in _SNAPSHOT_EXCLUDED)


def unchanged_since(newest: FunctionVersion | None, latest: FunctionVersion, description: str | None) -> bool:
    """Whether publishing *latest* would make nothing new: the newest published version was
    taken from this very revision of ``$LATEST`` (any change since, code or configuration, makes
    the next publish new, as on AWS), and the description asked for (if any) is its own.
    Versions published before Lambent recorded their source compare as snapshots."""
    if newest is None or description not in (None, newest.description):
        return False
    if newest.published_from:
        return newest.published_from == latest.revision_id
    return same_snapshot(newest, latest) and latest.description == newest.description


def published_version(latest: FunctionVersion, number: int, revision_id: str, description: str | None = None) -> FunctionVersion:
    """Version *number*: a snapshot of *latest*, with *description* when one is given."""
    return msgspec.structs.replace(
        latest,
        version=str(number),
        revision_id=revision_id,
        description=latest.description if description is None else description,
        published_from=latest.revision_id,
    )


def next_version_number(versions: Iterable[str]) -> int:
    """The number the next published version takes: one past the highest (numbers are not reused
    while a higher one exists)."""
    return max((int(v) for v in versions if v.isdigit()), default=0) + 1
