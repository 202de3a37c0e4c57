"""Saved test events: JSON bodies by function and name, per account, bounded in number."""

from __future__ import annotations

import asyncio

import pytest

from lambent.errors import InvalidParameterValueException
from lambent.services.test_events import MAX_EVENTS, TestEventService
from lambent.store.memory import MemoryStore


def test_events_are_saved_replaced_listed_and_deleted_per_function_and_account() -> None:
    async def run() -> None:
        store = MemoryStore("111111111111")
        mine, theirs = TestEventService(store), TestEventService(store.of_account("222222222222"))
        await mine.save("f", "b", '{"x": 1}')
        await mine.save("f", "a", "[]")
        await mine.save("f", "b", '{"x": 2}')
        await mine.save("g", "a", "1")
        assert await mine.list("f") == {"a": "[]", "b": '{"x": 2}'}
        assert await theirs.list("f") == {}
        await mine.delete("f", "a")
        await mine.delete("f", "missing")
        assert await mine.list("f") == {"b": '{"x": 2}'}

    asyncio.run(run())


@pytest.mark.parametrize(("name", "body"), [("ok", "{bad"), ("bad name", "{}"), ("", "{}"), ("x" * 26, "{}")])
def test_a_bad_name_or_body_is_refused(name: str, body: str) -> None:
    with pytest.raises(InvalidParameterValueException):
        asyncio.run(TestEventService(MemoryStore()).save("f", name, body))


def test_a_function_keeps_at_most_ten() -> None:
    async def run() -> None:
        events = TestEventService(MemoryStore())
        for i in range(MAX_EVENTS):
            await events.save("f", f"e{i}", "{}")
        await events.save("f", "e0", "[]")  # replacing one is not one more
        with pytest.raises(InvalidParameterValueException, match="at most"):
            await events.save("f", "one-more", "{}")

    asyncio.run(run())
