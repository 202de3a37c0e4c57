"""Cells: each account's Lambda, built and loaded apart from every other account's.

A ``Cell`` is one account's function index, its services (functions, aliases, layers, event
invoke configs, provisioned concurrency, code signing, permissions, function URLs, HTTP APIs,
EventBridge buses and schedules, S3 bucket notifications, event source mappings, invocations, account settings, the console's
saved test events) and its
invoker, whose admission holds the account's own concurrency limit, as AWS limits each account
of a region. What cells share is below them: the store (each cell's view bound to its account),
the content-addressed packages, the sandbox and its zygotes, the ledger.

The server opens a cell for every account that owns a resource when it starts, and one for any
other account the first time a request or a queued event names it, once that account exists
(``exists``; with authentication off, a 12-digit key names an account that need not). So a
request naming an account that does not exist builds nothing: it is refused before any handler
runs, or finds no function. A cell is never closed before the server stops (its state is small;
an account deleted while the server runs keeps its empty cell until then).

Not shared between nodes (#21): each node holds its own cells, loaded from the shared store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from lambent.invoker.invoker import Invoker
from lambent.services.account import AccountService
from lambent.services.aliases import AliasService
from lambent.services.code_signing import CodeSigningService
from lambent.services.event_configs import EventConfigService
from lambent.services.event_sources import EventSourceService
from lambent.services.events import EventBusService
from lambent.services.function_index import FunctionIndex
from lambent.services.function_settings import FunctionSettings
from lambent.services.function_urls import FunctionUrlService
from lambent.services.functions import FunctionService
from lambent.services.http_apis import HttpApiService
from lambent.services.invocations import InvocationService
from lambent.services.layers import LayerService
from lambent.services.permissions import PermissionService
from lambent.services.provisioned import ProvisionedService
from lambent.services.s3_notifications import BucketNotificationService
from lambent.services.schedules import ScheduleService
from lambent.services.test_events import TestEventService


@dataclass(frozen=True, kw_only=True)
class Cell:
    region: str
    account_id: str
    index: FunctionIndex
    functions: FunctionService
    function_settings: FunctionSettings
    aliases: AliasService
    layers: LayerService
    event_configs: EventConfigService
    provisioned: ProvisionedService
    signing: CodeSigningService
    permissions: PermissionService
    function_urls: FunctionUrlService
    http_apis: HttpApiService
    events: EventBusService
    schedules: ScheduleService
    s3_notifications: BucketNotificationService
    event_sources: EventSourceService
    invocations: InvocationService
    settings: AccountService
    invoker: Invoker
    #: The console's saved test events.
    test_events: TestEventService

    async def open(self) -> None:
        """Load the account's resources and start its invoker (the sandbox is ready)."""
        await self.layers.load()
        await self.event_configs.load()
        await self.functions.load()
        await self.signing.load()
        await self.function_urls.load()
        await self.http_apis.load()
        await self.events.load()
        await self.schedules.load()
        await self.s3_notifications.load()
        self.invoker.start()
        await self.provisioned.load()
        await self.event_sources.load()

    async def close(self) -> None:
        await self.event_sources.close()
        await self.invocations.close()
        await self.invoker.shutdown()


class Cells:
    def __init__(self, build: Callable[[str], Cell], exists: Callable[[str], Awaitable[bool]]) -> None:
        """*build* makes the (unopened) cell of an account; *exists* says whether an account
        may have one."""
        self._build = build
        self._exists = exists
        self._cells: dict[str, Cell] = {}
        self._opening: dict[str, asyncio.Task[Cell]] = {}

    async def open(self, accounts: Iterable[str]) -> None:
        """At start: open the cells of *accounts* (those owning resources, and the default)."""
        for account in sorted(set(accounts)):
            await self._open(account)

    def find(self, account: str) -> Cell | None:
        """The account's cell if it is open (reads that must not build one: policy lookups)."""
        return self._cells.get(account)

    async def of(self, account: str) -> Cell | None:
        """The account's cell, opened now if needed; None for an account that does not exist."""
        cell = self._cells.get(account)
        if cell is not None:
            return cell
        if not await self._exists(account):
            return None
        return await self._open(account)

    async def _open(self, account: str) -> Cell:
        """One opening per account, however many requests wait for it."""
        task = self._opening.get(account)
        if task is None:
            task = self._opening[account] = asyncio.ensure_future(self._open_now(account))
        try:
            return await asyncio.shield(task)
        finally:
            if task.done():
                self._opening.pop(account, None)

    async def _open_now(self, account: str) -> Cell:
        cell = self._build(account)
        await cell.open()
        self._cells[account] = cell
        return cell

    def all(self) -> list[Cell]:
        """Every open cell."""
        return list(self._cells.values())

    # -- what every account's functions, layers and environments use (the PackageCollector's) ----

    def code_in_use(self) -> set[str]:
        used: set[str] = set()
        for cell in self._cells.values():
            used |= cell.index.code_in_use() | cell.layers.code_in_use()
        return used

    def code_dirs_in_use(self) -> set[str]:
        used: set[str] = set()
        for cell in self._cells.values():
            used |= cell.invoker.code_dirs_in_use()
        return used

    async def close(self) -> None:
        for cell in list(self._cells.values()):
            await cell.close()
