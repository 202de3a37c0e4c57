"""One lane of a Kinesis shard: the records of its partition keys, invoked a batch at a time, in
order, each batch settled before the next starts (``model.stream_batch``), with its tumbling
window (``model.stream_window``).

A batch that fails is tried again before anything newer: a retry after a backoff, or the two
halves of a split at once. Records too old, and batches whose retries are spent, take the
failure path: AWS's failure record goes to the on-failure destination, if there is one (tried
``SEND_TRIES`` times), and the records are done. A tumbling window's records become done only
when its final invocation succeeds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import uuid as uuids
from collections import deque
from typing import Any, Protocol

import msgspec

from lambent.model import event_source_batch as batches
from lambent.model import stream_batch as rules
from lambent.model import stream_window as windows
from lambent.model.stream_batch import Attempt, LastInvoke, StreamRecord
from lambent.sources.kinesis_records import BACKOFF_S, IDLE_POLL_S, ShardNeeds, wait
from lambent.sources.poller import Invoked, json_or_none

log = logging.getLogger(__name__)
#: Tries of a send to the on-failure destination before its records are given up.
SEND_TRIES = 3


class Shard(Protocol):
    """What a lane sees of its shard's reader."""

    needs: ShardNeeds
    shard_id: str
    stopping: asyncio.Event
    #: The shard is closed and read through: nothing more will come.
    ended: bool
    #: The last GetRecords reached the shard's end: no record of an ended window can still come.
    caught_up: bool

    def record(self, sequence_number: str) -> dict[str, Any]:
        """The ``aws:kinesis`` record of a record read."""
        ...

    def settle(self, sequence_numbers: list[str]) -> None:
        """Count these records done (the checkpoint may pass them)."""
        ...

    def forget(self, sequence_numbers: list[str]) -> None:
        """These records are invoked for good, though not yet done: no need to keep them."""
        ...

    async def checkpoint(self) -> None: ...


