"""EventBridge buses of one account: their state in memory, written through the store, and
PutEvents' matching (from memory: no database read on that path).

Every change is one step of ``model.event_bus`` applied under the bus's lock, written to the
store first and kept in memory after, so a failed write leaves both as they were. The
``default`` bus always exists; it is stored the first time it changes. Each rule's pattern is
compiled once per pattern text and kept until the rule changes or goes.

PutEvents checks each entry (``model.event_entry``), makes the event, matches it against the
enabled rules of its bus and hands each matched target to ``EventDelivery``, whose first try is
made before PutEvents answers.

A rule with a ScheduleExpression has its next slot armed on the server's timer heap and sends
its targets a "Scheduled Event" at each slot, as CloudWatch Events rules did: UTC, a rate's
slots counted from when the rule was made. These slots are not kept in the store: a slot that
passes while the server is down is not fired late (Scheduler's schedules are: ``services.schedules``).

Not shared between nodes (#21): each node keeps its own copy of the buses, loaded at start.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from lambent.clock import Clock, SystemClock
from lambent.errors import EventsValidationException, ResourceAlreadyExistsException
from lambent.model import event_bus as buses
from lambent.model import event_entry
from lambent.model.event_bus import DEFAULT_BUS, EventBusState, EventRule, EventTarget
from lambent.model.event_input import TargetInput, TargetInputError, render_input
from lambent.model.event_pattern import EventPattern
from lambent.model.event_retry import limits
from lambent.model.iam_policy import Caller
from lambent.model.lambda_target import lambda_target
from lambent.model.schedule_expression import next_fire, parse_rule_expression
from lambent.services.event_delivery import Delivery, PayloadRefused
from lambent.services.timers import Timers
from lambent.store import EventBusStore

Step = Callable[[EventBusState], EventBusState]
#: A rule with its place in the bus's rules by name and what an event must pass (its compiled
#: pattern, or the part of it the source index has not checked).
_Compiled = tuple[int, EventRule, Callable[[Any], bool]]


def _first(compiled: _Compiled) -> int:
    return compiled[0]


Deliver = Callable[[Delivery], Awaitable[None]]
EVENTS = Caller(arn="events.amazonaws.com", account_id=None)


def rule_delivery(account: str, rule: EventRule, target: EventTarget, event: dict[str, Any], now: float) -> Delivery | None:
    """What EventBridge delivers to *target* for *event*: the target's input (``model.event_input``),
    invoked as ``events.amazonaws.com`` with the rule's ARN as the source. None for a target that
    names no function (PutTargets refuses those)."""
    function = lambda_target(target.arn)
    if function is None:
        return None
    target_input = TargetInput.from_target(msgspec.to_builtins(target))
    ingestion = datetime.fromtimestamp(now, UTC)

    def payload(_attempt: int) -> bytes:
        try:
            return render_input(target_input, event, rule_arn=rule.arn, rule_name=rule.name, ingestion_time=ingestion)
        except TargetInputError as refused:
            raise PayloadRefused(str(refused)) from None

    return Delivery(
        function=function,
        caller=EVENTS,
        context={"aws:SourceArn": rule.arn, "aws:SourceAccount": account},
        payload=payload,
        limits=limits(target.retry_policy),
        dead_letter_arn=target.dead_letter_config.arn if target.dead_letter_config else None,
        dead_letter_body=json.dumps(event, separators=(",", ":")).encode(),
        about={"RULE_ARN": rule.arn, "TARGET_ARN": target.arn},
        label=f"event {event.get('id')}",
    )


class EventBusService:
    def __init__(
        self,
        store: EventBusStore,
        account_id: str,
        region: str,
        deliver: Deliver,
        timers: Timers,
        clock: Clock | None = None,
    ) -> None:
        self._store = store
        self._timers = timers
        self.account_id = account_id
        self.region = region
        self._deliver = deliver
        self._clock = clock or SystemClock()
        self._buses: dict[str, EventBusState] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._patterns: dict[str, tuple[str, EventPattern]] = {}  # rule ARN -> (text, compiled)
        self._matchers: dict[str, tuple[EventBusState, dict[str, list[_Compiled]], list[_Compiled]]] = {}

    async def load(self) -> None:
        self._buses = {state.name: state for state in await self._store.load_event_buses()}
        if DEFAULT_BUS not in self._buses:
            self._buses[DEFAULT_BUS] = buses.new_bus(self.region, self.account_id, DEFAULT_BUS, None, self._clock.time())
        for rule in self._buses[DEFAULT_BUS].rules.values():
            self._arm(rule)

    # -- reading --------------------------------------------------------------------------------

    def bus(self, name_or_arn: str | None) -> EventBusState:
        """The bus an ``EventBusName`` member names, or AWS's ResourceNotFoundException."""
        name = buses.bus_name(name_or_arn)
        state = self._buses.get(name)
        if state is None:
            raise buses.bus_not_found(name)
        return state

    def all(self) -> list[EventBusState]:
        return [self._buses[name] for name in sorted(self._buses)]

    # -- changing -------------------------------------------------------------------------------

    def _lock(self, name: str) -> asyncio.Lock:
        lock = self._locks.get(name)
        if lock is None:
            lock = self._locks[name] = asyncio.Lock()
        return lock

    async def create_bus(self, name: str, description: str | None) -> EventBusState:
        async with self._lock(name):
            if name in self._buses:
                raise ResourceAlreadyExistsException(f"Event bus {name} already exists.")
            state = buses.new_bus(self.region, self.account_id, name, description, self._clock.time())
            await self._store.put_event_bus(state)
            self._buses[name] = state
            return state

    async def delete_bus(self, name: str) -> None:
        """Delete the bus and its rules; a bus that is not there is no error (as AWS)."""
        if name == DEFAULT_BUS:
            raise EventsValidationException("Cannot delete event bus default.")
        async with self._lock(name):
            state = self._buses.get(name)
            if state is None:
                return
            await self._store.delete_event_bus(name)
            del self._buses[name]
            for rule in state.rules.values():
                self._patterns.pop(rule.arn, None)
                self._timers.cancel(("rule", rule.arn))

    async def change(self, name_or_arn: str | None, step: Step) -> EventBusState:
        """Apply *step* to the bus (AWS's 404 if there is none), store the result and keep it."""
        name = buses.bus_name(name_or_arn)
        async with self._lock(name):
            before = self.bus(name)
            after = step(before)
            if after is not before:
                await self._store.put_event_bus(after)
                self._buses[name] = after
                for rule_name, rule in before.rules.items():
                    if after.rules.get(rule_name) != rule:
                        self._patterns.pop(rule.arn, None)
                        self._timers.cancel(("rule", rule.arn))
                for rule in after.rules.values():
                    self._arm(rule)
            return after

    # -- events ---------------------------------------------------------------------------------

    def matching(self, bus: EventBusState, event: dict[str, Any]) -> list[EventRule]:
        """The bus's enabled pattern rules that *event* matches, by name. Rules that name exact
        sources are only tried for an event of one of them (an index, as most rules do)."""
        by_source, others = self._compiled(bus)
        source = event.get("source")
        candidates = by_source.get(source, ()) if isinstance(source, str) else ()
        if candidates and others:
            candidates = sorted((*candidates, *others), key=_first)
        elif not candidates:
            candidates = others
        return [rule for _, rule, test in candidates if test(event)]

    def _compiled(self, bus: EventBusState) -> tuple[dict[str, list[_Compiled]], list[_Compiled]]:
        """The bus's enabled pattern rules, numbered by name, each with its compiled pattern, by
        the sources they name (and those that name none); made once per state of the bus (a
        change makes a new state), as PutEvents asks for every event."""
        kept = self._matchers.get(bus.name)
        if kept is None or kept[0] is not bus:
            by_source: dict[str, list[_Compiled]] = {}
            others: list[_Compiled] = []
            rules = [bus.rules[name] for name in sorted(bus.rules)]
            enabled = [rule for rule in rules if rule.enabled and rule.event_pattern is not None]
            for number, rule in enumerate(enabled):
                pattern = self._pattern(rule)
                if pattern.sources is None:
                    others.append((number, rule, pattern.matches))
                for source in pattern.sources or ():  # the index checks the source: the rest is left
                    by_source.setdefault(source, []).append((number, rule, pattern.beyond_source))
            kept = self._matchers[bus.name] = (bus, by_source, others)
        return kept[1], kept[2]

    def _pattern(self, rule: EventRule) -> EventPattern:
        text = rule.event_pattern or "{}"
        kept = self._patterns.get(rule.arn)
        if kept is None or kept[0] != text:
            kept = self._patterns[rule.arn] = (text, buses.compile_pattern(text))
        return kept[1]

    async def put_events(self, entries: list[event_entry.PutEventsEntry]) -> list[dict[str, Any]]:
        """PutEvents' result entries, one per entry, in order (``EventId`` or the refusal)."""
        event_entry.check_size(entries)
        results: list[dict[str, Any]] = []
        for entry in entries:
            refused, detail = event_entry.accepted(entry)
            name = buses.bus_name(entry.event_bus_name)
            bus = self._buses.get(name)
            if refused is None and bus is None:
                refused = event_entry.EntryRefusal(
                    error_code="ResourceNotFoundException", error_message=f"Event bus {name} does not exist."
                )
            if refused is not None or bus is None:
                results.append(msgspec.to_builtins(refused))
                continue
            event_id = str(uuid.uuid4())
            event = event_entry.envelope(entry, event_id, self.account_id, self.region, self._clock.time(), detail)
            await self.publish(bus, event)
            results.append({"EventId": event_id})
        return results

    async def put_invocation_record(self, bus_arn: str, record: dict[str, Any]) -> None:
        """An asynchronous invocation's record put on the bus (a Lambda destination)."""
        bus = self.bus(bus_arn)
        event = event_entry.destination_event(
            str(uuid.uuid4()), self.account_id, self.region, bus.arn, record, self._clock.time()
        )
        await self.publish(bus, event)

    async def publish(self, bus: EventBusState, event: dict[str, Any]) -> None:
        """Hand *event* to every target of every rule of *bus* that it matches."""
        now = self._clock.time()
        for rule in self.matching(bus, event):
            for target in rule.targets:
                delivery = rule_delivery(self.account_id, rule, target, event, now)
                if delivery is not None:
                    await self._deliver(delivery)

    # -- scheduled rules ------------------------------------------------------------------------

    def _arm(self, rule: EventRule, after: float | None = None) -> None:
        key = ("rule", rule.arn)
        if rule.schedule_expression is None or not rule.enabled:
            self._timers.cancel(key)
            return
        slot = next_fire(
            parse_rule_expression(rule.schedule_expression),
            datetime.fromtimestamp(after if after is not None else self._clock.time(), UTC),
            anchor=datetime.fromtimestamp(rule.created_at, UTC),
        )
        if slot is None:
            self._timers.cancel(key)
            return
        when = slot.timestamp()

        async def fire() -> None:
            await self._fire(rule.event_bus_name, rule.name, rule, when)

        self._timers.at(key, when, fire)

    async def _fire(self, bus_name: str, rule_name: str, armed: EventRule, slot: float) -> None:
        bus = self._buses.get(bus_name)
        if bus is None or bus.rules.get(rule_name) != armed:
            return  # changed or gone since it was armed (a new version is armed already)
        event = event_entry.scheduled_event(str(uuid.uuid4()), self.account_id, self.region, armed.arn, slot)
        self._arm(armed, after=slot)
        for target in armed.targets:
            delivery = rule_delivery(self.account_id, armed, target, event, self._clock.time())
            if delivery is not None:
                await self._deliver(delivery)
