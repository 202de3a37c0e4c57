"""HTTP APIs against a real server, with real HTTP clients (httpx and curl): the payload 2.0 and
1.0 events a request becomes (whole), routing (path parameters, greedy, ANY, ``$default``, a
named stage's prefix), the function's answer as the response, the resource policy an API needs,
CORS, timeouts, and what is not found."""

from __future__ import annotations

import base64
import json
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

from tests.fixtures.http_apis import ACCOUNT, ECHO, allow_api, fn_arn, starts
from tests.fixtures.server import Server, create
from tests.fixtures.urls import http

HEADERS = [("Accept", "*/*"), ("User-Agent", "probe/1"), ("X-Custom", "one"), ("x-custom", "two")]


class Api(msgspec.Struct, frozen=True):
    api_id: str
    endpoint: str


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[Api]:
    """One API: a 2.0 and a 1.0 integration of the echo function, the routes the tests take, a
    ``$default`` stage that auto-deploys and a ``prod`` stage deployed by hand, with variables."""
    lam, gw = server.client(), server.client("apigatewayv2")
    create(lam, "api-echo", ECHO)
    made = gw.create_api(Name="echo", ProtocolType="HTTP", CorsConfiguration={"AllowOrigins": ["https://app.test"],
                         "AllowMethods": ["GET", "POST"], "AllowHeaders": ["x-custom"], "MaxAge": 300})  # fmt: skip
    api_id = made["ApiId"]
    v2, v1 = (
        gw.create_integration(
            ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=fn_arn("api-echo"), PayloadFormatVersion=version
        )["IntegrationId"]
        for version in ("2.0", "1.0")
    )
    for key, target in (
        ("GET /items/{id}", v2),
        ("ANY /files/{proxy+}", v2),
        ("POST /echo", v2),
        ("GET /things/special", v2),
        ("GET /things/{name}", v2),
        ("$default", v2),
        ("GET /v1/items/{id}", v1),
        ("ANY /v1/{proxy+}", v1),
    ):
        gw.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{target}")
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    gw.create_stage(ApiId=api_id, StageName="prod", StageVariables={"color": "blue"})
    gw.create_deployment(ApiId=api_id, StageName="prod")
    allow_api(lam, "api-echo", api_id)
    yield Api(api_id, made["ApiEndpoint"])
    gw.delete_api(ApiId=api_id)


def request_context(api: Api, response: Any, **changes: Any) -> dict[str, Any]:
    event = response.json()
    context = event["requestContext"]
    assert context["requestId"] == response.headers["apigw-requestid"]
    assert abs(context["timeEpoch"] / 1000 - time.time()) < 60
    assert time.strftime("%d/%b/%Y:", time.gmtime(context["timeEpoch"] / 1000)) in context["time"]
    return {**context, "requestId": "<id>", "time": "<time>", "timeEpoch": "<epoch>"}


def test_a_request_becomes_a_whole_payload_2_event(server: Server, api: Api) -> None:
    response = http("GET", f"{api.endpoint}/items/a%20b?x=1&x=2&empty=", headers=[*HEADERS, ("Cookie", "c1=v1; c2=v2")])
    assert response.status_code == 200, response.text
    host = api.endpoint.split("//", 1)[1]
    event = response.json()
    context = request_context(api, response)
    event["requestContext"] = context
    assert event == {
        "version": "2.0",
        "routeKey": "GET /items/{id}",
        "rawPath": "/items/a b",  # HTTP APIs deliver the path decoded
        "rawQueryString": "x=1&x=2&empty=",
        "cookies": ["c1=v1", "c2=v2"],
        "headers": {
            "host": host,
            "accept": "*/*",
            "accept-encoding": "gzip, deflate",
            "connection": "keep-alive",
            "user-agent": "probe/1",
            "x-custom": "one,two",
        },
        "queryStringParameters": {"x": "1,2", "empty": ""},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": api.api_id,
            "authentication": None,
            "authorizer": None,
            "domainName": host.rsplit(":", 1)[0],
            "domainPrefix": api.api_id,
            "http": {
                "method": "GET",
                "path": "/items/a b",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "probe/1",
            },
            "requestId": "<id>",
            "routeKey": "GET /items/{id}",
            "stage": "$default",
            "time": "<time>",
            "timeEpoch": "<epoch>",
        },
        "pathParameters": {"id": "a b"},
        "isBase64Encoded": False,
    }


