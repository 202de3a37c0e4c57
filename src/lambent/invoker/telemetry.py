"""The Telemetry API (2022-07-01) for one environment: subscriptions and batched delivery.

An extension subscribes with ``PUT /2022-07-01/telemetry`` to event types (platform, function,
extension) and gives an HTTP destination inside the environment (``sandbox.localdomain:PORT``).
The platform emits AWS's records (schema 2022-12-13): platform.initStart, initRuntimeDone,
initReport, platform.start, runtimeDone, report, and one ``function`` record per log line. Each
subscriber gets them in batches (a JSON array POSTed to its destination) when ``maxItems`` is
reached or ``timeoutMs`` after the first event waiting, as AWS buffers. Delivery failures drop
the batch (and are counted): telemetry never blocks an invocation.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import msgspec

from lambent.clock import Clock
from lambent.errors import RuntimeApiRefusal
from lambent.invoker.timeouts import within

log = logging.getLogger(__name__)
SCHEMA_VERSIONS = ("2022-07-01", "2022-12-13", "2025-01-29")
TYPES = ("platform", "function", "extension")
#: Opens a TCP connection to a port of the environment's own loopback.
Connector = Callable[[int], Awaitable[socket.socket]]


class _Subscriber(msgspec.Struct, kw_only=True):
    types: tuple[str, ...]
    port: int
    path: str
    max_items: int
    timeout_s: float
    pending: list[dict[str, Any]] = msgspec.field(default_factory=list)
    #: Flushes the batch ``timeout_s`` after its first event (a sleep on the injected clock).
    timer: asyncio.Task[None] | None = None


def _timestamp(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Telemetry:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._subscribers: dict[str, _Subscriber] = {}
        self._connect: Connector | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.delivered = 0
        self.dropped = 0

    def attach(self, connect: Connector) -> None:
        """How to reach the environment's loopback (given by the sandbox once it exists)."""
        self._connect = connect

    def subscribe(self, identifier: str, document: Any) -> None:
        if not isinstance(document, dict):
            raise RuntimeApiRefusal(400, "ValidationError", "The body must be a JSON object")
        types = document.get("types") or []
        destination = document.get("destination") or {}
        if not types or any(t not in TYPES for t in types):
            raise RuntimeApiRefusal(400, "ValidationError", f"types must be among {', '.join(TYPES)}")
        if document.get("schemaVersion", "2022-12-13") not in SCHEMA_VERSIONS:
            raise RuntimeApiRefusal(400, "ValidationError", "Unsupported schemaVersion")
        if destination.get("protocol") != "HTTP":
            raise RuntimeApiRefusal(400, "ValidationError", "Only the HTTP protocol is supported")
        target = urlsplit(destination.get("URI", ""))
        if target.scheme != "http" or target.hostname not in ("sandbox.localdomain", "localhost", "127.0.0.1") or not target.port:
            raise RuntimeApiRefusal(400, "ValidationError", "The destination must be http://sandbox.localdomain:PORT")
        buffering = document.get("buffering") or {}
        self._subscribers[identifier] = _Subscriber(
            types=tuple(types),
            port=target.port,
            path=target.path or "/",
            max_items=max(1000, min(10000, int(buffering.get("maxItems", 10000)))),
            timeout_s=max(25, min(30000, int(buffering.get("timeoutMs", 1000)))) / 1000,
        )

    @property
    def active(self) -> bool:
        return bool(self._subscribers)

    def emit(self, kind: str, event_type: str, record: Any) -> None:
        """Queue one record of *kind* (platform / function / extension) for its subscribers."""
        if not self._subscribers:
            return
        event = {"time": _timestamp(self._clock.time()), "type": event_type, "record": record}
        for subscriber in self._subscribers.values():
            if kind not in subscriber.types:
                continue
            subscriber.pending.append(event)
            if len(subscriber.pending) >= subscriber.max_items:
                self._flush(subscriber)
            elif subscriber.timer is None:
                subscriber.timer = asyncio.ensure_future(self._flush_later(subscriber))

    def emit_log(self, text: bytes) -> None:
        for line in text.decode("utf-8", "replace").splitlines():
            self.emit("function", "function", line)

    async def _flush_later(self, subscriber: _Subscriber) -> None:
        await self._clock.sleep(subscriber.timeout_s)
        subscriber.timer = None  # done: _flush must not cancel the task it runs in
        self._flush(subscriber)

    def _flush(self, subscriber: _Subscriber) -> None:
        if subscriber.timer is not None:
            subscriber.timer.cancel()
            subscriber.timer = None
        batch, subscriber.pending = subscriber.pending, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._deliver(subscriber, batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def flush_all(self) -> None:
        for subscriber in self._subscribers.values():
            self._flush(subscriber)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _deliver(self, subscriber: _Subscriber, batch: list[dict[str, Any]]) -> None:
        if self._connect is None:
            self.dropped += len(batch)
            return
        body = json.dumps(batch).encode()
        request = (
            f"POST {subscriber.path} HTTP/1.1\r\nHost: sandbox.localdomain:{subscriber.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode() + body
        try:
            sock = await self._connect(subscriber.port)
            reader, writer = await asyncio.open_connection(sock=sock)
            writer.write(request)
            await writer.drain()
            with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
                async with within(self._clock, 5.0):
                    await reader.readline()
            writer.close()
            self.delivered += len(batch)
        except (OSError, TimeoutError) as exc:
            self.dropped += len(batch)
            log.debug("telemetry batch of %d dropped: %s", len(batch), exc)

    async def close(self) -> None:
        await self.flush_all()
        self._subscribers.clear()
