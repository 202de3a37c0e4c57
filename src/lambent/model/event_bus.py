"""EventBridge's buses, rules and targets as records, and the pure rules that change them.

A bus is stored whole (``EventBusState``: its rules, each with its targets), as an HTTP API is:
AWS's quotas keep it small (300 rules a bus, 5 targets a rule) and every change is one write.
Each step here takes a bus's state and returns the new one, or raises the error AWS answers;
the service reads the clock and does the writing.

Names and ARNs are AWS's: a bus ``arn:aws:events:R:A:event-bus/NAME``, a rule on the default bus
``arn:aws:events:R:A:rule/NAME`` and on any other ``.../rule/BUS/NAME``. Targets are Lambda
functions (their ARN with or without a version or alias): Lambent delivers to nothing else, so a
target of another kind is refused when it is put, not dropped when an event matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import msgspec

from lambent.errors import (
    EventsLimitExceeded,
    EventsResourceNotFound,
    EventsValidationException,
    InvalidEventPatternException,
)
from lambent.model import event_pattern
from lambent.model.lambda_target import lambda_target

DEFAULT_BUS = "default"
#: AWS's default quotas: rules per event bus, targets per rule.
RULES_PER_BUS = 300
TARGETS_PER_RULE = 5
RULE_STATES = ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
_BUS_ARN = re.compile(r"arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus/(?P<name>.+)")


class InputTransformer(msgspec.Struct, frozen=True, kw_only=True, rename="pascal", omit_defaults=True):
    input_template: str
    input_paths_map: dict[str, str] | None = None


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True, rename="pascal", omit_defaults=True):
    maximum_retry_attempts: int | None = None
    maximum_event_age_in_seconds: int | None = None


class DeadLetterConfig(msgspec.Struct, frozen=True, kw_only=True, rename="pascal", omit_defaults=True):
    arn: str | None = None


class EventTarget(msgspec.Struct, frozen=True, kw_only=True, rename="pascal", omit_defaults=True):
    """A target as PutTargets takes it and ListTargetsByRule gives it back."""

    id: str
    arn: str
    role_arn: str | None = None
    input: str | None = None
    input_path: str | None = None
    input_transformer: InputTransformer | None = None
    retry_policy: RetryPolicy | None = None
    dead_letter_config: DeadLetterConfig | None = None


class EventRule(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    arn: str
    event_bus_name: str
    state: str = "ENABLED"
    event_pattern: str | None = None
    schedule_expression: str | None = None
    description: str | None = None
    role_arn: str | None = None
    #: The account that made it (DescribeRule's ``CreatedBy``).
    created_by: str = ""
    #: When it was put first (the anchor of a ``rate(...)`` schedule).
    created_at: float = 0.0
    targets: tuple[EventTarget, ...] = ()

    @property
    def enabled(self) -> bool:
        return self.state != "DISABLED"


class EventBusState(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    arn: str
    description: str | None = None
    creation_time: float
    last_modified_time: float
    rules: dict[str, EventRule] = msgspec.field(default_factory=dict)


class RulePut(msgspec.Struct, frozen=True, kw_only=True):
    """PutRule's input (its names), checked against the model before it gets here."""

    name: str
    event_pattern: str | None = None
    schedule_expression: str | None = None
    state: str | None = None
    description: str | None = None
    role_arn: str | None = None


class FailedTarget(msgspec.Struct, frozen=True, kw_only=True, rename="pascal"):
    target_id: str
    error_code: str
    error_message: str


# --- names -----------------------------------------------------------------------------------


def bus_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:events:{region}:{account}:event-bus/{name}"


def rule_arn(region: str, account: str, bus: str, name: str) -> str:
    if bus == DEFAULT_BUS:
        return f"arn:aws:events:{region}:{account}:rule/{name}"
    return f"arn:aws:events:{region}:{account}:rule/{bus}/{name}"


def bus_name(name_or_arn: str | None) -> str:
    """The bus an ``EventBusName`` member names (a name or a bus ARN); ``default`` if none."""
    if not name_or_arn:
        return DEFAULT_BUS
    matched = _BUS_ARN.fullmatch(name_or_arn)
    return matched["name"] if matched else name_or_arn


def new_bus(region: str, account: str, name: str, description: str | None, now: float) -> EventBusState:
    return EventBusState(
        name=name, arn=bus_arn(region, account, name), description=description, creation_time=now, last_modified_time=now
    )


def bus_not_found(name: str) -> EventsResourceNotFound:
    return EventsResourceNotFound(f"Event bus {name} does not exist.")


def rule_not_found(bus: EventBusState, name: str) -> EventsResourceNotFound:
    return EventsResourceNotFound(f"Rule {name} does not exist on EventBus {bus.name}.")


def rule_of(bus: EventBusState, name: str) -> EventRule:
    rule = bus.rules.get(name)
    if rule is None:
        raise rule_not_found(bus, name)
    return rule


# --- rules -----------------------------------------------------------------------------------


