"""The server: one route table for the whole HTTP surface, and the wiring of its parts."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from lambent.api.control import AsgiEndpoint, ControlApi
from lambent.api.layers import LayersApi
from lambent.api.logs import LogsApi
from lambent.api.render import api_error_handler, error_response, json_response, unexpected_error_handler
from lambent.api.usage import PREFIX as USAGE
from lambent.api.usage import UsageApi
from lambent.errors import ApiError, SandboxSetupError, UnknownOperation
from lambent.invoker.invoker import Invoker, InvokerSettings
from lambent.runtime_api.app import PREFIXES as RUNTIME_API_PREFIXES
from lambent.runtime_api.app import runtime_api
from lambent.runtimes import PYTHON_BOOTSTRAP, discover_python, discover_runtimes, prepare_node_bootstrap, prepare_python_libs
from lambent.sandbox import ApiServer, Sandbox
from lambent.sandbox.namespaces import NamespacesSandbox
from lambent.sandbox.process import ProcessSandbox
from lambent.sandbox.seccomp import build_program
from lambent.services.destinations import Destinations
from lambent.services.event_configs import EventConfigService
from lambent.services.event_queue import EventQueue
from lambent.services.functions import FunctionService
from lambent.services.invocations import InvocationService
from lambent.services.layers import LayerService
from lambent.services.ledger import Ledger
from lambent.services.logs import LogService
from lambent.services.metering import MeterService, load_prices
from lambent.services.packages import PackageStore
from lambent.services.provisioned import ProvisionedService
from lambent.settings import Settings
from lambent.store.sql import SqlStore

log = logging.getLogger("lambent")


def _secret(data_dir: Path) -> bytes:
    path = data_dir / "secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return path.read_bytes()


def build_app(settings: Settings, environ: Mapping[str, str]) -> Starlette:
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    store = SqlStore(f"sqlite+aiosqlite:///{data_dir / 'lambent.db'}")
    packages = PackageStore(data_dir)
    runtimes = discover_runtimes(environ)
    meter = MeterService(store, load_prices(settings.prices))
    ledger = Ledger(store, data_dir / "journal", meter)
    logs = LogService(store, ledger)
    app_holder: list[Starlette] = []

    async def serve_api(sock: socket.socket, runtime: Any) -> Callable[[], Coroutine[Any, Any, None]]:
        """Serve on a listening socket an environment was given: the platform API, and with
        *runtime* (its RuntimeApiChannel) the Runtime API at /2018-06-01 as well."""
        server = app_holder[0].state.uvicorn
        config = server.config
        if runtime is not None:
            main = config.loaded_app

            async def environment_app(scope: Scope, receive: Receive, send: Send) -> None:
                if scope["type"] == "http" and scope["path"].startswith(RUNTIME_API_PREFIXES):
                    await runtime_api({**scope, "lambent.environment": runtime}, receive, send)
                else:
                    await main(scope, receive, send)

            config = copy.copy(config)
            config.loaded_app = environment_app

        def protocol() -> asyncio.Protocol:
            made: asyncio.Protocol = config.http_protocol_class(
                config=config, server_state=server.server_state, app_state=server.lifespan.state
            )
            return made

        listener = await asyncio.get_running_loop().create_server(protocol, sock=sock)

        async def stop() -> None:
            listener.close()

        return stop

    sandbox = choose_sandbox(settings, data_dir, serve_api)
    invoker = Invoker(
        sandbox,
        runtimes,
        InvokerSettings(
            region=settings.region,
            account_id=settings.account_id,
            endpoint_url=settings.endpoint_url,
            idle_timeout_s=settings.idle_timeout_s,
            concurrency_limit=settings.concurrency_limit,
            scale_out_limit=settings.scale_out_limit,
            access_key_id=settings.function_access_key_id,
            secret_access_key=settings.function_secret_access_key,
            runtime_dir=str(data_dir / "runtime"),
            opt_root=str(data_dir / "opt"),
        ),
        ledger,
        packages.tree,
        outbound=lambda name: functions.outbound(name),
    )
    layers = LayerService(store, packages, data_dir / "opt", settings.region, settings.account_id)
    functions = FunctionService(
        store,
        packages,
        runtimes,
        settings.region,
        settings.account_id,
        on_change=invoker.retire,
        on_publish=invoker.published,
        on_delete_version=invoker.version_deleted,
        layers=layers,
        outbound_default=settings.outbound == "allow",
    )
    event_configs = EventConfigService(store, settings.region, settings.account_id)
    destinations = Destinations(
        settings.region, settings.sqs_endpoint_url, settings.function_access_key_id, settings.function_secret_access_key
    )
    invocations = InvocationService(
        functions, invoker, event_configs, EventQueue(store), destinations, meter, retry_scale=settings.async_retry_scale
    )

    async def notify(target: str, body: bytes) -> None:
        await destinations.deliver(target, body, invocations.send_to_function)

    meter.notify = notify
    provisioned = ProvisionedService(store, functions, invoker)
    control = ControlApi(settings, functions, invocations, packages, _secret(data_dir), event_configs, provisioned)
    logs_api = LogsApi(logs)
    layers_api = LayersApi(settings, layers, control)
    usage_api = UsageApi(meter, ledger)

    async def health(_request: Request) -> Response:
        return json_response(
            {
                "status": "ok",
                "sandbox": sandbox.name,
                "protections": [{"name": p.name, "active": p.active, "reason": p.reason} for p in sandbox.protections()],
            }
        )

    async def unknown(request: Request) -> Response:
        return error_response(UnknownOperation(f"No operation matches {request.method} {request.url.path}."))

    functions_path = "/2015-03-31/functions"
    routes = [
        # The hot path first: Starlette tries routes in order.
        Route(f"{functions_path}/{{name}}/invocations", AsgiEndpoint(control.invoke), methods=["POST"]),
        Route(functions_path, control.create_function, methods=["POST"]),
        Route(functions_path, control.list_functions, methods=["GET"]),
        Route(f"{functions_path}/", control.create_function, methods=["POST"]),
        Route(f"{functions_path}/", control.list_functions, methods=["GET"]),
        Route(f"{functions_path}/{{name}}", control.get_function, methods=["GET"]),
        Route(f"{functions_path}/{{name}}", control.delete_function, methods=["DELETE"]),
        Route(f"{functions_path}/{{name}}/configuration", control.get_function_configuration, methods=["GET"]),
        Route(f"{functions_path}/{{name}}/configuration", control.update_function_configuration, methods=["PUT"]),
        Route(f"{functions_path}/{{name}}/code", control.update_function_code, methods=["PUT"]),
        Route(f"{functions_path}/{{name}}/versions", control.publish_version, methods=["POST"]),
        Route(f"{functions_path}/{{name}}/versions", control.list_versions, methods=["GET"]),
        Route(f"{functions_path}/{{name}}/aliases", control.create_alias, methods=["POST"]),
        Route(f"{functions_path}/{{name}}/aliases", control.list_aliases, methods=["GET"]),
        Route(f"{functions_path}/{{name}}/aliases/{{alias}}", control.get_alias, methods=["GET"]),
        Route(f"{functions_path}/{{name}}/aliases/{{alias}}", control.update_alias, methods=["PUT"]),
        Route(f"{functions_path}/{{name}}/aliases/{{alias}}", control.delete_alias, methods=["DELETE"]),
        Route("/2019-09-25/functions/{name}/event-invoke-config", control.put_event_invoke_config, methods=["PUT"]),
        Route("/2019-09-25/functions/{name}/event-invoke-config", control.update_event_invoke_config, methods=["POST"]),
        Route("/2019-09-25/functions/{name}/event-invoke-config", control.get_event_invoke_config, methods=["GET"]),
        Route("/2019-09-25/functions/{name}/event-invoke-config", control.delete_event_invoke_config, methods=["DELETE"]),
        Route("/2019-09-25/functions/{name}/event-invoke-config/list", control.list_event_invoke_configs, methods=["GET"]),
        Route("/2019-09-30/functions/{name}/provisioned-concurrency", control.put_provisioned_concurrency, methods=["PUT"]),
        Route("/2019-09-30/functions/{name}/provisioned-concurrency", control.get_provisioned_concurrency, methods=["GET"]),
        Route("/2019-09-30/functions/{name}/provisioned-concurrency", control.delete_provisioned_concurrency, methods=["DELETE"]),
        Route("/2024-08-31/functions/{name}/recursion-config", control.put_recursion_config, methods=["PUT"]),
        Route("/2024-08-31/functions/{name}/recursion-config", control.get_recursion_config, methods=["GET"]),
        Route("/2014-11-13/functions/{name}/invoke-async", control.invoke_async, methods=["POST"]),
        Route("/2014-11-13/functions/{name}/invoke-async/", control.invoke_async, methods=["POST"]),
        Route("/2017-10-31/functions/{name}/concurrency", control.put_function_concurrency, methods=["PUT"]),
        Route("/2017-10-31/functions/{name}/concurrency", control.delete_function_concurrency, methods=["DELETE"]),
        Route("/2019-09-30/functions/{name}/concurrency", control.get_function_concurrency, methods=["GET"]),
        Route("/2016-08-19/account-settings", control.get_account_settings, methods=["GET"]),
        Route("/2016-08-19/account-settings/", control.get_account_settings, methods=["GET"]),
        Route("/2017-03-31/tags/{arn:path}", control.tag_resource, methods=["POST"]),
        Route("/2017-03-31/tags/{arn:path}", control.untag_resource, methods=["DELETE"]),
        Route("/2017-03-31/tags/{arn:path}", control.list_tags, methods=["GET"]),
        Route("/2018-10-31/layers", layers_api.list_layers, methods=["GET"]),
        Route("/2018-10-31/layers/{layer}/versions", layers_api.publish, methods=["POST"]),
        Route("/2018-10-31/layers/{layer}/versions", layers_api.list_versions, methods=["GET"]),
        Route("/2018-10-31/layers/{layer}/versions/{version}", layers_api.get, methods=["GET"]),
        Route("/2018-10-31/layers/{layer}/versions/{version}", layers_api.delete, methods=["DELETE"]),
        Route("/2018-10-31/layers/{layer}/versions/{version}/policy", layers_api.add_permission, methods=["POST"]),
        Route("/2018-10-31/layers/{layer}/versions/{version}/policy", layers_api.get_policy, methods=["GET"]),
        Route(
            "/2018-10-31/layers/{layer}/versions/{version}/policy/{statement}", layers_api.remove_permission, methods=["DELETE"]
        ),
        Route(f"{USAGE}/usage", usage_api.usage, methods=["GET"]),
        Route(f"{USAGE}/usage/records", usage_api.records, methods=["GET"]),
        Route(f"{USAGE}/budgets", usage_api.list_budgets, methods=["GET"]),
        Route(f"{USAGE}/budgets/{{name}}", usage_api.put_budget, methods=["PUT"]),
        Route(f"{USAGE}/budgets/{{name}}", usage_api.get_budget, methods=["GET"]),
        Route(f"{USAGE}/budgets/{{name}}", usage_api.delete_budget, methods=["DELETE"]),
        Route("/metrics", usage_api.metrics, methods=["GET"]),
        Route("/lambent/code/{sha}.zip", control.download_code, methods=["GET"]),
        Route("/lambent/health", health, methods=["GET"]),
        Route("/", logs_api.dispatch, methods=["POST"]),
        Route("/{rest:path}", unknown, methods=["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await store.open()
        await ledger.open()  # commits what a killed run journaled, before the meter loads totals
        await meter.load(settings.account_id)
        await layers.load()
        await event_configs.load()
        await functions.load()
        prepare_python_libs(data_dir / "runtime" / "python")
        prepare_node_bootstrap(data_dir / "runtime" / "node")
        if isinstance(sandbox, NamespacesSandbox):
            sandbox.prepare()
        ledger.start()
        invoker.start()
        await provisioned.load()
        await invocations.start()
        log.info("lambent serving %s (data %s, sandbox %s)", settings.endpoint_url, data_dir, sandbox.name)
        log.info("runtimes: %s", ", ".join(f"{r.name}={r.executable}" for r in runtimes.values()) or "none found")
        for protection in sandbox.protections():
            log.info("protection %-32s %s (%s)", protection.name, "on" if protection.active else "OFF", protection.reason)
        try:
            yield
        finally:
            await invocations.close()
            await invoker.shutdown()
            await ledger.close()
            await meter.close()
            await store.close()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={ApiError: api_error_handler, Exception: unexpected_error_handler},
    )
    app.router.redirect_slashes = False
    app.state.uvicorn = None  # set by ``lambent serve``: the API inside sandboxes needs it
    app_holder.append(app)
    return app


def choose_sandbox(settings: Settings, data_dir: Path, serve_api: ApiServer) -> Sandbox:
    """The sandbox mode asked for; ``auto`` takes namespaces where this machine allows them."""
    if settings.sandbox == "process":
        return ProcessSandbox(serve_api)
    usable, why = NamespacesSandbox.usable()
    if not usable:
        if settings.sandbox == "namespaces":
            raise SandboxSetupError("choose", "namespaces sandbox", why)
        log.warning("namespaces sandbox unavailable (%s): using the process sandbox", why)
        return ProcessSandbox(serve_api)
    python = next(iter(sorted(discover_python(os.environ).values(), key=lambda r: r.version, reverse=True)), None)
    exec_zygote = (python.executable, str(PYTHON_BOOTSTRAP), "run") if python is not None else None
    programs = (build_program(), build_program(template=True))
    return NamespacesSandbox(data_dir / "sandbox", programs, settings.port, serve_api, exec_zygote)
