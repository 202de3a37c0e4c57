"""``lambent schedules`` as a user runs it, against a real server, with the ``lambent`` profile that
server wrote: a group and schedules made with boto3's ``scheduler`` client (a role Scheduler may
assume as their target's), then listed and described by the CLI, and expressions' slots printed by
``next``; output and exit status asserted. Every schedule starts days ahead (or is disabled), so
none fires while the test runs and each one's next slot is known."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.fixtures.cli import lambent, table_rows
from tests.fixtures.server import ADMINISTRATOR_ACCESS, Server

ACCOUNT = "000000000000"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders"
DLQ = f"arn:aws:sqs:us-east-1:{ACCOUNT}:scheduler-dlq"
SCHEDULER_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
#: Midnight UTC three days ahead: every recurring schedule here starts then.
DAY = datetime.now(UTC).date() + timedelta(days=3)
START = datetime.combine(DAY, time(), UTC)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("cli-schedules") / "data").start()
    try:
        role = server.ensure_role("scheduler-invoker", ADMINISTRATOR_ACCESS, trust=SCHEDULER_TRUST)
        scheduler = server.client("scheduler")
        scheduler.create_schedule_group(Name="team")
        scheduler.create_schedule(
            Name="nightly",
            GroupName="team",
            ScheduleExpression="cron(0 2 * * ? *)",
            ScheduleExpressionTimezone="Europe/Paris",
            StartDate=START,
            FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
            Description="at two, Paris time",
            Target={
                "Arn": FUNCTION + ":live",
                "RoleArn": role,
                "Input": json.dumps({"slot": "<aws.scheduler.scheduled-time>"}),
                "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600},
                "DeadLetterConfig": {"Arn": DLQ},
            },
        )
        scheduler.create_schedule(
            Name="every-two-hours",
            GroupName="team",
            ScheduleExpression="rate(2 hours)",
            StartDate=START + timedelta(minutes=90),
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": FUNCTION, "RoleArn": role},
        )
        scheduler.create_schedule(
            Name="paused",
            ScheduleExpression="rate(5 minutes)",
            State="DISABLED",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": FUNCTION, "RoleArn": role},
        )
        yield server
    finally:
        server.stop()


def nightly_slot() -> datetime:
    """02:00 on DAY as Paris's clocks show it: the first slot at or after START (midnight UTC)."""
    return datetime.combine(DAY, time(2), ZoneInfo("Europe/Paris")).astimezone(UTC)


def test_ls_lists_the_groups_with_their_schedule_counts(server: Server) -> None:
    ran = lambent(server, "schedules", "ls")
    assert ran.returncode == 0, ran.stderr
    listed = {row[0]: row for row in table_rows(ran.stdout)}
    assert set(listed) == {"default", "team"}
    assert (listed["default"][1], listed["team"][1]) == ("1", "2")
    assert listed["team"][2].endswith("Z")


def test_ls_with_a_group_lists_its_schedules_and_their_computed_next_slots(server: Server) -> None:
    ran = lambent(server, "schedules", "ls", "--group", "team")
    assert ran.returncode == 0, ran.stderr
    assert "next (computed)" in ran.stdout
    assert table_rows(ran.stdout) == [
        ["every-two-hours", "team", "ENABLED", "rate(2 hours)", "orders", iso(START + timedelta(minutes=90))],
        ["nightly", "team", "ENABLED", "cron(0 2 * * ? *) Europe/Paris", "orders:live", iso(nightly_slot())],
    ]


def test_ls_all_lists_every_groups_schedules(server: Server) -> None:
    ran = lambent(server, "schedules", "ls", "--all")
    assert ran.returncode == 0, ran.stderr
    assert [row[:3] for row in table_rows(ran.stdout)] == [
        ["paused", "default", "DISABLED"],
        ["every-two-hours", "team", "ENABLED"],
        ["nightly", "team", "ENABLED"],
    ]
    assert table_rows(ran.stdout)[0][5] == ""  # a disabled schedule fires at no time
    both = lambent(server, "schedules", "ls", "--all", "--group", "team")
    assert (both.returncode, both.stderr.strip()) == (1, "error: --group and --all do not go together")


