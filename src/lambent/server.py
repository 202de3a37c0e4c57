"""The composition root: every part of the server built once, wired, started and stopped here.

Nothing below this module reads ``os.environ``: the CLI passes the environment in, settings
and runtime discovery read it, and the sandbox is picked by name from ``SANDBOXES`` with what
they found. The route table is ``lambent.api.routes``; this module only builds what it serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import msgspec
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request

from lambent.api.account import AccountApi
from lambent.api.accounts import AccountsApi
from lambent.api.aliases import AliasesApi
from lambent.api.apigateway import ApiGatewayApi
from lambent.api.auth import PRINCIPAL_SCOPE_KEY, Authentication
from lambent.api.cells import CellPolicies, RequestCells
from lambent.api.cloudwatch import CloudWatchApi
from lambent.api.code_signing import CodeSigningApi
from lambent.api.code_urls import CodeUrls
from lambent.api.concurrency import ConcurrencyApi
from lambent.api.environment_listener import EnvironmentListener
from lambent.api.event_configs import EventConfigsApi
from lambent.api.event_source_mappings import EventSourceMappingsApi
from lambent.api.events import EventsApi
from lambent.api.function_urls import FunctionUrlsApi
from lambent.api.functions import FunctionsApi
from lambent.api.guard import Guard
from lambent.api.health import HealthApi
from lambent.api.iam import IamApi
from lambent.api.invoke import InvokeApi
from lambent.api.layers import LayersApi
from lambent.api.logs import LogsApi
from lambent.api.permissions import PermissionsApi
from lambent.api.render import api_error_handler, unexpected_error_handler
from lambent.api.root import RootApi
from lambent.api.routes import Handlers, routes
from lambent.api.s3_notifications import BucketNotificationsApi
from lambent.api.scheduler import SchedulerApi
from lambent.api.sigv4 import Verifier
from lambent.api.sts import StsApi
from lambent.api.tags import TagsApi
from lambent.api.usage import UsageApi
from lambent.api.versions import VersionsApi
from lambent.clock import SystemClock
from lambent.console.account import AccountPages
from lambent.console.deploy import DeployPages
from lambent.console.functions import FunctionPages
from lambent.console.logs import LogPages
from lambent.console.metrics import MetricPages
from lambent.console.routes import ConsolePages, console_routes
from lambent.console.shell import Shell
from lambent.errors import ApiError, ResourceNotFoundException, SandboxSetupError
from lambent.ingress.directory import CellApis, CellUrls
from lambent.ingress.dispatch import UrlDispatch
from lambent.ingress.function_urls import FunctionUrls
from lambent.ingress.http_apis import HttpApis
from lambent.invoker.invoker import Invoker, InvokerSettings
from lambent.model.api_address import api_host_suffix
from lambent.model.url_address import url_host_suffix
from lambent.runtime_api.app import ENVIRONMENT_SCOPE_KEY, runtime_api
from lambent.runtime_api.app import PREFIXES as RUNTIME_API_PREFIXES
from lambent.runtimes import PYTHON_BOOTSTRAP, RuntimeSpec, discover_runtimes, prepare_node_bootstrap
from lambent.runtimes.python_libs import prepare_python_libs
from lambent.sandbox import ApiServer, Sandbox
from lambent.sandbox.namespaces import NamespacesSandbox
from lambent.sandbox.process import ProcessSandbox
from lambent.sandbox.seccomp import build_program
from lambent.services.access import Access
from lambent.services.account import AccountService
from lambent.services.alerts import AlertOutbox
from lambent.services.aliases import AliasService
from lambent.services.cells import Cell, Cells
from lambent.services.code_signing import CodeSigningService
from lambent.services.credentials_file import profile_paths, write_profile
from lambent.services.destinations import Destinations
from lambent.services.event_configs import EventConfigService
from lambent.services.event_delivery import EventDelivery
from lambent.services.event_queue import EventQueue
from lambent.services.event_sources import EventSourceService
from lambent.services.events import EventBusService
from lambent.services.execution_roles import AnyRole
from lambent.services.function_events import Listeners
from lambent.services.function_index import FunctionIndex
from lambent.services.function_settings import FunctionSettings
from lambent.services.function_urls import FunctionUrlService
from lambent.services.functions import FunctionService
from lambent.services.http_apis import HttpApiService
from lambent.services.iam import IamService
from lambent.services.iam_policies import PolicyCatalog
from lambent.services.identity import IdentityService, Sealer
from lambent.services.invocations import InvocationService
from lambent.services.layers import LayerService
from lambent.services.ledger import Ledger
from lambent.services.logs import LogService
from lambent.services.metering import MeterService, load_prices
from lambent.services.metrics import MetricService
from lambent.services.package_gc import PackageCollector
from lambent.services.packages import PackageStore
from lambent.services.permissions import PermissionService
from lambent.services.provisioned import ProvisionedService
from lambent.services.s3_notifications import BucketNotificationService
from lambent.services.schedules import ScheduleService
from lambent.services.source_kinds import SourceKinds
from lambent.services.sts import StsService
from lambent.services.test_events import TestEventService
from lambent.services.timers import Timers
from lambent.services.traces import SpanExporter
from lambent.services.usage_reports import UsageReports
from lambent.settings import Settings
from lambent.sources.kinesis import KinesisClients
from lambent.sources.queue_poller import Redelivery
from lambent.sources.sqs import SqsClients
from lambent.store.sql import SqlStore

log = logging.getLogger("lambent")


# -- sandboxes -----------------------------------------------------------------------------


class SandboxNeeds(msgspec.Struct, frozen=True, kw_only=True):
    """What a sandbox implementation may be built from."""

    settings: Settings
    data_dir: Path
    serve_api: ApiServer
    #: Every runtime discovered on this machine (a zygote runs under the newest Python).
    runtimes: Mapping[str, RuntimeSpec]


class SandboxKind(msgspec.Struct, frozen=True, kw_only=True):
    #: Whether this machine allows the mode, and why not.
    usable: Callable[[], tuple[bool, str]]
    build: Callable[[SandboxNeeds], Sandbox]


def _always() -> tuple[bool, str]:
    return True, ""


def _process_sandbox(needs: SandboxNeeds) -> Sandbox:
    return ProcessSandbox(needs.serve_api)


def _namespaces_sandbox(needs: SandboxNeeds) -> Sandbox:
    pythons = [r for r in needs.runtimes.values() if r.family == "python"]
    python = next(iter(sorted(pythons, key=lambda r: r.version, reverse=True)), None)
    exec_zygote = (python.executable, str(PYTHON_BOOTSTRAP), "run") if python is not None else None
    programs = (build_program(), build_program(template=True))
    return NamespacesSandbox(needs.data_dir / "sandbox", programs, needs.settings.port, needs.serve_api, exec_zygote)


#: Sandbox mode -> how to build it (``Settings.sandbox`` names one, or ``auto``).
SANDBOXES: dict[str, SandboxKind] = {
    "namespaces": SandboxKind(usable=NamespacesSandbox.usable, build=_namespaces_sandbox),
    "process": SandboxKind(usable=_always, build=_process_sandbox),
}
#: What ``auto`` takes: the first mode this machine allows (the last one always is).
AUTO_ORDER = ("namespaces", "process")


def choose_sandbox(
    needs: SandboxNeeds, table: Mapping[str, SandboxKind] = SANDBOXES, auto_order: tuple[str, ...] = AUTO_ORDER
) -> Sandbox:
    """The sandbox mode asked for; ``auto`` takes the first of *auto_order* this machine allows."""
    asked = needs.settings.sandbox
    for name in auto_order if asked == "auto" else (asked,):
        usable, why = table[name].usable()
        if usable:
            return table[name].build(needs)
        if asked != "auto":
            raise SandboxSetupError("choose", f"{name} sandbox", why)
        log.warning("%s sandbox unavailable (%s): trying the next mode", name, why)
    raise SandboxSetupError("choose", "sandbox", "no sandbox mode is usable here")


# -- the server ----------------------------------------------------------------------------


def _secret(data_dir: Path) -> bytes:
    path = data_dir / "secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return path.read_bytes()


def _node_id(data_dir: Path) -> str:
    """This node's name as a lease holder: kept in the data directory, so that a restarted
    server takes its own stream leases back at once instead of waiting for them to expire."""
    path = data_dir / "node-id"
    if not path.exists():
        path.write_text(secrets.token_hex(8))
    return path.read_text().strip()


async def _admin_key(settings: Settings, identity: IdentityService, environ: Mapping[str, str]) -> None:
    """The default account's administrator key, made on the first start, written as the
    ``lambent`` profile where the AWS CLI and SDKs look (decision 0017)."""
    credential, created = await identity.bootstrap(settings.account_id)
    if settings.auth == "off":
        log.warning("LAMBENT_AUTH=off: requests are not authenticated; any caller can do anything (loopback only)")
        return
    credentials_path, config_path = profile_paths(settings.credentials_file, settings.aws_config_file, environ)
    write_profile(credentials_path, config_path, credential, settings.region, settings.endpoint_url)
    log.info(
        "%s the administrator key %s: profile 'lambent' in %s (endpoint and region in %s)",
        "created" if created else "using",
        credential.access_key_id,
        credentials_path,
        config_path,
    )


def url_suffixes(settings: Settings) -> tuple[str, ...]:
    """The host suffixes function URLs are served under: AWS's form under ``localhost``, and the
    public base's host when one is set (decision 0025)."""
    base = settings.function_url("x" * 32).split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
    suffixes = [url_host_suffix(settings.region)]
    if settings.function_url_base:
        suffixes.append(base[32:])
    return tuple(suffixes)


