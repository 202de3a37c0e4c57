"""HTTP APIs (apigatewayv2): whole bodies of the operations and of their refusals, through boto3
and the AWS CLI, against a real server.

Sources: botocore's apigatewayv2 model (members, which operations answer 201 and 204, the
error shapes' one ``message`` member); the AWS CLI's examples (create-api's quick create answer:
``ApiKeySelectionExpression`` ``$request.header.x-api-key``, ``RouteSelectionExpression``
``$request.method $request.path``; update-stage's: ``DefaultRouteSettings``
``{"DetailedMetricsEnabled": false}``, ``RouteSettings``, ``StageVariables`` and ``Tags`` empty
maps; a 6-letter deployment id, a 7-character integration id); AWS's NotFoundException for an
API (aws/aws-sdk-js#2458: "Invalid API identifier specified <account>:<api-id>"); the proxy-only
refusal (aws/aws-cli#6363); the RouteSettings refusal (terraform-aws-modules/
terraform-aws-apigateway-v2#80). Decision 0026 lists which words are Lambent's.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.aws_errors import apigateway_error, wire_error
from tests.fixtures.server import VENV_BIN, Server

ACCOUNT = "000000000000"
FN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:conformance"
DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
IDS = {"ApiId": 10, "RouteId": 7, "IntegrationId": 7, "DeploymentId": 6, "AuthorizerId": 6}
AUTO = "Automatic deployment triggered by changes to the Api configuration"


@pytest.fixture(scope="module")
def gw(server: Server) -> Any:
    return server.client("apigatewayv2")


@pytest.fixture(scope="module")
def raw(server: Server) -> Any:
    """A client that sends what it is given: the server's own checks answer."""
    return server.client("apigatewayv2", parameter_validation=False)


@pytest.fixture
def api_id(gw: Any) -> Iterator[str]:
    made = gw.create_api(Name="plain", ProtocolType="HTTP")["ApiId"]
    yield made
    gw.delete_api(ApiId=made)


def shape(response: dict[str, Any], server: Server) -> dict[str, Any]:
    """*response* without its metadata, with ids, dates and the endpoint checked for their form
    and replaced by placeholders."""
    doc: dict[str, Any] = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    for key, value in list(doc.items()):
        if key in IDS:
            assert re.fullmatch(rf"[a-z0-9]{{{IDS[key]}}}", value), (key, value)
            doc[key] = f"<{key}>"
        elif key in ("CreatedDate", "LastUpdatedDate"):
            assert DATE.fullmatch(str(value)[:19]), value
            doc[key] = f"<{key}>"
        elif key == "ApiEndpoint":
            assert re.fullmatch(rf"http://[a-z0-9]{{10}}\.execute-api\.us-east-1\.localhost:{server.port}", value), value
            assert value.split("//")[1].split(".")[0] == response["ApiId"]
            doc[key] = "<ApiEndpoint>"
        elif key == "Target" and value.startswith("integrations/"):
            doc[key] = "integrations/<IntegrationId>"
        elif key == "LastDeploymentStatusMessage":
            assert value == f"Successfully deployed stage with deployment ID '{response['DeploymentId']}'"
            doc[key] = "<deployed>"
    return doc


def items(response: dict[str, Any], server: Server) -> list[dict[str, Any]]:
    assert "NextToken" not in response
    return [shape(item, server) for item in response["Items"]]


