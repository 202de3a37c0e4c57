"""``MemoryStore`` answers as ``SqlStore`` does: the same committed usage sums, month states,
records, log queries and queue leases for the same writes (so unit tests on the memory store
say something about the server's)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import msgspec

from lambent.model.billing import Charge, MonthState, UsageRecord, charge
from lambent.services.metering import load_prices
from lambent.store import LogEvent, Store
from lambent.store.journal import Position
from lambent.store.memory import MemoryStore
from lambent.store.sql import SqlStore
from tests.fixtures.usage import NOV, record

DAY_MS = 86_400_000


def charged() -> list[tuple[UsageRecord, Charge]]:
    prices, state = load_prices(None), MonthState()
    made = []
    for i, (function, architecture, end_ms) in enumerate(
        [("a", "x86_64", NOV), ("a", "arm64", NOV), ("b", "x86_64", NOV + DAY_MS), ("a", "x86_64", NOV + 5 * DAY_MS)]
    ):
        usage = msgspec.structs.replace(
            record(100 * (i + 1), 512, end_ms, architecture), id=str(i), function=function, version="1" if i % 2 else "$LATEST"
        )
        cost, state = charge(usage, state, prices)
        made.append((usage, cost))
    return made


def logs() -> list[LogEvent]:
    """The bound account's (account "", as a journal from before accounts has them), and another
    account's function of the same name."""
    return [
        LogEvent(group="/aws/lambda/a", stream=stream, timestamp_ms=ts, message=message, ingestion_ms=ts)
        for stream, ts, message in [("s1", 5, "hello"), ("s2", 3, "world"), ("s1", 9, "hello again"), ("s3", 1, "100%_x")]
    ] + [
        LogEvent(
            account="111111111111", group="/aws/lambda/a", stream="s1", timestamp_ms=6, message="hello other", ingestion_ms=6
        )
    ]


MINE, GROUP = "000000000000", "/aws/lambda/a"


async def answers(store: Store) -> dict[str, Any]:
    await store.open()
    try:
        store.commit_journal(logs(), charged(), Position(1, 42))
        ids = await store.enqueue([b"e1", b"e2", b"e3"], now=10.0)
        await store.reschedule(ids[0], b"e1'", not_before=50.0)
        claimed = await store.claim(now=20.0, lease_until=100.0, limit=5)
        reclaimed = await store.claim(now=60.0, lease_until=200.0, limit=5)
        await store.finish([ids[1]])
        return {
            "position": await store.journal_position(),
            "month": await store.month_state("000000000000", "2026-11"),
            "sums by function": await store.usage_sums(["function"], {}),
            "sums by version and day": await store.usage_sums(["version", "day"], {"function": "a"}),
            "sums by month": await store.usage_sums(["month"], {}, first_day="2026-11-28", last_day="2026-12-31"),
            "records": [(seq, r.id) for seq, r, _c in await store.usage_records("a", 1, 10)],
            "filtered": [(e.stream, e.message) for e in await store.filter_logs(MINE, GROUP, None, 2, None, 0, 10, "hello")],
            "percent": [e.message for e in await store.filter_logs(MINE, GROUP, ["s3"], None, None, 0, 10, "%_")],
            "after": [e.message for e in await store.filter_logs(MINE, GROUP, None, None, None, 2, 1, None)],
            "streams": await store.log_streams(MINE, GROUP),
            "other's": [e.message for e in await store.filter_logs("111111111111", GROUP, None, None, None, 0, 10, None)],
            "other's streams": await store.log_streams("111111111111", GROUP),
            "claimed": claimed,
            "reclaimed": reclaimed,
            "released": await store.release_leases(),
        }
    finally:
        await store.close()


def test_the_memory_store_answers_as_the_sql_store(tmp_path: Path) -> None:
    sql = asyncio.run(answers(SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'lambent.db'}", "000000000000")))
    memory = asyncio.run(answers(MemoryStore()))
    assert sql["claimed"] == [(2, b"e2"), (3, b"e3")]  # the rescheduled one is not due yet
    assert sql["percent"] == ["100%_x"] and len(sql["sums by function"]) == 3
    assert "hello other" not in sql["after"] and sql["other's"] == ["hello other"]  # each account its own group
    assert sql["other's streams"] == [("s1", 6, 6)]
    for key in sql:
        assert memory[key] == sql[key], key
