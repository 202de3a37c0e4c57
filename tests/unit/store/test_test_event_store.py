"""The console's saved test events in both stores, which answer alike: per account and function,
by name, replaced whole, deleted one at a time."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from lambent.store import Store
from lambent.store.memory import MemoryStore
from lambent.store.sql import SqlStore

A, B = "111111111111", "222222222222"


async def answers(store: Store) -> dict[str, Any]:
    await store.open()
    try:
        a, b = store.of_account(A), store.of_account(B)
        await a.put_test_event("fn", "second", '{"n": 2}')
        await a.put_test_event("fn", "first", '{"n": 1}')
        await a.put_test_event("fn", "second", '{"n": 3}')  # replaced
        await a.put_test_event("other", "first", "[]")
        await b.put_test_event("fn", "first", "{}")
        got: dict[str, Any] = {"a": await a.test_events("fn"), "b": await b.test_events("fn"), "none": await a.test_events("x")}
        await a.delete_test_event("fn", "first")
        await a.delete_test_event("fn", "never")
        got["after delete"] = await a.test_events("fn")
        got["other kept"] = await a.test_events("other")
        return got
    finally:
        await store.close()


@pytest.mark.parametrize("kind", ["memory", "sql"])
def test_both_stores_keep_test_events_alike(kind: str, tmp_path: Path) -> None:
    store: Store = MemoryStore(A) if kind == "memory" else SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'db'}", A)
    got = asyncio.run(answers(store))
    assert got["a"] == {"first": '{"n": 1}', "second": '{"n": 3}'}
    assert list(got["a"]) == ["first", "second"]
    assert got["b"] == {"first": "{}"}
    assert got["none"] == {}
    assert got["after delete"] == {"second": '{"n": 3}'}
    assert got["other kept"] == {"first": "[]"}