def test_quick_create_makes_an_integration_a_route_and_an_auto_deployed_stage(gw: Any, server: Server) -> None:
    created = gw.create_api(Name="quick", ProtocolType="HTTP", Target=FN, Tags={"team": "a"})
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    api = {
        "ApiEndpoint": "<ApiEndpoint>",
        "ApiId": "<ApiId>",
        "ApiKeySelectionExpression": "$request.header.x-api-key",
        "CreatedDate": "<CreatedDate>",
        "DisableExecuteApiEndpoint": False,
        "IpAddressType": "ipv4",
        "Name": "quick",
        "ProtocolType": "HTTP",
        "RouteSelectionExpression": "$request.method $request.path",
        "Tags": {"team": "a"},
    }
    assert shape(created, server) == api
    api_id = created["ApiId"]
    assert shape(gw.get_api(ApiId=api_id), server) == api
    integration = {
        "ApiGatewayManaged": True,
        "ConnectionType": "INTERNET",
        "IntegrationId": "<IntegrationId>",
        "IntegrationMethod": "POST",
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": FN,
        "PayloadFormatVersion": "2.0",
        "TimeoutInMillis": 30000,
    }
    assert items(gw.get_integrations(ApiId=api_id), server) == [integration]
    [route] = gw.get_routes(ApiId=api_id)["Items"]
    integration_id = gw.get_integrations(ApiId=api_id)["Items"][0]["IntegrationId"]
    assert route["Target"] == f"integrations/{integration_id}"
    assert shape(route, server) == {
        "ApiGatewayManaged": True,
        "ApiKeyRequired": False,
        "AuthorizationType": "NONE",
        "RouteId": "<RouteId>",
        "RouteKey": "$default",
        "Target": "integrations/<IntegrationId>",
    }
    assert items(gw.get_stages(ApiId=api_id), server) == [
        {
            "ApiGatewayManaged": True,
            "AutoDeploy": True,
            "CreatedDate": "<CreatedDate>",
            "DefaultRouteSettings": {"DetailedMetricsEnabled": False},
            "DeploymentId": "<DeploymentId>",
            "LastDeploymentStatusMessage": "<deployed>",
            "LastUpdatedDate": "<LastUpdatedDate>",
            "RouteSettings": {},
            "StageName": "$default",
            "StageVariables": {},
            "Tags": {},
        }
    ]
    assert items(gw.get_deployments(ApiId=api_id), server) == [
        {
            "AutoDeployed": True,
            "CreatedDate": "<CreatedDate>",
            "DeploymentId": "<DeploymentId>",
            "DeploymentStatus": "DEPLOYED",
            "Description": AUTO,
        }
    ]
    deleted = gw.delete_api(ApiId=api_id)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert wire_error(gw, lambda: gw.get_api(ApiId=api_id)) == apigateway_error(
        404, "NotFoundException", f"Invalid API identifier specified {ACCOUNT}:{api_id}"
    )


