"""Time, as one injected object: every component reads the clock through a ``Clock``.

``SystemClock`` is the real one. ``FakeClock`` stands still until a test moves it: its
``sleep`` returns only once ``advance`` has carried the time past the sleeper's deadline, so
timers, retries, reaping and month boundaries are tested without sleeping. Pure code (``model``)
takes the time as an argument instead and needs neither.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Wall-clock seconds since the epoch (timestamps, deadlines a runtime sees, billing)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (durations, idle ages, rate windows)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return once *seconds* have passed on this clock (at once for zero or less)."""
        ...


class SystemClock:
    """The machine's clocks and asyncio's sleep."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FakeClock:
    """A clock that moves only when told to: ``advance(seconds)`` or ``set(epoch_seconds)``.

    Both clocks move together. A sleeper wakes on the first ``advance`` that reaches its
    deadline; ``advance`` then yields to the event loop so woken tasks run before it returns.
    """

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._wall = start
        self._mono = 1_000.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def time(self) -> float:
        return self._wall

    def monotonic(self) -> float:
        return self._mono

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._mono + seconds, next(self._order), future))
        await future

    @property
    def sleepers(self) -> int:
        """How many tasks are asleep on this clock now."""
        return sum(1 for _deadline, _n, future in self._sleepers if not future.done())

    async def advance(self, seconds: float) -> None:
        """Move both clocks forward by *seconds*, waking every sleeper whose deadline passed."""
        if seconds < 0:
            raise ValueError("a clock does not go back")
        self._wall += seconds
        self._mono += seconds
        while self._sleepers and self._sleepers[0][0] <= self._mono:
            _deadline, _n, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)
        for _ in range(5):  # let woken tasks (and what they start) run before returning
            await asyncio.sleep(0)

    async def set(self, epoch_seconds: float) -> None:
        """Move the wall clock to *epoch_seconds* (not backwards), and the monotonic one with it."""
        await self.advance(epoch_seconds - self._wall)
