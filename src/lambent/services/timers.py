"""One timer heap for the server's wall-clock work: schedules and scheduled rules.

``at(key, when, callback)`` arms (or re-arms) the timer of *key*; ``cancel(key)`` disarms it.
One task sleeps until the earliest timer and is woken early only when a sooner one is armed, so
the heap costs nothing while idle (no polling of every schedule) and a thousand schedules are one
sleeping task. Times are the clock's wall-clock seconds (``Clock.time``), as schedules are; a
callback runs in a task of its own, its failure logged, never the heap's.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable, Hashable

from lambent.clock import Clock

log = logging.getLogger(__name__)
Callback = Callable[[], Awaitable[None]]


class Timers:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._heap: list[tuple[float, int, Hashable]] = []
        self._armed: dict[Hashable, tuple[float, int, Callback]] = {}
        self._order = itertools.count()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    def at(self, key: Hashable, when: float, callback: Callback) -> None:
        sequence = next(self._order)
        self._armed[key] = (when, sequence, callback)
        heapq.heappush(self._heap, (when, sequence, key))
        if self._heap[0][1] == sequence:  # the soonest now: the sleeper must wake earlier
            self._wake.set()

    def cancel(self, key: Hashable) -> None:
        self._armed.pop(key, None)  # its heap entry is dropped when it comes up

    async def _run(self) -> None:
        while True:
            while self._heap and self._armed.get(self._heap[0][2], (0, -1))[1] != self._heap[0][1]:
                heapq.heappop(self._heap)  # cancelled or re-armed
            if not self._heap:
                await self._wake.wait()
                self._wake.clear()
                continue
            when, _, key = self._heap[0]
            delay = when - self._clock.time()
            if delay > 0:
                await self._sleep(delay)
                continue
            heapq.heappop(self._heap)
            _, _, callback = self._armed.pop(key)
            task = asyncio.create_task(self._call(key, callback))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _sleep(self, delay: float) -> None:
        """Until *delay* has passed or a sooner timer is armed."""
        self._wake.clear()
        sleeper = asyncio.ensure_future(self._clock.sleep(delay))
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait((sleeper, woken), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            woken.cancel()
        self._wake.clear()

    @staticmethod
    async def _call(key: Hashable, callback: Callback) -> None:
        try:
            await callback()
        except Exception:
            log.exception("timer %s failed", key)
