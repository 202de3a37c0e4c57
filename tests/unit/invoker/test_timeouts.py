"""Timeouts and failures: a hung handler times out when the fake clock passes the function's
timeout (not before), a hung init after the init timeout, and an exit is Runtime.ExitError.
The environment that failed is killed and never reused."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from lambent.clock import FakeClock
from lambent.invoker.timeouts import within
from lambent.model.limits import INIT_TIMEOUT_S
from lambent.sandbox.fake import FakeCall, FakeExit, FakeProcess, hang
from tests.fixtures.waiting import until


async def until_sleeping(clock: FakeClock) -> None:
    """Until a deadline is armed on *clock*."""
    await until(lambda: clock.sleepers > 0)


async def until_invoked(h: Any, count: int = 1) -> None:
    """Until the newest environment runs its *count*-th invocation, with its deadline armed."""
    await until(lambda: bool(h.sandbox.processes) and h.sandbox.processes[-1].invocations >= count)
    await until_sleeping(h.clock)


def test_within_raises_once_the_clock_passes_the_deadline_and_not_before() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        reached: list[str] = []

        async def block() -> None:
            async with within(clock, 2.0):
                await asyncio.get_running_loop().create_future()
            reached.append("never")

        task = asyncio.create_task(block())
        await until_sleeping(clock)
        await clock.advance(1.999)
        assert not task.done()
        await clock.advance(0.001)
        with pytest.raises(TimeoutError):
            await task
        assert reached == [] and clock.sleepers == 0

    asyncio.run(scenario())


def test_within_leaves_a_block_that_finishes_in_time_alone() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        async with within(clock, 1.0):
            await asyncio.sleep(0)
        assert clock.sleepers == 0  # its deadline is disarmed
        await clock.advance(5)

    asyncio.run(scenario())


def test_a_hung_handler_times_out_at_the_function_timeout(harness: Any, version: Any, make_request: Any) -> None:
    """(Was a wall-clock assert in test_invoke.py: 1.0 <= elapsed < 1.6 for Timeout=1.)"""

    async def scenario() -> None:
        h = harness(hang)
        fn = version(timeout_s=1)
        task = asyncio.create_task(h.invoker.invoke(fn, make_request(1)))
        await until_invoked(h)
        await h.clock.advance(0.999)
        assert not task.done()
        await h.clock.advance(0.001)
        invocation = await task
        request_id = make_request(1).request_id
        assert invocation.failure is not None
        assert invocation.failure.error_type == "Sandbox.Timedout"
        assert invocation.failure.message == f"RequestId: {request_id} Error: Task timed out after 1.00 seconds"
        log = invocation.log.decode()
        # The timeout line carries the clock's time: 2026-01-01T00:00:01.000Z, one second in.
        assert f"2026-01-01T00:00:01.000Z {request_id} Task timed out after 1.00 seconds\n" in log
        assert re.search(r"Duration: 1000\.00 ms\t.*Status: timeout\t", log)
        assert invocation.billed_duration_ms >= 1000
        assert h.sandbox.processes[0].killed
        assert h.sink.usage[-1].outcome == "timeout"
        # The next invocation starts a fresh environment (and it hangs too: no matter).
        again = asyncio.create_task(h.invoker.invoke(fn, make_request(2)))
        await until(lambda: len(h.sandbox.processes) == 2)
        await until_invoked(h)
        await h.clock.advance(1)
        assert (await again).failure is not None
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_an_init_that_never_reports_times_out_after_the_init_timeout(harness: Any, version: Any, make_request: Any) -> None:
    async def scenario() -> None:
        async def stuck(_process: FakeProcess) -> None:
            await asyncio.get_running_loop().create_future()

        h = harness(init=stuck)
        task = asyncio.create_task(h.invoker.invoke(version(), make_request(1)))
        await until_sleeping(h.clock)
        await h.clock.advance(INIT_TIMEOUT_S)
        # AWS tries the init again in the invoke phase, under the function's timeout (3 s).
        await until(lambda: len(h.sandbox.processes) == 2)
        await until_sleeping(h.clock)
        await h.clock.advance(2.999)
        assert not task.done()
        await h.clock.advance(0.001)
        invocation = await task
        request_id = make_request(1).request_id
        assert invocation.failure is not None and invocation.failure.error_type == "Sandbox.Timedout"
        assert invocation.failure.message == f"RequestId: {request_id} Error: Task timed out after 3.00 seconds"
        lines = invocation.log.decode().splitlines()
        assert lines[0] == f"INIT_REPORT Init Duration: {INIT_TIMEOUT_S * 1000:.2f} ms\tPhase: init\tStatus: timeout"
        assert lines[1] == "INIT_REPORT Init Duration: 3000.00 ms\tPhase: invoke\tStatus: error\tError Type: Runtime.Unknown"
        assert lines[2] == f"START RequestId: {request_id} Version: $LATEST"
        assert lines[3].endswith(f" {request_id} Task timed out after 3.00 seconds")
        assert lines[4] == f"END RequestId: {request_id}"
        assert lines[5].startswith(f"REPORT RequestId: {request_id}\tDuration: 3000.00 ms\t")
        assert all(p.killed for p in h.sandbox.processes) and h.sink.usage[-1].outcome == "init_error"
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_an_init_error_is_reported_and_the_environment_ends(harness: Any, version: Any, make_request: Any) -> None:
    async def scenario() -> None:
        def broken(_process: FakeProcess) -> None:
            raise ImportError("no module named app")

        h = harness(init=broken)
        invocation = await h.invoker.invoke(version(), make_request(1))
        assert invocation.failure is not None
        assert (invocation.failure.error_type, invocation.failure.message) == ("ImportError", "no module named app")
        assert h.sandbox.processes[0].killed and h.invoker.statistics().environments == 0
        assert h.sink.usage[-1].outcome == "init_error"
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_a_runtime_that_exits_is_runtime_exit_error(harness: Any, version: Any, make_request: Any) -> None:
    async def scenario() -> None:
        def exits(_call: FakeCall) -> None:
            raise FakeExit(3)

        h = harness(exits)
        invocation = await h.invoker.invoke(version(), make_request(1))
        request_id = make_request(1).request_id
        assert invocation.failure is not None and invocation.failure.error_type == "Runtime.ExitError"
        assert invocation.failure.message == f"RequestId: {request_id} Error: Runtime exited with error: exit status 3"
        assert b"Status: error\tError Type: Runtime.ExitError\t" in invocation.log
        assert h.sink.usage[-1].outcome == "crash" and h.invoker.statistics().environments == 0
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_the_deadline_the_runtime_sees_is_the_clock_plus_the_timeout(harness: Any, version: Any, make_request: Any) -> None:
    async def scenario() -> None:
        seen: list[dict[str, Any]] = []

        def handler(call: FakeCall) -> None:
            seen.append(call.header)

        h = harness(handler)
        await h.invoker.invoke(version(timeout_s=7), make_request(1, trace_id="Root=1-abc"))
        header = seen[0]
        assert header["t"] == "invoke" and header["id"] == make_request(1).request_id
        assert header["deadline_ms"] == int(h.clock.time() * 1000) + 7000
        assert header["trace_id"] == "Root=1-abc" and header["identity"] is None
        await h.invoker.shutdown()

    asyncio.run(scenario())