def test_an_api_built_step_by_step(gw: Any, server: Server, api_id: str) -> None:
    cors = {"AllowOrigins": ["https://a.test"], "AllowMethods": ["GET"], "MaxAge": 60}
    updated = gw.update_api(ApiId=api_id, Description="d", Version="v1", CorsConfiguration=cors)
    assert {k: v for k, v in shape(updated, server).items() if k in ("CorsConfiguration", "Description", "Version", "Name")} == {
        "CorsConfiguration": cors,
        "Description": "d",
        "Name": "plain",
        "Version": "v1",
    }
    assert gw.delete_cors_configuration(ApiId=api_id)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert "CorsConfiguration" not in gw.get_api(ApiId=api_id)

    integration = gw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=f"{FN}:live", PayloadFormatVersion="1.0", TimeoutInMillis=5000
    )
    assert integration["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert shape(integration, server) == {
        "ConnectionType": "INTERNET",
        "IntegrationId": "<IntegrationId>",
        "IntegrationMethod": "POST",
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": f"{FN}:live",
        "PayloadFormatVersion": "1.0",
        "TimeoutInMillis": 5000,
    }
    integration_id = integration["IntegrationId"]
    changed = gw.update_integration(ApiId=api_id, IntegrationId=integration_id, PayloadFormatVersion="2.0")
    assert (changed["PayloadFormatVersion"], changed["TimeoutInMillis"]) == ("2.0", 5000)

    route = gw.create_route(ApiId=api_id, RouteKey="GET /pets/{id}", Target=f"integrations/{integration_id}")
    assert shape(route, server) == {
        "ApiKeyRequired": False,
        "AuthorizationType": "NONE",
        "RouteId": "<RouteId>",
        "RouteKey": "GET /pets/{id}",
        "Target": "integrations/<IntegrationId>",
    }
    moved = gw.update_route(ApiId=api_id, RouteId=route["RouteId"], RouteKey="ANY /pets/{proxy+}")
    assert shape(moved, server) == {**shape(route, server), "RouteKey": "ANY /pets/{proxy+}"}
    assert shape(gw.get_route(ApiId=api_id, RouteId=route["RouteId"]), server) == shape(moved, server)

    stage = gw.create_stage(ApiId=api_id, StageName="prod", StageVariables={"color": "blue"}, Tags={"t": "1"})
    assert shape(stage, server) == {
        "CreatedDate": "<CreatedDate>",
        "DefaultRouteSettings": {"DetailedMetricsEnabled": False},
        "LastUpdatedDate": "<LastUpdatedDate>",
        "RouteSettings": {},
        "StageName": "prod",
        "StageVariables": {"color": "blue"},
        "Tags": {"t": "1"},
    }
    deployment = gw.create_deployment(ApiId=api_id, StageName="prod", Description="first")
    assert shape(deployment, server) == {
        "AutoDeployed": False,
        "CreatedDate": "<CreatedDate>",
        "DeploymentId": "<DeploymentId>",
        "DeploymentStatus": "DEPLOYED",
        "Description": "first",
    }
    got = gw.get_stage(ApiId=api_id, StageName="prod")
    assert got["DeploymentId"] == deployment["DeploymentId"]
    assert shape(got, server) == {
        **shape(stage, server),
        "DeploymentId": "<DeploymentId>",
        "LastDeploymentStatusMessage": "<deployed>",
    }
    assert gw.update_stage(ApiId=api_id, StageName="prod", StageVariables={"color": "red"})["StageVariables"] == {"color": "red"}
    assert gw.update_deployment(ApiId=api_id, DeploymentId=deployment["DeploymentId"], Description="one")["Description"] == "one"

    assert wire_error(gw, lambda: gw.delete_integration(ApiId=api_id, IntegrationId=integration_id)) == apigateway_error(
        409, "ConflictException", f"Integration {integration_id} is the target of routes: ANY /pets/{{proxy+}}"
    )
    for call in (
        lambda: gw.delete_route(ApiId=api_id, RouteId=route["RouteId"]),
        lambda: gw.delete_integration(ApiId=api_id, IntegrationId=integration_id),
        lambda: gw.delete_stage(ApiId=api_id, StageName="prod"),
        lambda: gw.delete_deployment(ApiId=api_id, DeploymentId=deployment["DeploymentId"]),
    ):
        assert call()["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert [gw.get_routes(ApiId=api_id)["Items"], gw.get_integrations(ApiId=api_id)["Items"]] == [[], []]


def test_apis_are_paged(gw: Any, api_id: str) -> None:
    other = gw.create_api(Name="second", ProtocolType="HTTP")["ApiId"]
    try:
        first = gw.get_apis(MaxResults="1")
        assert len(first["Items"]) == 1 and "NextToken" in first
        seen = [first["Items"][0]["ApiId"]]
        token = first["NextToken"]
        while token:
            page = gw.get_apis(MaxResults="1", NextToken=token)
            seen += [item["ApiId"] for item in page["Items"]]
            token = page.get("NextToken")
        assert {api_id, other} <= set(seen)
        assert sorted(seen) == sorted(a["ApiId"] for a in gw.get_apis()["Items"])
    finally:
        gw.delete_api(ApiId=other)


def test_authorizers(gw: Any, server: Server, api_id: str) -> None:
    jwt = gw.create_authorizer(
        ApiId=api_id,
        AuthorizerType="JWT",
        Name="jwt",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": "https://issuer.test", "Audience": ["app"]},
    )
    assert shape(jwt, server) == {
        "AuthorizerId": "<AuthorizerId>",
        "AuthorizerType": "JWT",
        "IdentitySource": ["$request.header.Authorization"],
        "JwtConfiguration": {"Audience": ["app"], "Issuer": "https://issuer.test"},
        "Name": "jwt",
    }
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FN}/invocations"
    custom = gw.create_authorizer(
        ApiId=api_id,
        AuthorizerType="REQUEST",
        Name="lambda",
        AuthorizerUri=uri,
        AuthorizerPayloadFormatVersion="2.0",
        EnableSimpleResponses=True,
        AuthorizerResultTtlInSeconds=300,
        IdentitySource=["$request.header.x-token"],
    )
    assert shape(custom, server) == {
        "AuthorizerId": "<AuthorizerId>",
        "AuthorizerPayloadFormatVersion": "2.0",
        "AuthorizerResultTtlInSeconds": 300,
        "AuthorizerType": "REQUEST",
        "AuthorizerUri": uri,
        "EnableSimpleResponses": True,
        "IdentitySource": ["$request.header.x-token"],
        "Name": "lambda",
    }
    route = gw.create_route(
        ApiId=api_id, RouteKey="GET /me", AuthorizationType="JWT", AuthorizerId=jwt["AuthorizerId"], AuthorizationScopes=["read"]
    )
    assert (route["AuthorizerId"], route["AuthorizationScopes"]) == (jwt["AuthorizerId"], ["read"])
    assert len(gw.get_authorizers(ApiId=api_id)["Items"]) == 2
    renamed = gw.update_authorizer(ApiId=api_id, AuthorizerId=custom["AuthorizerId"], Name="renamed")
    assert shape(renamed, server) == {**shape(custom, server), "Name": "renamed"}
    assert wire_error(
        gw, lambda: gw.create_route(ApiId=api_id, RouteKey="GET /x", AuthorizationType="CUSTOM", AuthorizerId=jwt["AuthorizerId"])
    ) == apigateway_error(
        400, "BadRequestException", f"Authorization type CUSTOM requires a REQUEST authorizer; {jwt['AuthorizerId']} is JWT"
    )


