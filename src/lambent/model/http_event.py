"""The event an HTTP request becomes: payload formats 2.0 and 1.0, as AWS builds them. Pure.

Function URLs send format 2.0 only; API Gateway HTTP APIs send 2.0 or 1.0 (the REST-proxy shape),
as the integration's ``payloadFormatVersion`` says. The ingress records what it saw in an
``HttpRequest`` (time is a field, not a clock read) and takes the event as a dict to encode.

What AWS documents, and this module does (sources: Lambda developer guide "Invoking Lambda
function URLs" and API Gateway developer guide "Create AWS Lambda proxy integrations for HTTP
APIs"; behaviour AWS does not document is marked *observed* with where it was observed):

- Header names are lower-cased; a repeated header's values are joined with commas in ``headers``
  (2.0), listed in ``multiValueHeaders`` with the last one in ``headers`` (1.0).
- In 2.0 every ``Cookie`` header is split into ``cookies`` and kept out of ``headers``; ``cookies``
  is absent when there is none. 1.0 has no ``cookies`` and keeps the header.
- ``rawPath`` and ``rawQueryString`` are the request's own text, percent-escapes and all.
  ``queryStringParameters`` holds decoded names and values, a repeated name's values joined with
  commas (2.0), the last one beside ``multiValueQueryStringParameters`` (1.0); absent (2.0) or
  null (1.0) without a query. A name without ``=`` has the value ``""``. ``+`` stays ``+``:
  only percent-escapes are decoded (AWS does not say; its examples have neither).
- The body is text (``isBase64Encoded`` false) when the ``Content-Type`` is ``text/*``,
  ``application/json``, ``application/xml`` or ``application/javascript`` and the bytes are
  UTF-8; anything else, a missing ``Content-Type`` included, is base64 (*observed* against
  AWS HTTP APIs, ministackorg/ministack#766; a function URL base64-encodes a multipart form,
  localstack's AWS-recorded test_lambda_url_form_payload). An empty body is no ``body`` key
  in 2.0 and ``"body": null`` in 1.0, ``isBase64Encoded`` false.
- ``requestContext.authorizer`` is the ``iam`` block for an AWS_IAM caller (``cognitoIdentity``
  null), what a route's authorizer let the request through with (``Authorized``), null
  otherwise; ``authentication`` is null (no mutual TLS here). ``pathParameters`` and
  ``stageVariables`` appear in 2.0 only when the request has some (function URLs never do).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

DEFAULT = "$default"
_TEXT_TYPES = frozenset({"application/json", "application/xml", "application/javascript"})
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, kw_only=True)
class IamCaller:
    """The signer of an AWS_IAM request, as the authorizer block names it."""

    access_key: str
    account_id: str
    caller_id: str
    user_arn: str
    user_id: str
    principal_org_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class Authorized:
    """What a route's authorizer let through with: a Lambda authorizer's ``context`` (and
    ``principalId`` for an IAM policy answer), or a JWT's claims and scopes."""

    lambda_context: Mapping[str, Any] | None = None
    principal_id: str | None = None
    jwt_claims: Mapping[str, Any] | None = None
    jwt_scopes: Sequence[str] | None = None
    #: How long the Lambda authorizer took (0 for a cached verdict): 1.0's ``integrationLatency``.
    latency_ms: int = 0

    def v2(self) -> dict[str, Any]:
        """``requestContext.authorizer`` in a 2.0 event."""
        if self.jwt_claims is not None:
            return {"jwt": {"claims": dict(self.jwt_claims), "scopes": list(self.jwt_scopes) if self.jwt_scopes else None}}
        return {"lambda": dict(self.lambda_context or {})}

    def v1(self) -> dict[str, Any]:
        """``requestContext.authorizer`` in a 1.0 event: the context's keys beside
        ``principalId`` and ``integrationLatency`` (as REST APIs' Lambda authorizers give them),
        or the JWT's ``claims`` and ``scopes``."""
        if self.jwt_claims is not None:
            return {"claims": dict(self.jwt_claims), "scopes": list(self.jwt_scopes) if self.jwt_scopes else None}
        return {**(self.lambda_context or {}), "principalId": self.principal_id, "integrationLatency": self.latency_ms}


@dataclass(frozen=True, kw_only=True)
class HttpRequest:
    """What the ingress saw of one request, before any interpretation.

    ``headers`` keeps the wire's order and repeats; ``raw_path`` and ``raw_query`` are the
    request target's text as sent (the query without its ``?``). ``api_id`` is a function URL's
    url id; ``route_key``, ``stage``, ``path_parameters`` and ``stage_variables`` are an HTTP
    API's and keep their defaults for a URL.
    """

    method: str
    raw_path: str
    raw_query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    source_ip: str
    protocol: str = "HTTP/1.1"
    request_id: str
    time_ms: int
    account_id: str
    api_id: str
    domain_name: str
    domain_prefix: str
    route_key: str = DEFAULT
    stage: str = DEFAULT
    path_parameters: Mapping[str, str] = field(default_factory=dict)
    stage_variables: Mapping[str, str] = field(default_factory=dict)
    iam: IamCaller | None = None
    authorized: Authorized | None = None

    def header(self, name: str) -> str | None:
        """The last value of header *name* (any case), or None."""
        wanted = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == wanted:
                found = value
        return found


# -- the parts both formats share --------------------------------------------------------------


