"""Function logs: queued on the hot path, written to the store in batches, read back by group.

``append`` never blocks and never awaits: it splits the text into events (one per line, as
CloudWatch Logs receives them from Lambda) and queues them; a background task flushes the
queue every ``interval_s`` in one transaction. ``close`` flushes what is left. The queue is
bounded: past ``max_pending`` events the oldest pending are dropped and counted, so a flood
cannot grow the server's memory without limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque

import msgspec

from lambent.store import LogEvent, Store

log = logging.getLogger(__name__)


class LogStatistics(msgspec.Struct, frozen=True, kw_only=True):
    pending: int
    written: int
    dropped: int


class LogService:
    def __init__(self, store: Store, interval_s: float = 0.1, max_pending: int = 200_000) -> None:
        self._store = store
        self._interval_s = interval_s
        self._pending: deque[LogEvent] = deque()
        self._max_pending = max_pending
        self._written = 0
        self._dropped = 0
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def statistics(self) -> LogStatistics:
        return LogStatistics(pending=len(self._pending), written=self._written, dropped=self._dropped)

    def start(self) -> None:
        self._task = asyncio.create_task(self._flush_forever())

    def append(self, group: str, stream: str, timestamp_ms: int, text: bytes) -> None:
        now = int(time.time() * 1000)
        for line in text.decode("utf-8", "replace").splitlines():
            self._pending.append(LogEvent(group=group, stream=stream, timestamp_ms=timestamp_ms, message=line, ingestion_ms=now))
        while len(self._pending) > self._max_pending:
            self._pending.popleft()
            self._dropped += 1

    async def flush(self) -> None:
        async with self._lock:  # one writer at a time keeps event ids in append order
            await self._flush()

    async def _flush(self) -> None:
        while self._pending:
            batch = [self._pending.popleft() for _ in range(min(len(self._pending), 5000))]
            try:
                await self._store.append_logs(batch)
            except Exception:
                log.exception("writing %d log events failed; they are retried", len(batch))
                self._pending.extendleft(reversed(batch))
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
    ) -> list[LogEvent]:
        await self.flush()
        return await self._store.filter_logs(group, streams, start_ms, end_ms, after_id, limit, pattern)

    async def streams(self, group: str) -> list[tuple[str, int, int]]:
        await self.flush()
        return await self._store.log_streams(group)
