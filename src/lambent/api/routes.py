"""The route table: every endpoint of the platform's HTTP surface, one line each.

Starlette tries routes in order, so Invoke, the hot path, is first; it is plain ASGI (no
Request or Response objects) for its ~30 µs. Paths are AWS's, with their API-version prefixes;
no trailing-slash redirects (``redirect_slashes`` is off), so the few paths AWS's clients send
both ways are listed both ways. Anything else is ``UnknownOperationException``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from lambent.api.account import AccountApi
from lambent.api.accounts import AccountsApi
from lambent.api.aliases import AliasesApi
from lambent.api.apigateway import AUTHORIZERS, DEPLOYMENTS, INTEGRATIONS, ROUTES, STAGES, ApiGatewayApi, Kind
from lambent.api.apigateway_guard import ApiGatewayGuarded
from lambent.api.cloudwatch import CloudWatchApi
from lambent.api.cloudwatch_wire import CBOR_PREFIX
from lambent.api.code_signing import CodeSigningApi
from lambent.api.code_urls import CodeUrls
from lambent.api.concurrency import ConcurrencyApi
from lambent.api.event_configs import EventConfigsApi
from lambent.api.event_source_mappings import EventSourceMappingsApi
from lambent.api.function_urls import FunctionUrlsApi
from lambent.api.functions import FunctionsApi
from lambent.api.guard import Guard
from lambent.api.health import HealthApi
from lambent.api.invoke import InvokeApi
from lambent.api.layers import LayersApi
from lambent.api.logs import LogsApi
from lambent.api.permissions import PermissionsApi
from lambent.api.render import error_response
from lambent.api.root import RootApi
from lambent.api.s3_notifications import BucketNotificationsApi
from lambent.api.scheduler import SchedulerApi
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
    event_sources: EventSourceMappingsApi
    function_urls: FunctionUrlsApi
    concurrency: ConcurrencyApi
    tags: TagsApi
    account: AccountApi
    accounts: AccountsApi
    layers: LayersApi
    permissions: PermissionsApi
    logs: LogsApi
    #: ``/``: CloudWatch Logs by X-Amz-Target, else IAM or STS (the query protocol).
    root: RootApi
    usage: UsageApi
    code_signing: CodeSigningApi
    code: CodeUrls
    health: HealthApi
    #: API Gateway's control plane for HTTP APIs (``/v2/...``).
    apigateway: ApiGatewayApi
    #: EventBridge Scheduler (``/schedules``, ``/schedule-groups``); each authorizes its own.
    scheduler: SchedulerApi
    #: S3 bucket notification configurations, and the push endpoint of S3-compatible stores.
    s3: BucketNotificationsApi
    #: CloudWatch's metrics over RPC v2 CBOR (its JSON and query protocols come through ``root``).
    cloudwatch: CloudWatchApi


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
STREAM = "/2021-11-15/functions/{name}/response-streaming-invocations"
ACCOUNT = "/2016-08-19/account-settings"
TAGS = "/2017-03-31/tags/{arn:path}"
LAYER = "/2018-10-31/layers/{layer}/versions"
CSC = "/2020-04-22/code-signing-configs"
FN_CSC = "/2020-06-30/functions/{name}/code-signing-config"
URL = "/2021-10-31/functions/{name}/url"
ESM = "/2015-03-31/event-source-mappings"
APIS = "/v2/apis"
GET, POST, PUT, DELETE, PATCH = ["GET"], ["POST"], ["PUT"], ["DELETE"], ["PATCH"]
GET_POST = ["GET", "POST"]
ANY = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]


def routes(h: Handlers, g: Guard, edges: Sequence[BaseRoute] = ()) -> list[BaseRoute]:
    """The table; *g* puts each Lambda operation behind its authorization check by its AWS name;
    *edges*: other edges' routes (the console's), tried before the catch-all."""
    fn, ver, al, ev, fu, cc, tg, ly, us, cs = (
        h.functions,
        h.versions,
        h.aliases,
        h.event_configs,
        h.function_urls,
        h.concurrency,
        h.tags,
        h.layers,
        h.usage,
        h.code_signing,
    )

    def op(operation: str, path: str, endpoint: Any, methods: list[str]) -> Route:
        return Route(path, g(operation, endpoint), methods=methods)

    gw = h.apigateway
    es = h.event_sources
    sc = h.scheduler

    def v2(path: str, endpoint: Any, methods: list[str]) -> Route:
        """An apigatewayv2 operation: authorized by method and path, as API Gateway's are."""
        return Route(path, ApiGatewayGuarded(g, endpoint), methods=methods)

    def resource(kind: Kind, collection: str) -> list[Route]:
        """The five operations of one kind of an API's resources."""
        many, one = f"{APIS}/{{apiId}}/{collection}", f"{APIS}/{{apiId}}/{collection}/{{{kind.param}}}"
        return [
            v2(many, gw.create(kind), POST),
            v2(many, gw.list(kind), GET),
            v2(one, gw.get(kind), GET),
            v2(one, gw.update(kind), PATCH),
            v2(one, gw.delete(kind), DELETE),
        ]

    # fmt: off
    return [
        # Invoke first: the hot path. "/" serves Logs (X-Amz-Target), IAM and STS (query protocol).
        op("Invoke",                             f"{F}/{{name}}/invocations",                 _Asgi(h.invoke.invoke),  POST),
        op("InvokeWithResponseStream",           STREAM,                                     _Asgi(h.invoke.invoke_stream), POST),
        op("CreateFunction",                     F,                                           fn.create,               POST),
        op("ListFunctions",                      F,                                           fn.list,                 GET),
        op("CreateFunction",                     f"{F}/",                                     fn.create,               POST),
        op("ListFunctions",                      f"{F}/",                                     fn.list,                 GET),
        op("GetFunction",                        f"{F}/{{name}}",                             fn.get,                  GET),
        op("DeleteFunction",                     f"{F}/{{name}}",                             fn.delete,               DELETE),
        op("GetFunctionConfiguration",           f"{F}/{{name}}/configuration",               fn.get_configuration,    GET),
        op("UpdateFunctionConfiguration",        f"{F}/{{name}}/configuration",               fn.update_configuration, PUT),
        op("UpdateFunctionCode",                 f"{F}/{{name}}/code",                        fn.update_code,          PUT),
        op("PublishVersion",                     f"{F}/{{name}}/versions",                    ver.publish,             POST),
        op("ListVersionsByFunction",             f"{F}/{{name}}/versions",                    ver.list,                GET),
        op("AddPermission",                      f"{F}/{{name}}/policy",                      h.permissions.add,       POST),
        op("GetPolicy",                          f"{F}/{{name}}/policy",                      h.permissions.get,       GET),
        op("RemovePermission",                   f"{F}/{{name}}/policy/{{statement}}",        h.permissions.remove,    DELETE),
        op("CreateAlias",                        f"{F}/{{name}}/aliases",                     al.create,               POST),
        op("ListAliases",                        f"{F}/{{name}}/aliases",                     al.list,                 GET),
        op("GetAlias",                           f"{F}/{{name}}/aliases/{{alias}}",           al.get,                  GET),
        op("UpdateAlias",                        f"{F}/{{name}}/aliases/{{alias}}",           al.update,               PUT),
        op("DeleteAlias",                        f"{F}/{{name}}/aliases/{{alias}}",           al.delete,               DELETE),
        op("CreateEventSourceMapping",           ESM,                                         es.create,               POST),
        op("ListEventSourceMappings",            ESM,                                         es.list,                 GET),
        op("CreateEventSourceMapping",           f"{ESM}/",                                   es.create,               POST),
        op("ListEventSourceMappings",            f"{ESM}/",                                   es.list,                 GET),
        op("GetEventSourceMapping",              f"{ESM}/{{UUID}}",                           es.get,                  GET),
        op("UpdateEventSourceMapping",           f"{ESM}/{{UUID}}",                           es.update,               PUT),
        op("DeleteEventSourceMapping",           f"{ESM}/{{UUID}}",                           es.delete,               DELETE),
        op("GetEventSourceMappingStatistics",    f"{USAGE}/event-source-mappings/{{UUID}}",   es.statistics,           GET),
        op("PutFunctionEventInvokeConfig",       EVENT_CONFIG,                                ev.put,                  PUT),
        op("UpdateFunctionEventInvokeConfig",    EVENT_CONFIG,                                ev.update,               POST),
        op("GetFunctionEventInvokeConfig",       EVENT_CONFIG,                                ev.get,                  GET),
        op("DeleteFunctionEventInvokeConfig",    EVENT_CONFIG,                                ev.delete,               DELETE),
        op("ListFunctionEventInvokeConfigs",     f"{EVENT_CONFIG}/list",                      ev.list,                 GET),
        op("CreateFunctionUrlConfig",            URL,                                         fu.create,               POST),
        op("GetFunctionUrlConfig",               URL,                                         fu.get,                  GET),
        op("UpdateFunctionUrlConfig",            URL,                                         fu.update,               PUT),
        op("DeleteFunctionUrlConfig",            URL,                                         fu.delete,               DELETE),
        op("ListFunctionUrlConfigs",             f"{URL}s",                                   fu.list,                 GET),
        op("PutProvisionedConcurrencyConfig",    PROVISIONED,                                 cc.put_provisioned,      PUT),
        op("GetProvisionedConcurrencyConfig",    PROVISIONED,                                 cc.get_provisioned,      GET),
        op("DeleteProvisionedConcurrencyConfig", PROVISIONED,                                 cc.delete_provisioned,   DELETE),
        op("PutFunctionRecursionConfig",         RECURSION,                                   cc.put_recursion,        PUT),
        op("GetFunctionRecursionConfig",         RECURSION,                                   cc.get_recursion,        GET),
        op("InvokeAsync",                        INVOKE_ASYNC,                                h.invoke.invoke_async,   POST),
        op("InvokeAsync",                        f"{INVOKE_ASYNC}/",                          h.invoke.invoke_async,   POST),
        op("PutFunctionConcurrency",             "/2017-10-31/functions/{name}/concurrency",  cc.put_reserved,         PUT),
        op("DeleteFunctionConcurrency",          "/2017-10-31/functions/{name}/concurrency",  cc.delete_reserved,      DELETE),
        op("GetFunctionConcurrency",             "/2019-09-30/functions/{name}/concurrency",  cc.get_reserved,         GET),
        op("GetAccountSettings",                 ACCOUNT,                                     h.account.settings,      GET),
        op("GetAccountSettings",                 f"{ACCOUNT}/",                               h.account.settings,      GET),
        op("TagResource",                        TAGS,                                        tg.tag,                  POST),
        op("UntagResource",                      TAGS,                                        tg.untag,                DELETE),
        op("ListTags",                           TAGS,                                        tg.list,                 GET),
        op("ListLayers",                         "/2018-10-31/layers",                        ly.list_layers,          GET),
        op("PublishLayerVersion",                LAYER,                                       ly.publish,              POST),
        op("ListLayerVersions",                  LAYER,                                       ly.list_versions,        GET),
        op("GetLayerVersion",                    f"{LAYER}/{{version}}",                      ly.get,                  GET),
        op("DeleteLayerVersion",                 f"{LAYER}/{{version}}",                      ly.delete,               DELETE),
        op("AddLayerVersionPermission",          f"{LAYER}/{{version}}/policy",               ly.add_permission,       POST),
        op("GetLayerVersionPolicy",              f"{LAYER}/{{version}}/policy",               ly.get_policy,           GET),
        op("RemoveLayerVersionPermission",       f"{LAYER}/{{version}}/policy/{{statement}}", ly.remove_permission,    DELETE),
        op("CreateCodeSigningConfig",            CSC,                                         cs.create,               POST),
        op("ListCodeSigningConfigs",             CSC,                                         cs.list,                 GET),
        op("CreateCodeSigningConfig",            f"{CSC}/",                                   cs.create,               POST),
        op("ListCodeSigningConfigs",             f"{CSC}/",                                   cs.list,                 GET),
        op("GetCodeSigningConfig",               f"{CSC}/{{arn}}",                            cs.get,                  GET),
        op("UpdateCodeSigningConfig",            f"{CSC}/{{arn}}",                            cs.update,               PUT),
        op("DeleteCodeSigningConfig",            f"{CSC}/{{arn}}",                            cs.delete,               DELETE),
        op("ListFunctionsByCodeSigningConfig",   f"{CSC}/{{arn}}/functions",                  cs.list_functions,       GET),
        op("PutFunctionCodeSigningConfig",       FN_CSC,                                      cs.put_function,         PUT),
        op("GetFunctionCodeSigningConfig",       FN_CSC,                                      cs.get_function,         GET),
        op("DeleteFunctionCodeSigningConfig",    FN_CSC,                                      cs.delete_function,      DELETE),
        op("PutSigningProfile",                  f"{USAGE}/signing-profiles/{{name}}",        cs.create_profile,       POST),
        op("StartSigningJob",                    f"{USAGE}/signing-jobs",                     cs.sign,                 POST),
        op("GetUsage",                           f"{USAGE}/usage",                            us.usage,                GET),
        op("ListUsageRecords",                   f"{USAGE}/usage/records",                    us.records,              GET),
        op("ListBudgets",                        f"{USAGE}/budgets",                          us.list_budgets,         GET),
        op("PutBudget",                          f"{USAGE}/budgets/{{name}}",                 us.put_budget,           PUT),
        op("GetBudget",                          f"{USAGE}/budgets/{{name}}",                 us.get_budget,           GET),
        op("DeleteBudget",                       f"{USAGE}/budgets/{{name}}",                 us.delete_budget,        DELETE),
        op("CreateAccount",                      f"{USAGE}/accounts",                         h.accounts.create,       POST),
        op("ListAccounts",                       f"{USAGE}/accounts",                         h.accounts.list,         GET),
        op("GetMetrics",                         "/metrics",                                  us.metrics,              GET),
        op("PutBucketNotificationConfiguration", f"{USAGE}/buckets/{{bucket}}/notification",  h.s3.put,                PUT),
        op("GetBucketNotificationConfiguration", f"{USAGE}/buckets/{{bucket}}/notification",  h.s3.get,                GET),
        # API Gateway (apigatewayv2): APIs, then each kind of their resources, five lines each.
        v2(APIS,                                                                            gw.create_api,           POST),
        v2(APIS,                                                                            gw.get_apis,             GET),
        v2(f"{APIS}/{{apiId}}",                                                             gw.get_api,              GET),
        v2(f"{APIS}/{{apiId}}",                                                             gw.update_api,           PATCH),
        v2(f"{APIS}/{{apiId}}",                                                             gw.delete_api,           DELETE),
        v2(f"{APIS}/{{apiId}}/cors",                                                        gw.delete_cors,          DELETE),
        *resource(ROUTES, "routes"),
        *resource(INTEGRATIONS, "integrations"),
        *resource(AUTHORIZERS, "authorizers"),
        *resource(STAGES, "stages"),
        *resource(DEPLOYMENTS, "deployments"),
        # EventBridge Scheduler (rest-json): each handler checks its model and authorizes itself.
        Route("/schedules",                                 sc.list,            methods=GET),
        Route("/schedules/{Name}",                          sc.create,          methods=POST),
        Route("/schedules/{Name}",                          sc.get,             methods=GET),
        Route("/schedules/{Name}",                          sc.update,          methods=PUT),
        Route("/schedules/{Name}",                          sc.delete,          methods=DELETE),
        Route("/schedule-groups",                           sc.list_groups,     methods=GET),
        Route("/schedule-groups/{Name}",                    sc.create_group,    methods=POST),
        Route("/schedule-groups/{Name}",                    sc.get_group,       methods=GET),
        Route("/schedule-groups/{Name}",                    sc.delete_group,    methods=DELETE),
        Route(f"{CBOR_PREFIX}{{operation}}",                                                h.cloudwatch.cbor,  methods=POST),
        Route("/lambent/code/{sha}.zip",                                                    h.code.download,         methods=GET),
        Route("/lambent/health",                                                            h.health.health,         methods=GET),
        Route("/lambent/s3-events/{token}",                                                 h.s3.ingest,        methods=POST),
        Route("/",                                                                          h.root.dispatch,    methods=GET_POST),
        *edges,
        Route("/{rest:path}",                                                               unknown,                 methods=ANY),
    ]
    # fmt: on
