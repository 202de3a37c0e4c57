"""The poller of every queue-like source (SQS, RabbitMQ, Redis Streams consumer groups, NATS
JetStream pull consumers): AWS's SQS poller, over a ``QueueSource`` that knows one client.

Each worker gathers a batch (``BatchSize`` records, or what arrived within
``MaximumBatchingWindowInSeconds`` of the first, cut before the 6 MB payload limit), long
polling while the queue is idle; records no filter matches are settled at once, uninvoked, as
AWS deletes them. The function gets the batch; then what succeeded is acknowledged and what
failed is released to the source's own redelivery (SQS: the visibility timeout and the queue's
redrive policy; RabbitMQ: a requeue; Redis: the pending entries list; NATS: a nak). With
``ReportBatchItemFailures`` only the records the function names are released, and an answer
that names an unknown record fails the whole batch (``model.event_source_batch``).

Workers scale as AWS's SQS pollers do: five at first, one more per full batch, one fewer per
empty receive, up to ``ScalingConfig.MaximumConcurrency`` (or ``max_workers``).

On ``stop`` no new receive starts; a receive already waiting on the source is abandoned, and
whatever it brings back later (up to one long poll, 20 s, after the stop) is released at once,
so nothing stays held by a stopped mapping.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from lambent.clock import Clock
from lambent.model import event_source_batch as rules
from lambent.model.event_source_mapping import MappingInput
from lambent.sources.poller import Counts, InvokeBatch, PollerStatistics, Report, json_or_none

log = logging.getLogger(__name__)

LONG_POLL_S = 20.0
#: Waits after a source refused to answer, doubling up to the last.
BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


@dataclass(frozen=True, kw_only=True)
class Redelivery:
    """When the sources that keep their own redelivery (Redis Streams, NATS JetStream) deliver a
    message again, and how often before they give it up (decision 0031)."""

    #: Seconds a message read and not acknowledged waits before it is delivered again.
    wait_s: float = 30.0
    max_deliveries: int = 5


@dataclass(kw_only=True)
class Message:
    """One record received: its identifier (``itemIdentifier`` in batch item failures), the
    record the function gets, what the filters see, its size, and the source's own handle."""

    id: str
    record: dict[str, Any]
    view: dict[str, Any]
    size: int
    handle: Any = None


class QueueSource(Protocol):
    #: The most messages one receive may return.
    per_receive: int

    async def receive(self, limit: int, wait_s: float) -> list[Message]:
        """Up to *limit* messages, waiting up to *wait_s* for the first (long polling); raises
        when the source cannot be reached (the poller backs off and reports it)."""
        ...

    async def ack(self, messages: list[Message]) -> None:
        """Settle *messages* for good (deleted, acknowledged)."""
        ...

    async def release(self, messages: list[Message], failed: bool) -> None:
        """Give *messages* back. *failed*: their invocation failed, and the source's own
        redelivery rules apply (a receive counted, a redrive policy); else they were never
        invoked (a stop) and come back as soon as the source allows."""
        ...

    def event(self, messages: list[Message]) -> bytes:
        """The function's event for one batch (JSON)."""
        ...

    async def depth(self) -> int | None:
        """Messages waiting in the queue, if the source can tell."""
        ...

    async def close(self) -> None: ...


@dataclass
class _Counts(Counts):
    depth: int | None = None


@dataclass
class _Worker:
    #: Records received past the last batch's payload limit, for the next one.
    carry: list[Message] = field(default_factory=list)


