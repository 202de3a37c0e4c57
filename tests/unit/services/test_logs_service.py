"""Retention on the fake clock: the one timer fires when the oldest event of a retained group
expires, deletes what has expired (and only that), and arms itself for the next expiry; with no
retained group there is no timer at all."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lambent.clock import FakeClock
from lambent.model.log_groups import DAY_MS
from lambent.services.ledger import Ledger
from lambent.services.logs import RETENTION_TIMER, LogService
from lambent.services.metering import MeterService, load_prices
from lambent.services.timers import Timers
from lambent.store.memory import MemoryStore
from tests.fixtures.waiting import until

ACCOUNT = "000000000000"
HOUR_MS = 3_600_000


def test_retention_deletes_expired_events_when_they_expire_and_only_then(tmp_path: Path) -> None:
    async def scenario() -> None:
        clock = FakeClock()
        store = MemoryStore()
        ledger = Ledger(store, tmp_path / "journal", MeterService(store, load_prices(None), clock=clock), clock=clock)
        await ledger.open()
        timers = Timers(clock)
        timers.start()
        logs = LogService(store, ledger, clock, timers)
        try:
            logs.start()
            await until(lambda: RETENTION_TIMER not in timers._armed)  # the first sweep: nothing retained
            await asyncio.sleep(0)
            assert RETENTION_TIMER not in timers._armed  # and so no timer

            now = int(clock.time() * 1000)
            await logs.create_group(ACCOUNT, "/kept", None, None)
            await logs.create_stream(ACCOUNT, "/kept", "s")
            await logs.put_events(ACCOUNT, "/kept", "s", [(now - 20 * HOUR_MS, "20 hours old"), (now, "new")])
            await logs.put_retention(ACCOUNT, "/kept", 1)
            await until(lambda: RETENTION_TIMER in timers._armed and timers._armed[RETENTION_TIMER][0] > clock.time())
            # Armed for when the oldest expires: 4 hours from now.
            assert timers._armed[RETENTION_TIMER][0] == clock.time() + 4 * 3600
            await until(lambda: clock.sleepers == 1)  # the heap's task asleep until then

            def left() -> list[str]:
                return [e.message for e in store._logs.values()]

            await clock.advance(4 * 3600 - 1)
            assert left() == ["20 hours old", "new"]
            await clock.advance(2)
            await until(lambda: left() == ["new"])
            (group,) = (await logs.groups(ACCOUNT, "/kept", None, None, 5))[0]
            assert group.stored_bytes == len("new")
            await until(lambda: timers._armed.get(RETENTION_TIMER, (0.0,))[0] > clock.time() and clock.sleepers == 1)
            await clock.advance(DAY_MS / 1000)
            await until(lambda: left() == [])
        finally:
            await timers.close()
            await ledger.close()

    asyncio.run(scenario())
