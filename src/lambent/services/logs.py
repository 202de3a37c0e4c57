"""Function logs: queued on the hot path, written to the store in batches, read back by group.

``append`` never blocks and never awaits: it queues one invocation's log as one block; a
background task writes the queue every ``interval_s`` in one transaction, one row per block
(a row per line cost the hot path ~100 µs per invoke). Reading splits blocks into events, one
per line, as CloudWatch Logs receives them from Lambda; an event's id is its block's row id and
its line. ``close`` flushes what is left. The queue is bounded: past ``max_pending_bytes`` the
oldest pending blocks are dropped and counted, so a flood cannot grow the server's memory without
limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

import msgspec

from lambent.store import LogEvent, Store

log = logging.getLogger(__name__)


class LogStatistics(msgspec.Struct, frozen=True, kw_only=True):
    pending: int
    written: int
    dropped: int


class LogService:
    def __init__(self, store: Store, interval_s: float = 0.1, max_pending_bytes: int = 256 << 20) -> None:
        self._store = store
        self._interval_s = interval_s
        self._pending: deque[LogEvent] = deque()
        self._max_pending_bytes = max_pending_bytes
        self._pending_bytes = 0
        self._written = 0
        self._dropped = 0
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def statistics(self) -> LogStatistics:
        return LogStatistics(pending=len(self._pending), written=self._written, dropped=self._dropped)

    def start(self) -> None:
        self._task = asyncio.create_task(self._flush_forever())

    def append(self, group: str, stream: str, timestamp_ms: int, text: bytes) -> None:
        block = text.decode("utf-8", "replace")
        self._pending.append(
            LogEvent(group=group, stream=stream, timestamp_ms=timestamp_ms, message=block, ingestion_ms=timestamp_ms)
        )
        self._pending_bytes += len(block)
        while self._pending_bytes > self._max_pending_bytes:
            self._pending_bytes -= len(self._pending.popleft().message)
            self._dropped += 1

    async def flush(self) -> None:
        async with self._lock:  # one writer at a time keeps event ids in append order
            await self._flush()

    async def _flush(self) -> None:
        # Only what is pending now: blocks that arrive while a batch is written wait for the
        # next tick, so the writer runs ten times a second, not back to back.
        remaining = len(self._pending)
        while remaining > 0 and self._pending:
            batch = [self._pending.popleft() for _ in range(min(len(self._pending), remaining, 5000))]
            remaining -= len(batch)
            self._pending_bytes -= sum(len(e.message) for e in batch)
            try:
                await self._store.append_logs(batch)
            except Exception:
                log.exception("writing %d log events failed; they are retried", len(batch))
                self._pending.extendleft(reversed(batch))
                self._pending_bytes += sum(len(e.message) for e in batch)
                raise
            self._written += len(batch)

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self.flush()
            except Exception:  # already logged; try again at the next tick
                await asyncio.sleep(1.0)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    async def filter(
        self,
        group: str,
        streams: list[str] | None,
        start_ms: int | None,
        end_ms: int | None,
        after_id: int,
        limit: int,
        pattern: str | None,
    ) -> tuple[list[LogEvent], int | None]:
        """Events (one per line) of the blocks after *after_id*, at most *limit* unless one block
        alone has more; and the id to continue after, when more may follow."""
        await self.flush()
        blocks = await self._store.filter_logs(group, streams, start_ms, end_ms, after_id, limit, pattern)
        events: list[LogEvent] = []
        last = None
        for block in blocks:
            lines = [line for line in block.message.splitlines() if pattern is None or pattern in line]
            if events and len(events) + len(lines) > limit:
                return events, last
            events += [msgspec.structs.replace(block, message=line) for line in lines]
            last = block.event_id
        return events, last if len(blocks) == limit else None

    async def streams(self, group: str) -> list[tuple[str, int, int]]:
        await self.flush()
        return await self._store.log_streams(group)
