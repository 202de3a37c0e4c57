"""The queue poller over a fake source and a fake clock: a batching window gathers one batch,
filters settle what they drop uninvoked, a failed invocation releases its batch to the source's
redelivery, batch item failures release only what they name, a stop abandons a waiting receive
and gives back what it brings, and full batches add workers up to the maximum."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from lambent.clock import FakeClock
from lambent.model.event_source_mapping import FilterCriteria, FilterSpec, MappingInput, ScalingConfig
from lambent.sources.poller import Invoked
from lambent.sources.queue_poller import Message, QueuePoller


class FakeQueue:
    """A queue in memory: ``put`` adds messages; a receive on an empty queue waits on the fake
    clock for *wait_s*, or until a put."""

    per_receive = 10

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.waiting: list[Message] = []
        self.acked: list[str] = []
        self.released: list[tuple[str, bool]] = []
        self.receives = 0
        self._arrived = asyncio.Event()

    def put(self, *bodies: str) -> None:
        for body in bodies:
            self.waiting.append(
                Message(
                    id=body, record={"body": body}, view={"body": json.loads(body) if body[:1] == "{" else body}, size=len(body)
                )
            )
        self._arrived.set()

    async def receive(self, limit: int, wait_s: float) -> list[Message]:
        self.receives += 1
        if not self.waiting:
            self._arrived.clear()
            sleeping = asyncio.ensure_future(self.clock.sleep(wait_s))
            arriving = asyncio.ensure_future(self._arrived.wait())
            await asyncio.wait({sleeping, arriving}, return_when=asyncio.FIRST_COMPLETED)
            sleeping.cancel()
            arriving.cancel()
        taken, self.waiting = self.waiting[:limit], self.waiting[limit:]
        return taken

    async def ack(self, messages: list[Message]) -> None:
        self.acked += [m.id for m in messages]

    async def release(self, messages: list[Message], failed: bool) -> None:
        self.released += [(m.id, failed) for m in messages]

    def event(self, messages: list[Message]) -> bytes:
        return json.dumps({"Records": [m.record for m in messages]}).encode()

    async def depth(self) -> int | None:
        return len(self.waiting)

    async def close(self) -> None:
        pass


class Function:
    """Records each batch it gets; answers with *answer* (bytes) or fails with *error*."""

    def __init__(self, answer: bytes = b"null", error: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.answer, self.error = answer, error

    async def __call__(self, payload: bytes) -> Invoked:
        self.batches.append([r["body"] for r in json.loads(payload)["Records"]])
        return Invoked(function_error=self.error, payload=self.answer)


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def poller(queue: FakeQueue, function: Function, clock: FakeClock, max_workers: int = 1, **settings: Any) -> QueuePoller:
    results: list[str] = []
    made = QueuePoller(queue, MappingInput(**settings), function, results.append, clock, max_workers=max_workers)
    made.results = results  # type: ignore[attr-defined]
    return made


def test_a_batching_window_gathers_what_arrives_within_it() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        queue, function = FakeQueue(clock), Function()
        running = poller(queue, function, clock, batch_size=10, maximum_batching_window_in_seconds=5)
        await running.start()
        queue.put("a", "b", "c")
        await settle()
        await clock.advance(2)
        queue.put("d", "e")
        await settle()
        assert function.batches == []  # the window is still open
        await clock.advance(3.5)
        await settle()
        assert function.batches == [["a", "b", "c", "d", "e"]]
        assert queue.acked == ["a", "b", "c", "d", "e"]
        assert running.results == ["OK"]  # type: ignore[attr-defined]
        await running.stop()

    asyncio.run(scenario())


def test_without_a_window_a_batch_goes_as_soon_as_it_arrives() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        queue, function = FakeQueue(clock), Function()
        running = poller(queue, function, clock, batch_size=10)
        await running.start()
        queue.put("a")
        await settle()
        assert function.batches == [["a"]]
        await running.stop()

    asyncio.run(scenario())


def test_filters_settle_what_they_drop_without_an_invocation() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        queue, function = FakeQueue(clock), Function()
        keep = FilterCriteria(filters=[FilterSpec(pattern='{"body": {"keep": [true]}}')])
        running = poller(queue, function, clock, batch_size=10, filter_criteria=keep)
        await running.start()
        queue.put('{"keep": false}', "plain")
        await settle()
        assert function.batches == []
        assert queue.acked == ['{"keep": false}', "plain"]
        queue.put('{"keep": true}')
        await settle()
        assert function.batches == [['{"keep": true}']]
        assert running.statistics().filtered == 2
        await running.stop()

    asyncio.run(scenario())


def test_a_failed_invocation_releases_the_whole_batch_to_redelivery() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        queue, function = FakeQueue(clock), Function(error="Runtime.Unknown")
        running = poller(queue, function, clock)
        await running.start()
        queue.put("a", "b")
        await settle()
        assert queue.released == [("a", True), ("b", True)]
        assert queue.acked == []
        assert running.results == ["PROBLEM: Function call failed"]  # type: ignore[attr-defined]
        await running.stop()

    asyncio.run(scenario())


def test_batch_item_failures_release_only_what_they_name_and_a_bad_answer_fails_all() -> None:
    async def scenario(answer: bytes) -> FakeQueue:
        clock = FakeClock()
        queue, function = FakeQueue(clock), Function(answer=answer)
        running = poller(queue, function, clock, function_response_types=["ReportBatchItemFailures"])
        await running.start()
        queue.put("a", "b", "c")
        await settle()
        await running.stop()
        return queue

    named = asyncio.run(scenario(b'{"batchItemFailures": [{"itemIdentifier": "b"}]}'))
    assert (named.acked, named.released) == (["a", "c"], [("b", True)])
    unknown = asyncio.run(scenario(b'{"batchItemFailures": [{"itemIdentifier": "zzz"}]}'))
    assert (unknown.acked, len(unknown.released)) == ([], 3)
    not_json = asyncio.run(scenario(b"not json"))
    assert (not_json.acked, len(not_json.released)) == ([], 3)


def test_a_stop_abandons_a_waiting_receive_and_gives_back_what_it_brings() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        queue, function = FakeQueue(clock), Function()
        running = poller(queue, function, clock)
        await running.start()
        await settle()
        await running.stop()  # returns with the receive still waiting on the queue
        queue.put("late")
        await running.drain()
        assert function.batches == []
        assert queue.released == [("late", False)]

    asyncio.run(scenario())


def test_full_batches_add_workers_up_to_the_maximum() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        queue, function = FakeQueue(clock), Function()
        running = poller(
            queue, function, clock, max_workers=50, batch_size=1, scaling_config=ScalingConfig(maximum_concurrency=7)
        )
        await running.start()
        assert running.statistics().concurrency == 5
        queue.put(*[f"m{i}" for i in range(40)])
        await settle()
        assert running.statistics().concurrency == 7
        assert sorted(b[0] for b in function.batches) == sorted(f"m{i}" for i in range(40))
        await clock.advance(25)  # empty receives give workers up, down to the start
        await settle()
        await clock.advance(25)
        await settle()
        assert running.statistics().concurrency == 5
        await running.stop()

    asyncio.run(scenario())


def test_a_source_that_fails_to_settle_does_not_end_the_worker() -> None:
    class Flaky(FakeQueue):
        fails = 1

        async def ack(self, messages: list[Message]) -> None:
            if self.fails:
                self.fails -= 1
                raise ConnectionError("the queue went away")
            await super().ack(messages)

    async def scenario() -> None:
        clock = FakeClock()
        queue, function = Flaky(clock), Function()
        running = poller(queue, function, clock)
        await running.start()
        queue.put("a")
        await settle()
        assert running.results[-1] == "PROBLEM: Connection error. ConnectionError: the queue went away"  # type: ignore[attr-defined]
        await clock.advance(1)
        queue.put("b")
        await settle()
        assert function.batches == [["a"], ["b"]]
        assert queue.acked == ["b"]  # "a" stays with the source, to be delivered again
        assert running.statistics().concurrency == 1
        await running.stop()

    asyncio.run(scenario())
