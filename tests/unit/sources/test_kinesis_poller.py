"""The Kinesis poller over an in-memory stream, the memory store and a fake clock: batches in
order with the checkpoint behind them, a LATEST start pinned before it reads, a timestamp the
stream cannot answer, a split read parent first, a lost lease that stops the reader, records
too old for the function, a stop that finishes its batch, and a stream that cannot be reached."""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest

from lambent.clock import FakeClock
from lambent.model.event_source_mapping import DestinationConfig, Mapping, MappingInput, OnFailure
from lambent.model.event_source_rules import settle
from lambent.model.stream_shards import SHARD_END
from lambent.sources.kinesis import LEASE_S, KinesisPoller
from lambent.sources.poller import Invoked
from lambent.store.memory import MemoryStore
from tests.fixtures.fake_kinesis import FakeKinesis, FakeKinesisClients, FakeKinesisError

UUID = "0f0f0f0f-0000-4000-8000-000000000000"
FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:f"
QUEUE = "arn:aws:sqs:us-east-1:000000000000:failures"
SHARD = "shardId-000000000000"
DESTINATION = DestinationConfig(on_failure=OnFailure(destination=QUEUE))


class World:
    """A stream, a store and the function's side: what it was invoked with, what it answers."""

    def __init__(self, shards: int = 1) -> None:
        self.clock = FakeClock()
        self.kinesis = FakeKinesis(self.clock, shards=shards)
        self.store = MemoryStore()
        self.events: list[dict[str, Any]] = []
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.reports: list[str] = []
        self.answer: Callable[[dict[str, Any]], Invoked] = lambda event: Invoked()
        self.gate: asyncio.Event | None = None

    def poller(self, owner: str = "node-a", **settings: Any) -> KinesisPoller:
        settings.setdefault("starting_position", "TRIM_HORIZON")
        spec = settle("kinesis", MappingInput(event_source_arn=self.kinesis.arn, function_name="f", **settings))
        mapping = Mapping(
            uuid=UUID,
            arn="arn:aws:lambda:us-east-1:000000000000:event-source-mapping:" + UUID,
            kind="kinesis",
            function_name="f",
            qualifier=None,
            function_arn=FUNCTION,
            source_arn=self.kinesis.arn,
            settings=spec,
            state="Enabled",
        )

        async def invoke(payload: bytes) -> Invoked:
            event = json.loads(payload)
            self.events.append(event)
            if self.gate is not None:
                await self.gate.wait()
            return self.answer(event)

        async def send_failure(destination: str, body: bytes) -> None:
            self.sent.append((destination, json.loads(body)))

        return KinesisPoller(
            FakeKinesisClients(self.kinesis),
            mapping,
            invoke=invoke,
            report=self.reports.append,
            send_failure=send_failure,
            clock=self.clock,
            region="us-east-1",
            store=self.store,
            owner=owner,
            role=lambda: "arn:aws:iam::000000000000:role/reader",
        )

    def batches(self) -> list[list[str]]:
        return [[r["kinesis"]["sequenceNumber"] for r in e["Records"]] for e in self.events]

    async def until(self, check: Callable[[], bool | Awaitable[bool]], steps: int = 400) -> None:
        """Move the clock on a quarter second at a time until *check* holds."""
        for _ in range(steps):
            held = check()
            if await held if inspect.isawaitable(held) else held:
                return
            await self.clock.advance(0.25)
        raise AssertionError("never happened")

    async def positions(self) -> dict[str, str | None]:
        return await self.store.load_positions(UUID)

    def at(self, shard: str, position: Callable[[str | None], bool]) -> Callable[[], Awaitable[bool]]:
        """A check: the stored position of *shard* is one *position* accepts."""

        async def check() -> bool:
            return position((await self.positions()).get(shard))

        return check


