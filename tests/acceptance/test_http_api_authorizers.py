"""HTTP API Lambda (REQUEST) authorizers against a real server, with httpx: simple and IAM-policy
answers allowing and denying, the event the authorizer gets (it hands it back in its context,
which reaches the integration's event in 2.0 and 1.0), a missing identity source refused without
invoking it, result caching by identity (and dropped when the authorizer changes), and an
authorizer that fails or may not be invoked being API Gateway's 500.

Invocations are counted from the authorizer's own log (its ``START`` lines), as CloudWatch would
show them on AWS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

from tests.fixtures.http_apis import ACCOUNT, ECHO, allow_api, fn_arn, starts
from tests.fixtures.server import Server, create
from tests.fixtures.urls import http

AUTHORIZER = r"""
import json
def handler(event, context):
    token = (event.get("headers") or {}).get("x-token", "")
    arn = event.get("routeArn") or event.get("methodArn")
    print("authorizing", token)
    if token == "boom":
        raise RuntimeError("authorizer broke")
    if token == "garbage":
        return "not an answer"
    got = {"event": json.dumps(event), "token": token, "number": 7, "nested": {"a": [1, 2]}}
    if token.startswith("policy-"):
        effect, resource = "Allow", arn
        if token == "policy-deny":
            effect = "Deny"
        if token == "policy-wild":
            resource = arn.split("/", 1)[0] + "/*/GET/policy/*"
        if token == "policy-elsewhere":
            resource = arn.split("/", 1)[0] + "/*/GET/other"
        return {"principalId": "user-" + token, "context": got, "policyDocument": {"Version": "2012-10-17",
                "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]}}
    return {"isAuthorized": token.startswith("allow"), "context": got}
"""
UNAUTHORIZED = (401, {"message": "Unauthorized"})
FORBIDDEN = (403, {"message": "Forbidden"})
FAILED = (500, {"message": "Internal Server Error"})


class Api(msgspec.Struct, frozen=True):
    api_id: str
    endpoint: str
    authorizers: dict[str, str]


def uri(name: str) -> str:
    return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{fn_arn(name)}/invocations"


def allow_authorizer(lam: Any, name: str, api_id: str, authorizer_id: str) -> None:
    """The statement AWS's guide adds for an authorizer: its own ``authorizers/ID`` SourceArn."""
    lam.add_permission(
        FunctionName=name,
        StatementId=f"authorizer-{authorizer_id}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/authorizers/{authorizer_id}",
    )


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[Api]:
    lam, gw = server.client(), server.client("apigatewayv2")
    create(lam, "authz-echo", ECHO)
    for name in ("authz", "authz-cached", "authz-private"):
        create(lam, name, AUTHORIZER)
    api_id = gw.create_api(Name="guarded", ProtocolType="HTTP")["ApiId"]
    endpoint = gw.get_api(ApiId=api_id)["ApiEndpoint"]
    v2, v1 = (
        gw.create_integration(
            ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=fn_arn("authz-echo"), PayloadFormatVersion=version
        )["IntegrationId"]
        for version in ("2.0", "1.0")
    )
    header = ["$request.header.x-token"]
    made = {
        "simple": dict(Function="authz", Version="2.0", Simple=True, Ttl=0, Sources=header),
        "policy": dict(Function="authz", Version="2.0", Simple=False, Ttl=0, Sources=header),
        "v1": dict(Function="authz", Version="1.0", Simple=False, Ttl=0, Sources=header),
        "cached": dict(Function="authz-cached", Version="2.0", Simple=True, Ttl=300, Sources=header),
        "private": dict(Function="authz-private", Version="2.0", Simple=True, Ttl=0, Sources=header),
        "sources": dict(
            Function="authz",
            Version="2.0",
            Simple=True,
            Ttl=0,
            Sources=["$request.header.x-token", "$request.querystring.user", "$context.routeKey", "$stageVariables.tier"],
        ),
    }
    ids: dict[str, str] = {}
    for key, spec in made.items():
        ids[key] = gw.create_authorizer(
            ApiId=api_id,
            Name=key,
            AuthorizerType="REQUEST",
            AuthorizerUri=uri(str(spec["Function"])),
            AuthorizerPayloadFormatVersion=spec["Version"],
            EnableSimpleResponses=spec["Simple"],
            AuthorizerResultTtlInSeconds=spec["Ttl"],
            IdentitySource=spec["Sources"],
        )["AuthorizerId"]
        if spec["Function"] != "authz-private":
            allow_authorizer(lam, str(spec["Function"]), api_id, ids[key])
    for route_key, target, authorizer in (
        ("GET /simple/{id}", v2, "simple"),
        ("GET /policy/{id}", v2, "policy"),
        ("GET /other", v2, "policy"),
        ("GET /v1/policy", v1, "v1"),
        ("GET /cached", v2, "cached"),
        ("GET /private", v2, "private"),
        ("GET /sources", v2, "sources"),
    ):
        gw.create_route(
            ApiId=api_id,
            RouteKey=route_key,
            Target=f"integrations/{target}",
            AuthorizationType="CUSTOM",
            AuthorizerId=ids[authorizer],
        )
    gw.create_route(ApiId=api_id, RouteKey="GET /open", Target=f"integrations/{v2}")
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    gw.create_stage(ApiId=api_id, StageName="prod", StageVariables={"tier": "gold"})
    gw.create_deployment(ApiId=api_id, StageName="prod")
    allow_api(lam, "authz-echo", api_id)
    yield Api(api_id, endpoint, ids)
    gw.delete_api(ApiId=api_id)


def get(api: Api, path: str, token: str | None = None, **headers: str) -> Any:
    sent = {"x-token": token, **headers} if token is not None else headers
    return http("GET", f"{api.endpoint}{path}", headers=sent)


def answer(response: Any) -> tuple[int, Any]:
    return response.status_code, response.json()


def test_a_simple_answer_allows_or_denies(api: Api) -> None:
    allowed = get(api, "/simple/1", "allow-1")
    assert allowed.status_code == 200, allowed.text
    assert allowed.headers["apigw-requestid"]
    assert answer(get(api, "/simple/1", "deny")) == FORBIDDEN
    assert get(api, "/open").json()["requestContext"]["authorizer"] is None  # NONE: no authorizer at all


def test_the_2_0_authorizer_event_and_the_context_reaching_the_integration(api: Api) -> None:
    response = get(api, "/simple/a%20b?q=1&q=2", "allow-event", Cookie="c=1")
    assert response.status_code == 200, response.text
    event = response.json()
    lambda_context = event["requestContext"]["authorizer"]["lambda"]
    assert list(event["requestContext"]["authorizer"]) == ["lambda"]
    seen = json.loads(lambda_context.pop("event"))
    assert lambda_context == {"token": "allow-event", "number": 7, "nested": {"a": [1, 2]}}
    host = api.endpoint.split("//", 1)[1]
    context = seen.pop("requestContext")
    assert seen == {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api.api_id}/$default/GET/simple/a b",
        "identitySource": ["allow-event"],
        "routeKey": "GET /simple/{id}",
        "rawPath": "/simple/a b",
        "rawQueryString": "q=1&q=2",
        "cookies": ["c=1"],
        "headers": {
            "host": host,
            "accept": "*/*",
            "accept-encoding": "gzip, deflate",
            "connection": "keep-alive",
            "user-agent": response.request.headers["user-agent"],
            "x-token": "allow-event",
        },
        "queryStringParameters": {"q": "1,2"},
        "pathParameters": {"id": "a b"},
    }
    assert "authorizer" not in context
    assert (context["requestId"], context["routeKey"], context["http"]["path"]) == (
        response.headers["apigw-requestid"],
        "GET /simple/{id}",
        "/simple/a b",
    )


def test_an_iam_policy_answer_is_evaluated_against_the_route_arn(api: Api) -> None:
    allowed = get(api, "/policy/9", "policy-allow")
    assert allowed.status_code == 200, allowed.text
    authorized = allowed.json()["requestContext"]["authorizer"]
    assert list(authorized) == ["lambda"] and authorized["lambda"]["token"] == "policy-allow"
    assert answer(get(api, "/policy/9", "policy-deny")) == FORBIDDEN
    assert get(api, "/policy/9", "policy-wild").status_code == 200  # .../*/GET/policy/* covers it
    assert answer(get(api, "/other", "policy-wild")) == FORBIDDEN  # ...but not GET /other
    assert answer(get(api, "/policy/9", "policy-elsewhere")) == FORBIDDEN
    assert get(api, "/other", "policy-elsewhere").status_code == 200


def test_the_1_0_authorizer_event_and_context(api: Api) -> None:
    response = get(api, "/v1/policy?x=1", "policy-allow")
    assert response.status_code == 200, response.text
    authorized = response.json()["requestContext"]["authorizer"]
    seen = json.loads(authorized.pop("event"))
    assert isinstance(authorized.pop("integrationLatency"), int)
    assert authorized == {"token": "policy-allow", "number": 7, "nested": {"a": [1, 2]}, "principalId": "user-policy-allow"}
    assert {key: seen[key] for key in ("version", "type", "methodArn", "identitySource", "authorizationToken")} == {
        "version": "1.0",
        "type": "REQUEST",
        "methodArn": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api.api_id}/$default/GET/v1/policy",
        "identitySource": "policy-allow",
        "authorizationToken": "policy-allow",
    }
    assert (seen["resource"], seen["path"], seen["httpMethod"]) == ("/v1/policy", "/v1/policy", "GET")
    assert (seen["headers"]["x-token"], seen["queryStringParameters"]) == ("policy-allow", {"x": "1"})
    assert "authorizer" not in seen["requestContext"]
    assert answer(get(api, "/v1/policy", "policy-deny")) == FORBIDDEN


