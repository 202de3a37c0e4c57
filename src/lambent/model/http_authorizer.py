"""Lambda (REQUEST) authorizers of HTTP APIs, the pure part: identity sources, the event an
authorizer gets (payload 1.0 and 2.0), its answer read as API Gateway reads it, the IAM policy
an answer may hold evaluated against the route's ARN, and the result cache. No I/O; time is an
argument.

As the API Gateway developer guide ("Control access to HTTP APIs with AWS Lambda authorizers")
has it:

- identity sources are ``$request.header.NAME``, ``$request.querystring.NAME``,
  ``$context.NAME`` and ``$stageVariables.NAME``; when any is missing or empty the request is
  refused 401 without invoking the authorizer;
- 2.0 sends ``identitySource`` as a list and ``routeArn``; 1.0 sends ``identitySource`` and
  ``authorizationToken`` as the values joined by commas, and ``methodArn``;
- with ``EnableSimpleResponses`` (2.0 only) the answer is ``{"isAuthorized": bool, "context":
  {...}}``; otherwise an IAM policy answer, ``{"principalId", "policyDocument", "context"}``, whose
  ``execute-api:Invoke`` statements are matched against the route ARN, an explicit Deny winning;
- a result is cached for ``AuthorizerResultTtlInSeconds`` under the identity source values
  (never when the TTL is 0 or there is no identity source); a cached IAM policy is evaluated
  again for every route it is used on, as API Gateway does.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from lambent.model.api_address import DEFAULT_STAGE
from lambent.model.apigateway_actions import execute_api_resource
from lambent.model.http_api import Authorizer
from lambent.model.http_event import (
    HttpRequest,
    cookies_of,
    grouped_headers,
    grouped_query,
    payload_v1,
    payload_v2,
    resource_of,
)
from lambent.model.iam_wildcards import action_matches, resource_matches

#: How long API Gateway waits for a Lambda authorizer before answering 500.
AUTHORIZER_TIMEOUT_S = 10.0
#: Entries the result cache keeps per node (the oldest go first).
CACHE_ENTRIES = 10_000


class BadAuthorizerAnswer(ValueError):
    """The authorizer answered something API Gateway cannot read (500 to the caller)."""


def identity_values(sources: Sequence[str], request: HttpRequest) -> list[str] | None:
    """Each identity source's value for *request*, in order; None when one is missing or empty."""
    values: list[str] = []
    for source in sources:
        value = _source_value(source, request)
        if not value:
            return None
        values.append(value)
    return values


def _source_value(source: str, request: HttpRequest) -> str | None:
    if source.startswith("$request.header."):
        name = source.removeprefix("$request.header.").lower()
        found = grouped_headers(request.headers).get(name)
        return ",".join(found) if found else None
    if source.startswith("$request.querystring."):
        found = grouped_query(request.raw_query).get(source.removeprefix("$request.querystring."))
        return ",".join(found) if found else None
    if source.startswith("$stageVariables."):
        return request.stage_variables.get(source.removeprefix("$stageVariables."))
    if source.startswith("$context."):
        return _context_values(request).get(source.removeprefix("$context."))
    return None


def _context_values(request: HttpRequest) -> dict[str, str]:
    return {
        "accountId": request.account_id,
        "apiId": request.api_id,
        "domainName": request.domain_name,
        "domainPrefix": request.domain_prefix,
        "httpMethod": request.method,
        "path": request.raw_path,
        "protocol": request.protocol,
        "requestId": request.request_id,
        "routeKey": request.route_key,
        "stage": request.stage,
        "identity.sourceIp": request.source_ip,
        "identity.userAgent": request.header("user-agent") or "",
    }


def route_arn(region: str, request: HttpRequest) -> str:
    """The ARN of the route *request* takes, with the request's own path within its stage (a
    named stage's prefix left out): ``arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH``
    (``.../abcdef123/test/GET/request`` in AWS's example), the form of the integration's
    ``SourceArn`` (``model.apigateway_actions``)."""
    prefix = "" if request.stage == DEFAULT_STAGE else f"/{request.stage}"
    path = request.raw_path
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        path = path[len(prefix) :] or "/"
    return execute_api_resource(region, request.account_id, request.api_id, request.stage, f"{request.method}{path}")


def event_v2(request: HttpRequest, arn: str, identity: list[str]) -> dict[str, Any]:
    """The 2.0 event a Lambda authorizer gets."""
    integration = payload_v2(request)
    event: dict[str, Any] = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": arn,
        "identitySource": identity,
        "routeKey": request.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    cookies = cookies_of(request.headers)
    if cookies:
        event["cookies"] = cookies
    event["headers"] = integration["headers"]
    for key in ("queryStringParameters",):
        if key in integration:
            event[key] = integration[key]
    context = dict(integration["requestContext"])
    context.pop("authorizer", None)
    event["requestContext"] = context
    for key in ("pathParameters", "stageVariables"):
        if key in integration:
            event[key] = integration[key]
    return event


