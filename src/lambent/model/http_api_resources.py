"""API Gateway's rules for an HTTP API itself, its routes, integrations and authorizers: each
operation a pure function from the API's state and an input to the new state, refusing as API
Gateway refuses (the order and the sources of the words: ``model.http_api_rules``). Quick create
(``Target`` on CreateApi) makes the integration, the route and the auto-deployed ``$default``
stage in one step.
"""

from __future__ import annotations

import re

import msgspec

from lambent.errors import BadRequestException, ConflictException
from lambent.model import http_routes
from lambent.model.http_api import (
    API_KEY_SELECTION,
    DEFAULT_STAGE,
    ROUTE_SELECTION,
    TIMEOUT_MAX_MS,
    Api,
    Authorizer,
    HttpApiState,
    Integration,
    Route,
)
from lambent.model.http_api_inputs import AuthorizerInput, CreateApiInput, IntegrationInput, RouteInput, UpdateApiInput
from lambent.model.http_api_rules import (
    AUTO_DESCRIPTION,
    DEPLOYMENT_ID_LENGTH,
    INTEGRATION_ID_LENGTH,
    ROUTE_ID_LENGTH,
    NewId,
    api_now,
    deploy,
    merged,
    new_stage,
    not_found,
    removed,
)
from lambent.model.lambda_target import lambda_target

#: AWS's words (aws/aws-cli#6363, a live BadRequestException).
PROXY_ONLY = (
    "Currently, an API with a protocol type of HTTP may only be associated with proxy integrations (AWS_PROXY, HTTP_PROXY)"
)
#: LocalStack's wording of AWS's refusal (localstack/localstack#9184); not captured from AWS.
PAYLOAD_FORMAT_REQUIRED = "PayloadFormatVersion is a required parameter for integration"
_IDENTITY = re.compile(r"\$(request\.(header|querystring)\.[^\s,]+|context\.[A-Za-z0-9_.]+|stageVariables\.[A-Za-z0-9_]+)")


# -- APIs ----------------------------------------------------------------------------------------


def create_api(request: CreateApiInput, api_id: str, now: float, new_id: NewId) -> HttpApiState:
    """A new HTTP API; with ``Target``, quick create's integration, route and ``$default`` stage."""
    if request.protocol_type != "HTTP":
        raise BadRequestException("Lambent serves HTTP APIs only: WEBSOCKET APIs are not supported")
    if request.route_key is not None and request.target is None:
        raise BadRequestException("RouteKey can only be specified with Target (quick create)")
    api = Api(
        api_id=api_id,
        name=request.name,
        protocol_type="HTTP",
        route_selection_expression=ROUTE_SELECTION,
        api_key_selection_expression=API_KEY_SELECTION,
        disable_execute_api_endpoint=bool(request.disable_execute_api_endpoint),
        ip_address_type=request.ip_address_type or "ipv4",
        created_date=api_now(now),
        tags=dict(request.tags or {}),
        cors_configuration=request.cors_configuration,
        description=request.description,
        version=request.version,
    )
    state = HttpApiState(api=api)
    if request.target is None:
        return state
    integration = _quick_integration(new_id(INTEGRATION_ID_LENGTH), request.target, request.credentials_arn)
    key = request.route_key or http_routes.DEFAULT
    _check_key(state, key, None)
    route = Route(
        route_id=new_id(ROUTE_ID_LENGTH),
        route_key=key,
        api_key_required=False,
        authorization_type="NONE",
        api_gateway_managed=True,
        target=f"integrations/{integration.integration_id}",
    )
    stage = new_stage(DEFAULT_STAGE, now, auto_deploy=True, managed=True)
    state = msgspec.structs.replace(
        state,
        routes={route.route_id: route},
        integrations={integration.integration_id: integration},
        stages={DEFAULT_STAGE: stage},
    )
    return deploy(state, new_id(DEPLOYMENT_ID_LENGTH), now, [DEFAULT_STAGE], AUTO_DESCRIPTION, auto=True)


def _quick_integration(integration_id: str, target: str, credentials_arn: str | None) -> Integration:
    if lambda_target(target) is None:
        raise BadRequestException(f"Invalid Target specified: Lambent's quick create takes a Lambda function ARN, not {target}")
    return Integration(
        integration_id=integration_id,
        integration_type="AWS_PROXY",
        connection_type="INTERNET",
        payload_format_version="2.0",
        timeout_in_millis=TIMEOUT_MAX_MS,
        api_gateway_managed=True,
        credentials_arn=credentials_arn,
        integration_method="POST",
        integration_uri=target,
    )