def test_a_missing_identity_source_is_401_without_invoking(server: Server, api: Api) -> None:
    before = starts(server, "authz", 1)
    assert answer(get(api, "/simple/1")) == UNAUTHORIZED
    assert answer(get(api, "/simple/1", "")) == UNAUTHORIZED  # empty is missing
    assert answer(get(api, "/sources", "allow-s")) == UNAUTHORIZED  # no ?user=, no stage variable
    assert answer(get(api, "/sources?user=u", "allow-s")) == UNAUTHORIZED  # $default has no tier
    assert starts(server, "authz", before) == before
    named = get(api, "/prod/sources?user=u", "allow-s")
    assert named.status_code == 200, named.text
    seen = json.loads(named.json()["requestContext"]["authorizer"]["lambda"]["event"])
    assert seen["identitySource"] == ["allow-s", "u", "GET /sources", "gold"]
    # the route ARN leaves a named stage's prefix out of the path
    assert seen["routeArn"] == f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api.api_id}/prod/GET/sources"
    assert starts(server, "authz", before + 1) == before + 1


def test_results_are_cached_by_identity_for_the_ttl(server: Server, api: Api) -> None:
    assert get(api, "/cached", "allow-a").status_code == 200
    assert starts(server, "authz-cached", 1) == 1
    again = get(api, "/cached", "allow-a")
    assert again.status_code == 200
    assert again.json()["requestContext"]["authorizer"]["lambda"]["token"] == "allow-a"  # the cached context
    assert answer(get(api, "/cached", "deny-b")) == FORBIDDEN  # another identity: invoked
    assert answer(get(api, "/cached", "deny-b")) == FORBIDDEN  # a denial is cached too
    assert starts(server, "authz-cached", 2) == 2
    gw = server.client("apigatewayv2")
    gw.update_authorizer(ApiId=api.api_id, AuthorizerId=api.authorizers["cached"], AuthorizerResultTtlInSeconds=301)
    assert get(api, "/cached", "allow-a").status_code == 200  # the updated authorizer asks again
    assert starts(server, "authz-cached", 3) == 3


def test_an_authorizer_that_fails_or_may_not_be_invoked_is_500(server: Server, api: Api) -> None:
    assert answer(get(api, "/simple/1", "boom")) == FAILED
    assert answer(get(api, "/simple/1", "garbage")) == FAILED
    assert answer(get(api, "/policy/1", "allow-but-not-a-policy")) == FAILED  # a simple answer where a policy is due
    assert answer(get(api, "/private", "allow")) == FAILED  # no resource-policy statement for it
    assert starts(server, "authz-private", 1, timeout_s=2) == 0
    lam = server.client()
    lam.add_permission(
        FunctionName="authz-private",
        StatementId="other-authorizer",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api.api_id}/authorizers/zzzzzzz",
    )
    assert answer(get(api, "/private", "allow")) == FAILED  # another authorizer's ARN does not cover it
    allow_authorizer(lam, "authz-private", api.api_id, api.authorizers["private"])
    assert get(api, "/private", "allow").status_code == 200
