"""Builders for the invoker's unit tests: an Invoker on a FakeSandbox and a FakeClock, a sink
that keeps what it is given, and function versions. No processes, no sleeping, no root."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from lambent.clock import FakeClock
from lambent.invoker.directory import HashedDirectory
from lambent.invoker.invoker import Invoker, InvokeRequest, InvokerSettings
from lambent.model.billing import UsageRecord
from lambent.model.function import FunctionVersion
from lambent.runtimes import RuntimeSpec
from lambent.sandbox.fake import FakeSandbox

RUNTIMES = {
    "python3.12": RuntimeSpec(name="python3.12", family="python", executable="/usr/bin/python3", version="3.12.1"),
    "provided.al2023": RuntimeSpec(name="provided.al2023", family="provided", executable="/bin/sh", version=""),
}


class RecordingSink:
    """A LogSink that keeps everything, in order."""

    def __init__(self) -> None:
        self.logs: list[tuple[str, str, int, bytes]] = []
        self.usage: list[UsageRecord] = []

    def append(self, group: str, stream: str, timestamp_ms: int, text: bytes) -> None:
        self.logs.append((group, stream, timestamp_ms, text))

    def record(self, group: str, stream: str, timestamp_ms: int, text: bytes, usage: UsageRecord) -> None:
        self.logs.append((group, stream, timestamp_ms, text))
        self.usage.append(usage)

    def record_usage(self, usage: UsageRecord) -> None:
        self.usage.append(usage)


def function_version(name: str = "fn", **changes: Any) -> FunctionVersion:
    base = FunctionVersion(
        name=name,
        runtime="python3.12",
        handler="app.handler",
        role="arn:aws:iam::000000000000:role/test",
        timeout_s=3,
        code_sha256_hex="ab" * 32,
        code_size=10,
        last_modified="2026-01-01T00:00:00.000+0000",
        revision_id="r1",
    )
    return msgspec.structs.replace(base, **changes)


def request(number: int = 1, **changes: Any) -> InvokeRequest:
    fields: dict[str, Any] = {
        "request_id": f"00000000-0000-0000-0000-{number:012d}",
        "payload": b"{}",
        "invoked_arn": "arn:aws:lambda:us-east-1:000000000000:function:fn",
    }
    return InvokeRequest(**{**fields, **changes})


class Gate:
    """Holds fake handlers until the test lets them go: ``entered`` counts the ones waiting."""

    def __init__(self) -> None:
        self.entered = 0
        self._open = asyncio.Event()
        self._changed = asyncio.Event()

    async def wait(self) -> None:
        self.entered += 1
        self._changed.set()
        await self._open.wait()

    async def until_entered(self, count: int) -> None:
        while self.entered < count:
            self._changed.clear()
            await self._changed.wait()

    def open(self) -> None:
        self._open.set()


class Harness(msgspec.Struct, kw_only=True):
    invoker: Invoker
    sandbox: FakeSandbox
    clock: FakeClock
    sink: RecordingSink


MakeHarness = Callable[..., Harness]


@pytest.fixture
def harness() -> MakeHarness:
    """``harness(handler, init=..., **settings)``: an Invoker over a FakeSandbox running *handler*."""

    def make(handler: Any = lambda call: call.process.pid, init: Any = None, **changes: Any) -> Harness:
        clock = FakeClock()
        sink = RecordingSink()
        sandbox = FakeSandbox(handler) if init is None else FakeSandbox(handler, init)
        settings = InvokerSettings(
            region="us-east-1",
            account_id="000000000000",
            endpoint_url="http://127.0.0.1:9",
            idle_timeout_s=60.0,
            concurrency_limit=1000,
            runtime_dir="/runtime",
            opt_root="/opt-root",
        )
        settings = msgspec.structs.replace(settings, **changes)
        invoker = Invoker(sandbox, RUNTIMES, settings, sink, lambda sha: f"/code/{sha}", HashedDirectory(), clock)
        return Harness(invoker=invoker, sandbox=sandbox, clock=clock, sink=sink)

    return make


@pytest.fixture
def version() -> Callable[..., FunctionVersion]:
    return function_version


@pytest.fixture
def make_request() -> Callable[..., InvokeRequest]:
    return request


@pytest.fixture
def gate() -> Callable[[], Gate]:
    return Gate
