"""The console's route table, one line per page, mounted at ``/console`` by the server; and the
sign-in and sign-out pages, the only ones (with the static files) served without a session."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from lambent.console import session as sessions
from lambent.console.account import AccountPages
from lambent.console.deploy import DeployPages
from lambent.console.functions import FunctionPages
from lambent.console.logs import LogPages
from lambent.console.metrics import MetricPages
from lambent.console.shell import PREFIX, STATIC, Shell, Visitor

GET, POST = ["GET"], ["POST"]


@dataclass(frozen=True)
class ConsolePages:
    shell: Shell
    functions: FunctionPages
    metrics: MetricPages
    logs: LogPages
    deploy: DeployPages
    account: AccountPages


def _next(target: str | None) -> str:
    """Where to go after signing in: a console path only (never another site)."""
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not parts.path.startswith(f"{PREFIX}/") or parts.path.startswith(f"{PREFIX}//"):
        return f"{PREFIX}/functions"
    return parts.path


class SignIn:
    def __init__(self, shell: Shell) -> None:
        self._shell = shell

    async def form(self, request: Request) -> Response:
        return self._shell.render(request, "signin.html", next=_next(request.query_params.get("next")))

    async def submit(self, request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=5)
        key_id, secret = str(form.get("access_key_id") or "").strip(), str(form.get("secret_access_key") or "").strip()
        cookie = await self._shell.sign_in(key_id, secret)
        target = _next(str(form.get("next") or ""))
        if cookie is None:
            return self._shell.render(
                request,
                "signin.html",
                status=401,
                next=target,
                failed="That key id and secret do not match an active key.",
            )
        response = RedirectResponse(target, 303)
        self._shell.set_cookie(response, cookie)
        return response

    async def sign_out(self, request: Request, _visitor: Visitor) -> Response:
        response = RedirectResponse(f"{PREFIX}/signin", 303)
        response.delete_cookie(sessions.COOKIE, path=PREFIX, secure=True, httponly=True, samesite="strict")
        return response


async def _home(_request: Request) -> Response:
    return RedirectResponse(f"{PREFIX}/functions", 303)


def console_routes(pages: ConsolePages) -> list[BaseRoute]:
    """``/console`` and everything under it; each page behind ``Shell.page`` (a session, CSRF)."""
    p, fn, mt, lg, dp, ac = pages.shell.page, pages.functions, pages.metrics, pages.logs, pages.deploy, pages.account
    signin = SignIn(pages.shell)
    # fmt: off
    return [
        Route(PREFIX,                                            _home,                          methods=GET),
        Mount(PREFIX, routes=[
            Route("/",                                           _home,                          methods=GET),
            Route("/signin",                                     signin.form,                    methods=GET),
            Route("/signin",                                     signin.submit,                  methods=POST),
            Route("/signout",                                    p(signin.sign_out),             methods=POST),
            Route("/functions",                                  p(fn.list),                     methods=GET),
            Route("/functions/{name}",                           p(fn.detail),                   methods=GET),
            Route("/functions/{name}/invoke",                    p(fn.invoke),                   methods=POST),
            Route("/functions/{name}/test-events/{event}/delete", p(fn.delete_event),            methods=POST),
            Route("/functions/{name}/tail",                      p(lg.tail),                     methods=GET),
            Route("/functions/{name}/metrics",                   p(mt.chart),                    methods=GET),
            Route("/functions/{name}/code",                      p(dp.update),                   methods=POST),
            Route("/deploy",                                     p(dp.form),                     methods=GET),
            Route("/deploy",                                     p(dp.create),                   methods=POST),
            Route("/usage",                                      p(ac.usage),                    methods=GET),
            Route("/budgets",                                    p(ac.put_budget),               methods=POST),
            Route("/budgets/{name}/delete",                      p(ac.confirm_budget_delete),    methods=GET),
            Route("/budgets/{name}/delete",                      p(ac.delete_budget),            methods=POST),
            Route("/keys",                                       p(ac.keys),                     methods=GET),
            Route("/keys",                                       p(ac.create_key),               methods=POST),
            Route("/keys/{key}/delete",                          p(ac.confirm_key_delete),       methods=GET),
            Route("/keys/{key}/delete",                          p(ac.delete_key),               methods=POST),
            Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        ]),
    ]
    # fmt: on