def update_api(state: HttpApiState, request: UpdateApiInput) -> HttpApiState:
    """*state* with what *request* names replaced; ``Target`` and ``RouteKey`` change the
    resources quick create made."""
    changes = {
        name: getattr(request, name)
        for name in ("name", "description", "version", "cors_configuration", "disable_execute_api_endpoint", "ip_address_type")
        if getattr(request, name) is not None
    }
    state = msgspec.structs.replace(state, api=msgspec.structs.replace(state.api, **changes))
    managed_route = next((r for r in state.routes.values() if r.api_gateway_managed), None)
    if (request.target is not None or request.route_key is not None) and managed_route is None:
        raise BadRequestException("Target and RouteKey can only be updated on an API made by quick create")
    if request.target is not None and managed_route is not None:
        integration = state.integrations[managed_route.integration_id or ""]
        if lambda_target(request.target) is None:
            raise BadRequestException(f"Invalid Target specified: {request.target}")
        state = merged(
            state, integrations={integration.integration_id: msgspec.structs.replace(integration, integration_uri=request.target)}
        )
    if request.route_key is not None and managed_route is not None:
        _check_key(state, request.route_key, managed_route.route_id)
        state = merged(
            state, routes={managed_route.route_id: msgspec.structs.replace(managed_route, route_key=request.route_key)}
        )
    return state


def delete_cors(state: HttpApiState) -> HttpApiState:
    return msgspec.structs.replace(state, api=msgspec.structs.replace(state.api, cors_configuration=None))


# -- routes ----------------------------------------------------------------------------------------


def _check_key(state: HttpApiState, key: str, route_id: str | None) -> None:
    refusal = http_routes.check_route_key(key)
    if refusal is not None:
        kind = BadRequestException if refusal.error_type == "BadRequestException" else ConflictException
        raise kind(refusal.message)
    if any(r.route_key == key and r.route_id != route_id for r in state.routes.values()):
        raise ConflictException(http_routes.duplicate_route(key).message)


def _check_route(state: HttpApiState, route: Route) -> None:
    if route.target is not None:
        integration_id = route.integration_id
        if integration_id is None:
            raise BadRequestException(f"Invalid Target specified: {route.target} is not of the form integrations/<IntegrationId>")
        if integration_id not in state.integrations:
            raise not_found("Integration", integration_id)
    kind = route.authorization_type
    wanted = {"JWT": "JWT", "CUSTOM": "REQUEST"}.get(kind)
    if wanted is None:
        if route.authorizer_id is not None:
            raise BadRequestException(f"AuthorizerId can only be specified with authorization type JWT or CUSTOM, not {kind}")
    else:
        if route.authorizer_id is None:
            raise BadRequestException(f"AuthorizerId is required for authorization type {kind}")
        authorizer = state.authorizers.get(route.authorizer_id)
        if authorizer is None:
            raise not_found("Authorizer", route.authorizer_id)
        if authorizer.authorizer_type != wanted:
            raise BadRequestException(
                f"Authorization type {kind} requires a {wanted} authorizer; {route.authorizer_id} is {authorizer.authorizer_type}"
            )
    if route.authorization_scopes and kind != "JWT":
        raise BadRequestException("AuthorizationScopes are supported only for JWT authorizers")


_ROUTE_MEMBERS = (
    "api_key_required",
    "authorization_scopes",
    "authorization_type",
    "authorizer_id",
    "model_selection_expression",
    "operation_name",
    "request_models",
    "request_parameters",
    "route_key",
    "route_response_selection_expression",
    "target",
)


def create_route(state: HttpApiState, request: RouteInput, route_id: str) -> tuple[HttpApiState, Route]:
    key = request.route_key or ""
    _check_key(state, key, None)
    route = Route(
        route_id=route_id,
        route_key=key,
        api_key_required=bool(request.api_key_required),
        authorization_type=request.authorization_type or "NONE",
        authorization_scopes=request.authorization_scopes,
        authorizer_id=request.authorizer_id,
        model_selection_expression=request.model_selection_expression,
        operation_name=request.operation_name,
        request_models=request.request_models,
        request_parameters=request.request_parameters,
        route_response_selection_expression=request.route_response_selection_expression,
        target=request.target,
    )
    _check_route(state, route)
    return merged(state, routes={route_id: route}), route


