"""``MemoryStore`` answers as ``SqlStore`` does: the same committed usage sums, month states,
records, log queries and queue leases for the same writes (so unit tests on the memory store
say something about the server's)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import msgspec

from lambent.model.billing import Charge, MonthState, UsageRecord, charge
from lambent.model.log_groups import LogGroup
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
            "blocks": [(e.stream, e.message) for e in await store.log_blocks(MINE, GROUP, None, 2, None, 0, None, 10)],
            "by stream": [e.message for e in await store.log_blocks(MINE, GROUP, ["s3"], None, None, None, None, 10)],
            "after": [e.message for e in await store.log_blocks(MINE, GROUP, None, None, None, 2, None, 1)],
            "before, newest first": [e.message for e in await store.log_blocks(MINE, GROUP, None, None, None, None, 4, 2, True)],
            "by prefix": [e.message for e in await store.log_blocks(MINE, GROUP, None, None, None, None, None, 9, False, "s1")],
            "streams": await store.log_streams(MINE, GROUP, None, False, False, 0, 10),
            "streams by last event": [s.name for s in await store.log_streams(MINE, GROUP, None, True, True, 0, 10)],
            "streams from 1": [s.name for s in await store.log_streams(MINE, GROUP, "s", False, False, 1, 1)],
            "group": await store.log_group(MINE, GROUP),
            "other's": [e.message for e in await store.log_blocks("111111111111", GROUP, None, None, None, None, None, 10)],
            "other's streams": await store.log_streams("111111111111", GROUP, None, False, False, 0, 10),
            "groups": [g.name for g in await store.log_groups(MINE, "/aws", None, None, 10)],
            "groups by pattern": [g.name for g in await store.log_groups(MINE, None, "lambda/A", None, 10)],
            "made again": await store.create_log_group(MINE, LogGroup(name=GROUP, created_ms=1)),
            "made": await store.create_log_group(MINE, LogGroup(name="/app", created_ms=2, retention_days=7)),
            "stream in no group": await store.create_log_stream(MINE, "/none", "x", 3),
            "stream": await store.create_log_stream(MINE, "/app", "x", 3),
            "stream again": await store.create_log_stream(MINE, "/app", "x", 3),
            "retention": await store.put_retention(MINE, GROUP, 1),
            "retained": sorted(await store.retained_groups()),
            "expired": await store.expire_log_events(MINE, GROUP, 4, 10),
            "oldest left": await store.oldest_log_event(MINE, GROUP),
            "after expiry": await store.log_group(MINE, GROUP),
            "stream deleted": await store.delete_log_stream(MINE, GROUP, "s1"),
            "left": [e.message for e in await store.log_blocks(MINE, GROUP, None, None, None, None, None, 10)],
            "group deleted": await store.delete_log_group(MINE, GROUP),
            "gone": await store.log_groups(MINE, None, None, None, 10),
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
    assert sql["by stream"] == ["100%_x"] and len(sql["sums by function"]) == 3
    assert "hello other" not in sql["after"] and sql["other's"] == ["hello other"]  # each account its own group
    assert [(s.name, s.first_event_ms, s.last_event_ms) for s in sql["other's streams"]] == [("s1", 6, 6)]
    assert sql["before, newest first"] == ["hello again", "world"] and sql["by prefix"] == ["hello", "hello again"]
    assert sql["streams by last event"] == ["s1", "s2", "s3"] and sql["streams from 1"] == ["s2"]
    assert sql["group"] == LogGroup(name=GROUP, created_ms=5, stored_bytes=len("helloworldhello again100%_x"))
    assert sql["groups by pattern"] == [] and sql["groups"] == [GROUP]  # the pattern is case-sensitive
    assert (sql["made again"], sql["made"]) == (False, True)
    assert (sql["stream in no group"], sql["stream"], sql["stream again"]) == (None, True, False)
    assert sql["retained"] == [(MINE, "/app", 7), (MINE, GROUP, 1)]
    assert (sql["expired"], sql["oldest left"]) == (2, 5)  # "100%_x" at 1 and "world" at 3
    assert sql["after expiry"].stored_bytes == len("hellohello again")
    assert sql["left"] == [] and sql["group deleted"] is True
    assert [g.name for g in sql["gone"]] == ["/app"]
    for key in sql:
        assert memory[key] == sql[key], key
