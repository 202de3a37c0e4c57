"""Authentication: the one place every API request is attributed to a principal.

``Authentication`` is pure ASGI middleware around the whole platform app (so around every
route: Lambda's, CloudWatch Logs', usage, budgets, metrics, health, code downloads, and the
same app as served inside environments). It puts the request's ``Principal`` in the scope
under ``PRINCIPAL_SCOPE_KEY`` (``"lambent.principal"``); handlers read it with ``principal()``
and never authenticate themselves. The Runtime API is not behind it: it is served only on an
environment's own socket, to that environment, as on AWS.

Today it is permissive: every request is attributed to the server's single account, and the
access key a client signed with is recorded so logs can say who called. Signature checking
(SigV4 with botocore's signer) and policy checks go here. When they do, two paths must stay
open: ``/lambent/code/`` (its URLs carry their own signature, as S3's presigned URLs do) and
``/lambent/health`` (a probe carries no credentials).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import msgspec
from starlette.types import ASGIApp, Receive, Scope, Send

from lambent.settings import Settings

#: The ASGI scope key of the request's ``Principal``.
PRINCIPAL_SCOPE_KEY = "lambent.principal"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    access_key_id: str | None


def authenticate_header(authorization: str | None, settings: Settings) -> Principal:
    """The principal of a request, from its Authorization header."""
    match = _CREDENTIAL.search(authorization or "")
    return Principal(account_id=settings.account_id, access_key_id=match.group(1) if match else None)


def principal(scope: Mapping[str, Any]) -> Principal:
    """The principal the middleware attached to *scope* (a Request is a scope mapping too)."""
    found: Principal = scope[PRINCIPAL_SCOPE_KEY]
    return found


class Authentication:
    """ASGI middleware: attribute each HTTP request to its principal, before any route runs."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self._app = app
        self._settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            authorization = None
            for name, value in scope["headers"]:
                if name == b"authorization":
                    authorization = value.decode("latin-1")
                    break
            scope[PRINCIPAL_SCOPE_KEY] = authenticate_header(authorization, self._settings)
        await self._app(scope, receive, send)
