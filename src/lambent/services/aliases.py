"""Aliases of a function: create, read, list, update, delete.

An alias lives in its function's entry of the ``FunctionIndex`` and changes under the
function's lock, so it cannot race a version's deletion (which refuses while an alias uses the
version). Routing rules are the model's (``model.alias``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import msgspec

from lambent.errors import ResourceConflictException, ResourceNotFoundException
from lambent.model.alias import Alias, CreateAliasInput, UpdateAliasInput, check_routing
from lambent.model.function import check_revision
from lambent.model.paging import page
from lambent.services.function_events import AliasEvents
from lambent.services.function_index import FunctionIndex
from lambent.store import FunctionStore


class AliasService:
    def __init__(self, store: FunctionStore, index: FunctionIndex, listeners: Sequence[AliasEvents] = ()) -> None:
        """*listeners* are told of each alias deleted (the store deleted what it held of it)."""
        self._store = store
        self._index = index
        self._listeners = tuple(listeners)

    def alias(self, name: str, alias_name: str) -> Alias:
        alias = self._index.function(name).aliases.get(alias_name)
        if alias is None:
            raise ResourceNotFoundException(f"Cannot find alias arn: {self._index.arn(name, alias_name)}")
        return alias

    def aliases_page(
        self, name: str, function_version: str | None, marker: str | None, max_items: int | None
    ) -> tuple[list[Alias], str | None]:
        """The aliases of *name* by name (of *function_version* only, when given), paged."""
        function = self._index.function(name)
        chosen = sorted(
            (
                a
                for a in function.aliases.values()
                if function_version is None or a.function_version == function_version or function_version in a.additional_weights
            ),
            key=lambda a: a.name,
        )
        return page(chosen, lambda a: a.name, marker, max_items)

    async def create_alias(self, name: str, request: CreateAliasInput) -> Alias:
        async with self._index.lock(name):
            function = self._index.function(name)
            if request.name in function.aliases:
                raise ResourceConflictException(f"Alias already exists: {self._index.arn(name, request.name)}")
            weights = request.routing.additional_version_weights if request.routing else {}
            check_routing(request.function_version, weights, function.published())
            alias = Alias(
                function_name=name,
                name=request.name,
                function_version=request.function_version,
                description=request.description,
                additional_weights=dict(weights),
                revision_id=str(uuid.uuid4()),
            )
            await self._store.put_alias(alias)
            function.aliases[alias.name] = alias
        return alias

    async def update_alias(self, name: str, alias_name: str, request: UpdateAliasInput) -> Alias:
        async with self._index.lock(name):
            current = self.alias(name, alias_name)
            check_revision(request.revision_id, current.revision_id)
            version = request.function_version or current.function_version
            weights = request.routing.additional_version_weights if request.routing is not None else current.additional_weights
            function = self._index.function(name)
            check_routing(version, weights, function.published())
            alias = msgspec.structs.replace(
                current,
                function_version=version,
                additional_weights=dict(weights),
                revision_id=str(uuid.uuid4()),
                description=current.description if request.description is None else request.description,
            )
            await self._store.put_alias(alias)
            function.aliases[alias.name] = alias
        return alias

    async def delete_alias(self, name: str, alias_name: str) -> None:
        async with self._index.lock(name):
            function = self._index.function(name)
            if alias_name in function.aliases:  # AWS answers 204 for an alias that does not exist
                await self._store.delete_alias(name, alias_name)
                del function.aliases[alias_name]
                function.policies.pop(alias_name, None)  # the store deleted it with the alias
                for listener in self._listeners:
                    await listener.alias_deleted(name, alias_name)
