"""Event source mappings of one account: the records in memory, written through the store, and a
running poller (``sources``) for each enabled one.

A change answers at once with the state it leads through (``Creating``, ``Enabling``,
``Disabling``, ``Updating``, ``Deleting``), as AWS's do, and is applied in the background: the
old poller stopped (what it holds released), the new one started, then the mapping settles in
``Enabled`` or ``Disabled``, or is gone. While a change is applied the mapping refuses another
(``ResourceInUseException``). At start every stored mapping is applied again, so a change a stop
cut short is finished.

The mapping's function is invoked synchronously through the account's ``InvocationService``,
so concurrency, metering and logs apply to it as to any invoke. At create the function's
execution role must be allowed the source's read actions (``services.source_kinds``), and the
source must exist.

Not shared between nodes (#21): the pollers run in this process; the stream pollers' leases in
the store are what will let several nodes share them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid as uuids

import msgspec

from lambent.clock import Clock, SystemClock
from lambent.errors import (
    AccessDeniedException,
    ApiError,
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from lambent.model import event_source_mapping as model
from lambent.model import event_source_rules as rules
from lambent.model.arns import FunctionRef, parse_function_ref
from lambent.model.event_source_mapping import Mapping, MappingInput, MappingUpdate
from lambent.model.paging import page
from lambent.services.access import Access
from lambent.services.destinations import Destinations
from lambent.services.function_index import FunctionIndex
from lambent.services.invocations import InvocationService
from lambent.services.schedules import role_session
from lambent.services.source_kinds import PollerNeeds, SourceKinds
from lambent.sources.poller import Invoked, Poller, PollerStatistics
from lambent.store import EventSourceStore

log = logging.getLogger(__name__)
NOT_FOUND = "The resource you requested does not exist."


class EventSourceService:
    def __init__(
        self,
        store: EventSourceStore,
        index: FunctionIndex,
        invocations: InvocationService,
        kinds: SourceKinds,
        access: Access,
        destinations: Destinations,
        region: str,
        account_id: str,
        clock: Clock | None = None,
        owner: str | None = None,
    ) -> None:
        """*owner*: who this process is when its pollers hold leases (default: a fresh id)."""
        self._owner = owner or uuids.uuid4().hex
        self._store = store
        self._index = index
        self._invocations = invocations
        self._kinds = kinds
        self._access = access
        self._destinations = destinations
        self.region = region
        self.account_id = account_id
        self._clock = clock or SystemClock()
        self._mappings: dict[str, Mapping] = {}
        self._pollers: dict[str, Poller] = {}
        self._changes: dict[str, asyncio.Task[None]] = {}
        self._writes: set[asyncio.Future[None]] = set()
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        """Every stored mapping, each change it was in the middle of applied again."""
        for mapping in await self._store.load_event_source_mappings():
            self._mappings[mapping.uuid] = mapping
            self._apply(mapping.uuid)

    async def close(self) -> None:
        for task in list(self._changes.values()):
            task.cancel()
        await asyncio.gather(*self._changes.values(), return_exceptions=True)
        await asyncio.gather(*(poller.stop() for poller in self._pollers.values()), return_exceptions=True)
        self._pollers.clear()

    # -- reading ----------------------------------------------------------------------------------

    def get(self, uuid: str) -> Mapping:
        mapping = self._mappings.get(uuid)
        if mapping is None:
            raise ResourceNotFoundException(NOT_FOUND)
        return mapping

    def find(
        self, function: str | None, source_arn: str | None, marker: str | None, max_items: int | None
    ) -> tuple[list[Mapping], str | None]:
        """The mappings of *function* (a name or ARN; a qualified one lists that qualifier's)
        and of *source_arn*, by UUID, a page at a time."""
        chosen = sorted(self._mappings.values(), key=lambda m: m.uuid)
        if function:
            ref = parse_function_ref(function, self.region, self.account_id)
            chosen = [
                m for m in chosen if m.function_name == ref.name and (ref.qualifier is None or m.qualifier == ref.qualifier)
            ]
        if source_arn:
            chosen = [m for m in chosen if m.source_arn == source_arn]
        return page(chosen, lambda m: m.uuid, marker, min(max_items or 100, 100))

    def statistics(self, uuid: str) -> PollerStatistics | None:
        """What the mapping's poller counted, if it runs."""
        poller = self._pollers.get(self.get(uuid).uuid)
        return poller.statistics() if poller is not None else None

    async def depth(self, uuid: str) -> int | None:
        """Messages waiting in the mapping's queue, if its poller runs and can tell."""
        poller = self._pollers.get(self.get(uuid).uuid)
        refresh = getattr(poller, "refresh_depth", None)
        if refresh is None:
            return None
        try:
            depth: int | None = await refresh()
        except Exception:  # the source cannot be reached: no depth to show
            return None
        return depth

    # -- changing ---------------------------------------------------------------------------------

    async def create(self, spec: MappingInput) -> Mapping:
        kind = model.kind_of(spec)
        if kind is None:
            raise InvalidParameterValueException(
                "Unrecognized event source, must be kinesis, dynamodb stream, sqs, mq, kafka, "
                "or a SelfManagedEventSource with REDIS_URLS or NATS_URLS."
            )
        rules.check_source(kind, spec)
        rules.check_settings(kind, spec)
        ref = self._function(spec.function_name)
        settled = rules.settle(kind, spec)
        now = self._clock.time()
        mapping_id = str(uuids.uuid4())
        mapping = Mapping(
            uuid=mapping_id,
            arn=model.mapping_arn(self.region, self.account_id, mapping_id),
            kind=kind,
            function_name=ref.name,
            qualifier=ref.qualifier,
            function_arn=self._index.arn(ref.name, ref.qualifier),
            source_arn=spec.event_source_arn,
            settings=settled,
            state="Creating",
            last_modified=now,
            target_state=model.settled_state(spec.enabled is not False),
            state_transition_reason=model.transition_reason(kind),
        )
        self._refuse_duplicate(mapping)  # before the check, which may make a consumer at the source
        await self._check(mapping, ref)
        async with self._lock:
            self._refuse_duplicate(mapping)
            await self._store.put_event_source_mapping(mapping)
            self._mappings[mapping.uuid] = mapping
        self._apply(mapping.uuid)
        return mapping

    async def update(self, uuid: str, update: MappingUpdate) -> Mapping:
        async with self._lock:
            current = self.get(uuid)
            if current.busy:
                raise ResourceInUseException("Cannot update the event source mapping because it is in use.")
            settings = rules.merge(current.settings, update)
            rules.check_settings(current.kind, settings)
            ref = self._function(update.function_name) if update.function_name else None
            enabled = settings.enabled is not False
            changed = msgspec.structs.replace(
                current,
                settings=settings,
                state=model.transition(current, enabled),
                target_state=model.settled_state(enabled),
                last_modified=self._clock.time(),
            )
            if ref is not None:
                changed = msgspec.structs.replace(
                    changed,
                    function_name=ref.name,
                    qualifier=ref.qualifier,
                    function_arn=self._index.arn(ref.name, ref.qualifier),
                )
        await self._check(changed, FunctionRef(name=changed.function_name, qualifier=changed.qualifier), roles=ref is not None)
        async with self._lock:
            if self.get(uuid).busy:
                raise ResourceInUseException("Cannot update the event source mapping because it is in use.")
            await self._store.put_event_source_mapping(changed)
            self._mappings[uuid] = changed
        self._apply(uuid)
        return changed

    async def delete(self, uuid: str) -> Mapping:
        async with self._lock:
            current = self.get(uuid)
            if current.busy:
                raise ResourceInUseException("Cannot delete the event source mapping because it is in use.")
            deleting = msgspec.structs.replace(current, state="Deleting", target_state=None, last_modified=self._clock.time())
            await self._store.put_event_source_mapping(deleting)
            self._mappings[uuid] = deleting
        self._apply(uuid)
        return deleting

    async def tag(self, uuid: str, tags: dict[str, str]) -> None:
        async with self._lock:
            current = self.get(uuid)
            merged = {**(current.settings.tags or {}), **tags}
            changed = msgspec.structs.replace(current, settings=msgspec.structs.replace(current.settings, tags=merged))
            await self._store.put_event_source_mapping(changed)
            self._mappings[uuid] = changed

    async def untag(self, uuid: str, keys: list[str]) -> None:
        async with self._lock:
            current = self.get(uuid)
            kept = {k: v for k, v in (current.settings.tags or {}).items() if k not in keys}
            changed = msgspec.structs.replace(current, settings=msgspec.structs.replace(current.settings, tags=kept))
            await self._store.put_event_source_mapping(changed)
            self._mappings[uuid] = changed

    def tags(self, uuid: str) -> dict[str, str]:
        return dict(self.get(uuid).settings.tags or {})

    # -- checks -----------------------------------------------------------------------------------

    def _function(self, name: str | None) -> FunctionRef:
        ref = parse_function_ref(name or "", self.region, self.account_id)
        if ref.name not in self._index:
            raise ResourceNotFoundException(f"Function not found: {self._index.arn(ref.name, ref.qualifier)}")
        self._index.resolve(ref)
        return ref

    def _refuse_duplicate(self, mapping: Mapping) -> None:
        for other in self._mappings.values():
            same_source = (
                other.source_arn == mapping.source_arn
                and other.settings.topics == mapping.settings.topics
                and other.settings.queues == mapping.settings.queues
                and model.virtual_host(other.settings) == model.virtual_host(mapping.settings)
                and model.endpoints(other) == model.endpoints(mapping)
            )
            if same_source and other.function_arn == mapping.function_arn and other.kind == mapping.kind:
                name = mapping.function_name
                if mapping.kind == "sqs":
                    raise ResourceConflictException(
                        f'An event source mapping with SQS arn (" {mapping.source_arn} ") and function (" {name} ") '
                        f"already exists. Please update or delete the existing mapping with UUID {other.uuid}"
                    )
                source = mapping.source_arn or ",".join(model.endpoints(mapping))
                raise ResourceConflictException(
                    f'The event source arn (" {source} ") and function (" {name} ") provided mapping already exists. '
                    f"Please update or delete the existing mapping with UUID {other.uuid}"
                )

    async def _check(self, mapping: Mapping, ref: FunctionRef, roles: bool = True) -> None:
        """The execution role may read the source (at create, and when the function changes),
        and the source is there for the function."""
        kind = self._kinds.kind(mapping)
        version = self._index.resolve(ref)
        if roles and mapping.source_arn:
            caller = role_session(version.role, "event-source-mapping")
            for action in kind.actions:
                resource = kind.resource(mapping, action)
                if resource is None:
                    continue
                try:
                    await self._access.authorize(caller, action, resource, resource_account=None)
                except AccessDeniedException:
                    raise InvalidParameterValueException(kind.denied(mapping, action)) from None
        await kind.check(mapping, version)

    # -- applying ---------------------------------------------------------------------------------

    def _apply(self, uuid: str) -> None:
        previous = self._changes.get(uuid)
        task = asyncio.create_task(self._applied(uuid, previous))
        self._changes[uuid] = task

        def done(finished: asyncio.Task[None]) -> None:
            if self._changes.get(uuid) is finished:
                del self._changes[uuid]

        task.add_done_callback(done)

    async def _applied(self, uuid: str, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        mapping = self._mappings.get(uuid)
        if mapping is None:
            return
        old = self._pollers.pop(uuid, None)
        if old is not None:
            await old.stop()
            await old.checkpoint()
        if mapping.target_state is None:
            await self._forget(mapping)
            await asyncio.gather(*self._writes, return_exceptions=True)  # no late report re-adds it
            await self._store.delete_event_source_mapping(uuid)
            async with self._lock:
                self._mappings.pop(uuid, None)
            return
        if mapping.target_state == "Enabled":
            try:
                poller = self._kinds.kind(mapping).build(mapping, self._needs(mapping))
                await poller.start()
                self._pollers[uuid] = poller
            except ApiError as refused:
                self._report(uuid, f"PROBLEM: {refused.message}")
        async with self._lock:
            current = self._mappings.get(uuid)
            if current is not None and current.state == mapping.state:
                settled = msgspec.structs.replace(current, state=mapping.target_state)
                await self._store.put_event_source_mapping(settled)
                self._mappings[uuid] = settled

    async def _forget(self, mapping: Mapping) -> None:
        """What the deleted mapping made at its source goes with it; a source that cannot be
        reached keeps it (the deletion is not held up), and the log says so."""
        try:
            forget = self._kinds.kind(mapping).forget
        except ApiError:
            return
        if forget is not None:
            why = await forget(mapping)
            if why is not None:
                log.warning("mapping %s is deleted, but what it made at its source stays: %s", mapping.uuid, why)

    def _needs(self, mapping: Mapping) -> PollerNeeds:
        ref = FunctionRef(name=mapping.function_name, qualifier=mapping.qualifier)

        async def invoke(payload: bytes) -> Invoked:
            poller = self._pollers.get(mapping.uuid)
            age = poller.statistics().iterator_age_ms if poller is not None else None
            if age is not None:  # a stream's: the age of the last record read, as the batch goes out
                self._invocations.count("IteratorAge", ref.name, ref.qualifier, age)
            try:
                outcome = await self._invocations.invoke(ref, payload, "RequestResponse")
            except ApiError as refused:
                return Invoked(refused=f"{refused.error_type}: {refused.message}", status_code=refused.status)
            invocation = outcome.invocation
            if invocation is None:
                return Invoked(refused="the invocation returned nothing")
            failure = invocation.failure
            return Invoked(
                function_error=failure.error_type if failure is not None else None,
                payload=invocation.payload,
                executed_version=outcome.executed_version,
                request_id=outcome.request_id,
            )

        async def send_failure(destination: str, body: bytes) -> None:
            await self._destinations.deliver(destination, body, self._invocations.send_to_function)

        def role() -> str:
            try:
                return self._index.resolve(ref).role
            except ApiError:  # the function is gone: its invocations are refused anyway
                return ""

        return PollerNeeds(
            invoke=invoke,
            report=lambda result: self._report(mapping.uuid, result),
            send_failure=send_failure,
            clock=self._clock,
            region=self.region,
            store=self._store,
            owner=self._owner,
            role=role,
        )

    def _report(self, uuid: str, result: str) -> None:
        """The mapping's LastProcessingResult; kept in memory, written when it changes."""
        current = self._mappings.get(uuid)
        if current is None or current.last_processing_result == result:
            return
        changed = msgspec.structs.replace(current, last_processing_result=result)
        self._mappings[uuid] = changed
        task = asyncio.ensure_future(self._store.put_event_source_mapping(changed))
        self._writes.add(task)
        task.add_done_callback(self._written)

    def _written(self, task: asyncio.Future[None]) -> None:
        self._writes.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("could not store a mapping's LastProcessingResult: %s", task.exception())