def api_suffixes(settings: Settings) -> tuple[str, ...]:
    """The host suffixes HTTP APIs are served under: AWS's form under ``localhost``, and the
    public base's host when one is set (decision 0028)."""
    suffixes = [api_host_suffix(settings.region)]
    if settings.api_endpoint_base:
        host = settings.api_endpoint("x" * 10).split("//", 1)[1].rsplit(":", 1)[0]
        suffixes.append(host[10:])
    return tuple(suffixes)


def build_app(settings: Settings, environ: Mapping[str, str]) -> Starlette:
    """The whole server as one ASGI app; *environ* is only read by runtime discovery."""
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    store = SqlStore(f"sqlite+aiosqlite:///{data_dir / 'lambent.db'}", settings.account_id)
    packages = PackageStore(data_dir)
    runtimes = discover_runtimes(environ)
    clock = SystemClock()  # the one clock every part reads
    server_secret = _secret(data_dir)
    node_id = _node_id(data_dir)
    sealer = Sealer(server_secret)
    identity = IdentityService(store, sealer, clock=clock)
    iam = IamService(store, identity, PolicyCatalog(store), clock=clock)
    access = Access(iam, clock=clock, enabled=settings.auth == "on")
    alerts = AlertOutbox()
    meter = MeterService(store, load_prices(settings.prices), clock=clock, alerts=alerts)
    metrics = MetricService(
        store,
        settings.account_id,
        retention_s=settings.metrics_retention_days * 86400,
        clock=clock,
        enabled=settings.metrics == "on",
    )
    spans = SpanExporter(settings.otlp_endpoint, settings.region, node_id) if settings.otlp_endpoint else None
    ledger = Ledger(store, data_dir / "journal", meter, clock=clock, metrics=metrics, spans=spans)
    timers = Timers(clock)
    logs = LogService(store, ledger, clock, timers)
    listener = EnvironmentListener(runtime_api, RUNTIME_API_PREFIXES, ENVIRONMENT_SCOPE_KEY)
    sandbox = choose_sandbox(SandboxNeeds(settings=settings, data_dir=data_dir, serve_api=listener.serve, runtimes=runtimes))
    roles = identity if settings.auth == "on" else AnyRole()

    async def to_bus(bus_arn: str, body: bytes) -> None:
        """A Lambda destination's record onto the bus of *bus_arn*, in the bus's account."""
        cell = await cells.of(bus_arn.split(":")[4])
        if cell is None:
            raise ResourceNotFoundException(f"Event bus {bus_arn} does not exist.")
        await cell.events.put_invocation_record(bus_arn, json.loads(body))

    destinations = Destinations(
        settings.region,
        settings.sqs_endpoint_url,
        settings.function_access_key_id,
        settings.function_secret_access_key,
        to_bus=to_bus,
    )
    queue = EventQueue(store, clock)
    source_kinds = SourceKinds(
        SqsClients(
            settings.region, settings.sqs_endpoint_url, settings.function_access_key_id, settings.function_secret_access_key
        ),
        KinesisClients(
            settings.region, settings.kinesis_endpoint_url, settings.function_access_key_id, settings.function_secret_access_key
        ),
        mq_brokers=settings.mq_broker_urls(),
        redelivery=Redelivery(wait_s=settings.source_redelivery_s, max_deliveries=settings.source_max_deliveries),
    )

    def build_cell(account: str) -> Cell:
        """One account's Lambda (``services.cells``), over the store's view of that account."""
        own = store.of_account(account)
        index = FunctionIndex(settings.region, account, outbound_default=settings.outbound == "allow")
        invoker = Invoker(
            sandbox,
            runtimes,
            InvokerSettings(
                region=settings.region,
                account_id=account,
                endpoint_url=settings.endpoint_url,
                idle_timeout_s=settings.idle_timeout_s,
                concurrency_limit=settings.concurrency_limit,
                scale_out_limit=settings.scale_out_limit,
                runtime_dir=str(data_dir / "runtime"),
                opt_root=str(data_dir / "opt"),
            ),
            ledger.for_account(account),
            packages.tree,
            index,
            clock=clock,
            sessions=identity,
        )
        layers = LayerService(
            own, packages, collector, data_dir / "opt", settings.region, account, clock=clock, others=others_layers
        )
        event_configs = EventConfigService(own, index, settings.region, account, clock=clock)
        provisioned = ProvisionedService(own, index, invoker, clock=clock)
        signing = CodeSigningService(own, index, sealer, clock=clock)
        function_urls = FunctionUrlService(own, index, settings.function_url, clock=clock)
        events = Listeners([invoker, event_configs, provisioned, signing, function_urls])
        functions = FunctionService(
            own, index, packages, collector, layers, runtimes, events, roles, clock=clock, signing=signing
        )
        invocations = InvocationService(
            index,
            invoker,
            event_configs,
            queue,
            destinations,
            meter,
            retry_scale=settings.async_retry_scale,
            alerts=alerts if account == settings.account_id else None,
            clock=clock,
            route=route,
            metrics=metrics,
        )
        metrics.watch(account, invoker.concurrency_peaks)
        buses = EventBusService(own, account, settings.region, deliveries.deliver, timers, clock=clock)

        async def publish(event: dict[str, Any]) -> None:
            """S3's events on the account's default bus."""
            await buses.publish(buses.bus(None), event)

        return Cell(
            region=settings.region,
            account_id=account,
            index=index,
            functions=functions,
            function_settings=FunctionSettings(own, index, events),
            aliases=AliasService(own, index, [function_urls]),
            layers=layers,
            event_configs=event_configs,
            provisioned=provisioned,
            signing=signing,
            permissions=PermissionService(own, index),
            function_urls=function_urls,
            http_apis=HttpApiService(own, account, settings.api_endpoint, clock=clock),
            events=buses,
            schedules=ScheduleService(own, account, settings.region, timers, deliveries, roles, clock=clock),
            s3_notifications=BucketNotificationService(
                own, account, settings.region, settings.endpoint_url, deliveries.deliver, publish, clock=clock
            ),
            event_sources=EventSourceService(
                own, index, invocations, source_kinds, access, destinations, settings.region, account, clock=clock, owner=node_id
            ),
            invocations=invocations,
            settings=AccountService(index, layers, provisioned),
            invoker=invoker,
            test_events=TestEventService(own),
        )

    async def exists(account: str) -> bool:
        return settings.auth == "off" or await identity.account_exists(account)

    cells = Cells(build_cell, exists)
    deliveries = EventDelivery(cells.of, access, destinations, clock)

    def others_layers(account: str) -> LayerService | None:
        cell = cells.find(account)
        return cell.layers if cell is not None else None

    collector = PackageCollector(packages, cells)

    async def route(account: str) -> InvocationService:
        """The invocations of a queued event's account (whose functions the event names)."""
        cell = await cells.of(account)
        if cell is None:
            raise ResourceNotFoundException(f"Account {account} does not exist.")
        return cell.invocations

    verifier = Verifier(identity.credential, clock, settings.region) if settings.auth == "on" else None
    code_urls = CodeUrls(server_secret, settings.endpoint_url, packages, clock)
    guard = Guard(settings, access, CellPolicies(cells))
    logs_api = LogsApi(logs, guard, settings)
    cloudwatch = CloudWatchApi(metrics, guard, clock)
    of_request = RequestCells(cells, settings.account_id)
    reports = UsageReports(ledger, meter)
    shell = Shell(identity, cells, guard, clock, server_secret)
    console = ConsolePages(
        shell=shell,
        functions=FunctionPages(shell, metrics),
        metrics=MetricPages(shell, metrics),
        logs=LogPages(shell, logs),
        deploy=DeployPages(shell, iam),
        account=AccountPages(shell, meter, reports, iam),
    )

    async def caller_cell(request: Request) -> Cell:
        """The cell of the account the caller belongs to (EventBridge's and Scheduler's resources
        are named by the caller's own account: their ARNs in a request are not cross-account)."""
        found = request.scope.get(PRINCIPAL_SCOPE_KEY)
        account = found.account_id if found is not None else settings.account_id
        cell = await cells.of(account)
        if cell is None:
            raise ResourceNotFoundException(f"Account {account} does not exist.")
        return cell

    async def token_cell(token: str) -> tuple[Cell, str] | None:
        """The cell and bucket a store's push token is for (``api.s3_notifications``)."""
        found = await store.bucket_notification_by_token(token)
        cell = await cells.of(found[0]) if found is not None else None
        return None if found is None or cell is None else (cell, found[1].bucket)

    async def events_of(request: Request) -> EventBusService:
        return (await caller_cell(request)).events

    async def schedules_of(request: Request) -> ScheduleService:
        return (await caller_cell(request)).schedules

    handlers = Handlers(
        invoke=InvokeApi(settings, of_request, clock),
        functions=FunctionsApi(settings, of_request, code_urls),
        versions=VersionsApi(settings, of_request),
        aliases=AliasesApi(settings, of_request),
        event_configs=EventConfigsApi(settings, of_request),
        event_sources=EventSourceMappingsApi(of_request),
        function_urls=FunctionUrlsApi(of_request),
        concurrency=ConcurrencyApi(settings, of_request),
        tags=TagsApi(settings, of_request),
        accounts=AccountsApi(identity),
        account=AccountApi(settings, of_request),
        layers=LayersApi(settings, of_request, code_urls),
        logs=logs_api,
        root=RootApi(
            logs_api, EventsApi(events_of, guard), IamApi(iam), StsApi(StsService(store, identity, access)), guard, cloudwatch
        ),
        permissions=PermissionsApi(settings, of_request),
        usage=UsageApi(meter, reports, metrics.collect),
        code_signing=CodeSigningApi(settings, of_request),
        code=code_urls,
        health=HealthApi(sandbox),
        apigateway=ApiGatewayApi(of_request),
        scheduler=SchedulerApi(schedules_of, guard),
        s3=BucketNotificationsApi(of_request, token_cell),
        cloudwatch=cloudwatch,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await store.open()
        await _admin_key(settings, identity, environ)
        await ledger.open()  # commits what a killed run journaled, before the meter loads totals
        await meter.load(settings.account_id)
        prepare_python_libs(data_dir / "runtime" / "python", [r.name for r in runtimes.values() if r.family == "python"])
        prepare_node_bootstrap(data_dir / "runtime" / "node")
        if isinstance(sandbox, NamespacesSandbox):
            sandbox.prepare()
        listener.start(app)
        ledger.start()
        metrics.start()
        timers.start()
        logs.start()
        await cells.open([settings.account_id, *await store.accounts_with_resources()])
        await collector.sweep()  # every account's functions and layers are known: what is left is no one's
        default = await cells.of(settings.account_id)
        assert default is not None  # the default account always exists (``_admin_key`` made it)
        await default.invocations.start()  # drains every account's queued events
        log.info("lambent serving %s (data %s, sandbox %s)", settings.endpoint_url, data_dir, sandbox.name)
        log.info("runtimes: %s", ", ".join(f"{r.name}={r.executable}" for r in runtimes.values()) or "none found")
        for protection in sandbox.protections():
            log.info("protection %-32s %s (%s)", protection.name, "on" if protection.active else "OFF", protection.reason)
        try:
            yield
        finally:
            await timers.close()
            await deliveries.close()
            await cells.close()
            source_kinds.close()
            await listener.close()
            await ledger.close()
            if spans is not None:
                await asyncio.to_thread(spans.close)  # sends what is queued
            await metrics.close()
            await meter.close()
            await store.close()

    app = Starlette(
        routes=routes(handlers, guard, console_routes(console)),
        middleware=[
            Middleware(
                UrlDispatch,
                urls=FunctionUrls(CellUrls(cells), access, verifier, clock),
                suffixes=url_suffixes(settings),
                apis=HttpApis(CellApis(cells), access, clock, settings.region, verifier=verifier),
                api_suffixes=api_suffixes(settings),
            ),
            Middleware(Authentication, settings=settings, verifier=verifier),
        ],
        lifespan=lifespan,
        exception_handlers={ApiError: api_error_handler, Exception: unexpected_error_handler},
    )
    app.router.redirect_slashes = False
    return app


def serve(settings: Settings, environ: Mapping[str, str]) -> None:
    """Run the server until a signal stops it (``lambent serve``)."""
    config = uvicorn.Config(
        build_app(settings, environ),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level=settings.log_level,
        timeout_graceful_shutdown=5,
        proxy_headers=False,  # bound to loopback, not behind a proxy: no X-Forwarded-* rewriting per request
    )
    uvicorn.Server(config).run()
