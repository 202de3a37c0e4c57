"""The rules of an HTTP API's resources (model.http_api_resources, model.http_api_rules): quick
create, route keys and targets, Lambda integrations, authorizers, stages, deployments, AutoDeploy
and paging, each refusal in its type and words."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from lambent.errors import ApiError, BadRequestException, ConflictException, NotFoundException
from lambent.model import http_api_resources as res
from lambent.model import http_api_rules as rules
from lambent.model.http_api import Cors, HttpApiState, JwtConfiguration, RouteSettings
from lambent.model.http_api_inputs import (
    AuthorizerInput,
    CreateApiInput,
    DeploymentInput,
    IntegrationInput,
    RouteInput,
    StageInput,
    UpdateApiInput,
)

FN = "arn:aws:lambda:us-east-1:000000000000:function:f"
NOW = 1_700_000_000.0


def drawer() -> Callable[[int], str]:
    counter = itertools.count(1)
    return lambda n: f"{next(counter):0{n}d}"


def refused(kind: type[ApiError], message: str, call: Callable[[], object]) -> None:
    with pytest.raises(kind) as caught:
        call()
    assert caught.value.message == message


def plain() -> HttpApiState:
    return res.create_api(CreateApiInput(name="x", protocol_type="HTTP"), "abcdefghij", NOW, drawer())


def with_integration(version: str = "2.0") -> HttpApiState:
    state, _ = res.create_integration(
        plain(), IntegrationInput(integration_type="AWS_PROXY", integration_uri=FN, payload_format_version=version), "int0001"
    )
    return state


def test_a_plain_api_has_aws_defaults_and_nothing_else() -> None:
    state = plain()
    assert state.api.route_selection_expression == "$request.method $request.path"
    assert state.api.api_key_selection_expression == "$request.header.x-api-key"
    assert (state.api.disable_execute_api_endpoint, state.api.ip_address_type, state.api.tags) == (False, "ipv4", {})
    assert state.api.created_date == "2023-11-14T22:13:20Z"
    assert (state.routes, state.integrations, state.stages, state.deployments) == ({}, {}, {}, {})


def test_quick_create_makes_a_managed_integration_route_and_auto_deployed_default_stage() -> None:
    state = res.create_api(
        CreateApiInput(name="q", protocol_type="HTTP", target=FN, route_key="GET /items"), "abcdefghij", NOW, drawer()
    )
    [integration] = state.integrations.values()
    assert (integration.integration_type, integration.payload_format_version, integration.integration_method) == (
        "AWS_PROXY",
        "2.0",
        "POST",
    )
    assert (integration.timeout_in_millis, integration.api_gateway_managed, integration.integration_uri) == (30000, True, FN)
    [route] = state.routes.values()
    assert (route.route_key, route.target, route.api_gateway_managed) == (
        "GET /items",
        f"integrations/{integration.integration_id}",
        True,
    )
    stage = state.stages["$default"]
    assert (stage.auto_deploy, stage.api_gateway_managed) == (True, True)
    [deployment] = state.deployments.values()
    assert stage.deployment_id == deployment.deployment_id and deployment.auto_deployed
    assert stage.last_deployment_status_message == f"Successfully deployed stage with deployment ID '{deployment.deployment_id}'"
    served = rules.served(state, "$default")
    assert served is not None and [r.route_key for r in served.routes] == ["GET /items"]


def test_quick_create_without_a_route_key_routes_default() -> None:
    state = res.create_api(CreateApiInput(name="q", protocol_type="HTTP", target=FN), "abcdefghij", NOW, drawer())
    assert [r.route_key for r in state.routes.values()] == ["$default"]


def test_websocket_apis_and_a_route_key_without_target_are_refused() -> None:
    refused(
        BadRequestException,
        "Lambent serves HTTP APIs only: WEBSOCKET APIs are not supported",
        lambda: res.create_api(CreateApiInput(name="w", protocol_type="WEBSOCKET"), "abcdefghij", NOW, drawer()),
    )
    refused(
        BadRequestException,
        "RouteKey can only be specified with Target (quick create)",
        lambda: res.create_api(CreateApiInput(name="w", protocol_type="HTTP", route_key="GET /"), "abcdefghij", NOW, drawer()),
    )


def test_update_api_replaces_what_it_names_and_moves_quick_create_resources() -> None:
    state = res.create_api(CreateApiInput(name="q", protocol_type="HTTP", target=FN), "abcdefghij", NOW, drawer())
    other = FN.removesuffix(":f") + ":g"
    updated = res.update_api(state, UpdateApiInput(name="r", cors_configuration=Cors(allow_origins=["*"]), target=other))
    assert (updated.api.name, updated.api.cors_configuration) == ("r", Cors(allow_origins=["*"]))
    assert [i.integration_uri for i in updated.integrations.values()] == [other]
    moved = res.update_api(updated, UpdateApiInput(route_key="ANY /{proxy+}"))
    assert [r.route_key for r in moved.routes.values()] == ["ANY /{proxy+}"]
    refused(
        BadRequestException,
        "Target and RouteKey can only be updated on an API made by quick create",
        lambda: res.update_api(plain(), UpdateApiInput(target=FN)),
    )
    assert res.delete_cors(updated).api.cors_configuration is None


def test_routes_take_valid_unique_keys_and_existing_integrations() -> None:
    state = with_integration()
    state, route = res.create_route(state, RouteInput(route_key="GET /pets/{id}", target="integrations/int0001"), "rte0001")
    assert (route.authorization_type, route.api_key_required) == ("NONE", False)
    refused(
        ConflictException,
        "Route with key 'GET /pets/{id}' already exists",
        lambda: res.create_route(state, RouteInput(route_key="GET /pets/{id}"), "rte0002"),
    )
    refused(BadRequestException, "Invalid route key", lambda: res.create_route(state, RouteInput(route_key="FETCH /"), "r"))
    refused(
        BadRequestException,
        "Invalid Target specified: lambdas/x is not of the form integrations/<IntegrationId>",
        lambda: res.create_route(state, RouteInput(route_key="GET /a", target="lambdas/x"), "r"),
    )
    refused(
        NotFoundException,
        "Invalid Integration identifier specified nope",
        lambda: res.create_route(state, RouteInput(route_key="GET /a", target="integrations/nope"), "r"),
    )
    state, updated = res.update_route(state, "rte0001", RouteInput(route_key="GET /dogs/{id}"))
    assert (updated.route_key, updated.target) == ("GET /dogs/{id}", "integrations/int0001")
    refused(NotFoundException, "Invalid Route identifier specified nope", lambda: res.route_of(state, "nope"))
    refused(
        ConflictException,
        "Integration int0001 is the target of routes: GET /dogs/{id}",
        lambda: res.delete_integration(state, "int0001"),
    )
    assert res.delete_integration(res.delete_route(state, "rte0001"), "int0001").integrations == {}


def test_the_route_key_of_a_quick_created_route_is_kept() -> None:
    state = res.create_api(CreateApiInput(name="q", protocol_type="HTTP", target=FN), "abcdefghij", NOW, drawer())
    [route] = state.routes.values()
    refused(
        BadRequestException,
        "The route key of a route managed by API Gateway (quick create) cannot be changed",
        lambda: res.update_route(state, route.route_id, RouteInput(route_key="GET /x")),
    )


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"integration_type": "MOCK"}, res.PROXY_ONLY),
        ({"integration_type": "HTTP_PROXY", "integration_uri": "https://example.com"},
         "Lambent does not serve HTTP_PROXY integrations: only AWS_PROXY to a Lambda function"),
        ({"integration_type": "AWS_PROXY", "integration_uri": FN}, res.PAYLOAD_FORMAT_REQUIRED),
        ({"integration_type": "AWS_PROXY", "integration_uri": FN, "payload_format_version": "3.0"},
         "Invalid payload format version specified: 3.0; Lambda proxy integrations of HTTP APIs take 1.0 or 2.0"),
        ({"integration_type": "AWS_PROXY", "payload_format_version": "2.0"}, "IntegrationUri is required for AWS_PROXY integrations"),
        ({"integration_type": "AWS_PROXY", "integration_uri": "arn:aws:s3:::b", "payload_format_version": "2.0"},
         "Invalid IntegrationUri specified: arn:aws:s3:::b is not a Lambda function ARN"),
        ({"integration_type": "AWS_PROXY", "integration_uri": FN, "payload_format_version": "2.0", "connection_type": "VPC_LINK"},
         "Lambent serves integrations of ConnectionType INTERNET only"),
    ],
)  # fmt: skip
def test_integrations_are_lambda_proxies(given: dict[str, str], message: str) -> None:
    refused(BadRequestException, message, lambda: res.create_integration(plain(), IntegrationInput(**given), "i"))


def test_an_integration_takes_alias_and_invocation_uri_forms_with_defaults() -> None:
    for uri in (f"{FN}:live", f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FN}/invocations"):
        _, made = res.create_integration(
            plain(), IntegrationInput(integration_type="AWS_PROXY", integration_uri=uri, payload_format_version="1.0"), "i"
        )
        assert (made.integration_uri, made.timeout_in_millis, made.connection_type, made.integration_method) == (
            uri,
            30000,
            "INTERNET",
            "POST",
        )


def test_authorizers_are_checked_and_routes_use_them_by_type() -> None:
    state = with_integration()
    jwt = AuthorizerInput(
        authorizer_type="JWT",
        name="j",
        identity_source=["$request.header.Authorization"],
        jwt_configuration=JwtConfiguration(issuer="https://issuer.test", audience=["a"]),
    )
    state, made = res.create_authorizer(state, jwt, "auth01")
    assert made.jwt_configuration == JwtConfiguration(issuer="https://issuer.test", audience=["a"])
    state, route = res.create_route(
        state, RouteInput(route_key="GET /me", authorization_type="JWT", authorizer_id="auth01", authorization_scopes=["r"]), "r1"
    )
    assert route.authorizer_id == "auth01"
    refused(
        BadRequestException,
        "Authorization type CUSTOM requires a REQUEST authorizer; auth01 is JWT",
        lambda: res.create_route(state, RouteInput(route_key="GET /x", authorization_type="CUSTOM", authorizer_id="auth01"), "r"),
    )
    refused(
        BadRequestException,
        "AuthorizerId is required for authorization type JWT",
        lambda: res.create_route(state, RouteInput(route_key="GET /x", authorization_type="JWT"), "r"),
    )
    refused(ConflictException, "Authorizer auth01 is used by routes: GET /me", lambda: res.delete_authorizer(state, "auth01"))
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FN}/invocations"
    cases = [
        (AuthorizerInput(authorizer_type="REQUEST", name="r", identity_source=["$request.header.x"], authorizer_uri=uri),
         "AuthorizerPayloadFormatVersion is required for REQUEST authorizers of HTTP APIs: 1.0 or 2.0"),
        (AuthorizerInput(authorizer_type="REQUEST", name="r", identity_source=["$request.header.x"], authorizer_uri=uri,
                         authorizer_payload_format_version="1.0", enable_simple_responses=True),
         "EnableSimpleResponses is supported only with AuthorizerPayloadFormatVersion 2.0"),
        (AuthorizerInput(authorizer_type="REQUEST", name="r", identity_source=["header.x"], authorizer_uri=uri,
                         authorizer_payload_format_version="2.0"), "Invalid identity source specified: header.x"),
        (AuthorizerInput(authorizer_type="JWT", name="j", identity_source=["$request.header.Authorization"]),
         "JwtConfiguration with an Issuer is required for JWT authorizers"),
    ]  # fmt: skip
    for given, message in cases:
        refused(BadRequestException, message, lambda g=given: res.create_authorizer(state, g, "a"))
    state, request_authorizer = res.create_authorizer(
        state,
        AuthorizerInput(
            authorizer_type="REQUEST",
            name="r",
            identity_source=["$request.header.x", "$context.requestId"],
            authorizer_uri=uri,
            authorizer_payload_format_version="2.0",
            enable_simple_responses=True,
            authorizer_result_ttl_in_seconds=300,
        ),
        "auth02",
    )
    assert request_authorizer.enable_simple_responses


def test_stages_deploy_and_auto_deploy_on_changes() -> None:
    draw = drawer()
    state = with_integration()
    state, stage = rules.create_stage(state, StageInput(stage_name="prod", stage_variables={"v": "1"}), NOW, draw)
    assert (stage.deployment_id, stage.auto_deploy, stage.stage_variables) == (None, None, {"v": "1"})
    assert rules.served(state, "prod") is None
    refused(
        ConflictException,
        "Stage prod already exists",
        lambda: rules.create_stage(state, StageInput(stage_name="prod"), NOW, draw),
    )
    refused(
        BadRequestException,
        "Invalid stage name specified: a b; a stage name is $default or letters, digits, - and _",
        lambda: rules.create_stage(state, StageInput(stage_name="a b"), NOW, draw),
    )
    refused(
        NotFoundException,
        "Unable to find Route by key GET /x within the provided RouteSettings",
        lambda: rules.create_stage(state, StageInput(stage_name="s", route_settings={"GET /x": RouteSettings()}), NOW, draw),
    )
    state, _ = res.create_route(state, RouteInput(route_key="GET /a", target="integrations/int0001"), "r1")
    state, deployment = rules.create_deployment(state, DeploymentInput(stage_name="prod", description="d"), "dep001", NOW)
    assert (deployment.auto_deployed, deployment.deployment_status, deployment.description) == (False, "DEPLOYED", "d")
    served = rules.served(state, "prod")
    assert served is not None and [r.route_key for r in served.routes] == ["GET /a"]
    # a change is not served until deployed again, unless the stage auto-deploys
    later, _ = res.create_route(state, RouteInput(route_key="GET /b", target="integrations/int0001"), "r2")
    assert rules.auto_deploy(state, later, NOW, draw) is later
    served = rules.served(later, "prod")
    assert served is not None and [r.route_key for r in served.routes] == ["GET /a"]
    state, auto = rules.create_stage(later, StageInput(stage_name="live", auto_deploy=True), NOW, draw)
    served = rules.served(state, "live")
    assert auto.deployment_id is not None and served is not None and len(served.routes) == 2
    changed, _ = res.update_route(state, "r2", RouteInput(route_key="GET /c"))
    deployed = rules.auto_deploy(state, changed, NOW + 1, draw)
    assert deployed.stages["live"].deployment_id != auto.deployment_id
    served = rules.served(deployed, "live")
    assert served is not None and {r.route_key for r in served.routes} == {"GET /a", "GET /c"}
    assert auto.deployment_id not in deployed.snapshots  # an automatic deployment no stage serves is not kept
    assert deployed.stages["prod"].deployment_id == "dep001"
    refused(
        BadRequestException,
        "Deployment dep001 is in use by stages: prod",
        lambda: rules.delete_deployment(deployed, "dep001"),
    )
    assert "dep001" not in rules.delete_deployment(rules.delete_stage(deployed, "prod"), "dep001").deployments


def test_pages_are_offsets_with_tokens() -> None:
    items: list[object] = list(range(5))
    assert rules.page(items, "2", None) == ([0, 1], "2")
    assert rules.page(items, "2", "4") == ([4], None)
    assert rules.page(items, None, None) == (items, None)
    refused(BadRequestException, "Invalid MaxResults specified: x", lambda: rules.page(items, "x", None))
    refused(BadRequestException, "Invalid NextToken specified", lambda: rules.page(items, None, "a"))
