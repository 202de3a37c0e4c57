"""Asynchronous invocation configurations (EventInvokeConfig) per function and qualifier.

Each operation names its target as a ``FunctionRef`` and refuses as AWS does, in AWS's order
(as LocalStack records AWS's answers): Put and Update need at least one setting, then a function
and qualifier that exist ("The function doesn't exist."); Get, Delete and Update without a config
answer "The function ARN doesn't have an EventInvokeConfig", whether or not the function exists
(Delete names the ARN as the request qualified it). A function's configs go with it: the
service listens to ``FunctionEvents``.
"""

from __future__ import annotations

import msgspec

from lambent.clock import Clock, SystemClock
from lambent.errors import InvalidParameterValueException, ResourceNotFoundException
from lambent.model.arns import LATEST, FunctionRef
from lambent.model.event_invoke import DEFAULT, EventInvokeConfig, EventInvokeConfigInput, check_destination
from lambent.services.function_events import FunctionListener
from lambent.services.function_index import FunctionIndex
from lambent.store import EventConfigStore


class EventConfigService(FunctionListener):
    def __init__(
        self, store: EventConfigStore, functions: FunctionIndex, region: str, account_id: str, clock: Clock | None = None
    ) -> None:
        self._store = store
        self._functions = functions
        self._clock = clock or SystemClock()
        self._region = region
        self._account_id = account_id
        self._configs: dict[tuple[str, str], EventInvokeConfig] = {}

    async def load(self) -> None:
        self._configs = {(c.function_name, c.qualifier): c for c in await self._store.load_event_configs()}

    def effective(self, name: str, qualifier: str | None) -> EventInvokeConfig:
        """The config that governs an event sent to *name*:*qualifier* (AWS's defaults if none)."""
        return self._configs.get((name, qualifier or "$LATEST"), DEFAULT)

    def _existing_key(self, ref: FunctionRef) -> tuple[str, str]:
        """The config's key, once the function (and qualifier) is known to exist."""
        try:
            self._functions.resolve(ref)
        except ResourceNotFoundException:
            raise ResourceNotFoundException("The function doesn't exist.") from None
        return ref.name, ref.qualifier or LATEST

    def _config(self, ref: FunctionRef, arn: str | None = None) -> EventInvokeConfig:
        key = (ref.name, ref.qualifier or LATEST)
        config = self._configs.get(key)
        if config is None:
            arn = arn or self._functions.arn(*key)
            raise ResourceNotFoundException(f"The function {arn} doesn't have an EventInvokeConfig")
        return config

    def get(self, ref: FunctionRef) -> EventInvokeConfig:
        return self._config(ref)

    def list(self, ref: FunctionRef) -> list[EventInvokeConfig]:
        name, _qualifier = self._existing_key(FunctionRef(name=ref.name))
        return sorted((c for (n, _q), c in self._configs.items() if n == name), key=lambda c: c.qualifier)

    async def put(self, ref: FunctionRef, request: EventInvokeConfigInput, merge: bool) -> EventInvokeConfig:
        if request.maximum_retry_attempts is None and request.maximum_event_age_s is None and request.destinations is None:
            raise InvalidParameterValueException("You must specify at least one of error handling or destination setting.")
        key = self._existing_key(ref)
        name = key[0]
        current = self._config(ref) if merge else self._configs.get(key)
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

    async def delete(self, ref: FunctionRef) -> None:
        """Delete the config (404 when there is none, naming the ARN as the request qualified it)."""
        self._config(ref, self._functions.arn(ref.name, ref.qualifier))
        name, qualifier = ref.name, ref.qualifier or LATEST
        await self._store.delete_event_config(name, qualifier)
        self._configs.pop((name, qualifier), None)

    async def function_deleted(self, name: str) -> None:
        await self._store.delete_event_config(name, None)
        self._configs = {k: v for k, v in self._configs.items() if k[0] != name}
