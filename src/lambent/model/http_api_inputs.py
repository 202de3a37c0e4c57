"""The inputs of the apigatewayv2 operations Lambent serves, and their check against the API
model that ships with botocore. Pure.

Each create and update body is its own record (lower camel members, as on the wire; an unknown
member is refused). Before it is decoded, the body is checked against the operation's input
shape (``check``): required members, enums, lengths and ranges, each violation worded as AWS's
JSON services word them (``model.constraints``: ``1 validation error detected: Value '10' at
'timeoutInMillis' failed to satisfy constraint: ...``) and raised as ``BadRequestException``,
the one 400 the apigatewayv2 model declares. That wording is not captured from API Gateway
itself (docs/decisions/0026-http-api-addresses-and-words.md).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

from lambent.errors import BadRequestException
from lambent.model import constraints
from lambent.model.http_api import AccessLogSettings, Cors, JwtConfiguration, ParameterConstraints, RouteSettings

SERVICE = "apigatewayv2"
T = TypeVar("T")


class _Input(msgspec.Struct, frozen=True, kw_only=True, rename="camel", forbid_unknown_fields=True):
    pass


class CreateApiInput(_Input, frozen=True):
    name: str
    protocol_type: str
    api_key_selection_expression: str | None = None
    cors_configuration: Cors | None = None
    credentials_arn: str | None = None
    description: str | None = None
    disable_execute_api_endpoint: bool | None = None
    disable_schema_validation: bool | None = None
    ip_address_type: str | None = None
    route_key: str | None = None
    route_selection_expression: str | None = None
    tags: dict[str, str] | None = None
    target: str | None = None
    version: str | None = None


class UpdateApiInput(_Input, frozen=True):
    api_key_selection_expression: str | None = None
    cors_configuration: Cors | None = None
    credentials_arn: str | None = None
    description: str | None = None
    disable_execute_api_endpoint: bool | None = None
    disable_schema_validation: bool | None = None
    ip_address_type: str | None = None
    name: str | None = None
    route_key: str | None = None
    route_selection_expression: str | None = None
    target: str | None = None
    version: str | None = None


class RouteInput(_Input, frozen=True):
    """CreateRoute's body (``route_key`` required there) and UpdateRoute's."""

    api_key_required: bool | None = None
    authorization_scopes: list[str] | None = None
    authorization_type: str | None = None
    authorizer_id: str | None = None
    model_selection_expression: str | None = None
    operation_name: str | None = None
    request_models: dict[str, str] | None = None
    request_parameters: dict[str, ParameterConstraints] | None = None
    route_key: str | None = None
    route_response_selection_expression: str | None = None
    target: str | None = None


class TlsConfig(_Input, frozen=True):
    server_name_to_verify: str | None = None


class IntegrationInput(_Input, frozen=True):
    """CreateIntegration's body (``integration_type`` required there) and UpdateIntegration's."""

    connection_id: str | None = None
    connection_type: str | None = None
    content_handling_strategy: str | None = None
    credentials_arn: str | None = None
    description: str | None = None
    integration_method: str | None = None
    integration_subtype: str | None = None
    integration_type: str | None = None
    integration_uri: str | None = None
    passthrough_behavior: str | None = None
    payload_format_version: str | None = None
    request_parameters: dict[str, str] | None = None
    request_templates: dict[str, str] | None = None
    response_parameters: dict[str, dict[str, str]] | None = None
    template_selection_expression: str | None = None
    timeout_in_millis: int | None = None
    tls_config: TlsConfig | None = None


class StageInput(_Input, frozen=True):
    """CreateStage's body (``stage_name`` required there) and UpdateStage's (``tags`` only at
    create)."""

    access_log_settings: AccessLogSettings | None = None
    auto_deploy: bool | None = None
    client_certificate_id: str | None = None
    default_route_settings: RouteSettings | None = None
    deployment_id: str | None = None
    description: str | None = None
    route_settings: dict[str, RouteSettings] | None = None
    stage_name: str | None = None
    stage_variables: dict[str, str] | None = None
    tags: dict[str, str] | None = None


class DeploymentInput(_Input, frozen=True):
    description: str | None = None
    stage_name: str | None = None


class AuthorizerInput(_Input, frozen=True):
    """CreateAuthorizer's body and UpdateAuthorizer's."""

    authorizer_credentials_arn: str | None = None
    authorizer_payload_format_version: str | None = None
    authorizer_result_ttl_in_seconds: int | None = None
    authorizer_type: str | None = None
    authorizer_uri: str | None = None
    enable_simple_responses: bool | None = None
    identity_source: list[str] | None = None
    identity_validation_expression: str | None = None
    jwt_configuration: JwtConfiguration | None = None
    name: str | None = None


@functools.cache
def _shapes() -> dict[str, Any]:
    shapes: dict[str, Any] = constraints.service_model(SERVICE)["shapes"]
    return shapes


def _members(shape_name: str, value: Any) -> Any:
    """*value* (a wire document of *shape_name*) with its structures' members renamed from their
    wire names to the model's, so the model's constraints can be walked over it."""
    shape = _shapes()[shape_name]
    kind = shape.get("type")
    if kind == "structure" and isinstance(value, Mapping):
        by_wire = {spec.get("locationName", member): (member, spec["shape"]) for member, spec in shape["members"].items()}
        renamed = {}
        for key, item in value.items():
            member, inner = by_wire.get(key, (key, None))
            renamed[member] = _members(inner, item) if inner is not None else item
        return renamed
    if kind == "map" and isinstance(value, Mapping):
        inner = shape["value"]["shape"]
        return {key: _members(inner, item) for key, item in value.items()}
    if kind == "list" and isinstance(value, list):
        inner = shape["member"]["shape"]
        return [_members(inner, item) for item in value]
    return value


def check(operation: str, document: Mapping[str, Any], path: Mapping[str, str]) -> None:
    """Refuse *document* (the body, wire names) with the request's *path* parameters (model
    names: ``ApiId``...) where they break *operation*'s input shape."""
    shape_name = constraints.service_model(SERVICE)["operations"][operation]["input"]["shape"]
    params = {**_members(shape_name, dict(document)), **path}
    problems = constraints.violations(operation, params, service=SERVICE)
    if problems:
        raise BadRequestException(constraints.summary(problems))


def decode(document: Mapping[str, Any], kind: type[T]) -> T:
    """*document* as its input record; a member of the wrong type or one the operation does not
    take is refused with BadRequestException."""
    try:
        return msgspec.convert(dict(document), kind)
    except msgspec.ValidationError as failed:
        raise BadRequestException(f"Could not parse request body into json: {failed}") from None
