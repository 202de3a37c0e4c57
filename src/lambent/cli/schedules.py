"""``lambent schedules``: EventBridge Scheduler's groups and schedules through the ``scheduler`` API
(boto3's client, as any other caller), and the slots of a schedule expression, offline. It reads
only; schedules are made with ``aws scheduler`` or boto3, as on AWS.

The API does not say when a schedule fires next, so the CLI computes it, labelled
"next (computed)", with ``lambent.model.schedule_expression`` (the server's own rules) from the
expression, its time zone, StartDate and EndDate, and for a rate() its anchor (StartDate, else
CreationDate). A slot the server missed while it was down, and fires late when it starts, is not
predicted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Optional

import typer
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from lambent.cli.console import EndpointOption, Target, err, fail, out
from lambent.cli.layout import Column, json_text, records
from lambent.errors import InvalidScheduleExpression, InvalidTimezone
from lambent.model import schedule_expression as expressions
from lambent.model.event_retry import DEFAULT_EVENT_AGE_S, DEFAULT_RETRY_ATTEMPTS
from lambent.model.lambda_target import lambda_target

schedules_app = typer.Typer(help="EventBridge Scheduler: schedule groups and their schedules.", no_args_is_help=True)

GroupOption = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional here
    typer.Option("--group", help="The schedule group (default: default)."),
]
NEXT_LABEL = "next (computed)"
MAX_COUNT = 1000
_STATE_STYLES = {"ENABLED": "green", "DISABLED": "yellow"}


def _client(endpoint_url: str | None) -> Any:
    return Target(endpoint_url).client("scheduler")


def _pages(client: Any, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key, [])


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def _wall(value: datetime, timezone: str) -> str:
    """*value* as the clocks of *timezone* show it, with the offset and the zone's abbreviation."""
    local = value.astimezone(expressions.zone(timezone))
    return f"{local.isoformat(timespec='seconds')} {local.tzname()}"


def next_fire(schedule: Mapping[str, Any], now: datetime) -> datetime | None:
    """The first slot of a GetSchedule answer strictly after *now*, or None: none is left, or the
    expression or zone is one this CLI cannot read. Disabled or not: the caller decides."""
    try:
        expression = expressions.parse(schedule["ScheduleExpression"])
        start = schedule.get("StartDate")
        return expressions.next_fire(
            expression,
            now,
            timezone=schedule.get("ScheduleExpressionTimezone"),
            start=start,
            end=schedule.get("EndDate"),
            anchor=start or schedule.get("CreationDate"),
        )
    except (InvalidScheduleExpression, InvalidTimezone, ValueError):
        return None


def _next_text(schedule: Mapping[str, Any], now: datetime) -> str:
    """What ``ls`` shows as the next slot: blank for a disabled schedule, ``none`` when none is left."""
    if schedule.get("State", "ENABLED") != "ENABLED":
        return ""
    return _when(next_fire(schedule, now)) or "none"


def _expression(schedule: Mapping[str, Any]) -> str:
    zone = schedule.get("ScheduleExpressionTimezone")
    return f"{schedule['ScheduleExpression']} {zone}" if zone else str(schedule["ScheduleExpression"])


def _function(schedule: Mapping[str, Any]) -> str:
    """The target by its function's name (and qualifier) when it is a function of the schedule's
    account, else by its whole ARN."""
    arn = str(schedule.get("Target", {}).get("Arn", ""))
    function = lambda_target(arn)
    account = str(schedule.get("Arn", "")).split(":")[4:5]
    if function is None or [function.account] != account:
        return arn
    return f"{function.name}:{function.qualifier}" if function.qualifier else function.name


def groups_table(groups: Sequence[Mapping[str, Any]], counts: Mapping[str, int], width: int) -> RenderableType:
    """``lambent schedules ls``: each group with its number of schedules."""
    columns = [Column("schedules", "right"), Column("created")]
    rows = [([g["Name"]], [str(counts.get(g["Name"], 0)), _when(g.get("CreationDate"))]) for g in groups]
    return records(["group"], columns, rows, width)


def schedules_table(schedules: Sequence[Mapping[str, Any]], now: datetime, width: int) -> RenderableType:
    """``lambent schedules ls --group NAME`` (or ``--all``): each schedule (a GetSchedule answer)
    with its state, expression, target and next slot after *now*."""
    columns = [Column("group"), Column("state"), Column("expression"), Column("target"), Column(NEXT_LABEL)]
    rows = [
        (
            [s["Name"]],
            [s.get("GroupName", "default"), s.get("State", ""), _expression(s), _function(s), _next_text(s, now)],
        )
        for s in schedules
    ]
    return records(["schedule"], columns, rows, width)