def test_a_request_becomes_a_whole_payload_1_event(api: Api) -> None:
    response = http("GET", f"{api.endpoint}/v1/items/7?tag=a&tag=b", headers=[*HEADERS, ("Cookie", "c=1")])
    assert response.status_code == 200, response.text
    host = api.endpoint.split("//", 1)[1]
    event = response.json()
    context = event["requestContext"]
    assert context["requestId"] == context["extendedRequestId"] == response.headers["apigw-requestid"]
    context.update(requestId="<id>", extendedRequestId="<id>", requestTime="<time>", requestTimeEpoch="<epoch>")
    headers = {
        "host": [host],
        "accept": ["*/*"],
        "accept-encoding": ["gzip, deflate"],
        "connection": ["keep-alive"],
        "user-agent": ["probe/1"],
        "x-custom": ["one", "two"],
        "cookie": ["c=1"],
    }
    assert event == {
        "version": "1.0",
        "resource": "/v1/items/{id}",
        "path": "/v1/items/7",
        "httpMethod": "GET",
        "headers": {name: values[-1] for name, values in headers.items()},
        "multiValueHeaders": headers,
        "queryStringParameters": {"tag": "b"},
        "multiValueQueryStringParameters": {"tag": ["a", "b"]},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": api.api_id,
            "authorizer": {"claims": None, "scopes": None},
            "domainName": host.rsplit(":", 1)[0],
            "domainPrefix": api.api_id,
            "extendedRequestId": "<id>",
            "httpMethod": "GET",
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": "127.0.0.1",
                "user": None,
                "userAgent": "probe/1",
                "userArn": None,
            },
            "path": "/v1/items/7",
            "protocol": "HTTP/1.1",
            "requestId": "<id>",
            "requestTime": "<time>",
            "requestTimeEpoch": "<epoch>",
            "resourceId": None,
            "resourcePath": "/v1/items/{id}",
            "stage": "$default",
        },
        "pathParameters": {"id": "7"},
        "stageVariables": None,
        "body": None,
        "isBase64Encoded": False,
    }
    greedy = http("POST", f"{api.endpoint}/v1/deep/er", content=b"hi", headers={"content-type": "text/plain"}).json()
    assert (greedy["resource"], greedy["pathParameters"], greedy["body"]) == ("/v1/{proxy+}", {"proxy": "deep/er"}, "hi")


def test_routes_are_chosen_as_api_gateway_chooses_them(api: Api) -> None:
    def taken(method: str, path: str) -> tuple[str, Any]:
        event = http(method, f"{api.endpoint}{path}").json()
        return event["routeKey"], event.get("pathParameters")

    assert taken("GET", "/things/special") == ("GET /things/special", None)  # a literal beats a variable
    assert taken("GET", "/things/other") == ("GET /things/{name}", {"name": "other"})
    assert taken("DELETE", "/files/a/b/c") == ("ANY /files/{proxy+}", {"proxy": "a/b/c"})  # greedy, any method
    assert taken("GET", "/files/") == ("ANY /files/{proxy+}", {"proxy": ""})
    assert taken("POST", "/items/1") == ("$default", None)  # no POST route for it: $default
    assert taken("GET", "/nowhere") == ("$default", None)


def test_a_named_stage_is_served_under_its_prefix_with_its_variables(api: Api) -> None:
    event = http("GET", f"{api.endpoint}/prod/items/9").json()
    assert (event["rawPath"], event["requestContext"]["http"]["path"]) == ("/prod/items/9", "/prod/items/9")
    assert (event["requestContext"]["stage"], event["routeKey"], event["pathParameters"]) == (
        "prod",
        "GET /items/{id}",
        {"id": "9"},
    )
    assert event["stageVariables"] == {"color": "blue"}
    assert "stageVariables" not in http("GET", f"{api.endpoint}/items/9").json()  # $default has none
    v1 = http("GET", f"{api.endpoint}/prod/v1/items/3").json()
    assert (v1["stageVariables"], v1["requestContext"]["stage"], v1["path"]) == ({"color": "blue"}, "prod", "/prod/v1/items/3")


def test_the_functions_answer_is_the_response(api: Api) -> None:
    shaped = http("GET", f"{api.endpoint}/files/shape")
    assert (shaped.status_code, shaped.text, shaped.headers["x-made"]) == (201, "made", "yes")
    assert shaped.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2"]
    assert http("GET", f"{api.endpoint}/files/binary").content == bytes(range(256))
    bare = http("GET", f"{api.endpoint}/files/bare")
    assert (bare.status_code, bare.headers["content-type"], bare.json()) == (200, "application/json", {"just": "json"})
    posted = http("POST", f"{api.endpoint}/echo", content=bytes(range(256)), headers={"content-type": "application/octet-stream"})
    event = posted.json()
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == bytes(range(256))
    for broken in ("fail", "malformed", "v1/bare"):  # 1.0 requires statusCode: a bare value is malformed there
        answer = http("GET", f"{api.endpoint}/files/{broken}" if "/" not in broken else f"{api.endpoint}/{broken}")
        assert (answer.status_code, answer.json()) == (500, {"message": "Internal Server Error"}), broken


