"""Authentication: the one place every API request is attributed to a principal.

``Authentication`` is pure ASGI middleware around the whole platform app (so around every
route: Lambda's, CloudWatch Logs', IAM's and STS's, usage, budgets, metrics, and the same app as
served inside environments, where functions sign with their role's credentials). It puts the
request's ``Principal`` in the scope under ``PRINCIPAL_SCOPE_KEY`` (``"lambent.principal"``);
handlers read it with ``principal()`` and never authenticate themselves. The Runtime API is not
behind it: it is served only on an environment's own socket, to that environment, as on AWS.

With ``auth = on`` (the default) every request must carry a valid SigV4 signature, in the
Authorization header or a presigned query string (``api.sigv4``); the middleware reads the body
first (bounded by the largest request any operation takes) to check its hash, then replays it
to the app. A refusal is answered here, in the protocol the request speaks. Four paths stay
open: ``/console`` (the web console's pages, which check their own session cookie:
``console.shell``), ``/lambent/code/`` (its URLs carry their own signature, as S3's presigned URLs do),
``/lambent/health`` (a probe carries no credentials) and ``/lambent/s3-events/`` (an object
store's pushes, which carry a secret token in the path instead: ``api.s3_notifications``).

With ``auth = off`` (throwaway setups on loopback, decision 0017) nothing is checked: the
principal is the account a 12-digit access key names, else the server's account, as AWS
emulators do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import msgspec
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lambent.api.body import read_body
from lambent.api.cloudwatch_wire import CBOR_PREFIX, cbor_error, json_error
from lambent.api.query import query_error
from lambent.api.render import (
    APIGATEWAY_PREFIX,
    SCHEDULER_PREFIXES,
    apigateway_error_response,
    error_response,
    json11_error,
    scheduler_error_response,
)
from lambent.api.sigv4 import SignedRequest, Verifier
from lambent.errors import ApiError, MissingAuthenticationTokenException, RequestEntityTooLargeException, SignatureRefusal
from lambent.model.identity import account_of_access_key, root_arn
from lambent.model.limits import CREATE_REQUEST_LIMIT_BYTES
from lambent.settings import Settings

#: The ASGI scope key of the request's ``Principal``.
PRINCIPAL_SCOPE_KEY = "lambent.principal"
#: The body the middleware read to verify it (the app reads it again from ``receive``).
BODY_SCOPE_KEY = "lambent.body"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/([^/,\s]+)/")
_OPEN_PATHS = ("/lambent/code/", "/lambent/health", "/lambent/s3-events/", "/console")


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who sent a request: an account's root, user or role session (or nobody, on an open path)."""

    account_id: str
    #: ``arn:aws:iam::ACCT:root`` | ``...:user/NAME`` | ``arn:aws:sts::ACCT:assumed-role/ROLE/SESSION``
    arn: str
    access_key_id: str | None
    #: The service of the signature's credential scope (``lambda``, ``logs``, ``iam``, ``sts``...).
    service: str | None = None
    #: Whether a signature was checked (False on open paths and with ``auth = off``).
    authenticated: bool = False


def permissive_principal(authorization: str | None, settings: Settings) -> Principal:
    """The principal ``auth = off`` attributes a request to, from its Authorization header."""
    match = _CREDENTIAL.search(authorization or "")
    key = match.group(1) if match else None
    account = (account_of_access_key(key) if key else None) or settings.account_id
    return Principal(account_id=account, arn=root_arn(account), access_key_id=key, service=match.group(3) if match else None)


def principal(scope: Mapping[str, Any]) -> Principal:
    """The principal the middleware attached to *scope* (a Request is a scope mapping too);
    ``MissingAuthenticationTokenException`` if it attached none (an oversized body, see below)."""
    found: Principal | None = scope.get(PRINCIPAL_SCOPE_KEY)
    if found is None:
        raise MissingAuthenticationTokenException()
    return found