class Lane:
    def __init__(self, shard: Shard) -> None:
        self._shard = shard
        self._needs = shard.needs
        self._rules = shard.needs.rules
        #: Records read and not yet in a batch, each with when it was read (monotonic).
        self.waiting: deque[tuple[StreamRecord, float]] = deque()
        self.retry: deque[Attempt] = deque()
        self.wake = asyncio.Event()
        self.window: windows.OpenWindow | None = None
        #: Records of the open window that succeeded: done when its final invocation is.
        self._in_window: list[str] = []
        self._last: LastInvoke | None = None

    @property
    def busy(self) -> bool:
        return bool(self.waiting or self.retry or self.window)

    def add(self, record: StreamRecord, read_at: float) -> None:
        self.waiting.append((record, read_at))
        self.wake.set()

    async def run(self) -> None:
        """Batches until the shard stops; the one in flight finishes and is settled."""
        try:
            while not self._shard.stopping.is_set():
                if not await self._step():
                    self.wake.clear()
                    await wait(self._needs.clock, self._idle_s(), self.wake, self._shard.stopping)
        except Exception:  # a bug: say so, and let the lease go to a fresh reader
            log.exception("a lane of %s of mapping %s failed", self._shard.shard_id, self._needs.uuid)
            self._shard.stopping.set()

    def _idle_s(self) -> float:
        if self.waiting and self._rules.window_s:
            return max(0.01, self._rules.window_s - (self._needs.clock.monotonic() - self.waiting[0][1]))
        return IDLE_POLL_S

    async def _step(self) -> bool:
        """Try the lane's next batch, if one is due; False: none was."""
        clock, tumbling = self._needs.clock, self._rules.tumbling_s
        if self.retry:
            attempt = self.retry.popleft()
            await wait(clock, rules.retry_delay_s(attempt), self._shard.stopping)
            if self._shard.stopping.is_set():
                self.retry.appendleft(attempt)
                return True
        else:
            next_arrival = self.waiting[0][0].arrival_s if self.waiting else None
            now = math.inf if self._shard.ended else clock.time()  # a closed shard has nothing more for the window
            if tumbling and windows.final_due(self.window, next_arrival, now, self._shard.caught_up, tumbling):
                await self._final()
                return True
            limit, waiting = self._limit(), [record for record, _ in self.waiting]
            if not waiting or not rules.ready(waiting, self.waiting[0][1], clock.monotonic(), self._rules, limit):
                return False
            taken = rules.batch_cut(waiting, self._rules, limit)
            for _ in range(taken):
                self.waiting.popleft()
            attempt = Attempt(records=tuple(waiting[:taken]))
        old = rules.expired(attempt.records, clock.time(), self._rules.max_age_s)
        if old:
            await self._give_up(list(attempt.records[:old]), rules.AGE_EXCEEDED, attempt.invocations)
            attempt = msgspec.structs.replace(attempt, records=attempt.records[old:])
            if not attempt.records:
                return True
        await self._try(attempt)
        return True

    def _limit(self) -> int:
        """The payload limit, less the window's state the event also carries."""
        if self.window is None:
            return batches.PAYLOAD_LIMIT_BYTES
        return batches.PAYLOAD_LIMIT_BYTES - len(msgspec.json.encode(self.window.state)) - 1024

    async def _try(self, attempt: Attempt) -> None:
        needs, tumbling = self._needs, self._rules.tumbling_s
        if tumbling and self.window is None:
            self.window = windows.opened(attempt.records[0].arrival_s, tumbling)
        event: dict[str, Any] = {"Records": [self._shard.record(r.sequence_number) for r in attempt.records]}
        if self.window is not None:
            event.update(windows.fields(self.window, self._shard.shard_id, needs.stream_arn, final=False))
        failed, state = self._failures(await self._invoke(event), attempt)
        outcome = rules.after_invoke(attempt, failed, self._rules)
        if self.window is not None and failed is not None:
            self.window = windows.after_success(self.window, state)
        self.retry.extendleft(reversed(outcome.retry))
        done = [r.sequence_number for r in outcome.done]
        needs.counts.processed += len(done)
        if self.window is not None:
            self._in_window += done
            self._shard.forget(done)
        else:
            self._shard.settle(done)
        if outcome.exhausted is not None:
            gone = outcome.exhausted
            await self._give_up(list(gone.records), rules.RETRIES_EXHAUSTED, gone.invocations)
        await self._shard.checkpoint()

    async def _final(self) -> None:
        """The open window's final invocation: no records, the window's state. A failure is
        tried again at the lane's next step."""
        assert self.window is not None
        fields = windows.fields(self.window, self._shard.shard_id, self._needs.stream_arn, final=True)
        invoked = await self._invoke({"Records": [], **fields})
        if self._failures(invoked, Attempt(records=()))[0] is None:
            await wait(self._needs.clock, rules.RETRY_BACKOFF_S[0], self._shard.stopping)
            return
        self.window = None
        self._shard.settle(self._in_window)
        self._in_window = []
        await self._shard.checkpoint()

    async def _invoke(self, event: dict[str, Any]) -> Invoked:
        needs = self._needs
        needs.counts.invocations += 1
        needs.counts.in_flight += 1
        try:
            invoked = await needs.invoke(json.dumps(event).encode())
        finally:
            needs.counts.in_flight -= 1
        self._last = LastInvoke(
            request_id=invoked.request_id or str(uuids.uuid4()),
            status_code=invoked.status_code,
            executed_version=invoked.executed_version,
            function_error=invoked.function_error is not None,
        )
        needs.report(batches.processing_result(invoked.function_error, invoked.refused))
        return invoked

    def _failures(self, invoked: Invoked, attempt: Attempt) -> tuple[set[str] | None, Any]:
        """(the sequence numbers the function failed, None: all of them; the window's state it
        answered)."""
        if not invoked.ok:
            return None, None
        answer = json_or_none(invoked.payload)
        state = None
        if self._rules.tumbling_s:
            has_state, state = windows.answered_state(answer)
            if not has_state:
                return None, None
        if not self._rules.report_failures:
            return set(), state
        stripped = invoked.payload.strip()
        parsed = answer is not None or not stripped or stripped == b"null"
        return batches.failed_items(answer, parsed, [r.sequence_number for r in attempt.records]), state

    async def _give_up(self, records: list[StreamRecord], condition: str, invocations: int) -> None:
        """*records* take the failure path: AWS's failure record to the destination, if any."""
        needs = self._needs
        needs.counts.failed += len(records)
        if needs.destination:
            body = rules.failure_record(
                records,
                condition,
                invocations,
                self._last if invocations else None,
                request_id=str(uuids.uuid4()),
                function_arn=needs.function_arn,
                shard_id=self._shard.shard_id,
                stream_arn=needs.stream_arn,
                now=needs.clock.time(),
            )
            await self._send(needs.destination, json.dumps(body).encode())
        self._shard.settle([r.sequence_number for r in records])

    async def _send(self, destination: str, body: bytes) -> None:
        for attempt in range(SEND_TRIES):
            try:
                await self._needs.send_failure(destination, body)
                return
            except Exception as refused:
                log.warning("on-failure destination %s refused a record (%s)", destination, refused)
                await wait(self._needs.clock, BACKOFF_S[attempt], self._shard.stopping)
        log.error("gave up sending a failure record of %s to %s", self._shard.shard_id, destination)
