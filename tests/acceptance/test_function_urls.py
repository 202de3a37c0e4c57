"""Function URLs against a real server, with real HTTP clients (httpx and curl): the payload 2.0
event a request becomes, the function's answer as an HTTP response, AuthType NONE and AWS_IAM
with the function's resource policy, CORS, and the path form."""

from __future__ import annotations

import base64
import json
import subprocess

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.fixtures.server import Server, create
from tests.fixtures.urls import http, make_public

ECHO = r"""
import base64, json
def handler(event, context):
    path = event["rawPath"]
    if path == "/shape":
        return {"statusCode": 201, "headers": {"x-made": "yes", "content-type": "text/plain"},
                "cookies": ["a=1; Path=/", "b=2"], "body": "made"}
    if path == "/binary":
        return {"statusCode": 200, "headers": {"content-type": "application/octet-stream"},
                "body": base64.b64encode(bytes(range(256))).decode(), "isBase64Encoded": True}
    if path == "/bare":
        return {"just": "json"}
    if path == "/cors":
        return {"statusCode": 200, "headers": {"access-control-allow-origin": "*"}, "body": "ok"}
    if path == "/fail":
        raise ValueError("boom")
    if path == "/malformed":
        return {"statusCode": "teapot"}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""


@pytest.fixture(scope="module")
def url(server: Server) -> str:
    lam = server.client()
    create(lam, "url-echo", ECHO)
    made = lam.create_function_url_config(FunctionName="url-echo", AuthType="NONE")
    make_public(lam, "url-echo")
    return str(made["FunctionUrl"])


def test_a_request_becomes_a_payload_2_event(server: Server, url: str) -> None:
    response = http(
        "GET",
        f"{url}items/a%20b?x=1&x=2&empty=",
        headers=[("X-Custom", "one"), ("x-custom", "two"), ("Cookie", "c1=v1; c2=v2"), ("User-Agent", "probe/1")],
    )
    assert response.status_code == 200, response.text
    event = response.json()
    url_id = url.split("//", 1)[1].split(".", 1)[0]
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/items/a%20b"
    assert event["rawQueryString"] == "x=1&x=2&empty="
    assert event["queryStringParameters"] == {"x": "1,2", "empty": ""}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["headers"]["x-custom"] == "one,two" and "cookie" not in event["headers"]
    context = event["requestContext"]
    assert context["accountId"] == "000000000000" and context["apiId"] == url_id
    assert context["domainName"] == f"{url_id}.lambda-url.us-east-1.localhost" and context["domainPrefix"] == url_id
    assert context["http"] == {
        "method": "GET",
        "path": "/items/a%20b",  # a function URL keeps the encoding (live captures, hotsock/voker#8)
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "probe/1",
    }
    assert event["isBase64Encoded"] is False and "body" not in event
    # a binary body arrives base64-encoded
    posted = http("POST", url, content=bytes(range(256)), headers={"content-type": "application/octet-stream"}).json()
    assert posted["isBase64Encoded"] is True and base64.b64decode(posted["body"]) == bytes(range(256))


def test_the_functions_answer_is_the_http_response(url: str) -> None:
    shaped = http("GET", f"{url}shape")
    assert (shaped.status_code, shaped.text, shaped.headers["x-made"]) == (201, "made", "yes")
    assert shaped.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2"]
    binary = http("GET", f"{url}binary")
    assert binary.content == bytes(range(256))
    bare = http("GET", f"{url}bare")
    assert (bare.status_code, bare.headers["content-type"], bare.json()) == (200, "application/json", {"just": "json"})
    for broken in ("fail", "malformed"):
        answer = http("GET", f"{url}{broken}")
        assert answer.status_code == 502, (broken, answer.text)


def test_curl_reaches_the_host_form_and_the_path_form(server: Server, url: str) -> None:
    ran = subprocess.run(
        ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", f"{url}bare"], capture_output=True, text=True, timeout=30
    )
    body, status = ran.stdout.rsplit("\n", 1)
    assert (status, json.loads(body)) == ("200", {"just": "json"}), ran.stderr
    url_id = url.split("//", 1)[1].split(".", 1)[0]
    by_path = http("GET", f"{server.endpoint}/lambent/urls/{url_id}/bare")
    assert by_path.json() == {"just": "json"}
    unknown = http("GET", f"{server.endpoint}/lambent/urls/{'0' * 32}/")
    assert (unknown.status_code, unknown.json()) == (403, {"Message": None})  # AWS's answer for no such URL


def test_none_still_needs_the_public_policy(server: Server) -> None:
    lam = server.client()
    create(lam, "url-private", ECHO)
    url = lam.create_function_url_config(FunctionName="url-private", AuthType="NONE")["FunctionUrl"]
    refused = http("GET", f"{url}bare")
    assert refused.status_code == 403 and refused.json()["Message"].startswith("Forbidden."), refused.text
    assert refused.headers["x-amzn-errortype"] == "AccessDeniedException"
    lam.add_permission(
        FunctionName="url-private",
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    assert http("GET", f"{url}bare").status_code == 403  # lambda:InvokeFunction is needed too
    lam.add_permission(
        FunctionName="url-private",
        StatementId="invoke",
        Action="lambda:InvokeFunction",
        Principal="*",
        InvokedViaFunctionUrl=True,
    )
    assert http("GET", f"{url}bare").json() == {"just": "json"}


def _signed(server: Server, url: str) -> dict[str, str]:
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(*server.credentials()), "lambda", "us-east-1").add_auth(request)
    return dict(request.headers)


def test_aws_iam_takes_a_signed_request_and_refuses_an_unsigned_one(server: Server) -> None:
    lam = server.client()
    create(lam, "url-iam", ECHO)
    url = lam.create_function_url_config(FunctionName="url-iam", AuthType="AWS_IAM")["FunctionUrl"]
    assert http("GET", f"{url}bare").status_code == 403
    signed = http("GET", f"{url}bare", headers=_signed(server, f"{url}bare"))
    assert (signed.status_code, signed.json()) == (200, {"just": "json"})
    event = http("GET", url, headers=_signed(server, url)).json()
    assert event["requestContext"]["authorizer"]["iam"]["accountId"] == "000000000000"
    tampered = _signed(server, f"{url}bare") | {"X-Amz-Date": "20200101T000000Z"}
    assert http("GET", f"{url}bare", headers=tampered).status_code == 403


def test_cors_preflight_and_response_headers(server: Server) -> None:
    lam = server.client()
    create(lam, "url-cors", ECHO)
    site = "https://app.example.com"
    cors = {"AllowOrigins": [site], "AllowMethods": ["GET", "POST"], "AllowHeaders": ["x-custom"], "MaxAge": 60}
    url = lam.create_function_url_config(FunctionName="url-cors", AuthType="NONE", Cors=cors)["FunctionUrl"]
    make_public(lam, "url-cors")
    preflight = http(
        "OPTIONS",
        f"{url}cors",
        headers={"Origin": site, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-custom"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == site
    assert preflight.headers["access-control-allow-methods"] == "GET,POST"
    assert preflight.headers["access-control-max-age"] == "60"
    answered = http("GET", f"{url}cors", headers={"Origin": site})
    assert answered.headers.get_list("access-control-allow-origin") == [site]  # the function's "*" is dropped
    other = http("GET", f"{url}cors", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