def update_route(state: HttpApiState, route_id: str, request: RouteInput) -> tuple[HttpApiState, Route]:
    route = route_of(state, route_id)
    changes = {name: getattr(request, name) for name in _ROUTE_MEMBERS if getattr(request, name) is not None}
    if "route_key" in changes and changes["route_key"] != route.route_key:
        if route.api_gateway_managed:
            raise BadRequestException("The route key of a route managed by API Gateway (quick create) cannot be changed")
        _check_key(state, changes["route_key"], route_id)
    if changes.get("authorization_type") in ("NONE", "AWS_IAM") and "authorizer_id" not in changes:
        changes["authorizer_id"] = None
        changes["authorization_scopes"] = None
    updated = msgspec.structs.replace(route, **changes)
    _check_route(state, updated)
    return merged(state, routes={route_id: updated}), updated


def route_of(state: HttpApiState, route_id: str) -> Route:
    route = state.routes.get(route_id)
    if route is None:
        raise not_found("Route", route_id)
    return route


def delete_route(state: HttpApiState, route_id: str) -> HttpApiState:
    route_of(state, route_id)
    return removed(state, "routes", route_id)


# -- integrations ----------------------------------------------------------------------------------


def _check_integration(integration: Integration) -> None:
    if integration.integration_type not in ("AWS_PROXY", "HTTP_PROXY"):
        raise BadRequestException(PROXY_ONLY)
    if integration.integration_type == "HTTP_PROXY":
        raise BadRequestException("Lambent does not serve HTTP_PROXY integrations: only AWS_PROXY to a Lambda function")
    if integration.connection_type != "INTERNET":
        raise BadRequestException("Lambent serves integrations of ConnectionType INTERNET only")
    if not integration.payload_format_version:
        raise BadRequestException(PAYLOAD_FORMAT_REQUIRED)
    if integration.payload_format_version not in ("1.0", "2.0"):
        raise BadRequestException(
            f"Invalid payload format version specified: {integration.payload_format_version}; "
            "Lambda proxy integrations of HTTP APIs take 1.0 or 2.0"
        )
    if integration.integration_uri is None:
        raise BadRequestException("IntegrationUri is required for AWS_PROXY integrations")
    if lambda_target(integration.integration_uri) is None:
        raise BadRequestException(f"Invalid IntegrationUri specified: {integration.integration_uri} is not a Lambda function ARN")


_INTEGRATION_MEMBERS = (
    "connection_id",
    "connection_type",
    "credentials_arn",
    "description",
    "integration_method",
    "integration_subtype",
    "integration_type",
    "integration_uri",
    "payload_format_version",
    "request_parameters",
    "response_parameters",
    "timeout_in_millis",
)


def create_integration(state: HttpApiState, request: IntegrationInput, integration_id: str) -> tuple[HttpApiState, Integration]:
    integration = Integration(
        integration_id=integration_id,
        integration_type=request.integration_type or "",
        connection_type=request.connection_type or "INTERNET",
        payload_format_version=request.payload_format_version or "",
        timeout_in_millis=request.timeout_in_millis or TIMEOUT_MAX_MS,
        connection_id=request.connection_id,
        credentials_arn=request.credentials_arn,
        description=request.description,
        integration_method=request.integration_method or "POST",
        integration_subtype=request.integration_subtype,
        integration_uri=request.integration_uri,
        request_parameters=request.request_parameters,
        response_parameters=request.response_parameters,
    )
    _check_integration(integration)
    return merged(state, integrations={integration_id: integration}), integration


def integration_of(state: HttpApiState, integration_id: str) -> Integration:
    integration = state.integrations.get(integration_id)
    if integration is None:
        raise not_found("Integration", integration_id)
    return integration


def update_integration(state: HttpApiState, integration_id: str, request: IntegrationInput) -> tuple[HttpApiState, Integration]:
    current = integration_of(state, integration_id)
    changes = {name: getattr(request, name) for name in _INTEGRATION_MEMBERS if getattr(request, name) is not None}
    updated = msgspec.structs.replace(current, **changes)
    _check_integration(updated)
    return merged(state, integrations={integration_id: updated}), updated


def delete_integration(state: HttpApiState, integration_id: str) -> HttpApiState:
    integration_of(state, integration_id)
    users = sorted(r.route_key for r in state.routes.values() if r.integration_id == integration_id)
    if users:
        raise ConflictException(f"Integration {integration_id} is the target of routes: {', '.join(users)}")
    return removed(state, "integrations", integration_id)