def _window(schedule: Mapping[str, Any]) -> str:
    window = schedule.get("FlexibleTimeWindow") or {}
    if window.get("Mode") == "FLEXIBLE":
        return f"FLEXIBLE, up to {window.get('MaximumWindowInMinutes')} minutes"
    return str(window.get("Mode", "OFF"))


def _retries(target: Mapping[str, Any]) -> str:
    policy = target.get("RetryPolicy") or {}
    attempts = policy.get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS)
    age = policy.get("MaximumEventAgeInSeconds", DEFAULT_EVENT_AGE_S)
    return f"{attempts} retries within {age} s"


def _upcoming(schedule: Mapping[str, Any], now: datetime) -> list[tuple[str, str]]:
    """``describe``'s next slot, in UTC and in the schedule's zone, and, in a FLEXIBLE window, when
    the server invokes it (its offset is a hash of the schedule's ARN and the slot: computable)."""
    if schedule.get("State", "ENABLED") != "ENABLED":
        return [(NEXT_LABEL, "none: the schedule is disabled")]
    slot = next_fire(schedule, now)
    if slot is None:
        return [(NEXT_LABEL, "none")]
    zone = schedule.get("ScheduleExpressionTimezone")
    shown = [(NEXT_LABEL, f"{_when(slot)} ({_wall(slot, zone)})" if zone and zone != "UTC" else _when(slot))]
    window = schedule.get("FlexibleTimeWindow") or {}
    minutes = window.get("MaximumWindowInMinutes")
    if window.get("Mode") == "FLEXIBLE" and minutes:
        offset = expressions.flexible_offset(schedule["Arn"], slot, minutes)
        shown.append(("invoked at", f"{_when(slot + offset)} ({int(offset / timedelta(seconds=1))} s into its window)"))
    return shown


def _fields(shown: Sequence[tuple[str, str | Text]], label_width: int, width: int, *, json_labels: set[str]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True, min_width=label_width)
    grid.add_column(overflow="fold")
    for label, value in shown:
        if label in json_labels and isinstance(value, str):
            value = json_text(value, width - label_width - 2)
        grid.add_row(label, value if isinstance(value, Text) else Text(value))
    return grid


def schedule_view(schedule: Mapping[str, Any], now: datetime, width: int) -> RenderableType:
    """``lambent schedules describe``: the schedule's settings, then its target."""
    state = schedule.get("State", "")
    settings: list[tuple[str, str | Text]] = [
        ("schedule", schedule["Name"]),
        ("arn", schedule["Arn"]),
        ("group", schedule.get("GroupName", "default")),
        ("state", Text(state, style=_STATE_STYLES.get(state, ""))),
        ("expression", schedule["ScheduleExpression"]),
        ("time zone", schedule.get("ScheduleExpressionTimezone") or "UTC"),
    ]
    for label, key in (("starts", "StartDate"), ("ends", "EndDate")):
        if schedule.get(key):
            settings.append((label, _when(schedule[key])))
    settings.append(("window", _window(schedule)))
    for label, key in (
        ("after completion", "ActionAfterCompletion"),
        ("description", "Description"),
        ("kms key", "KmsKeyArn"),
    ):
        if schedule.get(key):
            settings.append((label, schedule[key]))
    settings += [("created", _when(schedule.get("CreationDate"))), ("modified", _when(schedule.get("LastModificationDate")))]
    settings += _upcoming(schedule, now)
    target = schedule.get("Target") or {}
    targeted: list[tuple[str, str | Text]] = [("arn", target.get("Arn", "")), ("role", target.get("RoleArn", ""))]
    targeted.append(("input", target["Input"]) if "Input" in target else ("input", "none: the function gets {}"))
    targeted.append(("retries", _retries(target)))
    if (target.get("DeadLetterConfig") or {}).get("Arn"):
        targeted.append(("dead letters to", target["DeadLetterConfig"]["Arn"]))
    label_width = max(len(label) for label, _ in [*settings, *targeted])
    return Group(
        _fields(settings, label_width, width, json_labels=set()),
        Text(""),
        Text("target", style="bold"),
        _fields(targeted, label_width, width, json_labels={"input"}),
    )


