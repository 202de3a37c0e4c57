"""Garbage collection of code packages: a replaced or deleted function's zip and tree go.

A package is removed only when nothing can still use it: no version of any function refers to
it, no layer version, no live environment runs it (``CodeUsers``: the invoker), and no upload is
in progress anywhere (a concurrent CreateFunction of the same zip finds the tree already there
and takes it; until its version is indexed nothing else shows it is used). A package that is
still in use stays a candidate and is tried again at the next collection; at start, when no
environment runs yet, every stored package nothing refers to goes (``sweep``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Protocol

from lambent.services.packages import PackageStore

log = logging.getLogger(__name__)


class CodeUsers(Protocol):
    """Who uses packages: every account's functions, layers and environments (``Cells``)."""

    def code_dirs_in_use(self) -> set[str]:
        """The code directories (``PackageStore.tree``) of every live environment."""
        ...

    def code_in_use(self) -> set[str]:
        """The packages (sha256 hex) any version of any function or any layer version refers to."""
        ...


class PackageCollector:
    def __init__(self, packages: PackageStore, users: CodeUsers) -> None:
        """A package is content-addressed, so one may serve several accounts: *users* answers
        for all of them."""
        self._packages = packages
        self._users = users
        self._uploads = 0
        self._candidates: set[str] = set()
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def uploading(self) -> AsyncIterator[None]:
        """Hold while adding a package and until the record referring to it is indexed."""
        self._uploads += 1
        try:
            yield
        finally:
            self._uploads -= 1

    @property
    def candidates(self) -> frozenset[str]:
        """Packages that stopped being referenced and are not removed yet."""
        return frozenset(self._candidates)

    async def collect(self, unreferenced: set[str]) -> set[str]:
        """Add *unreferenced* to the candidates and remove those no version or layer refers to
        and no environment uses; returns what was removed."""
        self._candidates |= unreferenced
        if self._uploads:
            return set()  # an upload may be taking one of them: next time
        async with self._lock:
            in_use = self._users.code_in_use() | self._in_environments()
            chosen = self._candidates - in_use
            if not chosen:
                return set()
            removed = await asyncio.to_thread(self._packages.remove_unused, in_use, chosen)
            self._candidates -= chosen
        if removed:
            log.info("removed %d unused code packages", len(removed))
        return removed

    async def sweep(self) -> set[str]:
        """At start, once every account's functions and layers are loaded (no environment, no
        upload yet): remove every package nothing refers to."""
        async with self._lock:
            stored = await asyncio.to_thread(self._packages.digests)
        return await self.collect(stored)

    def _in_environments(self) -> set[str]:
        dirs = self._users.code_dirs_in_use()
        return {d for d in self._candidates if self._packages.tree(d) in dirs}
