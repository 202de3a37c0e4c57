"""The ledger: what invocations leave behind (log blocks and usage records), journaled on the hot
path and committed to the store in batches.

``append`` and ``record`` never await: they write one journal frame (``store.journal``) and
return, so a response is sent only after its log and usage record would survive a kill of the
server. Usage records are charged as they are recorded (the meter's state moves on at once, so
budgets see every ended invocation) and journaled with their charge. A background task copies new
frames to the store every ``interval_s``: log blocks as log events, usage records with their
charges, and the journal position reached, all in one transaction. After a crash the uncommitted frames are read
again, so each usage record is committed exactly once, together with the log block holding its
REPORT line. When the store falls behind by more than ``max_backlog_bytes``, function output is
dropped (and counted) but the platform's lines and usage records are kept.

A ``MetricSink`` (``services.metrics``) rides along: each flush drains what it counted on the
event loop, and each committed batch (its usage records and log blocks) is handed to it on the
worker thread right after the journal's transaction; its failure is logged, never retried (the
journal has moved on), so metrics never hold up or repeat the logs and usage. A ``SpanSink``
(``services.traces``) gets each batch's sampled invocations the same way, for their spans.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import msgspec

from lambent.clock import Clock, SystemClock
from lambent.model.billing import Charge, UsageRecord
from lambent.store import LogEvent, UsageStore
from lambent.store.journal import HEADER, Journal, Position

log = logging.getLogger(__name__)
PLATFORM_PREFIXES = ("START RequestId:", "END RequestId:", "REPORT RequestId:")


class LogBlock(msgspec.Struct, frozen=True, array_like=True):
    group: str
    stream: str
    timestamp_ms: int
    text: str
    #: The function's account ("" in a journal written before accounts: the default account's).
    account: str = ""


class Entry(msgspec.Struct, frozen=True, array_like=True):
    log: LogBlock | None
    usage: UsageRecord | None
    charge: Charge | None = None


class Charger(Protocol):
    def charge(self, record: UsageRecord) -> Charge:
        """Charge *record* now, in order of use (the meter's state moves on at once)."""
        ...


class MetricSink(Protocol):
    def drain(self) -> Any:
        """On the event loop, at each flush: what was counted since the last one (None: nothing)."""
        ...

    def commit(self, records: Iterable[UsageRecord], blocks: Iterable[tuple[str, str]], pending: Any) -> None:
        """On the worker thread, after a batch's transaction: its usage records and its log
        blocks as (account, text), with what ``drain`` gave (or None)."""
        ...


class SpanSink(Protocol):
    def export(self, records: list[UsageRecord]) -> None:
        """On the worker thread, after a batch's transaction: its sampled invocations' records,
        whose spans are queued for export (never waiting on the collector)."""
        ...


class Ledger:
    def __init__(
        self,
        store: UsageStore,
        directory: Path,
        charger: Charger,
        interval_s: float = 0.1,
        max_backlog_bytes: int = 256 << 20,
        clock: Clock | None = None,
        metrics: MetricSink | None = None,
        spans: SpanSink | None = None,
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._spans = spans
        self._clock = clock or SystemClock()
        self._journal = Journal(directory)
        self._charger = charger
        self._interval_s = interval_s
        self._max_backlog_bytes = max_backlog_bytes
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder = msgspec.msgpack.Decoder(Entry)
        self._position = Position(0, 0)
        self._committed_bytes = 0
        self._dropped = 0
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        """Open the journal and commit what a previous run left in it."""
        committed = await self._store.journal_position()
        self._journal.open(committed)
        self._position = committed or Position(0, 0)
        await self.flush()
        self._committed_bytes = self._journal.appended

    def start(self) -> None:
        self._task = asyncio.create_task(self._flush_forever())

    def _backlog(self) -> int:
        return max(0, self._journal.appended - self._committed_bytes)

    # -- the hot path -------------------------------------------------------------------------

    def for_account(self, account: str) -> AccountLedger:
        """The ``LogSink`` of *account*'s invoker: its log blocks are that account's."""
        return AccountLedger(self, account)

    def append(self, group: str, stream: str, timestamp_ms: int, text: bytes, account: str = "") -> None:
        """Journal one block of log lines."""
        self._write(LogBlock(group, stream, timestamp_ms, self._bounded(text), account), None)

    def record(self, group: str, stream: str, timestamp_ms: int, text: bytes, usage: UsageRecord, account: str = "") -> None:
        """Journal an invocation's log block with its usage record, in one frame."""
        self._write(LogBlock(group, stream, timestamp_ms, self._bounded(text), account), usage)

    def record_usage(self, usage: UsageRecord) -> None:
        self._write(None, usage)

    def _bounded(self, text: bytes) -> str:
        block = text.decode("utf-8", "replace")
        if self._backlog() > self._max_backlog_bytes:
            self._dropped += 1
            if self._dropped % 1000 == 1:
                log.warning(
                    "the store is %d MB behind: function output dropped (%d blocks so far)", self._backlog() >> 20, self._dropped
                )
            kept = [line for line in block.splitlines(keepends=True) if line.startswith(PLATFORM_PREFIXES)]
            return "".join(kept)
        return block

    def _write(self, block: LogBlock | None, usage: UsageRecord | None) -> None:
        made = self._charger.charge(usage) if usage is not None else None
        self._journal.append(self._encoder.encode(Entry(block, usage, made)))

    # -- committing ---------------------------------------------------------------------------

    async def flush(self) -> None:
        """Commit everything journaled before this call."""
        async with self._lock:
            target = self._journal.end()
            pending = self._metrics.drain() if self._metrics is not None else None
            if self._position < target or pending is not None:
                await asyncio.to_thread(self._commit_until, target, pending)

    def _commit_until(self, target: Position, pending: Any = None) -> None:
        """On a worker thread: read, decode and commit frames up to *target*, a batch at a time
        (with the metrics *pending* from the event loop, handed over with the first batch)."""
        if self._position >= target and pending is not None:
            self._commit_metrics([], pending)
        while self._position < target:
            frames, reached = self._journal.read(self._position, 4 << 20)
            if reached == self._position:
                return
            entries = [self._decoder.decode(frame) for frame in frames]
            events = [
                LogEvent(
                    account=e.log.account,
                    group=e.log.group,
                    stream=e.log.stream,
                    timestamp_ms=e.log.timestamp_ms,
                    message=e.log.text,
                    ingestion_ms=e.log.timestamp_ms,
                )
                for e in entries
                if e.log is not None and e.log.text
            ]
            charged = [(e.usage, e.charge) for e in entries if e.usage is not None and e.charge is not None]
            self._store.commit_journal(events, charged, reached)
            self._commit_metrics(entries, pending)
            if self._spans is not None:
                self._spans.export([e.usage for e in entries if e.usage is not None and e.usage.trace is not None])
            pending = None
            self._position = reached
            self._committed_bytes += sum(HEADER.size + len(frame) for frame in frames)
            self._journal.release(reached)

    def _commit_metrics(self, entries: list[Entry], pending: Any) -> None:
        if self._metrics is None:
            return
        try:
            self._metrics.commit(
                (e.usage for e in entries if e.usage is not None),
                ((e.log.account, e.log.text) for e in entries if e.log is not None and e.log.text),
                pending,
            )
        except Exception:
            log.exception("committing metric points failed; this batch's metrics are lost")

    async def _flush_forever(self) -> None:
        while True:
            await self._clock.sleep(self._interval_s)
            try:
                await self.flush()
            except Exception:
                log.exception("committing the journal failed; it is retried")
                await self._clock.sleep(1.0)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()
        self._journal.close()


class AccountLedger:
    """One account's view of the ledger, the ``LogSink`` its invoker writes to."""

    def __init__(self, ledger: Ledger, account: str) -> None:
        self._ledger = ledger
        self._account = account

    def append(self, group: str, stream: str, timestamp_ms: int, text: bytes) -> None:
        self._ledger.append(group, stream, timestamp_ms, text, self._account)

    def record(self, group: str, stream: str, timestamp_ms: int, text: bytes, usage: UsageRecord) -> None:
        self._ledger.record(group, stream, timestamp_ms, text, usage, self._account)

    def record_usage(self, usage: UsageRecord) -> None:
        self._ledger.record_usage(usage)
