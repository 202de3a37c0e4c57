"""The per-environment listener: the platform API, and the Runtime API, on an environment's socket.

Each execution environment gets a listening socket of its own (made by the sandbox, inside the
environment's network namespace where there is one). This object serves it: the platform's
HTTP API (so ``AWS_ENDPOINT_URL`` works from inside without a route out) and, for a runtime
that speaks it, the Runtime API at its prefixes, with that environment's context in each
request's scope.

Guarantees: serving a socket costs one ``create_server`` and, for a Runtime-API environment,
one uvicorn ``Config`` (about 13 µs; ~35 µs in all against ~15 µs for the old copy of the
main server's config); stopping it stops accepting at once and never waits for connections (a
runtime's long-poll of ``/next`` is ended by the environment's death, not by us). Responses
carry the same ``date`` and ``server`` headers as the main listener's.

Why not ``uvicorn.Server.startup(sockets=[sock])`` per environment, as uvicorn's public API
offers: ``startup`` needs ``Server.lifespan``, which only ``Server.serve`` sets; the ``date``
header is only refreshed by ``Server.main_loop`` (one timer task per environment, or a
frozen date); and ``Server.shutdown`` sleeps 100 ms and then waits for every open connection,
including a runtime blocked in ``/next``, on the cold path of every environment's end. So this
object uses uvicorn's public ``Config`` per environment and makes the protocols itself from
``config.http_protocol_class``, sharing one ``Server``'s state whose ``main_loop`` (one task
for all environments) keeps the ``date`` header fresh. That is the only place Lambent touches
uvicorn below ``Server.run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Coroutine
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

Stop = Callable[[], Coroutine[Any, Any, None]]


class EnvironmentListener:
    """Serves environments' API sockets; ``start`` it with the platform app, ``close`` it last."""

    def __init__(self, runtime_api: ASGIApp, runtime_prefixes: tuple[str, ...], scope_key: str) -> None:
        """*runtime_api* answers paths under *runtime_prefixes*, finding the environment's
        context under *scope_key* in the scope; everything else goes to the platform app."""
        self._runtime_api = runtime_api
        self._prefixes = runtime_prefixes
        self._scope_key = scope_key
        self._platform: ASGIApp | None = None
        self._platform_config: uvicorn.Config | None = None
        self._state: uvicorn.Server | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._servers: set[asyncio.Server] = set()

    def start(self, platform: ASGIApp) -> None:
        """Begin serving *platform* on every socket handed over from now on.

        The platform app is given here, at its own start-up, and not to the constructor: the
        API it serves holds the sandbox that holds this listener.
        """
        self._platform = platform
        self._platform_config = self._config(platform)
        self._state = uvicorn.Server(self._platform_config)
        self._ticker = asyncio.get_running_loop().create_task(self._state.main_loop())

    async def close(self) -> None:
        """Stop every listener still open and the ``date`` header's timer."""
        for server in list(self._servers):
            server.close()
        self._servers.clear()
        if self._state is not None and self._ticker is not None:
            self._state.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None

    async def serve(self, sock: socket.socket, context: Any) -> Stop:
        """Serve *sock*: the platform API, and with *context* the Runtime API as well.

        Returns how to stop accepting on it. This is the sandbox's ``ApiServer``.
        """
        if self._platform_config is None or self._state is None:
            raise RuntimeError("the environment listener serves only between start() and close()")
        config = self._platform_config if context is None else self._config(self._environment_app(context))
        state, protocol_class = self._state.server_state, config.http_protocol_class

        def protocol() -> asyncio.Protocol:
            made: asyncio.Protocol = protocol_class(config=config, server_state=state, app_state={})  # type: ignore[call-arg]
            return made

        server = await asyncio.get_running_loop().create_server(protocol, sock=sock)
        self._servers.add(server)

        async def stop() -> None:
            self._servers.discard(server)
            server.close()

        return stop

    def _environment_app(self, context: Any) -> ASGIApp:
        platform, runtime_api, prefixes, key = self._platform, self._runtime_api, self._prefixes, self._scope_key
        assert platform is not None

        async def environment_app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"].startswith(prefixes):
                await runtime_api({**scope, key: context}, receive, send)
            else:
                await platform(scope, receive, send)

        return environment_app

    @staticmethod
    def _config(app: ASGIApp) -> uvicorn.Config:
        # The main listener's protocol settings (cli ``lambent serve``), without its logging
        # set-up (log_config=None: the server's logging is configured once, by the CLI).
        config = uvicorn.Config(
            app, lifespan="off", log_config=None, http="httptools", ws="none", access_log=False, proxy_headers=False
        )
        config.load()
        return config
