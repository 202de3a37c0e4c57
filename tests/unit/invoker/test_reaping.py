"""Idle reaping on the fake clock: an environment idle for the idle timeout is ended (gracefully,
its last output logged), one used more recently is not, the reaper loop sleeps on the clock, and
an environment past its lifetime is never reused and is retired (replaced, if provisioned)."""

from __future__ import annotations

import asyncio
from typing import Any

from lambent.model.limits import ENVIRONMENT_LIFETIME_S, ROLE_SESSION_S
from tests.fixtures.waiting import until


def test_an_environment_idle_for_the_idle_timeout_is_reaped_and_not_sooner(harness: Any, version: Any, make_request: Any) -> None:
    async def scenario() -> None:
        h = harness(idle_timeout_s=30.0)
        await h.invoker.invoke(version(), make_request(1))
        process = h.sandbox.processes[0]
        await h.clock.advance(29.9)
        await h.invoker.reap_idle(h.clock.monotonic())
        assert not process.killed
        await h.clock.advance(0.1)
        await h.invoker.reap_idle(h.clock.monotonic())
        assert process.killed and process.closed
        statistics = h.invoker.statistics()
        assert (statistics.reaped, statistics.environments, statistics.idle) == (1, 0, 0)
        await h.invoker.invoke(version(), make_request(2))  # a cold start again
        assert len(h.sandbox.processes) == 2
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_idle_age_counts_from_the_last_invocation(harness: Any, version: Any, make_request: Any) -> None:
    async def scenario() -> None:
        h = harness(idle_timeout_s=30.0)
        fn, other = version(), version(name="other")
        await h.invoker.invoke(fn, make_request(1))
        await h.invoker.invoke(other, make_request(2))
        await h.clock.advance(20)
        await h.invoker.invoke(fn, make_request(3))  # fn's environment is used again
        await h.clock.advance(15)
        await h.invoker.reap_idle(h.clock.monotonic())
        fn_env, other_env = h.sandbox.processes
        assert not fn_env.killed and other_env.killed
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_the_reaper_loop_runs_on_the_clock(harness: Any, version: Any, make_request: Any) -> None:
    async def scenario() -> None:
        h = harness(idle_timeout_s=8.0)  # the reaper wakes every 2 s
        h.invoker.start()
        await h.invoker.invoke(version(), make_request(1))
        process = h.sandbox.processes[0]
        for _ in range(3):
            await h.clock.advance(2)
        assert not process.killed
        for _ in range(3):  # the reaper's next wake-ups, one of them past the idle timeout
            await h.clock.advance(2)
        for _ in range(20):
            if process.killed:
                break
            await asyncio.sleep(0)
        assert process.killed and h.invoker.statistics().reaped == 1
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_shutdown_ends_every_environment_and_the_sandbox(harness: Any, version: Any, make_request: Any) -> None:
    async def scenario() -> None:
        h = harness()
        await h.invoker.invoke(version(), make_request(1))
        await h.invoker.invoke(version(name="other"), make_request(2))
        await h.invoker.shutdown()
        assert all(p.killed and p.closed for p in h.sandbox.processes) and h.sandbox.closed
        assert h.invoker.statistics().environments == 0

    asyncio.run(scenario())


def test_an_environment_is_retired_before_its_role_credentials_expire(harness: Any, version: Any, make_request: Any) -> None:
    async def scenario() -> None:
        h = harness(idle_timeout_s=ENVIRONMENT_LIFETIME_S * 2)  # never idle long enough to be reaped
        await h.invoker.invoke(version(), make_request(1))
        first = h.sandbox.processes[0]
        await h.clock.advance(ENVIRONMENT_LIFETIME_S - 1)
        await h.invoker.invoke(version(), make_request(2))  # still young: reused
        assert len(h.sandbox.processes) == 1
        await h.clock.advance(1)
        await h.invoker.invoke(version(), make_request(3))  # too old to be taken: a new one
        assert len(h.sandbox.processes) == 2 and not first.killed
        await h.invoker.reap_idle(h.clock.monotonic())  # and the old one is retired
        assert first.killed and not h.sandbox.processes[1].killed
        assert ROLE_SESSION_S - ENVIRONMENT_LIFETIME_S == 3600  # an hour before its credentials expire
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_a_provisioned_environment_is_replaced_at_the_end_of_its_lifetime(harness: Any, version: Any) -> None:
    async def scenario() -> None:
        h = harness(idle_timeout_s=10.0)
        fn = version(version="1")
        h.invoker.provision(fn, 1)
        await until(lambda: h.invoker.provisioned(fn).allocated == 1)
        await h.clock.advance(ENVIRONMENT_LIFETIME_S)
        await h.invoker.reap_idle(h.clock.monotonic())
        assert h.sandbox.processes[0].killed
        h.invoker.start()
        await until(lambda: h.clock.sleepers == 1)
        await h.clock.advance(2.5)
        await until(lambda: len(h.sandbox.processes) == 2 and h.invoker.provisioned(fn).allocated == 1)
        await h.invoker.shutdown()

    asyncio.run(scenario())
