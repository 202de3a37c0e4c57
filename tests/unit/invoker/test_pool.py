"""Pool choice: warm reuse, the most recently used environment first, one pool per revision,
one environment per concurrent invocation, and what the function events make stale."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from lambent.sandbox.fake import FakeCall


def pid_of(invocation: Any) -> int:
    return int(msgspec.json.decode(invocation.payload))


def test_a_warm_environment_is_reused_and_only_the_first_invocation_has_an_init(
    harness: Any, version: Any, make_request: Any
) -> None:
    async def scenario() -> None:
        h = harness()
        fn = version()
        first = await h.invoker.invoke(fn, make_request(1))
        second = await h.invoker.invoke(fn, make_request(2))
        assert pid_of(first) == pid_of(second)
        assert len(h.sandbox.processes) == 1 and h.sandbox.processes[0].invocations == 2
        assert first.init_duration_ms is not None and second.init_duration_ms is None
        assert b"Init Duration" in first.log and b"Init Duration" not in second.log
        assert h.invoker.statistics().started == 1
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_concurrent_invocations_get_one_environment_each_all_in_flight_at_once(
    harness: Any, version: Any, make_request: Any, gate: Any
) -> None:
    """(Was a wall-clock assert in test_invoke.py: four 0.5 s invocations served side by side.)"""

    async def scenario() -> None:
        held = gate()

        async def handler(call: FakeCall) -> int:
            await held.wait()
            return call.process.pid

        h = harness(handler)
        fn = version()
        tasks = [asyncio.create_task(h.invoker.invoke(fn, make_request(n))) for n in range(4)]
        await held.until_entered(4)  # all four are running before any is let go
        assert h.invoker.statistics().busy == 4
        held.open()
        results = await asyncio.gather(*tasks)
        assert len({pid_of(r) for r in results}) == 4
        statistics = h.invoker.statistics()
        assert statistics.environments == 4 and statistics.idle == 4 and statistics.busy == 0
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_the_most_recently_used_idle_environment_is_taken(harness: Any, version: Any, make_request: Any) -> None:
    async def scenario() -> None:
        releases: dict[int, asyncio.Event] = {}
        both_running = asyncio.Event()

        async def handler(call: FakeCall) -> int:
            event = releases.setdefault(call.process.pid, asyncio.Event())
            if call.process.invocations == 1:
                if len(releases) == 2:
                    both_running.set()
                await event.wait()
            return call.process.pid

        h = harness(handler)
        fn = version()
        a = asyncio.create_task(h.invoker.invoke(fn, make_request(1)))
        b = asyncio.create_task(h.invoker.invoke(fn, make_request(2)))
        await both_running.wait()
        first_pid, second_pid = sorted(releases)
        releases[second_pid].set()  # the second environment finishes first...
        await asyncio.wait([a, b], return_when=asyncio.FIRST_COMPLETED)
        releases[first_pid].set()  # ...and the first one last: it is the most recently used
        await asyncio.gather(a, b)
        assert pid_of(await h.invoker.invoke(fn, make_request(3))) == first_pid
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_each_revision_and_version_has_its_own_pool(harness: Any, version: Any, make_request: Any) -> None:
    async def scenario() -> None:
        h = harness()
        r1, r2, v1 = version(revision_id="r1"), version(revision_id="r2"), version(version="1", revision_id="r1")
        pids = [pid_of(await h.invoker.invoke(fn, make_request(n))) for n, fn in enumerate((r1, r2, v1, r1))]
        assert pids[0] != pids[1] != pids[2] != pids[0]
        assert pids[3] == pids[0]
        env = h.sandbox.processes[1].spec.env
        assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST" and env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
        assert h.sandbox.processes[2].spec.env["AWS_LAMBDA_FUNCTION_VERSION"] == "1"
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_a_change_ends_idle_environments_of_other_revisions_only(harness: Any, version: Any, make_request: Any) -> None:
    async def scenario() -> None:
        h = harness()
        old, new, other = version(revision_id="r1"), version(revision_id="r2"), version(name="other")
        for n, fn in enumerate((old, new, other)):
            await h.invoker.invoke(fn, make_request(n))
        old_env, new_env, other_env = h.sandbox.processes
        await h.invoker.function_changed("fn", "r2")
        assert old_env.killed and not new_env.killed and not other_env.killed
        await h.invoker.function_changed("fn", None)  # every idle environment of fn is stale
        assert new_env.killed and not other_env.killed
        assert h.invoker.statistics().environments == 1
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_deleting_a_function_or_a_version_ends_their_idle_environments(harness: Any, version: Any, make_request: Any) -> None:
    async def scenario() -> None:
        h = harness()
        latest, one, two = version(), version(version="1"), version(version="2")
        for n, fn in enumerate((latest, one, two)):
            await h.invoker.invoke(fn, make_request(n))
        await h.invoker.version_deleted("fn", "1")
        assert [p.killed for p in h.sandbox.processes] == [False, True, False]
        await h.invoker.function_deleted("fn")
        assert all(p.killed for p in h.sandbox.processes)
        assert h.invoker.statistics().environments == 0
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_a_failed_environment_is_never_reused(harness: Any, version: Any, make_request: Any) -> None:
    async def scenario() -> None:
        def handler(call: FakeCall) -> int:
            if call.event == b'"boom"':
                raise ValueError("boom")
            return call.process.pid

        h = harness(handler)
        fn = version()
        failed = await h.invoker.invoke(fn, make_request(1, payload=b'"boom"'))
        assert failed.failure is not None and failed.failure.error_type == "ValueError"
        # A function's error leaves its environment usable: the next invocation is warm.
        assert pid_of(await h.invoker.invoke(fn, make_request(2))) == h.sandbox.processes[0].pid
        assert len(h.sandbox.processes) == 1
        await h.invoker.shutdown()

    asyncio.run(scenario())


def test_spin_down_logs_what_the_environment_wrote_after_its_last_invocation(
    harness: Any, version: Any, make_request: Any
) -> None:
    async def scenario() -> None:
        h = harness()
        await h.invoker.invoke(version(), make_request(1))
        h.sandbox.processes[0].print("late line")
        await h.invoker.function_changed("fn", None)
        group, _stream, _ms, text = h.sink.logs[-1]
        assert group == "/aws/lambda/fn" and text == b"late line\n"
        await h.invoker.shutdown()

    asyncio.run(scenario())
