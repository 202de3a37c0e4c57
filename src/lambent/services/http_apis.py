"""HTTP APIs of one account (apigatewayv2): their state in memory, written through the store, and
the lookups the ingress makes on every request (from memory: no database on that path).

Every change is one *step* (a pure rule of ``model.http_api_rules``) applied to the API's state
under the API's lock: the step's new state, with a new deployment for its AutoDeploy stages if
what they serve changed, is written to the store first and kept in memory after, so a failed
write leaves both as they were. Ids are drawn here at random (``secrets``), times read from the
clock; the rules see neither.

The ingress asks ``served`` for a stage's deployment and its compiled ``RouteTable``, made once
per deployment (a deployment never changes) and dropped with its API.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import TypeVar

import msgspec

from lambent.clock import Clock, SystemClock
from lambent.model import http_routes
from lambent.model.http_api import HttpApiState, Snapshot
from lambent.model.http_api_inputs import CreateApiInput
from lambent.model.http_api_resources import create_api
from lambent.model.http_api_rules import API_ID_LENGTH, NewId, api_not_found, auto_deploy, served
from lambent.store import HttpApiStore

T = TypeVar("T")
#: A change: the API's state, an id drawer and the time -> the new state and what to answer.
Step = Callable[[HttpApiState, NewId, float], tuple[HttpApiState, T]]

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
#: Draws of a fresh API id before giving up (another account's API has the id).
_ID_ATTEMPTS = 5
_TABLES_LIMIT = 1024


def random_id(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


class Served(msgspec.Struct, frozen=True, kw_only=True):
    """What a stage serves: its name, variables, deployment's snapshot and compiled routes."""

    stage: str
    stage_variables: dict[str, str]
    snapshot: Snapshot
    table: http_routes.RouteTable


class HttpApiService:
    def __init__(
        self,
        store: HttpApiStore,
        account_id: str,
        endpoint_of: Callable[[str], str],
        clock: Clock | None = None,
        new_id: NewId = random_id,
    ) -> None:
        """*endpoint_of* makes an API's ``ApiEndpoint`` from its id (the server's base)."""
        self._store = store
        self._account = account_id
        self._endpoint_of = endpoint_of
        self._clock = clock or SystemClock()
        self._new_id = new_id
        self._apis: dict[str, HttpApiState] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._tables: dict[tuple[str, str], http_routes.RouteTable] = {}

    async def load(self) -> None:
        self._apis = {state.api_id: state for state in await self._store.load_http_apis()}

    # -- reading --------------------------------------------------------------------------------

    def endpoint(self, api_id: str) -> str:
        return self._endpoint_of(api_id)

    def get(self, api_id: str) -> HttpApiState:
        """The API of id *api_id*, or AWS's 404."""
        state = self._apis.get(api_id)
        if state is None:
            raise api_not_found(self._account, api_id)
        return state

    def by_id(self, api_id: str) -> HttpApiState | None:
        """The API, if this account has it (memory only: the ingress asks on every request)."""
        return self._apis.get(api_id)

    def all(self) -> list[HttpApiState]:
        """Every API, by id."""
        return [self._apis[key] for key in sorted(self._apis)]

    def served(self, api_id: str, stage: str) -> Served | None:
        """What *stage* of API *api_id* serves, or None (no such API, stage or deployment)."""
        state = self._apis.get(api_id)
        snapshot = served(state, stage) if state is not None else None
        if state is None or snapshot is None:
            return None
        deployment = state.stages[stage].deployment_id or ""
        table = self._tables.get((api_id, deployment))
        if table is None:
            if len(self._tables) >= _TABLES_LIMIT:
                self._tables.clear()
            table = self._tables[(api_id, deployment)] = http_routes.compile(r.route_key for r in snapshot.routes)
        return Served(stage=stage, stage_variables=dict(state.stages[stage].stage_variables), snapshot=snapshot, table=table)

    # -- changing -------------------------------------------------------------------------------

    def _lock(self, api_id: str) -> asyncio.Lock:
        lock = self._locks.get(api_id)
        if lock is None:
            lock = self._locks[api_id] = asyncio.Lock()
        return lock

    async def create(self, request: CreateApiInput) -> HttpApiState:
        for attempt in range(_ID_ATTEMPTS):
            api_id = self._new_id(API_ID_LENGTH)
            if api_id in self._apis:
                continue
            state = create_api(request, api_id, self._clock.time(), self._new_id)
            try:
                await self._store.put_http_api(state)
            except KeyError:  # another account's API has the id
                if attempt == _ID_ATTEMPTS - 1:
                    raise
                continue
            self._apis[api_id] = state
            return state
        raise RuntimeError("no free API id after several draws")

    async def change(self, api_id: str, step: Step[T]) -> T:
        """Apply *step* to the API (404 if there is none), redeploy its AutoDeploy stages if
        what they serve changed, store the result and keep it; answer what *step* answered."""
        async with self._lock(api_id):
            before = self.get(api_id)
            now = self._clock.time()
            after, answer = step(before, self._new_id, now)
            after = auto_deploy(before, after, now, self._new_id)
            if after is not before:
                await self._store.put_http_api(after)
                self._apis[api_id] = after
        return answer

    async def delete(self, api_id: str) -> None:
        async with self._lock(api_id):
            self.get(api_id)
            await self._store.delete_http_api(api_id)
            self._apis.pop(api_id, None)
            for key in [key for key in self._tables if key[0] == api_id]:
                del self._tables[key]
        self._locks.pop(api_id, None)
