"""EventBridge (``events``, JSON 1.1, ``X-Amz-Target: AWSEvents.<Op>``) for buses, rules,
targets, PutEvents and TestEventPattern, so boto3's ``events`` client, the AWS CLI and SAM's
EventBridgeRule events drive it.

Each operation: the body checked against botocore's model of ``events`` (AWS's
``ValidationException`` wording), the caller authorized for ``events:<Op>`` on the bus or rule
ARN, one service call, the result rendered. Every refusal is JSON 1.1's ``{"__type",
"message"}`` at 400.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.auth import Principal, principal
from lambent.api.guard import Guard
from lambent.api.render import json11_error, json11_response
from lambent.errors import ApiError, EventsValidationException
from lambent.model import constraints, event_entry
from lambent.model import event_bus as buses
from lambent.model.event_bus import EventBusState, EventRule, EventTarget, RulePut
from lambent.model.event_input import TargetInput, TargetInputError, validate_target_input
from lambent.model.limits import EVENTS_REQUEST_LIMIT_BYTES
from lambent.model.paging import offset_page
from lambent.model.schedule_expression import parse_rule_expression
from lambent.services.events import EventBusService

SERVICE = "AWSEvents"
LIST_LIMIT = 100
#: The cell (account) a request's caller acts in.
EventsOf = Callable[[Request], Awaitable[EventBusService]]
Handler = Callable[[EventBusService, dict[str, Any]], Awaitable[dict[str, Any]]]


def _time(seconds: float) -> float:
    return seconds  # JSON 1.1 timestamps are epoch seconds


def _bus(state: EventBusState) -> dict[str, Any]:
    out: dict[str, Any] = {"Name": state.name, "Arn": state.arn}
    if state.description:
        out["Description"] = state.description
    out["CreationTime"] = _time(state.creation_time)
    out["LastModifiedTime"] = _time(state.last_modified_time)
    return out


def _rule(rule: EventRule) -> dict[str, Any]:
    out: dict[str, Any] = {"Name": rule.name, "Arn": rule.arn}
    for key, value in (
        ("EventPattern", rule.event_pattern),
        ("ScheduleExpression", rule.schedule_expression),
        ("State", rule.state),
        ("Description", rule.description),
        ("RoleArn", rule.role_arn),
    ):
        if value is not None:
            out[key] = value
    out["EventBusName"] = rule.event_bus_name
    return out


def _listed(key: str, items: list[Any], params: dict[str, Any]) -> dict[str, Any]:
    chosen, token = offset_page(items, params.get("NextToken"), params.get("Limit"), LIST_LIMIT)
    out: dict[str, Any] = {key: chosen}
    if token is not None:
        out["NextToken"] = token
    return out


def _check_schedule(expression: str) -> None:
    parse_rule_expression(expression)


def _check_input(index: dict[str, int]) -> Callable[[EventTarget], None]:
    def check(target: EventTarget) -> None:
        try:
            validate_target_input(
                TargetInput.from_target(msgspec.to_builtins(target)), target_id=target.id, index=index[target.id]
            )
        except TargetInputError as refused:
            raise EventsValidationException(str(refused)) from None

    return check


class EventsApi:
    def __init__(self, events_of: EventsOf, guard: Guard) -> None:
        self._events_of = events_of
        self._guard = guard
        self.operations: dict[str, Handler] = {
            "CreateEventBus": self._create_bus,
            "DescribeEventBus": self._describe_bus,
            "DeleteEventBus": self._delete_bus,
            "ListEventBuses": self._list_buses,
            "PutRule": self._put_rule,
            "DescribeRule": self._describe_rule,
            "DeleteRule": self._delete_rule,
            "EnableRule": self._enable_rule,
            "DisableRule": self._disable_rule,
            "ListRules": self._list_rules,
            "ListRuleNamesByTarget": self._rules_by_target,
            "PutTargets": self._put_targets,
            "RemoveTargets": self._remove_targets,
            "ListTargetsByRule": self._list_targets,
            "PutEvents": self._put_events,
            "TestEventPattern": self._test_pattern,
        }

    async def dispatch(self, request: Request) -> Response:
        target = request.headers.get("x-amz-target", "")
        service, _, operation = target.partition(".")
        handler = self.operations.get(operation)
        if service != SERVICE or handler is None:
            return json11_error("UnknownOperationException", f"Operation {target or '(none)'} is not supported.", 400)
        try:
            params = msgspec.json.decode(await inputs.body(request, EVENTS_REQUEST_LIMIT_BYTES, operation) or b"{}")
        except msgspec.DecodeError:
            return json11_error("SerializationException", "The request body is not valid JSON.")
        if not isinstance(params, dict):
            return json11_error("SerializationException", "The request body is not a JSON object.")
        try:
            problems = constraints.violations(operation, params, service="events")
            if problems:
                raise EventsValidationException(constraints.summary(problems))
            events = await self._events_of(request)
            caller = principal(request)
            await self._guard.check(
                caller, f"events:{operation}", self._resource(events, operation, params, caller), request.scope
            )
            return json11_response(await handler(events, params))
        except ApiError as refused:
            return json11_error(refused.error_type, refused.message, refused.status)

    @staticmethod
    def _resource(events: EventBusService, operation: str, params: dict[str, Any], caller: Principal) -> str:
        """The ARN *operation* acts on, as EventBridge's authorization names it."""
        region, account = events.region, events.account_id
        if operation in ("CreateEventBus", "DeleteEventBus", "DescribeEventBus"):
            return buses.bus_arn(region, account, buses.bus_name(params.get("Name")))
        bus = buses.bus_name(params.get("EventBusName"))
        rule = params.get("Name") if operation.endswith("Rule") and operation != "ListRuleNamesByTarget" else params.get("Rule")
        if isinstance(rule, str):
            return buses.rule_arn(region, account, bus, rule)
        if operation in ("PutEvents", "ListRules", "ListRuleNamesByTarget"):
            return buses.bus_arn(region, account, bus)
        return "*"

    # -- buses ----------------------------------------------------------------------------------

    async def _create_bus(self, events: EventBusService, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Name"]
        if "/" in name or name == buses.DEFAULT_BUS:
            if name == buses.DEFAULT_BUS:
                raise EventsValidationException("Event bus name default is reserved.")
            raise EventsValidationException("Event bus name must not contain '/'.")
        state = await events.create_bus(name, params.get("Description"))
        out = {"EventBusArn": state.arn}
        if state.description:
            out["Description"] = state.description
        return out

    async def _describe_bus(self, events: EventBusService, params: dict[str, Any]) -> dict[str, Any]:
        return _bus(events.bus(params.get("Name")))

    async def _delete_bus(self, events: EventBusService, params: dict[str, Any]) -> dict[str, Any]:
        await events.delete_bus(params["Name"])
        return {}

    async def _list_buses(self, events: EventBusService, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("NamePrefix") or ""
        found = [_bus(state) for state in events.all() if state.name.startswith(prefix)]
        return _listed("EventBuses", found, params)

    # -- rules ----------------------------------------------------------------------------------

    async def _put_rule(self, events: EventBusService, params: dict[str, Any]) -> dict[str, Any]:
        request = RulePut(
            name=params["Name"],
            event_pattern=params.get("EventPattern"),
            schedule_expression=params.get("ScheduleExpression") or None,
            state=params.get("State"),
            description=params.get("Description"),
            role_arn=params.get("RoleArn"),
        )
        now = datetime.now(UTC).timestamp()
        state = await events.change(
            params.get("EventBusName"),
            lambda bus: buses.put_rule(bus, request, events.account_id, events.region, now, _check_schedule),
        )
        return {"RuleArn": state.rules[request.name].arn}

    async def _describe_rule(self, events: EventBusService, params: dict[str, Any]) -> dict[str, Any]:
        rule = buses.rule_of(events.bus(params.get("EventBusName")), params["Name"])
        return {**_rule(rule), "CreatedBy": rule.created_by}

    async def _delete_rule(self, events: EventBusService, params: dict[str, Any]) -> dict[str, Any]:
        force = bool(params.get("Force"))
        await events.change(params.get("EventBusName"), lambda bus: buses.delete_rule(bus, params["Name"], force))
        return {}

    async def _enable_rule(self, events: EventBusService, params: dict[str, Any]) -> dict[str, Any]:
        await events.change(params.get("EventBusName"), lambda bus: buses.set_rule_state(bus, params["Name"], "ENABLED"))
        return {}

    async def _disable_rule(self, events: EventBusService, params: dict[str, Any]) -> dict[str, Any]:
        await events.change(params.get("EventBusName"), lambda bus: buses.set_rule_state(bus, params["Name"], "DISABLED"))
        return {}

    async def _list_rules(self, events: EventBusService, params: dict[str, Any]) -> dict[str, Any]:
        bus = events.bus(params.get("EventBusName"))
        prefix = params.get("NamePrefix") or ""
        found = [_rule(bus.rules[name]) for name in sorted(bus.rules) if name.startswith(prefix)]
        return _listed("Rules", found, params)

    async def _rules_by_target(self, events: EventBusService, params: dict[str, Any]) -> dict[str, Any]:
        bus = events.bus(params.get("EventBusName"))
        return _listed("RuleNames", buses.rules_targeting(bus, params["TargetArn"]), params)

    # -- targets --------------------------------------------------------------------------------

    async def _put_targets(self, events: EventBusService, params: dict[str, Any]) -> dict[str, Any]:
        try:
            targets = msgspec.convert(params["Targets"], list[EventTarget])
        except msgspec.ValidationError as refused:
            raise EventsValidationException(f"Targets are not valid: {refused}") from None
        index = {target.id: number for number, target in enumerate(targets, start=1)}
        failed: list[buses.FailedTarget] = []

        def step(bus: EventBusState) -> EventBusState:
            after, refused = buses.put_targets(bus, params["Rule"], targets, events.region, _check_input(index))
            failed.extend(refused)
            return after

        await events.change(params.get("EventBusName"), step)
        return {"FailedEntryCount": len(failed), "FailedEntries": msgspec.to_builtins(failed)}

    async def _remove_targets(self, events: EventBusService, params: dict[str, Any]) -> dict[str, Any]:
        failed: list[buses.FailedTarget] = []

        def step(bus: EventBusState) -> EventBusState:
            after, refused = buses.remove_targets(bus, params["Rule"], params["Ids"])
            failed.extend(refused)
            return after

        await events.change(params.get("EventBusName"), step)
        return {"FailedEntryCount": len(failed), "FailedEntries": msgspec.to_builtins(failed)}

    async def _list_targets(self, events: EventBusService, params: dict[str, Any]) -> dict[str, Any]:
        rule = buses.rule_of(events.bus(params.get("EventBusName")), params["Rule"])
        return _listed("Targets", msgspec.to_builtins(list(rule.targets)), params)

    # -- events ---------------------------------------------------------------------------------

    async def _put_events(self, events: EventBusService, params: dict[str, Any]) -> dict[str, Any]:
        try:
            entries = msgspec.convert(params["Entries"], list[event_entry.PutEventsEntry])
        except msgspec.ValidationError as refused:
            raise EventsValidationException(f"Entries are not valid: {refused}") from None
        results = await events.put_events(entries)
        return {"FailedEntryCount": sum(1 for result in results if "ErrorCode" in result), "Entries": results}

    async def _test_pattern(self, events: EventBusService, params: dict[str, Any]) -> dict[str, Any]:
        pattern = buses.compile_pattern(params["EventPattern"])
        return {"Result": pattern.matches(event_entry.sample_event(params["Event"]))}
