"""Lambda authorizers' pure part: identity sources, the route ARN, answers read as API Gateway
reads them, IAM policy answers evaluated with IAM's wildcards, and the result cache."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambent.model.http_api import Authorizer
from lambent.model.http_authorizer import (
    BadAuthorizerAnswer,
    ResultCache,
    Verdict,
    cache_key,
    event_v1,
    event_v2,
    identity_values,
    policy_allows,
    read_answer,
    route_arn,
)
from lambent.model.http_event import Authorized, HttpRequest

ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/$default/GET/pets/7"


def request(**changes: Any) -> HttpRequest:
    fields: dict[str, Any] = {
        "method": "GET",
        "raw_path": "/pets/7",
        "raw_query": "user=ann&user=bob&empty=",
        "headers": (("Authorization", "Bearer t"), ("X-Multi", "a"), ("x-multi", "b"), ("User-Agent", "ua/1")),
        "body": b"",
        "source_ip": "10.0.0.1",
        "request_id": "rid",
        "time_ms": 1583348638390,
        "account_id": "123456789012",
        "api_id": "abcdef1234",
        "domain_name": "abcdef1234.execute-api.us-east-1.localhost",
        "domain_prefix": "abcdef1234",
        "route_key": "GET /pets/{id}",
        "stage": "$default",
        "path_parameters": {"id": "7"},
        "stage_variables": {"tier": "gold", "blank": ""},
    }
    fields.update(changes)
    return HttpRequest(**fields)


def authorizer(**changes: Any) -> Authorizer:
    fields: dict[str, Any] = {
        "authorizer_id": "abc123",
        "authorizer_type": "REQUEST",
        "name": "a",
        "identity_source": ["$request.header.Authorization"],
        "authorizer_result_ttl_in_seconds": 300,
    }
    fields.update(changes)
    return Authorizer(**fields)


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("$request.header.authorization", "Bearer t"),  # header names ignore case
        ("$request.header.X-MULTI", "a,b"),
        ("$request.querystring.user", "ann,bob"),
        ("$stageVariables.tier", "gold"),
        ("$context.routeKey", "GET /pets/{id}"),
        ("$context.httpMethod", "GET"),
        ("$context.identity.sourceIp", "10.0.0.1"),
        ("$context.stage", "$default"),
    ],
)
def test_each_kind_of_identity_source(source: str, value: str) -> None:
    assert identity_values([source], request()) == [value]


@pytest.mark.parametrize(
    "source",
    [
        "$request.header.missing",
        "$request.querystring.USER",  # query names keep their case
        "$request.querystring.empty",  # present but empty is missing
        "$stageVariables.blank",
        "$stageVariables.none",
        "$context.nothing",
        "$request.body.x",  # not an identity source HTTP APIs take
    ],
)
def test_a_missing_or_empty_source_leaves_no_identity(source: str) -> None:
    assert identity_values(["$request.header.Authorization", source], request()) is None


def test_identity_keeps_the_sources_order_and_none_is_an_empty_identity() -> None:
    sources = ["$stageVariables.tier", "$request.header.Authorization"]
    assert identity_values(sources, request()) == ["gold", "Bearer t"]
    assert identity_values([], request()) == []


def test_the_route_arn_has_the_request_path_within_its_stage() -> None:
    assert route_arn("us-east-1", request()) == ARN
    named = request(stage="prod", raw_path="/prod/pets/7")
    assert route_arn("us-east-1", named) == ARN.replace("$default", "prod")
    assert route_arn("us-east-1", request(stage="prod", raw_path="/prod")).endswith("/prod/GET/")
    # a $default-stage path that only looks like a stage's is left whole
    assert route_arn("us-east-1", request(raw_path="/prod/pets")).endswith("/$default/GET/prod/pets")


def test_the_events_carry_the_identity_and_no_authorizer_context() -> None:
    done = request(authorized=Authorized(lambda_context={"k": "v"}))
    v2 = event_v2(done, ARN, ["Bearer t"])
    assert (v2["type"], v2["routeArn"], v2["identitySource"]) == ("REQUEST", ARN, ["Bearer t"])
    assert "authorizer" not in v2["requestContext"] and "body" not in v2 and "isBase64Encoded" not in v2
    v1 = event_v1(done, ARN, ["Bearer t", "ann"])
    assert (v1["methodArn"], v1["identitySource"], v1["authorizationToken"]) == (ARN, "Bearer t,ann", "Bearer t,ann")
    assert (v1["resource"], v1["path"], v1["httpMethod"]) == ("/pets/{id}", "/pets/7", "GET")
    assert "authorizer" not in v1["requestContext"]


def test_a_simple_answer() -> None:
    verdict = read_answer(b'{"isAuthorized": true, "context": {"a": 1}}', simple=True)
    assert (verdict.allows(ARN), verdict.context) == (True, {"a": 1})
    assert not read_answer(b'{"isAuthorized": false}', simple=True).allows(ARN)


@pytest.mark.parametrize(
    ("payload", "simple"),
    [
        (b"not json", True),
        (b'"a string"', True),
        (b'{"isAuthorized": "true"}', True),  # a boolean, not its text
        (b"{}", True),
        (b'{"isAuthorized": true, "context": []}', True),
        (b'{"isAuthorized": true}', False),  # a policy is due
        (b'{"principalId": "p", "policyDocument": {}}', False),
        (b'{"principalId": 7, "policyDocument": {"Statement": []}}', False),
    ],
)
def test_an_unreadable_answer(payload: bytes, simple: bool) -> None:
    with pytest.raises(BadAuthorizerAnswer):
        read_answer(payload, simple=simple)


def statement(effect: str, resource: Any, action: Any = "execute-api:Invoke") -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource}


@pytest.mark.parametrize(
    ("statements", "allowed"),
    [
        ([statement("Allow", ARN)], True),
        ([statement("Allow", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*")], True),
        ([statement("Allow", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*/GET/pets/*")], True),
        ([statement("Allow", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*/POST/*")], False),
        ([statement("Allow", "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/$default/GET/pets/?")], True),
        ([statement("Allow", ARN.upper())], False),  # resources keep their case
        ([statement("Allow", ARN, action="execute-api:*")], True),
        ([statement("Allow", ARN, action="EXECUTE-API:invoke")], True),  # actions do not
        ([statement("Allow", ARN, action="execute-api:ManageConnections")], False),
        ([statement("Allow", [ARN, "other"], action=["s3:GetObject", "execute-api:Invoke"])], True),
        ([statement("Allow", "*"), statement("Deny", ARN)], False),  # an explicit Deny wins
        ([statement("Deny", "arn:aws:execute-api:*:*:*/*/POST/*"), statement("Allow", "*")], True),
        ([statement("Deny", ARN)], False),
        ([], False),  # nothing allows it
        ([statement("Maybe", ARN)], False),
    ],
)
def test_a_policy_answer_is_evaluated_against_the_arn(statements: list[dict[str, Any]], allowed: bool) -> None:
    assert policy_allows({"Version": "2012-10-17", "Statement": statements}, ARN) is allowed


def test_a_single_statement_object_is_a_statement() -> None:
    verdict = read_answer(
        b'{"principalId": "p", "policyDocument": {"Statement": ' + _json(statement("Allow", "*")) + b"}}", simple=False
    )
    assert (verdict.allows(ARN), verdict.principal_id, verdict.context) == (True, "p", {})


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


ALLOW = Verdict(allowed=True, context={})


def test_the_cache_keeps_a_verdict_for_its_ttl_by_identity() -> None:
    cache = ResultCache()
    cache.put("k", ["a"], ALLOW, 300, now=1000.0)
    assert cache.get("k", ["a"], now=1299.9) is ALLOW
    assert cache.get("k", ["b"], now=1000.0) is None
    assert cache.get("other", ["a"], now=1000.0) is None
    assert cache.get("k", ["a"], now=1300.0) is None  # expired, and dropped
    assert len(cache) == 0


def test_the_cache_keeps_nothing_for_ttl_0_or_no_identity() -> None:
    cache = ResultCache()
    cache.put("k", ["a"], ALLOW, 0, now=0.0)
    cache.put("k", [], ALLOW, 300, now=0.0)
    assert len(cache) == 0


def test_the_cache_is_bounded_dropping_the_oldest() -> None:
    cache = ResultCache(entries=2)
    for token in ("a", "b", "c"):
        cache.put("k", [token], ALLOW, 300, now=0.0)
    assert [cache.get("k", [t], now=1.0) for t in ("a", "b", "c")] == [None, ALLOW, ALLOW]


def test_the_cache_key_changes_with_the_authorizer() -> None:
    key = cache_key("api", authorizer())
    assert cache_key("api", authorizer()) == key
    assert cache_key("other", authorizer()) != key
    assert cache_key("api", authorizer(authorizer_result_ttl_in_seconds=301)) != key
    assert cache_key("api", authorizer(authorizer_uri="arn:x")) != key
    assert cache_key("api", authorizer(authorizer_id="def456")) != key


def test_what_reaches_the_integration() -> None:
    lam = Authorized(lambda_context={"k": "v"}, principal_id="p", latency_ms=12)
    assert lam.v2() == {"lambda": {"k": "v"}}
    assert lam.v1() == {"k": "v", "principalId": "p", "integrationLatency": 12}
    jwt = Authorized(jwt_claims={"sub": "x"}, jwt_scopes=["read"])
    assert jwt.v2() == {"jwt": {"claims": {"sub": "x"}, "scopes": ["read"]}}
    assert jwt.v1() == {"claims": {"sub": "x"}, "scopes": ["read"]}