def test_what_is_not_there(gw: Any, api_id: str) -> None:
    cases = [
        (lambda: gw.get_api(ApiId="zzzzzzzzzz"), f"Invalid API identifier specified {ACCOUNT}:zzzzzzzzzz"),
        (lambda: gw.create_route(ApiId="zzzzzzzzzz", RouteKey="GET /"), f"Invalid API identifier specified {ACCOUNT}:zzzzzzzzzz"),
        (lambda: gw.get_route(ApiId=api_id, RouteId="abc1234"), "Invalid Route identifier specified abc1234"),
        (lambda: gw.get_integration(ApiId=api_id, IntegrationId="abc1234"), "Invalid Integration identifier specified abc1234"),
        (lambda: gw.get_stage(ApiId=api_id, StageName="prod"), "Invalid Stage identifier specified prod"),
        (lambda: gw.get_deployment(ApiId=api_id, DeploymentId="abc123"), "Invalid Deployment identifier specified abc123"),
        (lambda: gw.get_authorizer(ApiId=api_id, AuthorizerId="abc123"), "Invalid Authorizer identifier specified abc123"),
        (lambda: gw.delete_route(ApiId=api_id, RouteId="abc1234"), "Invalid Route identifier specified abc1234"),
        (
            lambda: gw.create_route(ApiId=api_id, RouteKey="GET /", Target="integrations/abc1234"),
            "Invalid Integration identifier specified abc1234",
        ),
        (
            lambda: gw.create_stage(ApiId=api_id, StageName="s", RouteSettings={"GET /nope": {}}),
            "Unable to find Route by key GET /nope within the provided RouteSettings",
        ),
    ]
    for call, message in cases:
        assert wire_error(gw, call) == apigateway_error(404, "NotFoundException", message)