# -- authorizers -----------------------------------------------------------------------------------


def _check_authorizer(authorizer: Authorizer) -> None:
    for source in authorizer.identity_source:
        if _IDENTITY.fullmatch(source) is None:
            raise BadRequestException(f"Invalid identity source specified: {source}")
    if authorizer.authorizer_type == "JWT":
        config = authorizer.jwt_configuration
        if config is None or not config.issuer:
            raise BadRequestException("JwtConfiguration with an Issuer is required for JWT authorizers")
        if len(authorizer.identity_source) != 1:
            raise BadRequestException("A JWT authorizer takes exactly one identity source")
        if authorizer.authorizer_uri is not None:
            raise BadRequestException("AuthorizerUri is supported only for REQUEST authorizers")
        return
    if authorizer.authorizer_uri is None or lambda_target(authorizer.authorizer_uri) is None:
        raise BadRequestException("AuthorizerUri must name a Lambda function for REQUEST authorizers")
    version = authorizer.authorizer_payload_format_version
    if version not in ("1.0", "2.0"):
        raise BadRequestException("AuthorizerPayloadFormatVersion is required for REQUEST authorizers of HTTP APIs: 1.0 or 2.0")
    if authorizer.enable_simple_responses and version != "2.0":
        raise BadRequestException("EnableSimpleResponses is supported only with AuthorizerPayloadFormatVersion 2.0")
    if authorizer.jwt_configuration is not None:
        raise BadRequestException("JwtConfiguration is supported only for JWT authorizers")
    if (authorizer.authorizer_result_ttl_in_seconds or 0) > 0 and not authorizer.identity_source:
        raise BadRequestException("IdentitySource is required when AuthorizerResultTtlInSeconds is not 0")


_AUTHORIZER_MEMBERS = (
    "authorizer_credentials_arn",
    "authorizer_payload_format_version",
    "authorizer_result_ttl_in_seconds",
    "authorizer_type",
    "authorizer_uri",
    "enable_simple_responses",
    "identity_source",
    "identity_validation_expression",
    "jwt_configuration",
    "name",
)


def create_authorizer(state: HttpApiState, request: AuthorizerInput, authorizer_id: str) -> tuple[HttpApiState, Authorizer]:
    authorizer = Authorizer(
        authorizer_id=authorizer_id,
        authorizer_type=request.authorizer_type or "",
        name=request.name or "",
        identity_source=list(request.identity_source or ()),
        authorizer_credentials_arn=request.authorizer_credentials_arn,
        authorizer_payload_format_version=request.authorizer_payload_format_version,
        authorizer_result_ttl_in_seconds=request.authorizer_result_ttl_in_seconds,
        authorizer_uri=request.authorizer_uri,
        enable_simple_responses=request.enable_simple_responses,
        identity_validation_expression=request.identity_validation_expression,
        jwt_configuration=request.jwt_configuration,
    )
    _check_authorizer(authorizer)
    return merged(state, authorizers={authorizer_id: authorizer}), authorizer


def authorizer_of(state: HttpApiState, authorizer_id: str) -> Authorizer:
    authorizer = state.authorizers.get(authorizer_id)
    if authorizer is None:
        raise not_found("Authorizer", authorizer_id)
    return authorizer


def update_authorizer(state: HttpApiState, authorizer_id: str, request: AuthorizerInput) -> tuple[HttpApiState, Authorizer]:
    current = authorizer_of(state, authorizer_id)
    changes = {name: getattr(request, name) for name in _AUTHORIZER_MEMBERS if getattr(request, name) is not None}
    updated = msgspec.structs.replace(current, **changes)
    _check_authorizer(updated)
    for route in state.routes.values():
        if route.authorizer_id == authorizer_id:
            _check_route(merged(state, authorizers={authorizer_id: updated}), route)
    return merged(state, authorizers={authorizer_id: updated}), updated


def delete_authorizer(state: HttpApiState, authorizer_id: str) -> HttpApiState:
    authorizer_of(state, authorizer_id)
    users = sorted(r.route_key for r in state.routes.values() if r.authorizer_id == authorizer_id)
    if users:
        raise ConflictException(f"Authorizer {authorizer_id} is used by routes: {', '.join(users)}")
    return removed(state, "authorizers", authorizer_id)
