"""One shard of a Kinesis mapping, read while this process holds its lease. It reads AWS's
``aws:kinesis`` records in order and deals them by partition key into ``ParallelizationFactor``
lanes (``sources.kinesis_lane``), each invoked in order.

What it guarantees:

- it reads from where ``model.stream_shards`` said. A ``LATEST`` start is pinned in the store
  before the first read;
- every checkpoint is the highest sequence number below which every record is done
  (``model.stream_batch.settled``), and it is written under the lease. A checkpoint refused
  because the lease was lost stops the reader, which then reads nothing more and writes nothing
  more;
- records no filter matches are done at once, uninvoked: AWS skips them and checkpoints past
  them. So are the records that arrived before a timestamp start, when the stream has to be read
  from its beginning (Kinesalite never answers ``AT_TIMESTAMP`` when nothing has arrived since);
- it reads ahead of its lanes by a bounded number of records, then waits for them;
- a closed shard that has been read through is checkpointed ``SHARD_END``, so its children
  start;
- ``stop`` takes no new batch. It lets the batch in flight finish and settle, then
  checkpoints. Records that were read but not invoked are read again by the next holder of the
  lease.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

import msgspec

from lambent.model import event_source_batch as batches
from lambent.model import stream_batch as rules
from lambent.model.stream_batch import StreamRecord
from lambent.model.stream_shards import SHARD_END, Start, pin
from lambent.sources.kinesis_lane import Lane
from lambent.sources.kinesis_records import BACKOFF_S, IDLE_POLL_S, ShardNeeds, filter_view, shaped, wait

log = logging.getLogger(__name__)
#: The most records a GetRecords returns.
GET_RECORDS_LIMIT = 10000


class ShardReader:
    def __init__(self, needs: ShardNeeds, shard_id: str) -> None:
        self.needs = needs
        self.shard_id = shard_id
        self.stopping = asyncio.Event()
        #: The shard is closed and everything in it was read.
        self.ended = False
        self.caught_up = False
        self.lost = False
        self._lanes = [Lane(self) for _ in range(needs.rules.lanes)]
        #: The ``aws:kinesis`` records read and not yet invoked for good.
        self._records: dict[str, dict[str, Any]] = {}
        #: Sequence numbers read and not yet checkpointed past, in shard order; those done.
        self._read: deque[str] = deque()
        self._done: set[str] = set()
        self._write = asyncio.Lock()
        self._progress = asyncio.Event()
        self._not_before: float | None = None

    # -- the life cycle -------------------------------------------------------------------------

    async def run(self, start: Start) -> None:
        """Read the shard from *start* until stopped, the lease lost, or the shard read through."""
        if start.type == "END":
            await self._put(SHARD_END)
            return
        iterator = await self._iterator(start)
        if self.lost:
            return
        lanes = [asyncio.create_task(lane.run()) for lane in self._lanes]
        try:
            await self._read_loop(iterator)
            while self.ended and not self.stopping.is_set() and (self._read or any(lane.busy for lane in self._lanes)):
                self._progress.clear()  # a closed shard: every record done before SHARD_END
                await wait(self.needs.clock, IDLE_POLL_S, self._progress, self.stopping)
        finally:
            self.stop()
            await asyncio.gather(*lanes, return_exceptions=True)
        await self.checkpoint()
        if self.ended and not self._read and not any(lane.busy for lane in self._lanes):
            await self._put(SHARD_END)

    def stop(self, lost: bool = False) -> None:
        self.lost = self.lost or lost
        self.stopping.set()
        for lane in self._lanes:
            lane.wake.set()

    async def checkpoint(self) -> None:
        """Write the highest sequence number below which every record is done, if it moved."""
        async with self._write:
            count = rules.settled(self._read, self._done)
            if not count:
                return
            for _ in range(count):
                position = self._read.popleft()
                self._done.discard(position)
            await self._put(position)

    async def _put(self, position: str) -> None:
        if self.lost:
            return
        if not await self.needs.store.put_position(self.needs.uuid, self.shard_id, self.needs.owner, position):
            log.warning("lost the lease of %s of mapping %s: it stops reading", self.shard_id, self.needs.uuid)
            self.stop(lost=True)

    # -- what lanes see (kinesis_lane.Shard) ----------------------------------------------------

    def record(self, sequence_number: str) -> dict[str, Any]:
        return self._records[sequence_number]

    def settle(self, sequence_numbers: list[str]) -> None:
        self._done.update(sequence_numbers)
        self.forget(sequence_numbers)

    def forget(self, sequence_numbers: list[str]) -> None:
        for sequence_number in sequence_numbers:
            self._records.pop(sequence_number, None)
        self._progress.set()

    # -- reading --------------------------------------------------------------------------------

    async def _iterator(self, start: Start) -> str:
        needs = self.needs
        shard: dict[str, Any] = {"StreamName": needs.stream_name, "ShardId": self.shard_id}
        if start.type == "LATEST":
            await self._put(pin(needs.clock.time()))
            shard["ShardIteratorType"] = "LATEST"
        elif start.type == "AT_TIMESTAMP":
            self._not_before = start.timestamp
            try:
                at = await needs.at_timestamp(**shard, ShardIteratorType="AT_TIMESTAMP", Timestamp=start.timestamp)
                return str(at["ShardIterator"])
            except Exception:  # no answer (Kinesalite), or the timestamp refused: read from the start
                shard["ShardIteratorType"] = "TRIM_HORIZON"
        elif start.type == "AFTER_SEQUENCE_NUMBER":
            shard.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=start.sequence_number)
        else:
            shard["ShardIteratorType"] = "TRIM_HORIZON"
        answer = await needs.call(needs.client.get_shard_iterator, **shard)
        return str(answer["ShardIterator"])

    async def _read_loop(self, iterator: str | None) -> None:
        needs, failures, last_read = self.needs, 0, None
        ahead = max(2 * needs.rules.batch_size * needs.rules.lanes, 1000)
        while iterator is not None and not self.stopping.is_set():
            if len(self._records) >= ahead:  # the lanes are behind: let them catch up
                self._progress.clear()
                await wait(needs.clock, IDLE_POLL_S, self._progress, self.stopping)
                continue
            try:
                answer = await needs.call(needs.client.get_records, ShardIterator=iterator, Limit=min(GET_RECORDS_LIMIT, ahead))
            except Exception as refused:
                if "ExpiredIterator" in type(refused).__name__ + str(refused):  # waited on the lanes over 5 minutes
                    after = Start(type="AFTER_SEQUENCE_NUMBER", sequence_number=last_read) if last_read else None
                    iterator = await self._iterator(after or Start(type="TRIM_HORIZON"))
                    continue
                pause = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
                failures += 1
                needs.report(f"PROBLEM: Connection error. {refused}")
                log.warning("GetRecords on %s refused (%s); trying again in %.1f s", self.shard_id, refused, pause)
                await wait(needs.clock, pause, self.stopping)
                continue
            failures = 0
            records = answer.get("Records", [])
            if records:
                last_read = records[-1]["SequenceNumber"]
                await self._take(records)
            iterator = answer.get("NextShardIterator")
            self.caught_up = not records or answer.get("MillisBehindLatest", 0) == 0
            if iterator is None:
                self.ended = True
            elif not records:
                await wait(needs.clock, IDLE_POLL_S, self.stopping)

    async def _take(self, records: list[dict[str, Any]]) -> None:
        """Deal what GetRecords returned to the lanes; what no filter matches is done at once."""
        needs, role, skipped = self.needs, self.needs.role(), False
        needs.counts.received += len(records)
        arrival = records[-1]["ApproximateArrivalTimestamp"].timestamp()
        needs.counts.iterator_age_ms[self.shard_id] = max(0.0, (needs.clock.time() - arrival) * 1000)
        read_at = needs.clock.monotonic()
        for raw in records:
            aws = shaped(raw, self.shard_id, needs.stream_arn, needs.region, role)
            kinesis = aws["kinesis"]
            sequence_number = kinesis["sequenceNumber"]
            self._read.append(sequence_number)
            too_early = self._not_before is not None and kinesis["approximateArrivalTimestamp"] < self._not_before
            if not too_early:
                self._not_before = None  # records arrive in order: the rest are later
            if too_early or not batches.matches(needs.filters, filter_view(kinesis, raw["Data"])):
                self._done.add(sequence_number)
                needs.counts.filtered += 0 if too_early else 1
                skipped = True
                continue
            self._records[sequence_number] = aws
            record = StreamRecord(
                sequence_number=sequence_number,
                partition_key=kinesis["partitionKey"],
                arrival_s=kinesis["approximateArrivalTimestamp"],
                size=len(msgspec.json.encode(aws)) + 1,
            )
            self._lanes[rules.lane_of(record.partition_key, len(self._lanes))].add(record, read_at)
        if skipped:
            await self.checkpoint()
