"""EventBridge Scheduler through boto3's ``scheduler`` client against a real server: schedules and
groups with AWS's refusals, at() and rate() schedules firing on their slots with the context
attributes in their input, a slot fired exactly once across a SIGKILL and restart, a refused
target dead-lettered (moto's SQS server, a stand-in), and EventBridge rules' schedules."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.fixtures.records import records
from tests.fixtures.server import ADMINISTRATOR_ACCESS, Server, create
from tests.fixtures.sqs import receive, server_with_sqs, sqs_client

ACCOUNT = "000000000000"
REGION = "us-east-1"
SCHEDULER_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
#: Logs each event with the time it started, to compare with the slot it was for.
CLOCKED = (
    "import json, time\ndef handler(event, context):\n    print('RECORD ' + json.dumps({'at': time.time(), 'event': event}))\n"
)
INPUT = json.dumps(
    {
        "arn": "<aws.scheduler.schedule-arn>",
        "slot": "<aws.scheduler.scheduled-time>",
        "execution": "<aws.scheduler.execution-id>",
        "attempt": "<aws.scheduler.attempt-number>",
    }
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    with server_with_sqs(tmp_path_factory.mktemp("schedules") / "data") as served:
        yield served


@pytest.fixture(scope="module")
def server(served: tuple[Server, str]) -> Server:
    return served[0]


@pytest.fixture(scope="module")
def invoker(server: Server) -> str:
    return server.ensure_role("scheduler-invoker", ADMINISTRATOR_ACCESS, trust=SCHEDULER_TRUST)


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def error(raised: pytest.ExceptionInfo[Any]) -> tuple[str, str, int]:
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def slot_of(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def test_schedules_and_groups_with_awss_refusals(server: Server, invoker: str) -> None:
    scheduler = server.client("scheduler")
    create(server.client(), "crud-fn", CLOCKED)
    target = {"Arn": function_arn("crud-fn"), "RoleArn": invoker, "Input": "{}"}
    group = scheduler.create_schedule_group(Name="team")["ScheduleGroupArn"]
    assert group == f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/team"
    arn = scheduler.create_schedule(
        Name="nightly",
        GroupName="team",
        ScheduleExpression="cron(0 2 * * ? *)",
        ScheduleExpressionTimezone="Europe/Paris",
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
        Target=target,
        Description="at two, Paris time",
    )["ScheduleArn"]
    assert arn == f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/team/nightly"
    got = scheduler.get_schedule(Name="nightly", GroupName="team")
    assert (got["ScheduleExpression"], got["ScheduleExpressionTimezone"], got["State"]) == (
        "cron(0 2 * * ? *)",
        "Europe/Paris",
        "ENABLED",
    )
    assert got["Target"]["Arn"] == function_arn("crud-fn") and got["FlexibleTimeWindow"]["MaximumWindowInMinutes"] == 15
    listed = scheduler.list_schedules(GroupName="team")["Schedules"]
    assert [(s["Name"], s["GroupName"], s["Target"]["Arn"]) for s in listed] == [("nightly", "team", function_arn("crud-fn"))]
    scheduler.update_schedule(
        Name="nightly",
        GroupName="team",
        ScheduleExpression="rate(2 hours)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=target,
        State="DISABLED",
    )
    got = scheduler.get_schedule(Name="nightly", GroupName="team")
    assert (got["ScheduleExpression"], got["State"]) == ("rate(2 hours)", "DISABLED") and "Description" not in got

    with pytest.raises(scheduler.exceptions.ConflictException):
        scheduler.create_schedule(
            Name="nightly", GroupName="team", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"}, Target=target
        )
    with pytest.raises(scheduler.exceptions.ValidationException) as invalid:
        scheduler.create_schedule(
            Name="bad", ScheduleExpression="rate(1 minutes)", FlexibleTimeWindow={"Mode": "OFF"}, Target=target
        )
    assert error(invalid) == ("ValidationException", "Invalid Schedule Expression rate(1 minutes).", 400)
    with pytest.raises(scheduler.exceptions.ValidationException) as bad_name:
        scheduler.create_schedule(
            Name="bad name", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"}, Target=target
        )
    assert error(bad_name)[1].startswith("1 validation error detected: Value 'bad name' at 'name' failed to satisfy constraint")
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException) as missing:
        scheduler.get_schedule(Name="nope")
    assert error(missing)[0::2] == ("ResourceNotFoundException", 404)
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.create_schedule(
            Name="orphan",
            GroupName="no-group",
            ScheduleExpression="rate(1 hour)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target=target,
        )
    scheduler.delete_schedule_group(Name="team")  # and its schedules with it
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.get_schedule(Name="nightly", GroupName="team")
    assert [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]] == ["default"]


def test_an_at_schedule_fires_on_time_with_its_context_and_deletes_itself(server: Server, invoker: str) -> None:
    scheduler = server.client("scheduler")
    create(server.client(), "at-fn", CLOCKED)
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    arn = scheduler.create_schedule(
        Name="once",
        ScheduleExpression=f"at({when.strftime('%Y-%m-%dT%H:%M:%S')})",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": function_arn("at-fn"), "RoleArn": invoker, "Input": INPUT},
        ActionAfterCompletion="DELETE",
    )["ScheduleArn"]
    (got,) = records(server, "at-fn", 1, timeout_s=15)
    event = got["event"]
    assert (event["arn"], event["slot"], event["attempt"]) == (arn, when.strftime("%Y-%m-%dT%H:%M:%SZ"), "1")
    assert len(event["execution"]) == 16
    assert 0 <= got["at"] - when.timestamp() < 1.0, "started within a second of its slot"
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.get_schedule(Name="once")


def test_a_rate_schedule_fires_each_slot_once_across_a_kill_and_restart(server: Server, invoker: str) -> None:
    scheduler = server.client("scheduler")
    create(server.client(), "rate-fn", CLOCKED)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    scheduler.create_schedule(
        Name="every-minute",
        ScheduleExpression="rate(1 minute)",
        StartDate=start,
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": function_arn("rate-fn"), "RoleArn": invoker, "Input": INPUT},
    )
    (first,) = records(server, "rate-fn", 1, timeout_s=15)
    assert slot_of(first["event"]["slot"]) == start.timestamp()
    server.kill_and_restart()  # the slot was claimed: the restart must not fire it again
    time.sleep(3)
    assert len(records(server, "rate-fn", 2, timeout_s=0.5)) == 1
    fired = records(server, "rate-fn", 2, timeout_s=75)
    assert [slot_of(r["event"]["slot"]) for r in fired] == [start.timestamp(), start.timestamp() + 60]
    assert 0 <= fired[1]["at"] - (start.timestamp() + 60) < 1.0


def test_a_target_its_role_may_not_invoke_is_dead_lettered(served: tuple[Server, str]) -> None:
    server, endpoint = served
    sqs = sqs_client(endpoint)
    dlq_url = sqs.create_queue(QueueName="scheduler-dlq")["QueueUrl"]
    powerless = server.ensure_role("scheduler-powerless", trust=SCHEDULER_TRUST)
    create(server.client(), "denied-fn", CLOCKED)
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    arn = server.client("scheduler").create_schedule(
        Name="denied",
        ScheduleExpression=f"at({when.strftime('%Y-%m-%dT%H:%M:%S')})",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": function_arn("denied-fn"),
            "RoleArn": powerless,
            "Input": '{"n": 1}',
            "RetryPolicy": {"MaximumRetryAttempts": 0},
            "DeadLetterConfig": {"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:scheduler-dlq"},
        },
    )["ScheduleArn"]
    message = receive(sqs, dlq_url)
    assert json.loads(message["Body"]) == {"n": 1}
    attributes = {key: value["StringValue"] for key, value in message["MessageAttributes"].items()}
    assert (attributes["SCHEDULE_ARN"], attributes["TARGET_ARN"], attributes["ERROR_CODE"]) == (
        arn,
        function_arn("denied-fn"),
        "AccessDeniedException",
    )
    assert records(server, "denied-fn", 1, timeout_s=0.5) == []


def test_an_eventbridge_rules_schedule_sends_scheduled_events(server: Server) -> None:
    events = server.client("events")
    create(server.client(), "ticked-fn", CLOCKED)
    arn = events.put_rule(Name="every-minute", ScheduleExpression="rate(1 minute)")["RuleArn"]
    server.client().add_permission(
        FunctionName="ticked-fn",
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=arn,
    )
    events.put_targets(Rule="every-minute", Targets=[{"Id": "t", "Arn": function_arn("ticked-fn")}])
    (got,) = records(server, "ticked-fn", 1, timeout_s=75)
    event = got["event"]
    assert (event["detail-type"], event["source"], event["resources"], event["detail"]) == (
        "Scheduled Event",
        "aws.events",
        [arn],
        {},
    )
    assert 0 <= got["at"] - slot_of(event["time"]) < 1.0


def test_a_role_that_does_not_trust_scheduler_is_refused_and_passing_a_role_needs_pass_role(
    served: tuple[Server, str], invoker: str
) -> None:
    server, endpoint = served
    sqs = sqs_client(endpoint)
    dlq_url = sqs.create_queue(QueueName="untrusted-dlq")["QueueUrl"]
    lambda_only = server.ensure_role("lambda-only", ADMINISTRATOR_ACCESS)  # trusts Lambda, not Scheduler
    create(server.client(), "untrusted-fn", CLOCKED)
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    server.client("scheduler").create_schedule(
        Name="untrusted",
        ScheduleExpression=f"at({when.strftime('%Y-%m-%dT%H:%M:%S')})",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": function_arn("untrusted-fn"),
            "RoleArn": lambda_only,
            "RetryPolicy": {"MaximumRetryAttempts": 0},
            "DeadLetterConfig": {"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:untrusted-dlq"},
        },
    )
    attributes = {key: value["StringValue"] for key, value in receive(sqs, dlq_url)["MessageAttributes"].items()}
    assert (attributes["ERROR_CODE"], attributes["ERROR_MESSAGE"]) == (
        "AccessDeniedException",
        f"EventBridge Scheduler cannot assume the role {lambda_only}.",
    )
    assert records(server, "untrusted-fn", 1, timeout_s=0.5) == []

    iam = server.client("iam")
    iam.create_user(UserName="scheduler-user")
    allow_scheduler = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "scheduler:*", "Resource": "*"}]}
    iam.put_user_policy(UserName="scheduler-user", PolicyName="scheduler", PolicyDocument=json.dumps(allow_scheduler))
    key = iam.create_access_key(UserName="scheduler-user")["AccessKey"]
    as_user = server.client("scheduler", credentials=(key["AccessKeyId"], key["SecretAccessKey"]))
    target = {"Arn": function_arn("untrusted-fn"), "RoleArn": invoker}
    with pytest.raises(as_user.exceptions.ClientError) as refused:
        as_user.create_schedule(
            Name="passed", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"}, Target=target
        )
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "iam:PassRole" in refused.value.response["Error"]["Message"]
    allow_pass = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": invoker}]}
    iam.put_user_policy(UserName="scheduler-user", PolicyName="pass", PolicyDocument=json.dumps(allow_pass))
    as_user.create_schedule(Name="passed", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"}, Target=target)
