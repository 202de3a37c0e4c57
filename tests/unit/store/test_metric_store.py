"""Metric points in both stores, which answer alike: a slot written twice is the merge of both,
series listed by account, namespace and name, and retention deleting old minutes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lambent.model import metric_stats as stats
from lambent.model.metric_series import MINUTE_MS, Point, series_key
from lambent.store import Store
from lambent.store.memory import MemoryStore
from lambent.store.sql import SqlStore

T0 = 1_767_225_600_000
A, B = "111111111111", "222222222222"
KEY = series_key(A, "App", "Latency", {"Op": "get"})


def point(minute: int, *values: float, key: Any = KEY, unit: str = "Milliseconds") -> Point:
    made = Point(key, T0 + minute * MINUTE_MS, unit)
    for value in values:
        made.add(value)
    return made


async def answers(store: Store) -> dict[str, Any]:
    await store.open()
    try:
        store.commit_metrics(
            [point(0, 1, 2), point(1, 10), point(0, 5, unit="Count"), point(0, 7, key=series_key(B, "App", "Latency"))]
        )
        store.commit_metrics([point(0, 3, 100), point(3, 4)])
        found = await store.metric_points(KEY, T0, T0 + 10 * MINUTE_MS, "Milliseconds")
        every_unit = await store.metric_points(KEY, T0, T0 + MINUTE_MS, None)
        series = await store.metric_series(A, "App", None, 0)
        recent = await store.metric_series(A, None, "Latency", T0 + 2 * MINUTE_MS)
        deleted = await store.delete_metrics_before(T0 + 2 * MINUTE_MS)
        after = await store.metric_points(KEY, T0, T0 + 10 * MINUTE_MS, None)
        return {
            "points": [
                (p.minute_ms, p.unit, p.sample_count, p.sum, p.minimum, p.maximum, round(stats.value(p, "p50") or 0, 9))
                for p in found
            ],
            "units": [p.unit for p in every_unit],
            "series": series,
            "recent": recent,
            "deleted": deleted,
            "after": [p.minute_ms for p in after],
        }
    finally:
        await store.close()


def test_both_stores_merge_list_and_expire_alike(tmp_path: Path) -> None:
    memory = asyncio.run(answers(MemoryStore()))
    sql = asyncio.run(answers(SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'metrics.db'}", A)))
    assert memory == sql
    first = memory["points"][0]
    assert first[:6] == (T0, "Milliseconds", 4.0, 106.0, 1.0, 100.0)
    assert abs(first[6] - 2.0) < 0.05
    assert [p[0] for p in memory["points"]] == [T0, T0 + MINUTE_MS, T0 + 3 * MINUTE_MS]
    assert memory["units"] == ["Count", "Milliseconds"]
    assert memory["series"] == [KEY] and memory["recent"] == [KEY]
    assert memory["deleted"] == 4 and memory["after"] == [T0 + 3 * MINUTE_MS]
