"""The route table: every endpoint of the platform's HTTP surface, one line each.

Starlette tries routes in order, so Invoke, the hot path, is first; it is plain ASGI (no
Request or Response objects) for its ~30 µs. Paths are AWS's, with their API-version prefixes;
no trailing-slash redirects (``redirect_slashes`` is off), so the few paths AWS's clients send
both ways are listed both ways. Anything else is ``UnknownOperationException``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from lambent.api.account import AccountApi
from lambent.api.aliases import AliasesApi
from lambent.api.code_urls import CodeUrls
from lambent.api.concurrency import ConcurrencyApi
from lambent.api.event_configs import EventConfigsApi
from lambent.api.functions import FunctionsApi
from lambent.api.health import HealthApi
from lambent.api.invoke import InvokeApi
from lambent.api.layers import LayersApi
from lambent.api.logs import LogsApi
from lambent.api.permissions import PermissionsApi
from lambent.api.render import error_response
from lambent.api.tags import TagsApi
from lambent.api.usage import PREFIX as USAGE
from lambent.api.usage import UsageApi
from lambent.api.versions import VersionsApi
from lambent.errors import UnknownOperation


class Handlers(msgspec.Struct, frozen=True, kw_only=True):
    """The handler objects the table points into, one per resource."""

    invoke: InvokeApi
    functions: FunctionsApi
    versions: VersionsApi
    aliases: AliasesApi
    event_configs: EventConfigsApi
    concurrency: ConcurrencyApi
    tags: TagsApi
    account: AccountApi
    layers: LayersApi
    permissions: PermissionsApi
    logs: LogsApi
    usage: UsageApi
    code: CodeUrls
    health: HealthApi


class _Asgi:
    """A plain ASGI endpoint for a Route (Starlette wraps functions and methods in a Request)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


async def unknown(request: Request) -> Response:
    return error_response(UnknownOperation(f"No operation matches {request.method} {request.url.path}."))


F = "/2015-03-31/functions"
EVENT_CONFIG = "/2019-09-25/functions/{name}/event-invoke-config"
PROVISIONED = "/2019-09-30/functions/{name}/provisioned-concurrency"
RECURSION = "/2024-08-31/functions/{name}/recursion-config"
INVOKE_ASYNC = "/2014-11-13/functions/{name}/invoke-async"
ACCOUNT = "/2016-08-19/account-settings"
TAGS = "/2017-03-31/tags/{arn:path}"
LAYER = "/2018-10-31/layers/{layer}/versions"
GET, POST, PUT, DELETE = ["GET"], ["POST"], ["PUT"], ["DELETE"]
ANY = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]


