"""The console's saved test events' half of ``MemoryStore``, answering as
``store.sql_test_events`` does."""

from __future__ import annotations


class MemoryTestEvents:
    """Mixed into ``MemoryStore``, which binds ``_test_events`` ((function, name) -> body) to its
    account's."""

    _test_events: dict[tuple[str, str], str]

    async def test_events(self, function: str) -> dict[str, str]:
        return {name: body for (owner, name), body in sorted(self._test_events.items()) if owner == function}

    async def put_test_event(self, function: str, name: str, body: str) -> None:
        self._test_events[(function, name)] = body

    async def delete_test_event(self, function: str, name: str) -> None:
        self._test_events.pop((function, name), None)