def test_not_found(server: Server, api: Api) -> None:
    gw = server.client("apigatewayv2")
    bare = gw.create_api(Name="no-default", ProtocolType="HTTP")
    try:
        for url in (f"{bare['ApiEndpoint']}/x", f"{server.endpoint}/lambent/apis/zzzzzzzzzz/x"):
            answer = http("GET", url)
            assert (answer.status_code, answer.json()) == (404, {"message": "Not Found"}), url
            assert answer.headers["apigw-requestid"]
        gw.create_stage(ApiId=bare["ApiId"], StageName="$default")  # no deployment yet
        assert http("GET", f"{bare['ApiEndpoint']}/x").status_code == 404
    finally:
        gw.delete_api(ApiId=bare["ApiId"])
    undecodable = http("GET", f"{api.endpoint}/items/%25do")
    assert (undecodable.status_code, undecodable.json()) == (400, {"message": "Bad Request"})


def test_curl_reaches_the_host_form_and_the_path_form(server: Server, api: Api) -> None:
    for url in (f"{api.endpoint}/files/bare", f"{server.endpoint}/lambent/apis/{api.api_id}/files/bare"):
        ran = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", url], capture_output=True, text=True, timeout=30)
        body, status = ran.stdout.rsplit("\n", 1)
        assert (status, json.loads(body)) == ("200", {"just": "json"}), ran.stderr


def test_cors_preflight_and_response_headers_come_from_the_api(api: Api) -> None:
    preflight = http(
        "OPTIONS",
        f"{api.endpoint}/items/1",
        headers={
            "Origin": "https://app.test",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-custom",
        },
    )
    assert preflight.status_code == 204 and preflight.content == b""
    assert preflight.headers["access-control-allow-origin"] == "https://app.test"
    assert preflight.headers["access-control-allow-methods"] == "GET,POST"
    assert (preflight.headers["access-control-allow-headers"], preflight.headers["access-control-max-age"]) == ("x-custom", "300")
    answered = http("GET", f"{api.endpoint}/files/cors", headers={"Origin": "https://app.test"})
    assert answered.headers.get_list("access-control-allow-origin") == ["https://app.test"]  # the function's own is dropped
    elsewhere = http("GET", f"{api.endpoint}/files/cors", headers={"Origin": "https://other.test"})
    assert "access-control-allow-origin" not in elsewhere.headers


def test_an_api_without_the_functions_permission_invokes_nothing(server: Server) -> None:
    lam, gw = server.client(), server.client("apigatewayv2")
    create(lam, "api-private", ECHO)
    made = gw.create_api(Name="private", ProtocolType="HTTP", Target=fn_arn("api-private"))  # quick create adds no permission
    try:
        refused = http("GET", f"{made['ApiEndpoint']}/bare")
        assert (refused.status_code, refused.json()) == (500, {"message": "Internal Server Error"})
        lam.add_permission(
            FunctionName="api-private",
            StatementId="other-api",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:otherapi00/*",
        )
        assert http("GET", f"{made['ApiEndpoint']}/bare").status_code == 500  # another API's ARN does not cover it
        lam.invoke(FunctionName="api-private", Payload=b'{"rawPath": "/bare"}')
        assert starts(server, "api-private", 1) == 1  # only the direct invoke ran
        allow_api(lam, "api-private", made["ApiId"])
        assert http("GET", f"{made['ApiEndpoint']}/bare").json() == {"just": "json"}
    finally:
        gw.delete_api(ApiId=made["ApiId"])


def test_an_integration_past_its_timeout_is_503(server: Server) -> None:
    lam, gw = server.client(), server.client("apigatewayv2")
    create(lam, "api-slow", ECHO, Timeout=10)
    made = gw.create_api(Name="slow", ProtocolType="HTTP", Target=fn_arn("api-slow"))
    try:
        allow_api(lam, "api-slow", made["ApiId"])
        [integration] = gw.get_integrations(ApiId=made["ApiId"])["Items"]
        gw.update_integration(ApiId=made["ApiId"], IntegrationId=integration["IntegrationId"], TimeoutInMillis=500)
        started = time.monotonic()
        answer = http("GET", f"{made['ApiEndpoint']}/slow")
        assert (answer.status_code, answer.json()) == (503, {"message": "Service Unavailable"})
        assert time.monotonic() - started < 1.8
        assert http("GET", f"{made['ApiEndpoint']}/bare").status_code == 200
    finally:
        gw.delete_api(ApiId=made["ApiId"])