class QueuePoller:
    def __init__(
        self,
        source: QueueSource,
        settings: MappingInput,
        invoke: InvokeBatch,
        report: Report,
        clock: Clock,
        max_workers: int = 64,
    ) -> None:
        self._source = source
        self._settings = settings
        self._invoke = invoke
        self._report = report
        self._clock = clock
        self._filters = rules.filters(settings)
        self._batch_size = settings.batch_size or 10
        self._window_s = float(settings.maximum_batching_window_in_seconds or 0)
        self._report_failures = "ReportBatchItemFailures" in (settings.function_response_types or [])
        scaling = settings.scaling_config.maximum_concurrency if settings.scaling_config else None
        self._max_workers = min(scaling or max_workers, max_workers)
        self._workers: set[asyncio.Task[None]] = set()
        #: Workers that have not decided to end (a task may still be finishing its last batch).
        self._active = 0
        self._background: set[asyncio.Task[Any]] = set()
        self._stopped = asyncio.Event()
        self._counts = _Counts()
        self._failures = 0

    # -- the protocol ---------------------------------------------------------------------------

    async def start(self) -> None:
        for _ in range(rules.start_workers(self._max_workers)):
            self._spawn_worker()

    async def stop(self) -> None:
        """Workers end at once; receives they abandoned release what they bring back when they
        return (``drain`` waits for that)."""
        self._stopped.set()
        await asyncio.gather(*self._workers, return_exceptions=True)
        await self._source.close()

    async def drain(self) -> None:
        """Wait until the receives a stop abandoned have returned and released their messages."""
        await asyncio.gather(*self._background, return_exceptions=True)

    async def checkpoint(self) -> None:
        """Queues settle each batch as it ends: nothing waits to be made durable."""

    def statistics(self) -> PollerStatistics:
        return self._counts.statistics(concurrency=len(self._workers), depth=self._counts.depth)

    async def refresh_depth(self) -> int | None:
        self._counts.depth = await self._source.depth()
        return self._counts.depth

    # -- workers ----------------------------------------------------------------------------------

    def _spawn_worker(self) -> None:
        self._active += 1
        task = asyncio.create_task(self._work(_Worker()))
        self._workers.add(task)
        task.add_done_callback(self._workers.discard)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _work(self, worker: _Worker) -> None:
        while not self._stopped.is_set():
            try:
                batch, full, empty = await self._gather(worker)
            except Exception as refused:  # the source: unreachable, gone, refusing
                await self._back_off(refused)
                continue
            self._failures = 0
            wanted = rules.next_workers(self._active, full, empty, self._max_workers)
            if wanted > self._active and not self._stopped.is_set():
                self._spawn_worker()
            ending = wanted < self._active
            if ending:
                self._active -= 1  # at once, so the workers ending together never go below the start
            if batch:
                try:
                    await self._process(batch)
                except Exception as refused:  # settling failed: the source redelivers what it still holds
                    await self._back_off(refused)
            if ending:
                return

    async def _back_off(self, refused: Exception) -> None:
        wait = BACKOFF_S[min(self._failures, len(BACKOFF_S) - 1)]
        self._failures += 1
        self._report(f"PROBLEM: Connection error. {type(refused).__name__}: {refused}")
        log.warning("event source refused (%r); trying again in %.1f s", refused, wait, exc_info=self._failures == 1)
        sleeping = asyncio.ensure_future(self._clock.sleep(wait))
        stopping = asyncio.ensure_future(self._stopped.wait())
        await asyncio.wait({sleeping, stopping}, return_when=asyncio.FIRST_COMPLETED)
        sleeping.cancel()
        stopping.cancel()

    async def _receive(self, limit: int, wait_s: float) -> list[Message] | None:
        """What the source returns, or None when the poller stopped while waiting (the
        abandoned receive's messages are released when it returns)."""
        receiving = asyncio.ensure_future(self._source.receive(limit, wait_s))
        stopping = asyncio.ensure_future(self._stopped.wait())
        await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if receiving.done():
            return receiving.result()
        self._spawn(self._release_late(receiving))
        return None

    async def _release_late(self, receiving: asyncio.Future[list[Message]]) -> None:
        try:
            messages = await receiving
        except Exception:  # the source failed: it holds nothing for us
            return
        if messages:
            await self._source.release(messages, failed=False)

    async def _gather(self, worker: _Worker) -> tuple[list[Message], bool, bool]:
        """One batch: (its records, whether it filled up, whether the first receive was empty)."""
        batch, size, first_at = worker.carry, sum(m.size for m in worker.carry), None
        worker.carry = []
        empty = False
        if batch:
            first_at = self._clock.monotonic()
        while len(batch) < self._batch_size and not self._stopped.is_set():
            if first_at is None:
                wait = LONG_POLL_S
            else:
                wait = self._window_s - (self._clock.monotonic() - first_at)
                if wait <= 0:
                    break
            received = await self._receive(min(self._source.per_receive, self._batch_size - len(batch)), wait)
            if received is None:  # stopped: what the batch holds goes back uninvoked
                if batch:
                    await self._source.release(batch, failed=False)
                return [], False, False
            self._counts.received += len(received)
            if not received and first_at is None:
                empty = True
                break
            kept = await self._filter(received)
            for message in kept:
                if size + message.size > rules.PAYLOAD_LIMIT_BYTES and batch:
                    worker.carry.append(message)
                else:
                    batch.append(message)
                    size += message.size
            if worker.carry:
                break
            if batch and first_at is None:
                first_at = self._clock.monotonic()
            if self._window_s == 0 and batch:
                break
        return batch, len(batch) >= self._batch_size, empty

    async def _filter(self, received: list[Message]) -> list[Message]:
        if not self._filters:
            return received
        kept = [m for m in received if rules.matches(self._filters, m.view)]
        dropped = [m for m in received if not rules.matches(self._filters, m.view)]
        if dropped:
            self._counts.filtered += len(dropped)
            await self._source.ack(dropped)
        return kept

    async def _process(self, batch: list[Message]) -> None:
        self._counts.invocations += 1
        invoked = await self._invoke(self._source.event(batch))
        if invoked.ok and self._report_failures:
            answer = json_or_none(invoked.payload)
            parsed = answer is not None or not invoked.payload.strip() or invoked.payload.strip() == b"null"
            failed_ids = rules.failed_items(answer, parsed, [m.id for m in batch])
            failed_ids = {m.id for m in batch} if failed_ids is None else failed_ids
        else:
            failed_ids = set() if invoked.ok else {m.id for m in batch}
        done = [m for m in batch if m.id not in failed_ids]
        failed = [m for m in batch if m.id in failed_ids]
        if done:
            await self._source.ack(done)
        if failed:
            await self._source.release(failed, failed=True)
        self._counts.processed += len(done)
        self._counts.failed += len(failed)
        self._report(rules.processing_result(invoked.function_error, invoked.refused))