def _too_large_to_verify(receive: Receive) -> Receive:
    """A ``receive`` for a body declared larger than any operation takes: the handler's own
    bounded read refuses it from its Content-Length, in its operation's words, before reading."""

    async def refused() -> Message:
        raise RequestEntityTooLargeException(f"Request must be smaller than {CREATE_REQUEST_LIMIT_BYTES} bytes")

    return refused


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the app the body already read, then what the client sends next."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def refusal_response(scope: Scope, error: ApiError) -> Any:
    """*error* in the protocol the request speaks: JSON 1.1 where it names an ``X-Amz-Target``
    (CloudWatch Logs, EventBridge...), the query protocol's XML where it is signed for IAM or
    STS (or, unsigned, sent to ``/``), CloudWatch's CBOR or JSON for its metrics, API Gateway's
    on its ``/v2/`` paths, else Lambda's restJson."""
    if scope["path"].startswith(CBOR_PREFIX):
        return cbor_error(error)  # CloudWatch's RPC v2 CBOR
    target = _header(scope, b"x-amz-target")
    if target is not None and target.startswith("GraniteServiceVersion20100801."):
        return json_error(error)
    if target is not None:
        return json11_error(error.error_type, error.message, error.status)
    if scope["path"].startswith(APIGATEWAY_PREFIX):
        return apigateway_error_response(error)
    if scope["path"].startswith(SCHEDULER_PREFIXES):
        return scheduler_error_response(error)
    service = error.service if isinstance(error, SignatureRefusal) else None
    if service in SignatureRefusal.QUERY_PROTOCOL or (service is None and scope["path"] == "/"):
        return query_error(error, service or "iam")  # "/" without a target: only IAM and STS
    return error_response(error)


class Authentication:
    """ASGI middleware: verify and attribute each HTTP request, before any route runs."""

    def __init__(self, app: ASGIApp, settings: Settings, verifier: Verifier | None) -> None:
        """*verifier*: checks signatures (None only with ``auth = off``)."""
        self._app = app
        self._settings = settings
        self._verifier = verifier
        self._anonymous = Principal(account_id=settings.account_id, arn="", access_key_id=None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if self._verifier is None:
            scope[PRINCIPAL_SCOPE_KEY] = permissive_principal(_header(scope, b"authorization"), self._settings)
            await self._app(scope, receive, send)
            return
        if scope["path"].startswith(_OPEN_PATHS):
            scope[PRINCIPAL_SCOPE_KEY] = self._anonymous
            await self._app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if (
            declared is not None
            and declared.isdigit()
            and int(declared) > CREATE_REQUEST_LIMIT_BYTES
            and scope["method"] in ("POST", "PUT")
        ):
            # Every POST and PUT handler reads its body before anything else, and refuses this one
            # from its Content-Length with AWS's 413 naming its operation; no principal is attached,
            # so nothing that asks who called can run.
            await self._app(scope, _too_large_to_verify(receive), send)
            return
        try:
            body = await read_body(receive, CREATE_REQUEST_LIMIT_BYTES, "this", declared)
            verified = await self._verifier.verify(
                SignedRequest(
                    method=scope["method"],
                    path=(scope.get("raw_path") or scope["path"].encode()).decode("latin-1"),
                    query=scope["query_string"].decode("latin-1"),
                    headers=scope["headers"],
                    body=body,
                )
            )
        except ClientDisconnect:
            return
        except (SignatureRefusal, RequestEntityTooLargeException) as refusal:
            await refusal_response(scope, refusal)(scope, receive, send)
            return
        credential = verified.credential
        scope[PRINCIPAL_SCOPE_KEY] = Principal(
            account_id=credential.account_id,
            arn=credential.principal_arn,
            access_key_id=credential.access_key_id,
            service=verified.service,
            authenticated=True,
        )
        scope[BODY_SCOPE_KEY] = body  # for the guard of an operation that names its resource in the body
        await self._app(scope, _replay(body, receive), send)