def test_ls_of_a_missing_group_says_so_and_fails(server: Server) -> None:
    ran = lambent(server, "schedules", "ls", "--group", "nope")
    assert (ran.returncode, ran.stdout) == (1, "")
    assert ran.stderr.strip() == "ResourceNotFoundException: Schedule group nope does not exist."


def test_describe_shows_the_settings_the_next_slot_and_the_target(server: Server) -> None:
    ran = lambent(server, "schedules", "describe", "nightly", "--group", "team")
    assert ran.returncode == 0, ran.stderr
    lines = [line.rstrip() for line in ran.stdout.splitlines()]
    slot = nightly_slot()
    paris = slot.astimezone(ZoneInfo("Europe/Paris"))
    assert lines[:9] == [
        "schedule         nightly",
        f"arn              arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule/team/nightly",
        "group            team",
        "state            ENABLED",
        "expression       cron(0 2 * * ? *)",
        "time zone        Europe/Paris",
        f"starts           {iso(START)}",
        "window           FLEXIBLE, up to 15 minutes",
        "description      at two, Paris time",
    ]
    assert f"next (computed)  {iso(slot)} ({paris.isoformat()} {paris.tzname()})" in lines
    invoked = next(line for line in lines if line.startswith("invoked at")).split()[2]
    at = datetime.strptime(invoked, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert slot <= at < slot + timedelta(minutes=15), "within its FLEXIBLE window"
    assert lines[lines.index("target") :] == [
        "target",
        f"arn              {FUNCTION}:live",
        f"role             arn:aws:iam::{ACCOUNT}:role/scheduler-invoker",
        'input            {"slot": "<aws.scheduler.scheduled-time>"}',
        "retries          3 retries within 600 s",
        f"dead letters to  {DLQ}",
    ]


def test_describe_a_schedule_not_in_the_group_fails_with_awss_answer(server: Server) -> None:
    ran = lambent(server, "schedules", "describe", "nightly")
    assert (ran.returncode, ran.stdout) == (1, "")
    assert ran.stderr.strip() == "ResourceNotFoundException: Schedule nightly does not exist."


def test_next_prints_slots_in_utc_and_in_the_zone_across_a_dst_change(server: Server) -> None:
    # Paris springs forward on 28 March 2027: there is no 02:30 that night.
    ran = lambent(
        server, "schedules", "next", "cron(30 2 * * ? *)", "--timezone", "Europe/Paris", "--start", "2027-03-27", "--count", "3"
    )
    assert (ran.returncode, ran.stderr) == (0, "")
    assert table_rows(ran.stdout) == [
        ["1", "2027-03-27T01:30:00Z", "2027-03-27T02:30:00+01:00 CET"],
        ["2", "2027-03-29T00:30:00Z", "2027-03-29T02:30:00+02:00 CEST"],
        ["3", "2027-03-30T00:30:00Z", "2027-03-30T02:30:00+02:00 CEST"],
    ]


def test_next_refuses_an_invalid_expression_in_awss_words(server: Server) -> None:
    ran = lambent(server, "schedules", "next", "cron(0 2 * * * *)")
    assert (ran.returncode, ran.stdout) == (1, "")
    assert ran.stderr.splitlines() == [
        "ValidationException: Invalid Schedule Expression cron(0 2 * * * *).",
        "exactly one of day-of-month and day-of-week must be ?",
    ]
    # The server refuses it in the same words.
    scheduler = server.client("scheduler")
    with pytest.raises(scheduler.exceptions.ValidationException) as refused:
        scheduler.create_schedule(
            Name="bad",
            ScheduleExpression="cron(0 2 * * * *)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": FUNCTION, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/scheduler-invoker"},
        )
    assert refused.value.response["Error"]["Message"] == ran.stderr.splitlines()[0].split(": ", 1)[1]
