"""The durable queue of asynchronous invocations.

An Event invoke is answered 202 only once its row is committed (accepts arriving together share
one transaction). Workers lease due events; a lease outlives any function timeout, and a server
that restarts frees every lease it finds, so an event whose attempt was cut short by a crash is
delivered again (at least once, with the same request id). Finished events are deleted in
batches; retries are rescheduled with their new attempt counts.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from lambent.clock import Clock, SystemClock
from lambent.store import QueueStore

#: Longer than the longest function timeout (900 s): an attempt in progress keeps its event.
LEASE_S = 960.0


class QueuedEvent(msgspec.Struct, kw_only=True):
    #: The function's account ("": queued before accounts, the server's default account's).
    account: str = ""
    function: str
    qualifier: str | None
    request_id: str
    payload: bytes
    client_context: dict[str, Any] | None = None
    trace_id: str | None = None
    accepted_at: float
    attempts: int = 0
    backoffs: int = 0
    id: int = 0


_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(QueuedEvent).decode


class _Batcher:
    """Collects calls made together and runs them as one (one transaction for many accepts)."""

    def __init__(self, run: Any) -> None:
        self._run = run
        self._pending: list[tuple[Any, asyncio.Future[Any]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: Any) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                results = await self._run([item for item, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)


class EventQueue:
    def __init__(self, store: QueueStore, clock: Clock | None = None) -> None:
        self._store = store
        self._clock = clock or SystemClock()
        self._enqueue = _Batcher(self._write)
        self._finish = _Batcher(self._delete)
        self.wake = asyncio.Event()

    async def open(self) -> int:
        """Free the leases of an earlier run; returns how many events that put back."""
        return await self._store.release_leases()

    async def _write(self, events: list[QueuedEvent]) -> list[int]:
        return await self._store.enqueue([_encode(event) for event in events], self._clock.time())

    async def _delete(self, ids: list[int]) -> list[None]:
        await self._store.finish(ids)
        return [None] * len(ids)

    async def put(self, event: QueuedEvent) -> None:
        """Returns once the event is committed."""
        event.id = await self._enqueue.submit(event)
        self.wake.set()

    async def claim(self, limit: int) -> list[QueuedEvent]:
        now = self._clock.time()
        claimed = await self._store.claim(now, now + LEASE_S, limit)
        events = []
        for event_id, data in claimed:
            event = _decode(data)
            event.id = event_id
            events.append(event)
        return events

    async def done(self, event: QueuedEvent) -> None:
        await self._finish.submit(event.id)

    async def retry(self, event: QueuedEvent, delay_s: float) -> None:
        await self._store.reschedule(event.id, _encode(event), self._clock.time() + delay_s)
