"""An HTTP API as API Gateway's control plane (apigatewayv2) keeps it: the records, stored whole
per API, and answered on the wire as they are. Pure.

The wire members are API Gateway's, lower camel case (``apiId``, ``timeoutInMillis``), so every
record is a ``rename="camel"`` struct and its JSON is the answer: a member that is ``None`` is
left out (``omit_defaults``), as AWS leaves out what a resource does not have; members AWS always
answers have no default. ``ApiEndpoint`` is the one member made when answering (it depends on
where the server is reached, not on the API).

An API's state (``HttpApiState``) is one record: the API, its routes, integrations, authorizers,
stages and deployments. A deployment freezes the routes, integrations, authorizers and CORS
configuration it was made from (``Snapshot``); a stage serves its deployment's snapshot. Rules
over this state are ``model.http_api_rules``; inputs are ``model.http_api_inputs``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

#: What API Gateway answers for the expressions an HTTP API does not let you change.
ROUTE_SELECTION = "$request.method $request.path"
API_KEY_SELECTION = "$request.header.x-api-key"
DEFAULT_STAGE = "$default"
#: An HTTP API integration's timeout quota, and its default (the API model's range is 50-30000).
TIMEOUT_MAX_MS = 30000


def api_time(moment: float) -> str:
    """*moment* (epoch seconds) as apigatewayv2 prints times: ISO-8601 in UTC, to the second
    (the AWS CLI's examples show ``2020-04-08T19:05:45+00:00``, botocore's rendering of it)."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Record(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    pass


class Cors(_Record, frozen=True, forbid_unknown_fields=True):
    allow_credentials: bool | None = None
    allow_headers: list[str] | None = None
    allow_methods: list[str] | None = None
    allow_origins: list[str] | None = None
    expose_headers: list[str] | None = None
    max_age: int | None = None


class JwtConfiguration(_Record, frozen=True, forbid_unknown_fields=True):
    audience: list[str] | None = None
    issuer: str | None = None


class RouteSettings(_Record, frozen=True, forbid_unknown_fields=True):
    data_trace_enabled: bool | None = None
    detailed_metrics_enabled: bool | None = None
    logging_level: str | None = None
    throttling_burst_limit: int | None = None
    throttling_rate_limit: float | None = None


class AccessLogSettings(_Record, frozen=True, forbid_unknown_fields=True):
    destination_arn: str | None = None
    format: str | None = None


class ParameterConstraints(_Record, frozen=True, forbid_unknown_fields=True):
    required: bool | None = None


class Api(_Record, frozen=True):
    api_id: str
    name: str
    protocol_type: str
    route_selection_expression: str
    api_key_selection_expression: str
    disable_execute_api_endpoint: bool
    ip_address_type: str
    created_date: str
    tags: dict[str, str]
    cors_configuration: Cors | None = None
    description: str | None = None
    version: str | None = None


class Route(_Record, frozen=True):
    route_id: str
    route_key: str
    api_key_required: bool
    authorization_type: str
    api_gateway_managed: bool | None = None
    authorization_scopes: list[str] | None = None
    authorizer_id: str | None = None
    model_selection_expression: str | None = None
    operation_name: str | None = None
    request_models: dict[str, str] | None = None
    request_parameters: dict[str, ParameterConstraints] | None = None
    route_response_selection_expression: str | None = None
    target: str | None = None

    @property
    def integration_id(self) -> str | None:
        """The integration the route's target names (``integrations/<id>``), if any."""
        if self.target is None or not self.target.startswith("integrations/"):
            return None
        return self.target.removeprefix("integrations/")


class Integration(_Record, frozen=True):
    integration_id: str
    integration_type: str
    connection_type: str
    payload_format_version: str
    timeout_in_millis: int
    api_gateway_managed: bool | None = None
    connection_id: str | None = None
    credentials_arn: str | None = None
    description: str | None = None
    integration_method: str | None = None
    integration_subtype: str | None = None
    integration_uri: str | None = None
    request_parameters: dict[str, str] | None = None
    response_parameters: dict[str, dict[str, str]] | None = None


class Authorizer(_Record, frozen=True):
    authorizer_id: str
    authorizer_type: str
    name: str
    identity_source: list[str]
    authorizer_credentials_arn: str | None = None
    authorizer_payload_format_version: str | None = None
    authorizer_result_ttl_in_seconds: int | None = None
    authorizer_uri: str | None = None
    enable_simple_responses: bool | None = None
    identity_validation_expression: str | None = None
    jwt_configuration: JwtConfiguration | None = None


class Stage(_Record, frozen=True):
    stage_name: str
    created_date: str
    last_updated_date: str
    default_route_settings: RouteSettings
    route_settings: dict[str, RouteSettings]
    stage_variables: dict[str, str]
    tags: dict[str, str]
    access_log_settings: AccessLogSettings | None = None
    api_gateway_managed: bool | None = None
    auto_deploy: bool | None = None
    client_certificate_id: str | None = None
    deployment_id: str | None = None
    description: str | None = None
    last_deployment_status_message: str | None = None


class Deployment(_Record, frozen=True):
    deployment_id: str
    created_date: str
    deployment_status: str
    auto_deployed: bool
    description: str | None = None


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    """What a deployment serves: the API's routes, integrations, authorizers and CORS
    configuration as they were when it was made."""

    routes: tuple[Route, ...] = ()
    integrations: dict[str, Integration] = msgspec.field(default_factory=dict)
    authorizers: dict[str, Authorizer] = msgspec.field(default_factory=dict)
    cors: Cors | None = None

    def integration_of(self, route: Route) -> Integration | None:
        key = route.integration_id
        return self.integrations.get(key) if key is not None else None


class HttpApiState(msgspec.Struct, frozen=True, kw_only=True):
    """One API and everything in it, as stored (one record per API)."""

    api: Api
    routes: dict[str, Route] = msgspec.field(default_factory=dict)
    integrations: dict[str, Integration] = msgspec.field(default_factory=dict)
    authorizers: dict[str, Authorizer] = msgspec.field(default_factory=dict)
    stages: dict[str, Stage] = msgspec.field(default_factory=dict)
    deployments: dict[str, Deployment] = msgspec.field(default_factory=dict)
    snapshots: dict[str, Snapshot] = msgspec.field(default_factory=dict)

    @property
    def api_id(self) -> str:
        return self.api.api_id

    def snapshot(self) -> Snapshot:
        """What a deployment made now would serve."""
        return Snapshot(
            routes=tuple(self.routes.values()),
            integrations=dict(self.integrations),
            authorizers=dict(self.authorizers),
            cors=self.api.cors_configuration,
        )


def document(record: _Record) -> dict[str, Any]:
    """*record* as the operations answer it (lower camel members, absent ones left out)."""
    built: dict[str, Any] = msgspec.to_builtins(record)
    return built


def api_document(api: Api, endpoint: str) -> dict[str, Any]:
    """An API as CreateApi, GetApi, UpdateApi and GetApis answer it: with its ``apiEndpoint``."""
    return {"apiEndpoint": endpoint, **document(api)}