def event_v1(request: HttpRequest, arn: str, identity: list[str]) -> dict[str, Any]:
    """The 1.0 event a Lambda authorizer gets (REST APIs' REQUEST authorizer shape)."""
    integration = payload_v1(request)
    joined = ",".join(identity)
    context = dict(integration["requestContext"])
    context.pop("authorizer", None)
    return {
        "version": "1.0",
        "type": "REQUEST",
        "methodArn": arn,
        "identitySource": joined,
        "authorizationToken": joined,
        "resource": resource_of(request.route_key),
        "path": request.raw_path,
        "httpMethod": request.method,
        "headers": integration["headers"],
        "multiValueHeaders": integration["multiValueHeaders"],
        "queryStringParameters": integration["queryStringParameters"],
        "multiValueQueryStringParameters": integration["multiValueQueryStringParameters"],
        "pathParameters": integration["pathParameters"],
        "stageVariables": integration["stageVariables"],
        "requestContext": context,
    }


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """An authorizer's answer, read: allowed outright (simple answers), or by its policy."""

    context: Mapping[str, Any]
    allowed: bool | None = None
    principal_id: str | None = None
    policy: Mapping[str, Any] | None = None

    def allows(self, arn: str) -> bool:
        """Whether this verdict lets a request to route *arn* through."""
        if self.allowed is not None:
            return self.allowed
        return policy_allows(self.policy or {}, arn)


def read_answer(payload: bytes, simple: bool) -> Verdict:
    """The verdict in an authorizer function's *payload* (``simple``: EnableSimpleResponses)."""
    try:
        answer = json.loads(payload)
    except ValueError as e:
        raise BadAuthorizerAnswer("not JSON") from e
    if not isinstance(answer, dict):
        raise BadAuthorizerAnswer("not an object")
    context = answer.get("context")
    context = {} if context is None else context
    if not isinstance(context, dict):
        raise BadAuthorizerAnswer("context is not an object")
    if simple:
        allowed = answer.get("isAuthorized")
        if not isinstance(allowed, bool):
            raise BadAuthorizerAnswer("isAuthorized is not a boolean")
        return Verdict(allowed=allowed, context=context)
    policy = answer.get("policyDocument")
    principal = answer.get("principalId")
    if not isinstance(policy, dict) or not isinstance(policy.get("Statement"), list | dict):
        raise BadAuthorizerAnswer("no policyDocument")
    if principal is not None and not isinstance(principal, str):
        raise BadAuthorizerAnswer("principalId is not a string")
    return Verdict(policy=policy, principal_id=principal, context=context)


def policy_allows(policy: Mapping[str, Any], arn: str) -> bool:
    """Whether *policy* allows ``execute-api:Invoke`` on *arn*: an Allow that covers it and no
    Deny that does (wildcards as IAM's)."""
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements if isinstance(statements, list) else []:
        if not isinstance(statement, dict) or not _covers(statement, arn):
            continue
        effect = statement.get("Effect")
        if effect == "Deny":
            return False
        allowed = allowed or effect == "Allow"
    return allowed


def _listed(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _covers(statement: Mapping[str, Any], arn: str) -> bool:
    actions = _listed(statement.get("Action"))
    resources = _listed(statement.get("Resource"))
    return any(action_matches(a, "execute-api:Invoke") for a in actions) and any(resource_matches(r, arn) for r in resources)


def cache_key(api_id: str, authorizer: Authorizer) -> str:
    """What the result cache files *authorizer*'s verdicts under: the API, the authorizer and a
    digest of its whole configuration, so an updated authorizer (a new deployment of it) never
    meets a verdict its old configuration gave, and a deleted one's are never asked for again
    (they age out)."""
    digest = hashlib.sha256(msgspec.json.encode(authorizer)).hexdigest()[:16]
    return f"{api_id}/{authorizer.authorizer_id}/{digest}"


class ResultCache:
    """Verdicts by authorizer (``cache_key``) and identity source values, each until its TTL is
    up; the least recently stored go first beyond *entries*."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self._entries = entries
        self._items: OrderedDict[tuple[str, tuple[str, ...]], tuple[float, Verdict]] = OrderedDict()

    def get(self, key: str, identity: Sequence[str], now: float) -> Verdict | None:
        """The verdict cached for *identity*, unless none is or it has expired at *now*."""
        item = self._items.get((key, tuple(identity)))
        if item is None:
            return None
        if item[0] <= now:
            del self._items[(key, tuple(identity))]
            return None
        return item[1]

    def put(self, key: str, identity: Sequence[str], verdict: Verdict, ttl_s: int, now: float) -> None:
        """Keep *verdict* for *ttl_s* seconds from *now* (nothing is kept for a TTL of 0 or
        without identity)."""
        if ttl_s <= 0 or not identity:
            return
        item = (key, tuple(identity))
        self._items[item] = (now + ttl_s, verdict)
        self._items.move_to_end(item)
        while len(self._items) > self._entries:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
