"""EventBridge Scheduler's schedules and schedule groups as records, their checks, and what a
schedule sends its target. Pure.

A schedule is kept with the next slot it fires at (``next_fire_at``, epoch seconds, None when it
fires no more); the firing loop claims a slot by moving ``next_fire_at`` past it in the store,
so a slot fires once however often the server restarts (``services.schedules``). What fires is
the slot's time plus the FLEXIBLE window's deterministic offset (``flexible_offset``).

The target is a Lambda function (its ARN, a version or alias too), invoked asynchronously as a
session of the target's ``RoleArn``, with ``Input`` (``{}`` when there is none) in which the
context attributes ``<aws.scheduler.schedule-arn>``, ``<aws.scheduler.scheduled-time>``,
``<aws.scheduler.execution-id>`` and ``<aws.scheduler.attempt-number>`` are replaced, as the
guide's "Adding context attributes" lists them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from lambent.errors import (
    InvalidScheduleExpression,
    InvalidTimezone,
    SchedulerConflict,
    SchedulerNotFound,
    SchedulerValidation,
)
from lambent.model import schedule_expression as expressions
from lambent.model.event_bus import DeadLetterConfig, RetryPolicy
from lambent.model.lambda_target import lambda_target

DEFAULT_GROUP = "default"


class SchedulerTarget(msgspec.Struct, frozen=True, kw_only=True, rename="pascal", omit_defaults=True):
    arn: str
    role_arn: str
    input: str | None = None
    retry_policy: RetryPolicy | None = None
    dead_letter_config: DeadLetterConfig | None = None


class FlexibleTimeWindow(msgspec.Struct, frozen=True, kw_only=True, rename="pascal", omit_defaults=True):
    mode: str
    maximum_window_in_minutes: int | None = None


class ScheduleInput(msgspec.Struct, frozen=True, kw_only=True, rename="pascal"):
    """CreateSchedule's and UpdateSchedule's body (the name and group come apart)."""

    schedule_expression: str
    target: SchedulerTarget
    flexible_time_window: FlexibleTimeWindow
    group_name: str | None = None
    start_date: float | None = None
    end_date: float | None = None
    description: str | None = None
    schedule_expression_timezone: str | None = None
    state: str | None = None
    kms_key_arn: str | None = None
    client_token: str | None = None
    action_after_completion: str | None = None


class Schedule(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    group: str
    arn: str
    spec: ScheduleInput
    creation_date: float
    last_modification_date: float
    #: The next slot (epoch seconds, before any flexible offset); None: it fires no more.
    next_fire_at: float | None = None

    @property
    def enabled(self) -> bool:
        return (self.spec.state or "ENABLED") == "ENABLED"


class ScheduleGroup(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    arn: str
    creation_date: float
    last_modification_date: float


def schedule_arn(region: str, account: str, group: str, name: str) -> str:
    return f"arn:aws:scheduler:{region}:{account}:schedule/{group}/{name}"


def group_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:scheduler:{region}:{account}:schedule-group/{name}"


def schedule_not_found(group: str, name: str) -> SchedulerNotFound:
    return SchedulerNotFound(f"Schedule {name} does not exist.")


def group_not_found(name: str) -> SchedulerNotFound:
    return SchedulerNotFound(f"Schedule group {name} does not exist.")


def group_exists(name: str) -> SchedulerConflict:
    return SchedulerConflict(f"Schedule group {name} already exists.")


def schedule_exists(name: str) -> SchedulerConflict:
    return SchedulerConflict(f"Schedule {name} already exists.")


def _utc(seconds: float | None) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


def check(spec: ScheduleInput, region: str) -> None:
    """Refuse what Scheduler refuses, in its words where known."""
    try:
        expressions.parse(spec.schedule_expression)
    except InvalidScheduleExpression as invalid:
        raise SchedulerValidation(invalid.aws_message) from None
    try:
        expressions.zone(spec.schedule_expression_timezone)
    except InvalidTimezone:
        raise SchedulerValidation(f"Invalid time zone {spec.schedule_expression_timezone}.") from None
    window = spec.flexible_time_window
    if window.mode == "FLEXIBLE" and window.maximum_window_in_minutes is None:
        raise SchedulerValidation("MaximumWindowInMinutes is required when Mode is FLEXIBLE.")
    if window.mode == "OFF" and window.maximum_window_in_minutes is not None:
        raise SchedulerValidation("MaximumWindowInMinutes is not allowed when Mode is OFF.")
    if spec.start_date is not None and spec.end_date is not None and spec.end_date <= spec.start_date:
        raise SchedulerValidation("The EndDate must be after the StartDate.")
    function = lambda_target(spec.target.arn)
    if function is None or function.region != region:
        raise SchedulerValidation(f"Lambent's schedules invoke Lambda functions of {region} only; {spec.target.arn} is not one.")


def next_slot(spec: ScheduleInput, after: float, created: float) -> float | None:
    """The first slot strictly after *after* (epoch seconds), or None: none is left. A rate's
    slots count from its StartDate, else from when it was made (it starts at once, as AWS's)."""
    expression = expressions.parse(spec.schedule_expression)
    anchor = _utc(spec.start_date if spec.start_date is not None else created)
    slot = expressions.next_fire(
        expression,
        datetime.fromtimestamp(after, UTC),
        timezone=spec.schedule_expression_timezone,
        start=_utc(spec.start_date),
        end=_utc(spec.end_date),
        anchor=anchor,
    )
    return slot.timestamp() if slot is not None else None


def fire_time(schedule: Schedule, slot: float) -> float:
    """When the slot's invocation is made: the slot, or later within a FLEXIBLE window."""
    window = schedule.spec.flexible_time_window
    if window.mode != "FLEXIBLE" or not window.maximum_window_in_minutes:
        return slot
    offset = expressions.flexible_offset(schedule.arn, datetime.fromtimestamp(slot, UTC), window.maximum_window_in_minutes)
    return slot + offset / timedelta(seconds=1)


def scheduled_time(slot: float) -> str:
    return datetime.fromtimestamp(int(slot), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def payload(schedule: Schedule, slot: float, execution_id: str, attempt: int) -> bytes:
    """What the target is invoked with: its Input with the context attributes replaced."""
    text = schedule.spec.target.input or "{}"
    for name, value in (
        ("schedule-arn", schedule.arn),
        ("scheduled-time", scheduled_time(slot)),
        ("execution-id", execution_id),
        ("attempt-number", str(attempt)),
    ):
        text = text.replace(f"<aws.scheduler.{name}>", value)
    return text.encode()
