"""Provisioned concurrency on fakes: filling to the count, serving warm, metering allocation on
the fake clock, replacing ended environments, a failed init, and releasing them."""

from __future__ import annotations

import asyncio
from typing import Any

from lambent.invoker.provisioned import ALLOCATION_METER_MS
from lambent.sandbox.fake import FakeProcess
from tests.fixtures.waiting import until


def test_provisioning_fills_to_the_count_with_initialised_environments(harness: Any, version: Any, make_request: Any) -> None:
    async def scenario() -> None:
        h = harness()
        fn = version(version="1")
        h.invoker.provision(fn, 2)
        state = h.invoker.provisioned(fn)
        assert state is not None and state.requested == 2
        await until(lambda: h.invoker.provisioned(fn).allocated == 2)
        assert len(h.sandbox.processes) == 2
        assert all(p.spec.env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "provisioned-concurrency" for p in h.sandbox.processes)
        invocation = await h.invoker.invoke(fn, make_request(1))
        assert invocation.init_duration_ms is None  # warm: its init ran ahead
        assert h.sink.usage[-1].kind == "invoke" and h.sink.usage[-1].provisioned
        assert len(h.sandbox.processes) == 2
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_provisioned_environments_are_not_reaped_and_their_allocation_is_metered(harness: Any, version: Any) -> None:
    async def scenario() -> None:
        h = harness(idle_timeout_s=10.0)
        fn = version(version="1", memory_mb=256)
        h.invoker.provision(fn, 1)
        await until(lambda: h.invoker.provisioned(fn).allocated == 1)
        h.invoker.start()
        for _ in range(ALLOCATION_METER_MS // 2500):  # the reaper wakes every 2.5 s
            await h.clock.advance(2.5)
        await until(lambda: any(u.kind == "provisioned" for u in h.sink.usage))
        assert not h.sandbox.processes[0].killed
        allocation = next(u for u in h.sink.usage if u.kind == "provisioned")
        assert allocation.billed_ms == ALLOCATION_METER_MS and allocation.end_ms - allocation.start_ms == ALLOCATION_METER_MS
        assert (allocation.memory_mb, allocation.outcome, allocation.invocation_type) == (256, "allocated", "Provisioned")
        h.invoker.provision(fn, 0)  # released: metered up to now, then reaped like any other
        await h.clock.advance(10)
        await h.invoker.reap_idle(h.clock.monotonic())
        assert h.sandbox.processes[0].killed
        assert h.invoker.provisioned(fn) is None
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_an_ended_provisioned_environment_is_replaced(harness: Any, version: Any) -> None:
    async def scenario() -> None:
        h = harness(idle_timeout_s=10.0)
        fn = version(version="1")
        h.invoker.provision(fn, 1)
        await until(lambda: h.invoker.provisioned(fn).allocated == 1)
        await h.invoker.function_changed("fn", None)  # its idle environments end
        assert h.sandbox.processes[0].killed
        h.invoker.start()
        await until(lambda: h.clock.sleepers == 1)  # the reaper sleeps on the clock
        await h.clock.advance(2.5)
        await until(lambda: len(h.sandbox.processes) == 2 and h.invoker.provisioned(fn).allocated == 1)
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_a_failed_init_stops_the_filling_with_its_error(harness: Any, version: Any) -> None:
    async def scenario() -> None:
        def broken(_process: FakeProcess) -> None:
            raise RuntimeError("cannot start")

        h = harness(init=broken)
        fn = version(version="1")
        h.invoker.provision(fn, 3)
        await until(lambda: h.invoker.provisioned(fn).failure is not None)
        state = h.invoker.provisioned(fn)
        assert state is not None and state.failure == "RuntimeError: cannot start" and state.allocated == 0
        assert len(h.sandbox.processes) == 1
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_deleting_the_function_drops_its_provisioned_concurrency(harness: Any, version: Any) -> None:
    async def scenario() -> None:
        h = harness()
        fn = version(version="1")
        h.invoker.provision(fn, 1)
        await until(lambda: h.invoker.provisioned(fn).allocated == 1)
        await h.invoker.function_deleted("fn")
        assert h.invoker.provisioned(fn) is None and h.sandbox.processes[0].killed
        await h.invoker.shutdown()

    asyncio.run(scenario())