def scenario(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """A test written as a coroutine, run in an event loop of its own."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


@scenario
async def test_batches_go_in_order_and_the_checkpoint_follows_them() -> None:
    world = World()
    sent = [world.kinesis.put(f"r{i}") for i in range(12)]
    poller = world.poller(batch_size=5)
    await poller.start()
    await world.until(lambda: len(world.events) == 3)
    assert world.batches() == [sent[0:5], sent[5:10], sent[10:12]]
    await world.until(world.at(SHARD, lambda position: position == sent[-1]))
    stats = poller.statistics()
    assert (stats.received, stats.processed, stats.failed, stats.invocations) == (12, 12, 0, 3)
    assert stats.iterator_age_ms is not None and stats.iterator_age_ms >= 0
    record = world.events[0]["Records"][0]
    assert record["invokeIdentityArn"] == "arn:aws:iam::000000000000:role/reader"
    assert record["eventID"] == f"{SHARD}:{sent[0]}"
    await poller.stop()


@scenario
async def test_latest_is_pinned_before_it_reads_so_a_restart_loses_nothing_written_since() -> None:
    world = World()
    world.kinesis.put("before")
    first = world.poller(starting_position="LATEST")
    await first.start()
    await world.until(world.at(SHARD, lambda position: str(position).startswith("AT_TIMESTAMP:")))
    await first.stop()  # as if it had crashed: nothing was read, so nothing was checkpointed
    assert str((await world.positions())[SHARD]).startswith("AT_TIMESTAMP:")
    await world.clock.advance(1)
    after = world.kinesis.put("after")
    second = world.poller(starting_position="LATEST")
    await second.start()
    await world.until(lambda: len(world.events) == 1)
    assert world.batches() == [[after]]
    await world.until(world.at(SHARD, lambda position: position == after))
    await second.stop()
    assert (await world.positions()) == {SHARD: after}


@scenario
async def test_a_timestamp_the_stream_will_not_answer_is_read_from_the_start_skipping_what_came_before() -> None:
    world = World()
    world.kinesis.refuse_at_timestamp = True
    world.kinesis.put("old")
    await world.clock.advance(10)
    start = world.clock.time() - 1
    new = world.kinesis.put("new")
    poller = world.poller(starting_position="AT_TIMESTAMP", starting_position_timestamp=start)
    await poller.start()
    await world.until(lambda: len(world.events) == 1)
    assert world.batches() == [[new]]
    assert poller.statistics().filtered == 0  # skipped as too early, not as filtered
    await world.until(world.at(SHARD, lambda position: position == new))
    await poller.stop()


@scenario
async def test_a_split_is_read_parent_first_and_the_parent_ends_read_through() -> None:
    world = World()
    before = [world.kinesis.put(f"p{i}", key=f"key-{i}") for i in range(4)]
    left, right = world.kinesis.split(SHARD)
    after = [world.kinesis.put(f"c{i}", key=f"key-{i}") for i in range(6)]
    poller = world.poller(batch_size=100)
    await poller.start()
    await world.until(lambda: sum(len(b) for b in world.batches()) == 10)
    batches = world.batches()
    assert batches[0] == before
    assert sorted(seq for batch in batches[1:] for seq in batch) == sorted(after)

    async def all_checkpointed() -> bool:
        return all(p is not None for p in (await world.positions()).values()) and len(await world.positions()) == 3

    await world.until(all_checkpointed)
    positions = await world.positions()
    assert positions[SHARD] == SHARD_END
    assert {positions[left], positions[right]} <= set(after)
    await poller.stop()


@scenario
async def test_a_lost_lease_stops_the_reader_which_writes_no_checkpoint() -> None:
    world = World()
    first = world.kinesis.put("r0")
    poller = world.poller(batch_size=1)
    await poller.start()
    await world.until(world.at(SHARD, lambda position: position == first))
    # the lease is taken over by another node (as once it expired)
    await world.store.release_partition(UUID, SHARD, "node-a")
    assert await world.store.claim_partition(UUID, SHARD, "node-b", world.clock.time() + LEASE_S, world.clock.time())
    world.kinesis.put("r1")
    world.kinesis.put("r2")
    await world.until(lambda: len(world.events) >= 2)
    for _ in range(40):
        await world.clock.advance(0.25)
    assert len(world.events) == 2  # the batch that found the lease gone was the last
    assert (await world.positions()) == {SHARD: first}
    await poller.stop()
    assert not await world.store.claim_partition(UUID, SHARD, "node-a", world.clock.time() + LEASE_S, world.clock.time())


@scenario
async def test_records_older_than_the_maximum_age_take_the_failure_path_uninvoked() -> None:
    world = World()
    old = world.kinesis.put("old")
    await world.clock.advance(120)
    fresh = world.kinesis.put("fresh")
    poller = world.poller(maximum_record_age_in_seconds=60, destination_config=DESTINATION)
    await poller.start()
    await world.until(lambda: len(world.events) == 1 and len(world.sent) == 1)
    assert world.batches() == [[fresh]]
    [(where, failure)] = world.sent
    assert where == QUEUE
    assert failure["requestContext"]["condition"] == "RecordAgeExceeded"
    assert failure["requestContext"]["approximateInvokeCount"] == 0
    assert "responseContext" not in failure
    assert (failure["KinesisBatchInfo"]["startSequenceNumber"], failure["KinesisBatchInfo"]["batchSize"]) == (old, 1)
    assert poller.statistics().failed == 1
    await poller.stop()


@scenario
async def test_a_function_error_retried_then_exhausted_goes_to_the_destination_and_the_shard_moves_on() -> None:
    world = World()
    bad, good = world.kinesis.put("bad"), world.kinesis.put("good")
    world.answer = lambda event: Invoked(function_error="Exception", request_id="req-1")
    poller = world.poller(maximum_retry_attempts=2, destination_config=DESTINATION)
    await poller.start()
    await world.until(lambda: len(world.sent) == 1)
    assert world.batches() == [[bad, good]] * 3
    failure = world.sent[0][1]
    assert failure["requestContext"] == {
        "requestId": "req-1",
        "functionArn": FUNCTION,
        "condition": "RetryAttemptsExhausted",
        "approximateInvokeCount": 3,
    }
    assert failure["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert world.reports[-1] == "PROBLEM: Function call failed"
    world.answer = lambda event: Invoked()
    later = world.kinesis.put("later")
    await world.until(lambda: world.batches()[-1] == [later])
    await world.until(world.at(SHARD, lambda position: position == later))
    await poller.stop()


@scenario
async def test_stop_finishes_the_batch_in_flight_checkpoints_it_and_gives_the_lease_back() -> None:
    world = World()
    world.gate = asyncio.Event()
    sent = world.kinesis.put("r0")
    poller = world.poller()
    await poller.start()
    await world.until(lambda: len(world.events) == 1)
    stopping = asyncio.ensure_future(poller.stop())
    await world.clock.advance(0.25)
    assert not stopping.done()  # it waits for the invocation
    world.gate.set()
    await world.until(stopping.done)
    assert (await world.positions()) == {SHARD: sent}
    assert await world.store.claim_partition(UUID, SHARD, "node-b", world.clock.time() + LEASE_S, world.clock.time())


@scenario
async def test_a_stream_that_cannot_be_reached_is_reported_and_tried_again() -> None:
    world = World()
    world.kinesis.refuse["describe_stream_summary"] = (2, FakeKinesisError("connection refused"))
    sent = world.kinesis.put("r0")
    poller = world.poller()
    await poller.start()
    await world.until(lambda: len(world.events) == 1)
    assert world.reports[0] == "PROBLEM: Connection error. connection refused"
    assert world.batches() == [[sent]]
    await poller.stop()


@pytest.mark.parametrize("lanes", [1, 3])
@scenario
async def test_lanes_keep_each_keys_order_and_the_checkpoint_waits_for_the_slowest(lanes: int) -> None:
    world = World()
    sent = {f"key-{k}": [world.kinesis.put(f"{k}-{i}", key=f"key-{k}") for i in range(5)] for k in range(6)}
    poller = world.poller(batch_size=2, parallelization_factor=lanes)
    await poller.start()
    await world.until(lambda: sum(len(b) for b in world.batches()) == 30)
    seen: dict[str, list[str]] = {}
    for event in world.events:
        for record in event["Records"]:
            seen.setdefault(record["kinesis"]["partitionKey"], []).append(record["kinesis"]["sequenceNumber"])
    assert seen == sent
    last = max((s for seqs in sent.values() for s in seqs), key=int)
    await world.until(world.at(SHARD, lambda position: position == last))
    await poller.stop()
