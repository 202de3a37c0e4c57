"""What happens to functions, told to those who keep state about them.

The functions and aliases services announce each change through one typed protocol,
``FunctionEvents``, once it is stored and indexed. The invoker implements it (structurally: it
cannot import the services), and so do the services holding per-function state (event invoke
configs, provisioned concurrency, function URLs), through ``FunctionListener``'s no-op defaults.
The aliases service tells ``AliasEvents`` of a deleted alias (function URLs keep one per alias). ``Listeners``
tells a list of them in order, so a cascade such as DeleteFunction's is one call at the edge.
A listener's failure propagates: the change is already stored, the rest are not told.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from lambent.model.function import FunctionVersion


class FunctionEvents(Protocol):
    async def function_changed(self, name: str, revision_id: str | None) -> None:
        """``$LATEST`` of *name* now has *revision_id*: environments of other revisions are stale.
        None: every environment of *name* is stale (its network tag changed)."""
        ...

    async def function_deleted(self, name: str) -> None:
        """*name* and all its versions are gone."""
        ...

    def version_published(self, version: FunctionVersion) -> asyncio.Future[Any] | None:
        """*version* was published. Returns the SnapStart snapshot being made of it, if any: the
        version is Pending until that is done."""
        ...

    async def version_deleted(self, name: str, version: str) -> None:
        """Published *version* of *name* was deleted."""
        ...


class AliasEvents(Protocol):
    async def alias_deleted(self, name: str, alias: str) -> None:
        """Alias *alias* of *name* is gone, and the store deleted what it kept of it (its policy,
        its function URL config); told under the function's lock."""
        ...


class FunctionListener:
    """A ``FunctionEvents`` that ignores everything: listeners override what concerns them."""

    async def function_changed(self, name: str, revision_id: str | None) -> None:
        return None

    async def function_deleted(self, name: str) -> None:
        return None

    def version_published(self, version: FunctionVersion) -> asyncio.Future[Any] | None:
        return None

    async def version_deleted(self, name: str, version: str) -> None:
        return None


class Listeners:
    """Several ``FunctionEvents`` as one, told in the order given. Of the snapshots that
    ``version_published`` returns, the first is the version's (only the invoker makes one)."""

    def __init__(self, listeners: Sequence[FunctionEvents]) -> None:
        self._listeners = tuple(listeners)

    async def function_changed(self, name: str, revision_id: str | None) -> None:
        for listener in self._listeners:
            await listener.function_changed(name, revision_id)

    async def function_deleted(self, name: str) -> None:
        for listener in self._listeners:
            await listener.function_deleted(name)

    def version_published(self, version: FunctionVersion) -> asyncio.Future[Any] | None:
        snapshots = [listener.version_published(version) for listener in self._listeners]
        return next((snapshot for snapshot in snapshots if snapshot is not None), None)

    async def version_deleted(self, name: str, version: str) -> None:
        for listener in self._listeners:
            await listener.version_deleted(name, version)