def request_time(time_ms: int) -> str:
    """AWS's request time, ``12/Mar/2020:19:03:58 +0000`` (UTC, English month names)."""
    t = time.gmtime(time_ms // 1000)
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def grouped_headers(headers: Iterable[tuple[str, str]], *, drop: str | None = None) -> dict[str, list[str]]:
    """Each lower-cased header name with its values in order (*drop* names one to leave out)."""
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        key = name.lower()
        if key != drop:
            grouped.setdefault(key, []).append(value)
    return grouped


def cookies_of(headers: Iterable[tuple[str, str]]) -> list[str]:
    """Every cookie of every ``Cookie`` header, in order, each ``name=value`` pair on its own."""
    return [part.strip() for name, value in headers if name.lower() == "cookie" for part in value.split(";") if part.strip()]


def grouped_query(raw_query: str) -> dict[str, list[str]]:
    """Each decoded parameter name with its decoded values in order (``a`` alone is ``a=``)."""
    grouped: dict[str, list[str]] = {}
    for pair in raw_query.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        grouped.setdefault(unquote(name), []).append(unquote(value))
    return grouped


def is_text(content_type: str | None) -> bool:
    """Whether a body of *content_type* goes to the function as text (parameters ignored)."""
    if not content_type:
        return False
    essence = content_type.split(";", 1)[0].strip().lower()
    return essence.startswith("text/") or essence in _TEXT_TYPES


def encoded_body(request: HttpRequest) -> tuple[str | None, bool]:
    """The event's ``body`` (None when empty) and ``isBase64Encoded``."""
    if not request.body:
        return None, False
    if is_text(request.header("content-type")):
        try:
            return request.body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(request.body).decode("ascii"), True


def _user_agent(request: HttpRequest) -> str:
    return request.header("user-agent") or ""


# -- format 2.0 --------------------------------------------------------------------------------


def payload_v2(request: HttpRequest) -> dict[str, Any]:
    """The format 2.0 event for *request*."""
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": request.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    cookies = cookies_of(request.headers)
    if cookies:
        event["cookies"] = cookies
    event["headers"] = {name: ",".join(values) for name, values in grouped_headers(request.headers, drop="cookie").items()}
    query = grouped_query(request.raw_query)
    if query:
        event["queryStringParameters"] = {name: ",".join(values) for name, values in query.items()}
    event["requestContext"] = _context_v2(request)
    body, is_base64 = encoded_body(request)
    if body is not None:
        event["body"] = body
    if request.path_parameters:
        event["pathParameters"] = dict(request.path_parameters)
    event["isBase64Encoded"] = is_base64
    if request.stage_variables:
        event["stageVariables"] = dict(request.stage_variables)
    return event


def _context_v2(request: HttpRequest) -> dict[str, Any]:
    authorizer = request.authorized.v2() if request.authorized is not None else None
    if request.iam is not None:
        iam = request.iam
        authorizer = {
            "iam": {
                "accessKey": iam.access_key,
                "accountId": iam.account_id,
                "callerId": iam.caller_id,
                "cognitoIdentity": None,
                "principalOrgId": iam.principal_org_id,
                "userArn": iam.user_arn,
                "userId": iam.user_id,
            }
        }
    return {
        "accountId": request.account_id,
        "apiId": request.api_id,
        "authentication": None,
        "authorizer": authorizer,
        "domainName": request.domain_name,
        "domainPrefix": request.domain_prefix,
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": _user_agent(request),
        },
        "requestId": request.request_id,
        "routeKey": request.route_key,
        "stage": request.stage,
        "time": request_time(request.time_ms),
        "timeEpoch": request.time_ms,
    }


# -- format 1.0 --------------------------------------------------------------------------------


def resource_of(route_key: str) -> str:
    """The 1.0 ``resource``: the path of a ``METHOD /path`` route key, ``$default`` as it is."""
    _, _, path = route_key.partition(" ")
    return path or route_key


def payload_v1(request: HttpRequest) -> dict[str, Any]:
    """The format 1.0 event for *request* (an HTTP API's; function URLs send 2.0 only)."""
    headers = grouped_headers(request.headers)
    query = grouped_query(request.raw_query)
    body, is_base64 = encoded_body(request)
    resource = resource_of(request.route_key)
    return {
        "version": "1.0",
        "resource": resource,
        "path": request.raw_path,
        "httpMethod": request.method,
        "headers": {name: values[-1] for name, values in headers.items()},
        "multiValueHeaders": headers,
        "queryStringParameters": {name: values[-1] for name, values in query.items()} if query else None,
        "multiValueQueryStringParameters": query or None,
        "requestContext": {
            "accountId": request.account_id,
            "apiId": request.api_id,
            "authorizer": request.authorized.v1() if request.authorized else {"claims": None, "scopes": None},
            "domainName": request.domain_name,
            "domainPrefix": request.domain_prefix,
            "extendedRequestId": request.request_id,
            "httpMethod": request.method,
            "identity": _identity_v1(request),
            "path": request.raw_path,
            "protocol": request.protocol,
            "requestId": request.request_id,
            "requestTime": request_time(request.time_ms),
            "requestTimeEpoch": request.time_ms,
            "resourceId": None,
            "resourcePath": resource,
            "stage": request.stage,
        },
        "pathParameters": dict(request.path_parameters) or None,
        "stageVariables": dict(request.stage_variables) or None,
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _identity_v1(request: HttpRequest) -> dict[str, Any]:
    iam = request.iam
    return {
        "accessKey": iam.access_key if iam else None,
        "accountId": iam.account_id if iam else None,
        "caller": iam.caller_id if iam else None,
        "cognitoAuthenticationProvider": None,
        "cognitoAuthenticationType": None,
        "cognitoIdentityId": None,
        "cognitoIdentityPoolId": None,
        "principalOrgId": iam.principal_org_id if iam else None,
        "sourceIp": request.source_ip,
        "user": iam.user_id if iam else None,
        "userAgent": _user_agent(request),
        "userArn": iam.user_arn if iam else None,
    }