def test_refused_inputs(gw: Any, raw: Any, api_id: str) -> None:
    gw.create_route(ApiId=api_id, RouteKey="GET /a")
    bad = [
        (lambda: gw.create_api(Name="w", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"),
         "Lambent serves HTTP APIs only: WEBSOCKET APIs are not supported"),
        (lambda: gw.create_integration(ApiId=api_id, IntegrationType="MOCK"),
         "Currently, an API with a protocol type of HTTP may only be associated with proxy integrations (AWS_PROXY, HTTP_PROXY)"),
        (lambda: gw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=FN),
         "PayloadFormatVersion is a required parameter for integration"),
        (lambda: gw.create_route(ApiId=api_id, RouteKey="GET /a/{b+}/c"), "The greedy path variable must be at the end of the resource path."),
        (lambda: gw.create_route(ApiId=api_id, RouteKey="GET /a b"),
         "One or more path parts appear to be invalid. Parts are validated against this regular expression: "
         r"^(\{[\w.:-]+\+?\}|[a-zA-Z0-9.:_-]+)$"),
        (lambda: raw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", TimeoutInMillis=10),
         "1 validation error detected: Value '10' at 'timeoutInMillis' failed to satisfy constraint: "
         "Member must have value greater than or equal to 50"),
        (lambda: raw.create_route(ApiId=api_id),
         "1 validation error detected: Value null at 'routeKey' failed to satisfy constraint: Member must not be null"),
        (lambda: gw.get_apis(MaxResults="many"), "Invalid MaxResults specified: many"),
    ]  # fmt: skip
    for call, message in bad:
        client = raw if "raw" in call.__code__.co_freevars else gw
        assert wire_error(client, call) == apigateway_error(400, "BadRequestException", message)
    assert wire_error(gw, lambda: gw.create_route(ApiId=api_id, RouteKey="GET /a")) == apigateway_error(
        409, "ConflictException", "Route with key 'GET /a' already exists"
    )
    gw.create_stage(ApiId=api_id, StageName="prod")
    assert wire_error(gw, lambda: gw.create_stage(ApiId=api_id, StageName="prod")) == apigateway_error(
        409, "ConflictException", "Stage prod already exists"
    )


def test_an_unauthorized_caller_learns_nothing(gw: Any, server: Server, api_id: str) -> None:
    iam = server.client("iam")
    iam.create_user(UserName="gw-reader")
    key = iam.create_access_key(UserName="gw-reader")["AccessKey"]
    iam.put_user_policy(
        UserName="gw-reader",
        PolicyName="read",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "apigateway:GET", "Resource": "*"}]}
        ),
    )
    reader = server.client("apigatewayv2", credentials=(key["AccessKeyId"], key["SecretAccessKey"]))
    assert reader.get_api(ApiId=api_id)["ApiId"] == api_id
    assert wire_error(reader, lambda: reader.delete_api(ApiId=api_id)) == apigateway_error(
        403,
        "AccessDeniedException",
        f"User: arn:aws:iam::{ACCOUNT}:user/gw-reader is not authorized to perform: apigateway:DELETE on resource: "
        f"arn:aws:apigateway:us-east-1::/apis/{api_id} because no identity-based policy allows the apigateway:DELETE action",
    )
    assert gw.get_api(ApiId=api_id)["ApiId"] == api_id


def test_the_aws_cli_quick_creates_and_walks_an_api(server: Server) -> None:
    def aws(*args: str) -> dict[str, Any]:
        command = [str(VENV_BIN / "aws"), "apigatewayv2", *args, "--endpoint-url", server.endpoint, "--output", "json"]
        result = subprocess.run(command, capture_output=True, text=True, env=server.cli_env(), timeout=120)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else {}

    created = aws("create-api", "--name", "cli", "--protocol-type", "HTTP", "--target", FN, "--route-key", "GET /hello")
    assert {k: v for k, v in created.items() if k not in ("ApiEndpoint", "ApiId", "CreatedDate")} == {
        "ApiKeySelectionExpression": "$request.header.x-api-key",
        "DisableExecuteApiEndpoint": False,
        "IpAddressType": "ipv4",
        "Name": "cli",
        "ProtocolType": "HTTP",
        "RouteSelectionExpression": "$request.method $request.path",
        "Tags": {},
    }
    api_id = created["ApiId"]
    assert [r["RouteKey"] for r in aws("get-routes", "--api-id", api_id)["Items"]] == ["GET /hello"]
    assert [s["StageName"] for s in aws("get-stages", "--api-id", api_id)["Items"]] == ["$default"]
    aws("create-stage", "--api-id", api_id, "--stage-name", "beta", "--auto-deploy")
    assert aws("get-stage", "--api-id", api_id, "--stage-name", "beta")["AutoDeploy"] is True
    aws("delete-api", "--api-id", api_id)
    assert api_id not in [a["ApiId"] for a in aws("get-apis")["Items"]]
