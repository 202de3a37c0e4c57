"""What every console page shares: who is signed in, what they may do, and how pages render.

``Shell.page(handler)`` makes a route endpoint that opens the session cookie, re-validates its
access key against the identity service (a deleted or deactivated key ends the session at once),
refuses a POST without the session's CSRF token (403), and renders an ``ApiError`` the handler
raises as a message on the page in the error's own status (never a 500). Requests without a
session are sent to sign in (htmx requests with ``HX-Redirect``).

``Shell.allow`` is the API's access check for the console's actions: the same IAM action and
resource the guard derives for the API operation (``model.lambda_actions``), with the function's
resource policy, through the same ``services.access``; ``Shell.check_action`` is the guard's own
check for the other services' actions (``logs:``, ``cloudwatch:``, ``iam:``).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from lambent.api.auth import Principal
from lambent.api.guard import Guard, caller, request_context
from lambent.clock import Clock
from lambent.console import session as sessions
from lambent.errors import AccessDeniedException, ApiError
from lambent.model.lambda_actions import OPERATIONS
from lambent.services.cells import Cell, Cells
from lambent.services.identity import IdentityService

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
PREFIX = "/console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
#: The largest form the console takes (a deploy's zip, with room for its fields).
FORM_LIMIT_BYTES = 52 * 1024 * 1024


@dataclass(frozen=True)
class Visitor:
    """The signed-in principal, its account's cell, and its session's CSRF token."""

    principal: Principal
    cell: Cell
    csrf: str


Handler = Callable[[Request, Visitor], Awaitable[Response]]


class Shell:
    def __init__(self, identity: IdentityService, cells: Cells, guard: Guard, clock: Clock, server_secret: bytes) -> None:
        self.identity = identity
        self.cells = cells
        self.guard = guard
        self.clock = clock
        self.key = sessions.console_key(server_secret)
        self.templates = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), auto_reload=False
        )

    # -- rendering ------------------------------------------------------------------------

    def render(
        self, request: Request, template: str, visitor: Visitor | None = None, status: int = 200, **context: Any
    ) -> Response:
        html = self.templates.get_template(template).render(
            request=request, visitor=visitor, prefix=PREFIX, csrf_field=CSRF_FIELD, **context
        )
        response = HTMLResponse(html, status)
        response.headers["content-security-policy"] = (
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
        )
        response.headers["x-content-type-options"] = "nosniff"
        response.headers["cache-control"] = "no-store"
        return response

    def error(self, request: Request, visitor: Visitor | None, error: ApiError) -> Response:
        fragment = request.headers.get("hx-request") == "true"
        template = "_error.html" if fragment else "error.html"
        return self.render(request, template, visitor, status=error.status, error=error)

    # -- sessions -------------------------------------------------------------------------

    async def visitor(self, request: Request) -> Visitor | None:
        found = sessions.open_session(self.key, request.cookies.get(sessions.COOKIE), self.clock.time())
        if found is None:
            return None
        credential = await self.identity.credential(found.access_key_id)
        if credential is None:
            return None
        cell = await self.cells.of(credential.account_id)
        if cell is None:
            return None
        principal = Principal(
            account_id=credential.account_id,
            arn=credential.principal_arn,
            access_key_id=credential.access_key_id,
            service="lambda",
            authenticated=True,
        )
        return Visitor(principal=principal, cell=cell, csrf=sessions.csrf_token(self.key, found))

    async def sign_in(self, access_key_id: str, secret_access_key: str) -> str | None:
        """The cookie of a new session if the pair is an active long-term key's, else None."""
        credential = await self.identity.credential(access_key_id) if access_key_id.startswith("AKIA") else None
        if credential is None or not secrets.compare_digest(credential.secret_access_key, secret_access_key):
            return None
        return sessions.seal(self.key, sessions.new_session(access_key_id, self.clock.time()))

    @staticmethod
    def set_cookie(response: Response, value: str) -> None:
        response.set_cookie(
            sessions.COOKIE, value, max_age=int(sessions.SESSION_S), path=PREFIX, secure=True, httponly=True, samesite="strict"
        )

    def page(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            visitor = await self.visitor(request)
            if visitor is None:
                return self.to_sign_in(request)
            if request.method == "POST" and not await self._csrf_ok(request, visitor):
                return self.render(request, "error.html", visitor, status=403, error=_refused())
            try:
                return await handler(request, visitor)
            except ApiError as error:
                return self.error(request, visitor, error)

        return endpoint

    @staticmethod
    def redirect(request: Request, path: str) -> Response:
        """See *path* (under the console) after a POST: 303, or ``HX-Redirect`` for htmx."""
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"hx-redirect": f"{PREFIX}{path}"})
        return RedirectResponse(f"{PREFIX}{path}", 303)

    @staticmethod
    def to_sign_in(request: Request) -> Response:
        target = f"{PREFIX}/signin?next={quote(request.url.path)}"
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"hx-redirect": target})
        return RedirectResponse(target, 303)

    async def _csrf_ok(self, request: Request, visitor: Visitor) -> bool:
        found = sessions.open_session(self.key, request.cookies.get(sessions.COOKIE), self.clock.time())
        if found is None:
            return False
        token = request.headers.get(CSRF_HEADER)
        if token is None:
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > FORM_LIMIT_BYTES:
                return False
            with contextlib.suppress(Exception):  # a malformed body has no token
                value = (await request.form()).get(CSRF_FIELD)
                token = value if isinstance(value, str) else None
        return sessions.csrf_ok(self.key, found, token)

    # -- authorization --------------------------------------------------------------------

    async def allow(self, request: Request, visitor: Visitor, operation: str, function: str | None = None) -> None:
        """AccessDeniedException unless *visitor* may perform the API's *operation* (on *function*)."""
        found = OPERATIONS[operation]
        access = self.guard.access
        if not access.enabled:
            return
        account = visitor.principal.account_id
        resource, policy = "*", None
        if found.resource == "function" and function is not None:
            resource = visitor.cell.functions.arn(function)
            if self.guard.policies is not None:
                policy = await self.guard.policies.function_policy(account, function, None)
        await access.authorize(
            caller(visitor.principal),
            found.action,
            resource,
            resource_account=account,
            resource_policy=policy,
            context=request_context(request.scope),
        )

    async def allowed(self, request: Request, visitor: Visitor, operation: str, function: str | None = None) -> bool:
        try:
            await self.allow(request, visitor, operation, function)
        except AccessDeniedException:
            return False
        return True

    async def check_action(self, request: Request, visitor: Visitor, action: str, resource: str) -> None:
        await self.guard.check(visitor.principal, action, resource, request.scope)


def _refused() -> ApiError:
    error = AccessDeniedException("The form was not sent from this console session (its CSRF token is missing or wrong).")
    return error
