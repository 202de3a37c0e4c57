"""Provisioned concurrency: environments of a version kept initialised ahead of invocations.

For each version given a count, environments are started (``AWS_LAMBDA_INITIALIZATION_TYPE=
provisioned-concurrency``) until that many are alive, one at a time, and replaced when they end;
a failed init stops the filling and is reported, as AWS's FAILED status. Provisioned
environments are never reaped while idle. Their allocation is metered from the moment their init
finished, in stretches of at most ``ALLOCATION_METER_MS`` and when one ends or is released.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import msgspec

from lambent.clock import Clock
from lambent.invoker.environment import Environment
from lambent.invoker.pool import Pool
from lambent.invoker.records import LogSink, PoolKey
from lambent.model.function import FunctionVersion
from lambent.model.usage import Metered, allocation_usage

#: A provisioned environment's allocation is metered at least this often.
ALLOCATION_METER_MS = 60_000


class ProvisionedState(msgspec.Struct, kw_only=True):
    version: FunctionVersion
    requested: int
    allocated: int = 0
    filling: bool = False
    failure: str | None = None


def _key(version: FunctionVersion) -> PoolKey:
    return (version.name, version.version, version.revision_id)


class ProvisionedConcurrency:
    def __init__(
        self,
        pool: Pool,
        build: Callable[[FunctionVersion, PoolKey], Environment],
        sink: LogSink,
        clock: Clock,
        account_id: str,
    ) -> None:
        """*build* makes a (live, unstarted) provisioned-concurrency environment of a version."""
        self._pool = pool
        self._build = build
        self._sink = sink
        self._clock = clock
        self._account_id = account_id
        self._states: dict[PoolKey, ProvisionedState] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def provision(self, version: FunctionVersion, count: int) -> None:
        """Keep *count* environments of *version* initialised (0: stop; the ones there are then
        reaped like any other once idle)."""
        key = _key(version)
        if count == 0:
            for environment in self._pool.with_key(key):
                if environment.provisioned:
                    self.meter(environment, self._now_ms())
                    environment.provisioned = False
            self._states.pop(key, None)
            return
        self._states[key] = ProvisionedState(version=version, requested=count)
        self._fill(key)

    def state(self, version: FunctionVersion) -> ProvisionedState | None:
        key = _key(version)
        state = self._states.get(key)
        if state is not None:
            # Initialised ones only (metered from the moment their init finished): READY must
            # mean that an invocation now finds a warm environment.
            state.allocated = sum(1 for e in self._pool.with_key(key) if e.provisioned and e.usable and e.metered_ms is not None)
        return state

    def forget(self, name: str) -> None:
        """Function *name* was deleted: stop keeping any of its versions."""
        for key in [k for k in self._states if k[0] == name]:
            del self._states[key]

    def tick(self) -> None:
        """Meter allocations due, and replace provisioned environments that ended."""
        now_ms = self._now_ms()
        for environment in self._pool:
            if environment.metered_ms is not None and now_ms - environment.metered_ms >= ALLOCATION_METER_MS:
                self.meter(environment, now_ms)
        for key, state in list(self._states.items()):
            if state.failure is None:
                self._fill(key)

    def meter(self, environment: Environment, now_ms: int) -> None:
        """Record a provisioned environment's allocation since it was last metered."""
        since = environment.metered_ms
        if since is None or now_ms <= since:
            return
        name, version, _revision = environment.key
        environment.metered_ms = now_ms if environment.provisioned and environment.usable else None
        metered = Metered(
            account=self._account_id,
            function=name,
            version=version,
            memory_mb=environment.spec.memory_mb,
            architecture=environment.architecture,
            ephemeral_mb=environment.spec.ephemeral_storage_mb,
        )
        self._sink.record_usage(allocation_usage(metered, usage_id=uuid.uuid4().hex, since_ms=since, now_ms=now_ms))

    async def close(self) -> None:
        self._states.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _fill(self, key: PoolKey) -> None:
        state = self._states.get(key)
        if state is None or state.filling:
            return
        state.filling = True
        task = asyncio.create_task(self._fill_until_ready(key, state))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fill_until_ready(self, key: PoolKey, state: ProvisionedState) -> None:
        try:
            while self._states.get(key) is state:
                alive = sum(1 for e in self._pool.with_key(key) if e.provisioned and e.usable)
                if alive >= state.requested:
                    return
                environment = self._build(state.version, key)
                environment.provisioned = True
                failure = await environment.start()
                if failure is not None:
                    self._pool.discard(environment)
                    state.failure = f"{failure.error_type}: {failure.message}"
                    return
                environment.metered_ms = self._now_ms()
                self._pool.release(environment)
        finally:
            state.filling = False

    def _now_ms(self) -> int:
        return int(self._clock.time() * 1000)