def slots(expression: str, count: int, *, timezone: str | None, start: datetime | None, now: datetime) -> list[datetime]:
    """The first *count* slots of *expression* from *start* (inclusive, as a StartDate: a rate's
    slots count from it), else after *now* as a schedule made at *now* without one. Raises
    InvalidScheduleExpression or InvalidTimezone."""
    parsed = expressions.parse(expression)
    after = start - timedelta(microseconds=1) if start is not None else now
    forever = datetime.max.replace(tzinfo=UTC)
    found = expressions.occurrences(parsed, after, forever, timezone=timezone, start=start, anchor=start or now)
    return [slot for slot, _ in zip(found, range(count), strict=False)]


def slots_table(found: Sequence[datetime], timezone: str | None, width: int) -> RenderableType:
    """``lambent schedules next``: each slot in UTC and, for a zone other than UTC, on its clocks."""
    local = timezone not in (None, "UTC")
    columns = [Column("utc"), *([Column(str(timezone))] if local else [])]
    rows = [([str(i)], [_when(slot), *([_wall(slot, str(timezone))] if local else [])]) for i, slot in enumerate(found, 1)]
    return records(["slot"], columns, rows, width)


def _start(text: str, timezone: str | None) -> datetime:
    """``--start``: ISO 8601; without an offset, a wall-clock time of *timezone* (UTC if none)."""
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=expressions.zone(timezone))
    return when.astimezone(UTC)


@schedules_app.command("ls")
def list_schedules(
    group: GroupOption = None,
    every: Annotated[bool, typer.Option("--all", help="The schedules of every group.")] = False,
    endpoint_url: EndpointOption = None,
) -> None:
    """List schedule groups, each with its number of schedules; with --group (or --all), the schedules."""
    if group is not None and every:
        err.print("[red]error[/red]: --group and --all do not go together")
        raise typer.Exit(1)
    client = _client(endpoint_url)
    try:
        if group is None and not every:
            groups = list(_pages(client, "list_schedule_groups", "ScheduleGroups"))
            counts = Counter(s["GroupName"] for s in _pages(client, "list_schedules", "Schedules"))
            out.print(groups_table(groups, counts, out.width))
            return
        if group is not None:
            client.get_schedule_group(Name=group)  # a group that does not exist is an error, not an empty list
        listed = _pages(client, "list_schedules", "Schedules", **({"GroupName": group} if group else {}))
        schedules = [client.get_schedule(Name=s["Name"], GroupName=s["GroupName"]) for s in listed]
    except Exception as exc:
        raise fail(exc) from None
    if not schedules:
        err.print(f"no schedules in group {group}" if group else "no schedules")
        return
    out.print(schedules_table(schedules, datetime.now(UTC), out.width))


@schedules_app.command("describe")
def describe(
    name: Annotated[str, typer.Argument(help="The schedule's name.")],
    group: GroupOption = None,
    endpoint_url: EndpointOption = None,
) -> None:
    """A schedule's settings, its next slot (computed) and its target."""
    try:
        schedule = _client(endpoint_url).get_schedule(Name=name, **({"GroupName": group} if group else {}))
    except Exception as exc:
        raise fail(exc) from None
    out.print(schedule_view(schedule, datetime.now(UTC), out.width))


@schedules_app.command("next")
def next_slots(
    expression: Annotated[str, typer.Argument(help="at(...), rate(...) or cron(...), as a ScheduleExpression.")],
    timezone: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional here
        typer.Option("--timezone", help="The ScheduleExpressionTimezone, an IANA name (default: UTC)."),
    ] = None,
    count: Annotated[int, typer.Option("--count", min=1, max=MAX_COUNT, help="How many slots.")] = 5,
    start: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional here
        typer.Option("--start", help="Count from here, inclusive, as a StartDate (ISO 8601; no offset: --timezone's)."),
    ] = None,
) -> None:
    """The next slots of EXPRESSION in UTC and in its zone, computed here as the server would (no server needed)."""
    try:
        begin = _start(start, timezone) if start is not None else None
        found = slots(expression, count, timezone=timezone, start=begin, now=datetime.now(UTC))
    except InvalidScheduleExpression as invalid:
        err.print(f"[red]ValidationException[/red]: {escape(invalid.aws_message)}")
        err.print(invalid.reason, markup=False, highlight=False)
        raise typer.Exit(1) from None
    except InvalidTimezone:
        err.print(f"[red]ValidationException[/red]: Invalid time zone {escape(str(timezone))}.")
        raise typer.Exit(1) from None
    except ValueError as exc:
        err.print(f"[red]error[/red]: --start: {escape(str(exc))}")
        raise typer.Exit(1) from None
    if not found:
        err.print("no slots: an at() already past, or a cron whose years are spent")
        return
    out.print(slots_table(found, timezone, out.width))
