"""A function's tags and the settings that are not part of any version: its reserved
concurrency and its recursive-loop detection.

None of them changes a version, so none moves a RevisionId here (AWS's answers do not show
whether they move it there; decision 0021 says why the function policy's own does not). Each
is checked by the model, written to the store, then put in the index, under the function's
lock. A change of the outbound-network tag tells ``FunctionEvents``, so environments made with
the old network are replaced.
"""

from __future__ import annotations

from lambent.errors import InvalidParameterValueException
from lambent.model.concurrency import check_reservation
from lambent.model.function import OUTBOUND_TAG, check_outbound_tag
from lambent.model.limits import MAX_TAGS
from lambent.services.function_events import FunctionEvents
from lambent.services.function_index import FunctionIndex, IndexedFunction
from lambent.store import FunctionStore


class FunctionSettings:
    def __init__(self, store: FunctionStore, index: FunctionIndex, events: FunctionEvents) -> None:
        self._store = store
        self._index = index
        self._events = events

    async def put_recursive_loop(self, name: str, value: str) -> None:
        async with self._index.lock(name):
            function = self._index.function(name)
            await self._store.put_recursive_loop(name, value)
            function.recursive_loop = value

    async def put_reserved_concurrency(self, name: str, reserved: int | None, account_limit: int) -> None:
        async with self._index.lock(name):
            function = self._index.function(name)
            if reserved is not None:
                check_reservation(reserved, account_limit, self._index.reserved_total() - (function.reserved or 0))
            await self._store.put_reserved_concurrency(name, reserved)
            self._index.set_reserved(name, reserved)

    async def tag(self, name: str, tags: dict[str, str]) -> None:
        async with self._index.lock(name):
            function = self._index.function(name)
            merged = {**function.tags, **tags}
            if len(merged) > MAX_TAGS:
                raise InvalidParameterValueException("Number of tags exceeds resource tag limit.")
            check_outbound_tag(merged)
            changed = await self._retag(function, merged)
        if changed:  # environments go: new ones get the new network
            await self._events.function_changed(name, None)

    async def untag(self, name: str, keys: list[str]) -> None:
        async with self._index.lock(name):
            function = self._index.function(name)
            changed = await self._retag(function, {k: v for k, v in function.tags.items() if k not in set(keys)})
        if changed:
            await self._events.function_changed(name, None)

    async def _retag(self, function: IndexedFunction, tags: dict[str, str]) -> bool:
        """Store and index *tags*; whether the outbound tag changed."""
        await self._store.put_tags(function.name, tags)
        changed = function.tags.get(OUTBOUND_TAG) != tags.get(OUTBOUND_TAG)
        function.tags = tags
        return changed
