"""Layers: versioned zips a function mounts read-only at /opt, in the order it lists them. Pure.

A function lists at most five layer version ARNs; the function's unzipped code and its layers
together stay within 250 MB. Each version carries its resource policy (statements added by
AddLayerVersionPermission), rendered as AWS renders it.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import msgspec

from lambent.errors import InvalidParameterValueException, ResourceNotFoundException
from lambent.model.limits import MAX_LAYERS, UNZIPPED_LIMIT_BYTES

_LAYER_ARN = re.compile(r"arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):layer:(?P<name>[a-zA-Z0-9-_]+)")
_VERSION_ARN = re.compile(
    r"arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):layer:(?P<name>[a-zA-Z0-9-_]+):(?P<version>[0-9]+)"
)


class LayerContentInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    zip_file: bytes | None = msgspec.field(default=None, name="ZipFile")
    s3_bucket: str | None = msgspec.field(default=None, name="S3Bucket")
    s3_key: str | None = msgspec.field(default=None, name="S3Key")
    s3_object_version: str | None = msgspec.field(default=None, name="S3ObjectVersion")


class PublishLayerVersionInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    content: LayerContentInput = msgspec.field(name="Content")
    description: str = msgspec.field(default="", name="Description")
    compatible_runtimes: list[str] = msgspec.field(default_factory=list, name="CompatibleRuntimes")
    compatible_architectures: list[str] = msgspec.field(default_factory=list, name="CompatibleArchitectures")
    license_info: str | None = msgspec.field(default=None, name="LicenseInfo")


class AddPermissionInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    statement_id: str = msgspec.field(name="StatementId")
    action: str = msgspec.field(name="Action")
    principal: str = msgspec.field(name="Principal")
    organization_id: str | None = msgspec.field(default=None, name="OrganizationId")


class LayerVersion(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    version: int
    description: str = ""
    created: str
    code_sha256_hex: str
    code_size: int
    unzipped_size: int
    compatible_runtimes: tuple[str, ...] = ()
    compatible_architectures: tuple[str, ...] = ()
    license_info: str | None = None
    #: Policy statements by id: (action, principal, organization id or None).
    statements: dict[str, tuple[str, str, str | None]] = msgspec.field(default_factory=dict)
    policy_revision: str = ""


def layer_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{account_id}:layer:{name}"


def layer_name_of(identifier: str, region: str, account_id: str) -> str:
    """The layer a LayerName names: a bare name, or a layer ARN of this region and account (one of
    another names no layer here, so it is the name that is not found)."""
    match = re.fullmatch(
        r"arn:aws[a-zA-Z-]*:lambda:(?P<region>[^:]+):(?P<account>\d{12}):layer:(?P<name>[a-zA-Z0-9-_]+)", identifier
    )
    if match is None or match["region"] != region or match["account"] != account_id:
        return identifier
    return match["name"]


def parse_layer_version_arn(arn: str, region: str, account_id: str) -> tuple[str, int]:
    """(layer name, version) of a layer version ARN in this region and account."""
    owner, name, version = layer_version_of(arn, region)
    if owner != account_id:
        raise ResourceNotFoundException(f"Layer version {arn} does not exist.")
    return name, version


def layer_version_of(arn: str, region: str) -> tuple[str, str, int]:
    """(account, layer name, version) of a layer version ARN of this region, any account's."""
    match = _VERSION_ARN.fullmatch(arn)
    if match is None:
        raise InvalidParameterValueException(f"Invalid layer version arn: {arn}")
    if match["region"] != region:
        raise ResourceNotFoundException(f"Layer version {arn} does not exist.")
    return match["account"], match["name"], int(match["version"])


def check_layer_count(arns: list[str]) -> None:
    if len(arns) > MAX_LAYERS:
        raise InvalidParameterValueException(f"Cannot reference more than {MAX_LAYERS} layers.")
    if len(set(arns)) != len(arns):
        raise InvalidParameterValueException(
            "Two different versions of the same layer are not allowed to be referenced in the same function."
        )


def check_total_size(function_unzipped: int, layers_unzipped: int) -> None:
    total = function_unzipped + layers_unzipped
    if total > UNZIPPED_LIMIT_BYTES:
        raise InvalidParameterValueException(
            f"Function code combined with layers exceeds the maximum allowed size of {UNZIPPED_LIMIT_BYTES} bytes. "
            f"The actual size is {total} bytes."
        )


def layer_version_document(layer: LayerVersion, region: str, account_id: str, location: str) -> dict[str, Any]:
    arn = layer_arn(region, account_id, layer.name)
    doc: dict[str, Any] = {
        "Content": {
            "Location": location,
            "CodeSha256": base64.b64encode(bytes.fromhex(layer.code_sha256_hex)).decode(),
            "CodeSize": layer.code_size,
        },
        "LayerArn": arn,
        "LayerVersionArn": f"{arn}:{layer.version}",
        "Description": layer.description,
        "CreatedDate": layer.created,
        "Version": layer.version,
        "CompatibleRuntimes": list(layer.compatible_runtimes),
        "CompatibleArchitectures": list(layer.compatible_architectures),
    }
    if layer.license_info is not None:
        doc["LicenseInfo"] = layer.license_info
    return doc


def statement_document(layer: LayerVersion, statement_id: str, region: str, account_id: str) -> dict[str, Any]:
    action, principal, organization = layer.statements[statement_id]
    statement: dict[str, Any] = {
        "Sid": statement_id,
        "Effect": "Allow",
        "Principal": "*" if principal == "*" else {"AWS": f"arn:aws:iam::{principal}:root"},
        "Action": action,
        "Resource": f"{layer_arn(region, account_id, layer.name)}:{layer.version}",
    }
    if organization is not None:
        statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": organization}}
    return statement


def policy_document(layer: LayerVersion, region: str, account_id: str) -> str:
    statements = [statement_document(layer, sid, region, account_id) for sid in layer.statements]
    return json.dumps({"Version": "2012-10-17", "Id": "default", "Statement": statements})
