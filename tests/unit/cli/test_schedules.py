"""`lambent schedules`' views of groups and schedules, as the scheduler API answers them, with the
next slot computed at a fixed *now*; and `lambent schedules next`, which needs no server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from rich.console import RenderableType
from typer.testing import CliRunner

from lambent.cli.schedules import groups_table, next_fire, schedule_view, schedules_app, schedules_table, slots, slots_table
from lambent.errors import InvalidScheduleExpression, InvalidTimezone
from lambent.model.schedule_expression import flexible_offset
from tests.fixtures.cli import lines

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/scheduler-invoker"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def rows(view: RenderableType, width: int = 200) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("│").split("│")] for line in lines(view, width) if line.startswith("│")]


def function(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:lambda:us-east-1:{account}:function:{name}"


def schedule(name: str, expression: str, group: str = "default", **settings: Any) -> dict[str, Any]:
    """A GetSchedule answer as boto3 gives it (dates as aware datetimes)."""
    return {
        "Arn": f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule/{group}/{name}",
        "Name": name,
        "GroupName": group,
        "State": "ENABLED",
        "ScheduleExpression": expression,
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {"Arn": function("orders"), "RoleArn": ROLE},
        "CreationDate": CREATED,
        "LastModificationDate": CREATED,
        **settings,
    }


def test_groups_with_their_schedule_counts_and_utc_creation_times() -> None:
    groups = [
        {"Name": "default", "CreationDate": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)},
        {"Name": "team", "CreationDate": datetime(2026, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))},
    ]
    assert rows(groups_table(groups, {"team": 12}, 200)) == [
        ["default", "0", "2026-01-02T03:04:05Z"],
        ["team", "12", "2026-01-02T03:04:05Z"],
    ]


def test_next_fire_is_computed_from_the_expression_zone_and_dates() -> None:
    # 02:00 in Paris in June is 00:00 UTC.
    assert next_fire(schedule("n", "cron(0 2 * * ? *)", ScheduleExpressionTimezone="Europe/Paris"), NOW) == datetime(
        2026, 6, 2, tzinfo=UTC
    )
    # A rate counts from its creation (10:15, 11:45, 13:15) ...
    created = datetime(2026, 6, 1, 10, 15, tzinfo=UTC)
    assert next_fire(schedule("r", "rate(90 minutes)", CreationDate=created), NOW) == datetime(2026, 6, 1, 13, 15, tzinfo=UTC)
    # ... or from its StartDate, inclusive, which also holds it back.
    start = datetime(2026, 6, 3, 9, 30, tzinfo=UTC)
    assert next_fire(schedule("r", "rate(90 minutes)", CreationDate=created, StartDate=start), NOW) == start
    assert next_fire(schedule("r", "rate(1 day)", EndDate=datetime(2026, 5, 1, tzinfo=UTC)), NOW) is None
    assert next_fire(schedule("a", "at(2026-01-01T00:00:00)"), NOW) is None
    assert next_fire(schedule("x", "rate(1 minutes)"), NOW) is None  # not one this CLI can read


def test_schedules_show_group_state_expression_in_its_zone_target_and_next_slot() -> None:
    schedules = [
        schedule("nightly", "cron(0 2 * * ? *)", "team", ScheduleExpressionTimezone="Europe/Paris"),
        schedule("paused", "rate(2 hours)", State="DISABLED"),
        schedule("once", "at(2026-01-01T00:00:00)", Target={"Arn": function("orders") + ":live", "RoleArn": ROLE}),
        schedule(
            "theirs", "rate(1 day)", StartDate=datetime(2026, 6, 1, 6, tzinfo=UTC), Target={"Arn": function("x", "111111111111")}
        ),
    ]
    shown = lines(schedules_table(schedules, NOW, 200))
    assert [cell.strip() for cell in shown[1].strip("┃").split("┃")] == [
        "schedule",
        "group",
        "state",
        "expression",
        "target",
        "next (computed)",
    ]
    assert rows(schedules_table(schedules, NOW, 200)) == [
        ["nightly", "team", "ENABLED", "cron(0 2 * * ? *) Europe/Paris", "orders", "2026-06-02T00:00:00Z"],
        ["paused", "default", "DISABLED", "rate(2 hours)", "orders", ""],
        ["once", "default", "ENABLED", "at(2026-01-01T00:00:00)", "orders:live", "none"],
        ["theirs", "default", "ENABLED", "rate(1 day)", function("x", "111111111111"), "2026-06-02T06:00:00Z"],
    ]


def test_a_narrow_terminal_gets_one_block_per_schedule_nothing_cut() -> None:
    one = schedule("nightly", "cron(0 2 * * ? *)", ScheduleExpressionTimezone="America/Argentina/Buenos_Aires")
    assert lines(schedules_table([one], NOW, 60), 60) == [
        "schedule nightly",
        "  group           default",
        "  state           ENABLED",
        "  expression      cron(0 2 * * ? *)",
        "                  America/Argentina/Buenos_Aires",
        "  target          orders",
        "  next (computed) 2026-06-02T05:00:00Z",
    ]


def test_describe_shows_every_setting_the_next_slot_in_both_zones_and_the_target() -> None:
    described = schedule(
        "nightly",
        "cron(0 2 * * ? *)",
        "team",
        ScheduleExpressionTimezone="Europe/Paris",
        StartDate=datetime(2026, 3, 1, tzinfo=UTC),
        EndDate=datetime(2027, 3, 1, tzinfo=UTC),
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
        ActionAfterCompletion="NONE",
        Description="[/x] at two, Paris time",
        Target={
            "Arn": function("orders"),
            "RoleArn": ROLE,
            "Input": '{"kind": "nightly", "slot": "<aws.scheduler.scheduled-time>"}',
            "RetryPolicy": {"MaximumRetryAttempts": 3},
            "DeadLetterConfig": {"Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq"},
        },
    )
    slot = datetime(2026, 6, 2, tzinfo=UTC)
    offset = flexible_offset(described["Arn"], slot, 15)
    invoked = (slot + offset).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert lines(schedule_view(described, NOW, 200)) == [
        "schedule          nightly",
        f"arn               arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule/team/nightly",
        "group             team",
        "state             ENABLED",
        "expression        cron(0 2 * * ? *)",
        "time zone         Europe/Paris",
        "starts            2026-03-01T00:00:00Z",
        "ends              2027-03-01T00:00:00Z",
        "window            FLEXIBLE, up to 15 minutes",
        "after completion  NONE",
        "description       [/x] at two, Paris time",
        "created           2026-01-01T00:00:00Z",
        "modified          2026-01-01T00:00:00Z",
        "next (computed)   2026-06-02T00:00:00Z (2026-06-02T02:00:00+02:00 CEST)",
        f"invoked at        {invoked} ({int(offset.total_seconds())} s into its window)",
        "",
        "target",
        f"arn               {function('orders')}",
        f"role              {ROLE}",
        'input             {"kind": "nightly", "slot": "<aws.scheduler.scheduled-time>"}',
        "retries           3 retries within 86400 s",
        f"dead letters to   arn:aws:sqs:us-east-1:{ACCOUNT}:dlq",
    ]


def test_describe_a_disabled_utc_schedule_without_input() -> None:
    shown = lines(schedule_view(schedule("paused", "rate(2 hours)", State="DISABLED"), NOW, 120), 120)
    assert shown[4:] == [
        "expression       rate(2 hours)",
        "time zone        UTC",
        "window           OFF",
        "created          2026-01-01T00:00:00Z",
        "modified         2026-01-01T00:00:00Z",
        "next (computed)  none: the schedule is disabled",
        "",
        "target",
        f"arn              {function('orders')}",
        f"role             {ROLE}",
        "input            none: the function gets {}",
        "retries          185 retries within 86400 s",
    ]
    enabled = lines(schedule_view(schedule("hourly", "rate(2 hours)"), NOW, 120), 120)
    assert "next (computed)  2026-06-01T14:00:00Z" in enabled


def test_an_input_too_wide_for_one_line_is_indented() -> None:
    target = {"Arn": function("f"), "RoleArn": "r", "Input": '{"kind":"nightly","n":1}'}
    one = schedule("s", "rate(1 hour)", Target=target)
    assert lines(schedule_view(one, NOW, 44), 44)[-2] == 'input            {"kind": "nightly", "n": 1}'  # 15 + 2 + 27
    assert lines(schedule_view(one, NOW, 43), 43)[-5:] == [
        "input            {",
        '                   "kind": "nightly",',
        '                   "n": 1',
        "                 }",
        "retries          185 retries within 86400 s",
    ]


def test_slots_skip_the_spring_forward_gap_and_fire_once_in_the_repeated_hour() -> None:
    start = datetime(2027, 3, 27, tzinfo=UTC)
    spring = slots("cron(30 2 * * ? *)", 3, timezone="Europe/Paris", start=start, now=NOW)
    assert spring == [  # 28 March 2027 has no 02:30 in Paris
        datetime(2027, 3, 27, 1, 30, tzinfo=UTC),
        datetime(2027, 3, 29, 0, 30, tzinfo=UTC),
        datetime(2027, 3, 30, 0, 30, tzinfo=UTC),
    ]
    autumn = slots("cron(30 2 * * ? *)", 2, timezone="Europe/Paris", start=datetime(2027, 10, 30, 12, tzinfo=UTC), now=NOW)
    assert autumn == [datetime(2027, 10, 31, 0, 30, tzinfo=UTC), datetime(2027, 11, 1, 1, 30, tzinfo=UTC)]


def test_slots_of_a_rate_count_from_the_start_inclusive_else_from_now_as_a_new_schedule() -> None:
    start = datetime(2026, 7, 1, 8, tzinfo=UTC)
    assert slots("rate(90 minutes)", 2, timezone=None, start=start, now=NOW) == [start, start + timedelta(minutes=90)]
    assert slots("rate(1 day)", 1, timezone=None, start=None, now=NOW) == [NOW + timedelta(days=1)]


def test_slots_of_an_at_are_its_one_time_in_the_zone_or_none() -> None:
    assert slots("at(2030-01-01T00:00:00)", 5, timezone="Asia/Tokyo", start=None, now=NOW) == [
        datetime(2029, 12, 31, 15, tzinfo=UTC)
    ]
    assert slots("at(2026-01-01T00:00:00)", 5, timezone=None, start=None, now=NOW) == []
    # At or after a start (it ignores StartDate only as a bound of recurrence).
    assert slots("at(2026-01-01T00:00:00)", 5, timezone=None, start=datetime(2026, 1, 1, tzinfo=UTC), now=NOW) == [
        datetime(2026, 1, 1, tzinfo=UTC)
    ]


def test_slots_refuse_what_scheduler_refuses() -> None:
    with pytest.raises(InvalidScheduleExpression) as invalid:
        slots("rate(1 minutes)", 1, timezone=None, start=None, now=NOW)
    assert invalid.value.aws_message == "Invalid Schedule Expression rate(1 minutes)."
    with pytest.raises(InvalidTimezone):
        slots("rate(1 minute)", 1, timezone="Mars/Olympus", start=None, now=NOW)


def test_slots_table_shows_the_zone_only_when_it_is_not_utc() -> None:
    found = [datetime(2027, 3, 27, 1, 30, tzinfo=UTC)]
    assert rows(slots_table(found, "Europe/Paris", 200)) == [["1", "2027-03-27T01:30:00Z", "2027-03-27T02:30:00+01:00 CET"]]
    assert rows(slots_table(found, None, 200)) == rows(slots_table(found, "UTC", 200)) == [["1", "2027-03-27T01:30:00Z"]]


def run_next(*args: str) -> Any:
    return CliRunner().invoke(schedules_app, ["next", *args])


def test_next_reads_a_start_without_offset_in_the_zone() -> None:
    ran = run_next("cron(0 9 ? * MON *)", "--timezone", "America/New_York", "--start", "2027-01-04T09:00", "--count", "2")
    assert ran.exit_code == 0, ran.stderr
    assert [row.split("│")[1:3] for row in ran.stdout.splitlines() if row.startswith("│")] == [
        [" 1    ", " 2027-01-04T14:00:00Z "],
        [" 2    ", " 2027-01-11T14:00:00Z "],
    ]


def test_next_refuses_with_awss_message_and_the_reason() -> None:
    ran = run_next("rate(1 minutes)")
    assert (ran.exit_code, ran.stdout) == (1, "")
    assert ran.stderr.splitlines() == [
        "ValidationException: Invalid Schedule Expression rate(1 minutes).",
        "the unit is singular when the value is 1 and plural otherwise",
    ]
    zone = run_next("rate(1 minute)", "--timezone", "Mars/Olympus")
    assert (zone.exit_code, zone.stderr) == (1, "ValidationException: Invalid time zone Mars/Olympus.\n")
    start = run_next("rate(1 minute)", "--start", "soon")
    assert (start.exit_code, start.stderr) == (1, "error: --start: Invalid isoformat string: 'soon'\n")


def test_next_of_a_spent_schedule_says_so_and_succeeds() -> None:
    ran = run_next("cron(0 0 * * ? 2020)")
    assert (ran.exit_code, ran.stdout) == (0, "")
    assert ran.stderr == "no slots: an at() already past, or a cron whose years are spent\n"