def compile_pattern(text: str) -> event_pattern.EventPattern:
    """*text* compiled, or AWS's InvalidEventPatternException with the matcher's reason."""
    try:
        return event_pattern.parse(text)
    except event_pattern.EventPatternError as refused:
        raise InvalidEventPatternException(f"Event pattern is not valid. Reason: {refused}") from None


def put_rule(
    bus: EventBusState,
    request: RulePut,
    account: str,
    region: str,
    now: float,
    check_schedule: Callable[[str], None],
) -> EventBusState:
    """Create the rule or replace its settings (its targets stay). *check_schedule* raises
    ``ValueError`` for a ScheduleExpression that is not a rule's ``rate(...)`` or ``cron(...)``."""
    if request.event_pattern is None and request.schedule_expression is None:
        raise EventsValidationException("Parameter(s) EventPattern or ScheduleExpression must be specified.")
    if request.event_pattern is not None:
        compile_pattern(request.event_pattern)
    if request.schedule_expression is not None:
        if bus.name != DEFAULT_BUS:
            raise EventsValidationException("ScheduleExpression is supported only on the default event bus.")
        try:
            check_schedule(request.schedule_expression)
        except ValueError:
            raise EventsValidationException("Parameter ScheduleExpression is not valid.") from None
    before = bus.rules.get(request.name)
    if before is None and len(bus.rules) >= RULES_PER_BUS:
        raise EventsLimitExceeded(f"The requested resource exceeds the maximum number allowed ({RULES_PER_BUS} rules).")
    rule = EventRule(
        name=request.name,
        arn=rule_arn(region, account, bus.name, request.name),
        event_bus_name=bus.name,
        state=request.state or "ENABLED",
        event_pattern=request.event_pattern,
        schedule_expression=request.schedule_expression,
        description=request.description,
        role_arn=request.role_arn,
        created_by=before.created_by if before else account,
        created_at=before.created_at if before else now,
        targets=before.targets if before else (),
    )
    return msgspec.structs.replace(bus, rules={**bus.rules, rule.name: rule}, last_modified_time=now)


def set_rule_state(bus: EventBusState, name: str, state: str) -> EventBusState:
    rule = rule_of(bus, name)
    return msgspec.structs.replace(bus, rules={**bus.rules, name: msgspec.structs.replace(rule, state=state)})


def delete_rule(bus: EventBusState, name: str, force: bool) -> EventBusState:
    """Without the rule; a rule that is not there is no error (AWS answers it so)."""
    rule = bus.rules.get(name)
    if rule is None:
        return bus
    if rule.targets and not force:
        raise EventsValidationException("Rule can't be deleted since it has targets.")
    return msgspec.structs.replace(bus, rules={key: value for key, value in bus.rules.items() if key != name})


# --- targets ---------------------------------------------------------------------------------


def put_targets(
    bus: EventBusState,
    rule_name: str,
    targets: Iterable[EventTarget],
    region: str,
    check_input: Callable[[EventTarget], None],
) -> tuple[EventBusState, list[FailedTarget]]:
    """The rule with *targets* added or replaced by id, and the entries refused. *check_input*
    raises AWS's error (an ``EventsError``, passed on as it is) for a target whose input
    settings are not valid."""
    rule = rule_of(bus, rule_name)
    kept = {target.id: target for target in rule.targets}
    failed: list[FailedTarget] = []
    for target in targets:
        function = lambda_target(target.arn)
        # lambda_target also reads API Gateway's invocation URI and other partitions; a rule's
        # target is the function's own ARN, as delivery and ListRuleNamesByTarget name it.
        if function is None or function.arn != target.arn or function.region != region:
            failed.append(
                FailedTarget(
                    target_id=target.id,
                    error_code="ValidationException",
                    error_message=f"Target {target.id}: Lambent delivers to Lambda functions of {region} only, "
                    f"and {target.arn} is not one.",
                )
            )
            continue
        check_input(target)  # AWS refuses the whole request for a bad input setting
        kept[target.id] = target
    if len(kept) > TARGETS_PER_RULE:
        raise EventsLimitExceeded("The requested resource exceeds the maximum number allowed.")
    changed = msgspec.structs.replace(rule, targets=tuple(kept.values()))
    return msgspec.structs.replace(bus, rules={**bus.rules, rule_name: changed}), failed


def remove_targets(bus: EventBusState, rule_name: str, ids: Iterable[str]) -> tuple[EventBusState, list[FailedTarget]]:
    """The rule without the targets of *ids*; an id it does not have is no error (as AWS)."""
    rule = rule_of(bus, rule_name)
    gone = set(ids)
    changed = msgspec.structs.replace(rule, targets=tuple(t for t in rule.targets if t.id not in gone))
    return msgspec.structs.replace(bus, rules={**bus.rules, rule_name: changed}), []


def rules_targeting(bus: EventBusState, target_arn: str) -> list[str]:
    """The names of the bus's rules with a target of *target_arn*, by name."""
    return sorted(name for name, rule in bus.rules.items() if any(t.arn == target_arn for t in rule.targets))
