"""Timeouts on an injected clock: ``async with within(clock, seconds):`` as ``asyncio.timeout``.

On the ``SystemClock`` this *is* ``asyncio.timeout`` (the loop's own timer, nothing added to the
hot path). On any other clock (a ``FakeClock`` in tests) the deadline is a sleep on that clock:
when it ends, the block is cancelled and ``TimeoutError`` raised, exactly as the loop's timer
would, so a hung invocation times out when the test moves the clock and not before.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from lambent.clock import Clock, SystemClock


def within(clock: Clock, seconds: float) -> contextlib.AbstractAsyncContextManager[object]:
    """A block that raises TimeoutError once *seconds* have passed on *clock*."""
    if type(clock) is SystemClock:
        return asyncio.timeout(seconds)
    return _on_clock(clock, seconds)


@contextlib.asynccontextmanager
async def _on_clock(clock: Clock, seconds: float) -> AsyncIterator[object]:
    async with asyncio.timeout(None) as timeout:

        async def expire() -> None:
            await clock.sleep(seconds)
            timeout.reschedule(asyncio.get_running_loop().time())  # due now: cancels the block

        watcher = asyncio.ensure_future(expire())
        try:
            yield None
        finally:
            watcher.cancel()