def routes(h: Handlers) -> list[BaseRoute]:
    fn, ver, al, ev, cc, tg, ly, us = (
        h.functions,
        h.versions,
        h.aliases,
        h.event_configs,
        h.concurrency,
        h.tags,
        h.layers,
        h.usage,
    )
    # fmt: off
    return [
        Route(f"{F}/{{name}}/invocations",           _Asgi(h.invoke.invoke),   methods=POST),  # Invoke: first
        Route(F,                                      fn.create,                methods=POST),
        Route(F,                                      fn.list,                  methods=GET),
        Route(f"{F}/",                                fn.create,                methods=POST),
        Route(f"{F}/",                                fn.list,                  methods=GET),
        Route(f"{F}/{{name}}",                        fn.get,                   methods=GET),
        Route(f"{F}/{{name}}",                        fn.delete,                methods=DELETE),
        Route(f"{F}/{{name}}/configuration",          fn.get_configuration,     methods=GET),
        Route(f"{F}/{{name}}/configuration",          fn.update_configuration,  methods=PUT),
        Route(f"{F}/{{name}}/code",                   fn.update_code,           methods=PUT),
        Route(f"{F}/{{name}}/versions",               ver.publish,              methods=POST),
        Route(f"{F}/{{name}}/versions",               ver.list,                 methods=GET),
        Route(f"{F}/{{name}}/policy",                 h.permissions.add_permission, methods=POST),
        Route(f"{F}/{{name}}/policy",                 h.permissions.get_policy, methods=GET),
        Route(f"{F}/{{name}}/policy/{{statement}}",   h.permissions.remove_permission, methods=DELETE),
        Route(f"{F}/{{name}}/aliases",                al.create,                methods=POST),
        Route(f"{F}/{{name}}/aliases",                al.list,                  methods=GET),
        Route(f"{F}/{{name}}/aliases/{{alias}}",      al.get,                   methods=GET),
        Route(f"{F}/{{name}}/aliases/{{alias}}",      al.update,                methods=PUT),
        Route(f"{F}/{{name}}/aliases/{{alias}}",      al.delete,                methods=DELETE),
        Route(EVENT_CONFIG,                           ev.put,                   methods=PUT),
        Route(EVENT_CONFIG,                           ev.update,                methods=POST),
        Route(EVENT_CONFIG,                           ev.get,                   methods=GET),
        Route(EVENT_CONFIG,                           ev.delete,                methods=DELETE),
        Route(f"{EVENT_CONFIG}/list",                 ev.list,                  methods=GET),
        Route(PROVISIONED,                            cc.put_provisioned,       methods=PUT),
        Route(PROVISIONED,                            cc.get_provisioned,       methods=GET),
        Route(PROVISIONED,                            cc.delete_provisioned,    methods=DELETE),
        Route(RECURSION,                              cc.put_recursion,         methods=PUT),
        Route(RECURSION,                              cc.get_recursion,         methods=GET),
        Route(INVOKE_ASYNC,                           h.invoke.invoke_async,    methods=POST),
        Route(f"{INVOKE_ASYNC}/",                     h.invoke.invoke_async,    methods=POST),
        Route("/2017-10-31/functions/{name}/concurrency", cc.put_reserved,      methods=PUT),
        Route("/2017-10-31/functions/{name}/concurrency", cc.delete_reserved,   methods=DELETE),
        Route("/2019-09-30/functions/{name}/concurrency", cc.get_reserved,      methods=GET),
        Route(ACCOUNT,                                h.account.settings,       methods=GET),
        Route(f"{ACCOUNT}/",                          h.account.settings,       methods=GET),
        Route(TAGS,                                   tg.tag,                   methods=POST),
        Route(TAGS,                                   tg.untag,                 methods=DELETE),
        Route(TAGS,                                   tg.list,                  methods=GET),
        Route("/2018-10-31/layers",                   ly.list_layers,           methods=GET),
        Route(LAYER,                                  ly.publish,               methods=POST),
        Route(LAYER,                                  ly.list_versions,         methods=GET),
        Route(f"{LAYER}/{{version}}",                 ly.get,                   methods=GET),
        Route(f"{LAYER}/{{version}}",                 ly.delete,                methods=DELETE),
        Route(f"{LAYER}/{{version}}/policy",          ly.add_permission,        methods=POST),
        Route(f"{LAYER}/{{version}}/policy",          ly.get_policy,            methods=GET),
        Route(f"{LAYER}/{{version}}/policy/{{statement}}", ly.remove_permission, methods=DELETE),
        Route(f"{USAGE}/usage",                       us.usage,                 methods=GET),
        Route(f"{USAGE}/usage/records",               us.records,               methods=GET),
        Route(f"{USAGE}/budgets",                     us.list_budgets,          methods=GET),
        Route(f"{USAGE}/budgets/{{name}}",            us.put_budget,            methods=PUT),
        Route(f"{USAGE}/budgets/{{name}}",            us.get_budget,            methods=GET),
        Route(f"{USAGE}/budgets/{{name}}",            us.delete_budget,         methods=DELETE),
        Route("/metrics",                             us.metrics,               methods=GET),
        Route("/lambent/code/{sha}.zip",              h.code.download,          methods=GET),
        Route("/lambent/health",                      h.health.health,          methods=GET),
        Route("/",                                    h.logs.dispatch,          methods=POST),  # X-Amz-Target
        Route("/{rest:path}",                         unknown,                  methods=ANY),
    ]
    # fmt: on
