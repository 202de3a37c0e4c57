"""The warm pools: idle environments per function version and revision, and every live one.

Policy (as AWS's): an invocation takes the most recently used idle environment of its pool
(same function, version and configuration revision), so the fewest stay warm; an environment is
in at most one pool and only while idle; environments idle for the idle timeout are reaped,
except provisioned ones; any environment older than its lifetime (``ENVIRONMENT_LIFETIME_S``,
an hour short of its role credentials' expiry) is retired when idle and never taken again.
The pool decides and keeps count; ending an environment is the invoker's work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from lambent.invoker.environment import Environment
from lambent.invoker.records import PoolKey
from lambent.model.limits import ENVIRONMENT_LIFETIME_S


class Pool:
    def __init__(self) -> None:
        self._idle: dict[PoolKey, list[Environment]] = {}
        self._live: set[Environment] = set()
        self.started = 0
        self.reaped = 0

    def __iter__(self) -> Iterator[Environment]:
        """Every live environment (a copy: safe to end them while iterating)."""
        return iter(list(self._live))

    def __len__(self) -> int:
        return len(self._live)

    @property
    def idle(self) -> int:
        return sum(len(pool) for pool in self._idle.values())

    def has_idle(self, key: PoolKey) -> bool:
        return bool(self._idle.get(key))

    def take(self, key: PoolKey, now: float) -> Environment | None:
        """The most recently used idle environment of *key* younger than its lifetime by
        monotonic *now*, now busy; None if there is none (the reaper retires the old ones)."""
        pool = self._idle.get(key) or []
        for index in range(len(pool) - 1, -1, -1):
            if now - pool[index].born < ENVIRONMENT_LIFETIME_S:
                return pool.pop(index)
        return None

    def add(self, environment: Environment, live: bool = True) -> None:
        """A new environment started (a SnapStart template is counted, but never *live* here)."""
        self.started += 1
        if live:
            self._live.add(environment)

    def release(self, environment: Environment) -> None:
        """Back to its pool, idle and the most recently used."""
        self._idle.setdefault(environment.key, []).append(environment)

    def discard(self, environment: Environment) -> None:
        """It ended, or is about to: no longer live (callers never release it again)."""
        self._live.discard(environment)

    def with_key(self, key: PoolKey) -> list[Environment]:
        """The live environments (idle or busy) of *key*."""
        return [environment for environment in self._live if environment.key == key]

    def take_idle(self, stale: Callable[[PoolKey], bool]) -> list[Environment]:
        """Remove and return the idle environments of every pool *stale* names."""
        taken: list[Environment] = []
        for key in [k for k in self._idle if stale(k)]:
            taken.extend(self._idle.pop(key))
        for environment in taken:
            self._live.discard(environment)
        return taken

    def reap(self, now: float, idle_timeout_s: float) -> list[Environment]:
        """Remove and return the environments idle for *idle_timeout_s* by monotonic *now*
        (provisioned ones stay), and the idle ones past their lifetime (provisioned too)."""
        reaped: list[Environment] = []
        for key, pool in list(self._idle.items()):
            stale = [
                e
                for e in pool
                if (now - e.last_used >= idle_timeout_s and not e.provisioned) or now - e.born >= ENVIRONMENT_LIFETIME_S
            ]
            if not stale:
                continue
            pool[:] = [e for e in pool if e not in stale]
            if not pool:
                del self._idle[key]
            reaped.extend(stale)
        for environment in reaped:
            self._live.discard(environment)
        self.reaped += len(reaped)
        return reaped

    def clear(self) -> list[Environment]:
        """Forget every environment; return the live ones (for the caller to end)."""
        self._idle.clear()
        live, self._live = list(self._live), set()
        return live
