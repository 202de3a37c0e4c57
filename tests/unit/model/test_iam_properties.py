"""Properties of policy evaluation over generated policies and requests: a Deny never widens
access, an Allow never narrows it, evaluation never raises, every refusal has AWS's message."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lambent.model.iam_policy import Caller, MalformedPolicy, Policy, Request, denial_message, evaluate, parse
from lambent.model.identity import assumed_role_arn, role_arn, root_arn, user_arn

A, B = "123456789012", "111122223333"
ACTIONS = ["lambda:GetFunction", "lambda:InvokeFunction", "lambda:ListFunctions", "logs:GetLogEvents"]
ACTION_PATTERNS = [*ACTIONS, "lambda:*", "lambda:Get*", "*", "logs:*", "s3:*"]
FN = f"arn:aws:lambda:us-east-1:{A}:function:f"
RESOURCES = ["*", FN, FN + ":1", f"arn:aws:lambda:us-east-1:{B}:function:g"]
RESOURCE_PATTERNS = [*RESOURCES, FN + ":*", FN + "*", "arn:aws:lambda:*"]
CALLERS = [
    Caller(arn=root_arn(A), account_id=A),
    Caller(arn=user_arn(A, "bob"), account_id=A),
    Caller(arn=assumed_role_arn(A, "r", "s"), account_id=A, role_arn=role_arn(A, "r")),
    Caller(arn=user_arn(B, "carol"), account_id=B),
    Caller(arn=root_arn(B), account_id=B),
    Caller(arn="s3.amazonaws.com", account_id=None),
]
PRINCIPALS: list[Any] = [
    "*",
    {"AWS": A},
    {"AWS": B},
    {"AWS": user_arn(A, "bob")},
    {"AWS": role_arn(A, "r")},
    {"AWS": user_arn(B, "carol")},
    {"Service": "s3.amazonaws.com"},
]
CONDITIONS: list[Any] = [
    None,
    {"StringEquals": {"aws:SourceAccount": A}},
    {"StringNotEquals": {"aws:PrincipalAccount": B}},
    {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}},
    {"Bool": {"aws:SecureTransport": "true"}},
    {"Null": {"aws:SourceArn": "true"}},
]
CONTEXTS: list[dict[str, Any]] = [
    {},
    {"aws:SourceAccount": A},
    {"aws:SourceArn": "arn:aws:s3:::bucket", "aws:SecureTransport": True},
]


def one_or_list(items: list[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(items), st.lists(st.sampled_from(items), min_size=1, max_size=3))


@st.composite
def statements(draw: st.DrawFn, *, resource_policy: bool, effect: str | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"]))}
    statement["NotAction" if draw(st.booleans()) and draw(st.booleans()) else "Action"] = draw(one_or_list(ACTION_PATTERNS))
    statement["NotResource" if draw(st.booleans()) and draw(st.booleans()) else "Resource"] = draw(one_or_list(RESOURCE_PATTERNS))
    if resource_policy:
        statement["NotPrincipal" if draw(st.integers(0, 5)) == 0 else "Principal"] = draw(st.sampled_from(PRINCIPALS))
    condition = draw(st.sampled_from(CONDITIONS))
    if condition is not None:
        statement["Condition"] = condition
    return statement


def policy(items: list[dict[str, Any]], kind: str) -> Policy:
    return parse(json.dumps({"Version": "2012-10-17", "Statement": items}), kind=kind)  # type: ignore[arg-type]


requests = st.builds(
    Request,
    caller=st.sampled_from(CALLERS),
    action=st.sampled_from(ACTIONS),
    resource=st.sampled_from(RESOURCES),
    resource_account=st.sampled_from([A, B, None]),
    context=st.sampled_from(CONTEXTS),
)
identity_docs = st.lists(st.lists(statements(resource_policy=False), max_size=3), max_size=2)
resource_docs = st.one_of(st.none(), st.lists(statements(resource_policy=True), max_size=3))


def decide(request: Request, identity: list[list[dict[str, Any]]], resource: list[dict[str, Any]] | None) -> bool:
    decision = evaluate(
        request,
        identity=[policy(p, "identity") for p in identity],
        resource=policy(resource, "resource") if resource is not None else None,
    )
    if not decision.allowed:
        message = denial_message(request, decision)
        assert message.startswith(f"User: {request.caller.arn} is not authorized to perform: {request.action} on resource: ")
    return decision.allowed


@settings(max_examples=150, deadline=None)
@given(requests, identity_docs, resource_docs, statements(resource_policy=False, effect="Deny"))
def test_an_identity_deny_never_widens(
    request: Request, identity: list[list[dict[str, Any]]], resource: list[dict[str, Any]] | None, extra: dict[str, Any]
) -> None:
    after = decide(request, [*identity, [extra]], resource)
    assert not after or decide(request, identity, resource)


@settings(max_examples=150, deadline=None)
@given(
    requests,
    identity_docs,
    st.lists(statements(resource_policy=True), max_size=3),
    statements(resource_policy=True, effect="Deny"),
)
def test_a_resource_deny_never_widens(
    request: Request, identity: list[list[dict[str, Any]]], resource: list[dict[str, Any]], extra: dict[str, Any]
) -> None:
    after = decide(request, identity, [*resource, extra])
    assert not after or decide(request, identity, resource)


@settings(max_examples=150, deadline=None)
@given(requests, identity_docs, resource_docs, statements(resource_policy=False, effect="Allow"))
def test_an_identity_allow_never_narrows(
    request: Request, identity: list[list[dict[str, Any]]], resource: list[dict[str, Any]] | None, extra: dict[str, Any]
) -> None:
    if decide(request, identity, resource):
        assert decide(request, [*identity, [extra]], resource)


@settings(max_examples=150, deadline=None)
@given(requests, identity_docs, resource_docs)
def test_no_policy_allows_a_service_but_a_resource_policy(
    request: Request, identity: list[list[dict[str, Any]]], resource: list[dict[str, Any]] | None
) -> None:
    if request.caller.account_id is None:
        assert decide(request, identity, resource) == decide(request, [], resource)
        assert not decide(request, identity, None)


@settings(max_examples=150, deadline=None)
@given(requests, identity_docs, resource_docs)
def test_cross_account_needs_a_resource_policy(
    request: Request, identity: list[list[dict[str, Any]]], resource: list[dict[str, Any]] | None
) -> None:
    cross = request.resource_account not in (None, request.caller.account_id)
    if cross:
        assert not decide(request, identity, None)
    assert decide(request, identity, resource) in (True, False)  # never raises


KEYS = [
    "Version",
    "Statement",
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
    "AWS",
    "Service",
    "StringEquals",
    "ForAnyValue:ArnLike",
    "NullIfExists",
    "x",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.sampled_from(["Allow", "Deny", "2012-10-17", "*", "lambda:*", "123456789012", FN, "arn:aws:iam::1:root", ""]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(JSON, st.sampled_from(["identity", "resource", "trust"]), requests)
def test_parse_raises_only_malformed_policy_and_evaluate_never_raises(value: Any, kind: str, request: Request) -> None:
    try:
        parsed = parse(json.dumps(value), kind=kind)  # type: ignore[arg-type]
    except MalformedPolicy:
        return
    evaluate(request, identity=[parsed] if kind == "identity" else [], resource=parsed if kind != "identity" else None)
