"""HTTP API routes with ``AuthorizationType: AWS_IAM`` against a real server: a request signed
with SigV4 for ``execute-api`` (botocore's signer) by a principal whose policies allow
``execute-api:Invoke`` on the route's ARN is served, with its signer in the event; unsigned,
badly signed, wrongly scoped or not allowed requests are 403 ``{"message":"Forbidden"}``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.fixtures.http_apis import ACCOUNT, ECHO, allow_api, fn_arn
from tests.fixtures.server import Server, create
from tests.fixtures.urls import http

FORBIDDEN = (403, {"message": "Forbidden"})


class Api(msgspec.Struct, frozen=True):
    api_id: str
    endpoint: str
    reader: tuple[str, str]  # a user allowed GET /items/* only


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[Api]:
    lam, gw, iam = server.client(), server.client("apigatewayv2"), server.client("iam")
    create(lam, "iam-echo", ECHO)
    made = gw.create_api(Name="iam", ProtocolType="HTTP")
    api_id = made["ApiId"]
    v2, v1 = (
        gw.create_integration(
            ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=fn_arn("iam-echo"), PayloadFormatVersion=version
        )["IntegrationId"]
        for version in ("2.0", "1.0")
    )
    for key, target in (("GET /items/{id}", v2), ("POST /items", v2), ("GET /v1/items", v1)):
        gw.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{target}", AuthorizationType="AWS_IAM")
    gw.create_route(ApiId=api_id, RouteKey="GET /open", Target=f"integrations/{v2}")
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    allow_api(lam, "iam-echo", api_id)
    iam.create_user(UserName="api-reader")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "execute-api:Invoke",
                "Resource": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*/GET/items/*",
            }
        ],
    }
    iam.put_user_policy(UserName="api-reader", PolicyName="read", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="api-reader")["AccessKey"]
    yield Api(api_id, made["ApiEndpoint"], (key["AccessKeyId"], key["SecretAccessKey"]))
    gw.delete_api(ApiId=api_id)


def signed(
    method: str, url: str, credentials: tuple[str, str], body: bytes = b"", service: str = "execute-api"
) -> dict[str, str]:
    request = AWSRequest(method=method, url=url, data=body)
    SigV4Auth(Credentials(*credentials), service, "us-east-1").add_auth(request)
    return dict(request.headers)


def call(method: str, url: str, credentials: tuple[str, str] | None, body: bytes = b"", **changes: Any) -> Any:
    headers = signed(method, url, credentials, body, **changes) if credentials else {}
    return http(method, url, headers=headers, content=body)


def answer(response: Any) -> tuple[int, Any]:
    return response.status_code, response.json()


def test_a_signed_and_allowed_request_is_served_with_its_signer(server: Server, api: Api) -> None:
    admin = server.credentials()
    response = call("GET", f"{api.endpoint}/items/7", admin)
    assert response.status_code == 200, response.text
    iam = response.json()["requestContext"]["authorizer"]["iam"]
    assert (iam["accessKey"], iam["accountId"], iam["userArn"]) == (admin[0], ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/admin")
    reader = call("GET", f"{api.endpoint}/items/8", api.reader)
    assert reader.status_code == 200, reader.text
    assert reader.json()["requestContext"]["authorizer"]["iam"]["userArn"] == f"arn:aws:iam::{ACCOUNT}:user/api-reader"
    posted = call("POST", f"{api.endpoint}/items", admin, body=b'{"a": 1}')
    assert posted.status_code == 200, posted.text
    v1 = call("GET", f"{api.endpoint}/v1/items", admin).json()["requestContext"]["identity"]
    assert (v1["accessKey"], v1["accountId"], v1["userArn"]) == (admin[0], ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/admin")


def test_an_unsigned_or_badly_signed_request_is_403(server: Server, api: Api) -> None:
    url = f"{api.endpoint}/items/7"
    assert answer(call("GET", url, None)) == FORBIDDEN
    assert answer(call("GET", url, server.credentials(), service="lambda")) == FORBIDDEN  # scoped to another service
    assert answer(call("GET", url, (server.credentials()[0], "x" * 40))) == FORBIDDEN  # wrong secret
    tampered = signed("GET", url, server.credentials()) | {"X-Amz-Date": "20200101T000000Z"}
    assert answer(http("GET", url, headers=tampered)) == FORBIDDEN
    elsewhere = signed("GET", f"{api.endpoint}/items/other", server.credentials())
    assert answer(http("GET", url, headers=elsewhere)) == FORBIDDEN  # signed for another path
    assert http("GET", f"{api.endpoint}/open").status_code == 200  # a NONE route needs nothing


def test_a_principal_not_allowed_the_route_is_403(api: Api) -> None:
    assert answer(call("POST", f"{api.endpoint}/items", api.reader, body=b"{}")) == FORBIDDEN
    assert answer(call("GET", f"{api.endpoint}/v1/items", api.reader)) == FORBIDDEN


def test_an_execute_api_signature_does_not_reach_the_lambda_api(server: Server, api: Api) -> None:
    url = f"{server.endpoint}/2015-03-31/functions/"
    refused = http("GET", url, headers=signed("GET", url, server.credentials()))
    assert refused.status_code == 403
