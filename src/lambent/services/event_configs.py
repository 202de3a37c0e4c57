"""Asynchronous invocation configurations (EventInvokeConfig) per function and qualifier.

A function's configs go with it: the service listens to ``FunctionEvents``.
"""

from __future__ import annotations

import msgspec

from lambent.clock import Clock, SystemClock
from lambent.errors import ResourceConflictException, ResourceNotFoundException
from lambent.model.event_invoke import DEFAULT, EventInvokeConfig, EventInvokeConfigInput, check_destination
from lambent.services.function_events import FunctionListener
from lambent.store import EventConfigStore


class EventConfigService(FunctionListener):
    def __init__(self, store: EventConfigStore, region: str, account_id: str, clock: Clock | None = None) -> None:
        self._store = store
        self._clock = clock or SystemClock()
        self._region = region
        self._account_id = account_id
        self._configs: dict[tuple[str, str], EventInvokeConfig] = {}

    async def load(self) -> None:
        self._configs = {(c.function_name, c.qualifier): c for c in await self._store.load_event_configs()}

    def effective(self, name: str, qualifier: str | None) -> EventInvokeConfig:
        """The config that governs an event sent to *name*:*qualifier* (AWS's defaults if none)."""
        return self._configs.get((name, qualifier or "$LATEST"), DEFAULT)

    def get(self, name: str, qualifier: str | None, arn: str) -> EventInvokeConfig:
        config = self._configs.get((name, qualifier or "$LATEST"))
        if config is None:
            raise ResourceNotFoundException(f"The function {arn} doesn't have an EventInvokeConfig")
        return config

    def list(self, name: str) -> list[EventInvokeConfig]:
        return sorted((c for (n, _q), c in self._configs.items() if n == name), key=lambda c: c.qualifier)

    async def put(self, name: str, qualifier: str | None, request: EventInvokeConfigInput, merge: bool) -> EventInvokeConfig:
        key = (name, qualifier or "$LATEST")
        current = self._configs.get(key)
        if merge and current is None:
            raise ResourceConflictException("The function doesn't have an EventInvokeConfig to update.")
        base = current if merge and current is not None else EventInvokeConfig(function_name=name, qualifier=key[1])
        changes: dict[str, object] = {"last_modified": round(self._clock.time(), 3)}
        if request.maximum_retry_attempts is not None or not merge:
            changes["maximum_retry_attempts"] = request.maximum_retry_attempts
        if request.maximum_event_age_s is not None or not merge:
            changes["maximum_event_age_s"] = request.maximum_event_age_s
        destinations = request.destinations
        if destinations is not None or not merge:
            on_success = destinations.on_success.destination if destinations and destinations.on_success else None
            on_failure = destinations.on_failure.destination if destinations and destinations.on_failure else None
            check_destination(on_success, self._region, self._account_id)
            check_destination(on_failure, self._region, self._account_id)
            changes.update(on_success=on_success, on_failure=on_failure)
        config = msgspec.structs.replace(base, **changes)
        await self._store.put_event_config(config)
        self._configs[key] = config
        return config

    async def delete(self, name: str, qualifier: str | None) -> None:
        await self._store.delete_event_config(name, qualifier or "$LATEST")
        self._configs.pop((name, qualifier or "$LATEST"), None)

    async def function_deleted(self, name: str) -> None:
        await self._store.delete_event_config(name, None)
        self._configs = {k: v for k, v in self._configs.items() if k[0] != name}
