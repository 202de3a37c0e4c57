"""The CloudWatch Logs API through boto3's ``logs`` client, the AWS CLI (v1 from the venv, and
Debian's v2 for ``aws logs tail --follow``) and ``lambent logs``, against the session's real
server: log groups, streams and retention with AWS's refusals, PutLogEvents and GetLogEvents with
their tokens, and FilterLogEvents with filter patterns over the lines real invocations wrote."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import time
from typing import Any

import pytest

from tests.fixtures.cli import aws, lambent
from tests.fixtures.server import Server, create

#: AWS CLI v2 (Debian's ``awscli``): v1 has no ``logs tail``.
AWS_V2 = "/usr/bin/aws"

LOGGER = """
import json

def handler(event, context):
    for i, line in enumerate(event["lines"]):
        print(line if isinstance(line, str) else json.dumps(line))
    return len(event["lines"])
"""


def error(raised: pytest.ExceptionInfo[Any]) -> tuple[str, str]:
    body = raised.value.response["Error"]
    return body["Code"], body["Message"]


@pytest.fixture(scope="module")
def logs(server: Server) -> Any:
    return server.client("logs")


def invoke_lines(lam: Any, name: str, lines: list[Any]) -> None:
    answer = lam.invoke(FunctionName=name, Payload=json.dumps({"lines": lines}))
    assert "FunctionError" not in answer and json.loads(answer["Payload"].read()) == len(lines)


def all_events(logs: Any, **params: Any) -> list[dict[str, Any]]:
    """Every page of a FilterLogEvents search, followed by its nextToken."""
    found: list[dict[str, Any]] = []
    while True:
        page = logs.filter_log_events(**params)
        found += page["events"]
        if "nextToken" not in page:
            return found
        params["nextToken"] = page["nextToken"]


def test_log_groups_are_created_described_paged_and_deleted(logs: Any) -> None:
    for name in ("/app/orders", "/app/payments", "/app/shipping", "/other/Orders"):
        logs.create_log_group(logGroupName=name)
    with pytest.raises(logs.exceptions.ResourceAlreadyExistsException) as raised:
        logs.create_log_group(logGroupName="/app/orders")
    assert error(raised) == ("ResourceAlreadyExistsException", "The specified log group already exists")

    first = logs.describe_log_groups(logGroupNamePrefix="/app/", limit=2)
    assert [g["logGroupName"] for g in first["logGroups"]] == ["/app/orders", "/app/payments"]
    rest = logs.describe_log_groups(logGroupNamePrefix="/app/", limit=2, nextToken=first["nextToken"])
    assert [g["logGroupName"] for g in rest["logGroups"]] == ["/app/shipping"] and "nextToken" not in rest
    group = first["logGroups"][0]
    assert group["arn"] == "arn:aws:logs:us-east-1:000000000000:log-group:/app/orders:*"
    assert group["logGroupArn"] == group["arn"][:-2] and group["storedBytes"] == 0 and group["logGroupClass"] == "STANDARD"
    assert "retentionInDays" not in group
    by_pattern = logs.describe_log_groups(logGroupNamePattern="Orders")["logGroups"]
    assert [g["logGroupName"] for g in by_pattern] == ["/other/Orders"]  # case-sensitive

    logs.delete_log_group(logGroupName="/app/payments")
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as raised:
        logs.delete_log_group(logGroupName="/app/payments")
    assert error(raised) == ("ResourceNotFoundException", "The specified log group does not exist.")


def test_retention_is_set_shown_refused_outside_cloudwatchs_values_and_removed(logs: Any) -> None:
    logs.create_log_group(logGroupName="/retained")
    logs.put_retention_policy(logGroupName="/retained", retentionInDays=14)
    (group,) = logs.describe_log_groups(logGroupNamePrefix="/retained")["logGroups"]
    assert group["retentionInDays"] == 14
    with pytest.raises(logs.exceptions.InvalidParameterException) as raised:
        logs.put_retention_policy(logGroupName="/retained", retentionInDays=2)
    assert error(raised)[1].startswith(
        "1 validation error detected: Value '2' at 'retentionInDays' failed to satisfy constraint: "
        "Member must satisfy enum value set: [1, 3, 5, 7, 14, 30,"
    )
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.put_retention_policy(logGroupName="/not-there", retentionInDays=1)
    logs.delete_retention_policy(logGroupName="/retained")
    (group,) = logs.describe_log_groups(logGroupNamePrefix="/retained")["logGroups"]
    assert "retentionInDays" not in group


def test_bad_input_gets_invalid_parameter_and_changes_nothing(logs: Any) -> None:
    with pytest.raises(logs.exceptions.InvalidParameterException) as raised:
        logs.create_log_group(logGroupName="bad name!")
    assert "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+" in error(raised)[1]
    assert logs.describe_log_groups(logGroupNamePrefix="bad")["logGroups"] == []
    logs.create_log_group(logGroupName="/input")
    with pytest.raises(logs.exceptions.InvalidParameterException) as raised:
        logs.describe_log_streams(logGroupName="/input", orderBy="LastEventTime", logStreamNamePrefix="a")
    assert error(raised)[1] == "Cannot order by LastEventTime with a logStreamNamePrefix."
    with pytest.raises(logs.exceptions.InvalidParameterException) as raised:
        logs.filter_log_events(logGroupName="/input", nextToken="not-a-token")
    assert error(raised)[1] == "The specified nextToken is invalid."
    with pytest.raises(logs.exceptions.InvalidParameterException) as raised:
        logs.filter_log_events(logGroupName="/input", filterPattern='{ $.level = "ERROR"')
    assert error(raised)[1].startswith("Invalid filter pattern")
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.filter_log_events(logGroupName="/never-made")


def test_put_log_events_and_get_log_events_page_both_ways_with_their_tokens(logs: Any) -> None:
    logs.create_log_group(logGroupName="/events")
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as raised:
        logs.put_log_events(logGroupName="/events", logStreamName="s", logEvents=[{"timestamp": 1, "message": "x"}])
    assert error(raised)[1] == "The specified log stream does not exist."
    logs.create_log_stream(logGroupName="/events", logStreamName="s")
    with pytest.raises(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName="/events", logStreamName="s")
    now = int(time.time() * 1000)
    old = now - 15 * 86_400_000
    put = logs.put_log_events(
        logGroupName="/events",
        logStreamName="s",
        logEvents=[{"timestamp": old, "message": "too old"}, {"timestamp": old + 1, "message": "too old too"}],
    )
    assert put["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 2}
    put = logs.put_log_events(
        logGroupName="/events", logStreamName="s", logEvents=[{"timestamp": now + i, "message": f"line {i}"} for i in range(7)]
    )
    assert "rejectedLogEventsInfo" not in put
    with pytest.raises(logs.exceptions.InvalidParameterException) as raised:
        logs.put_log_events(
            logGroupName="/events",
            logStreamName="s",
            logEvents=[{"timestamp": old, "message": "a"}, {"timestamp": now, "message": "b"}],
        )
    assert error(raised)[1] == "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
    with pytest.raises(logs.exceptions.InvalidParameterException) as raised:
        logs.put_log_events(
            logGroupName="/events",
            logStreamName="s",
            logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}],
        )
    assert error(raised)[1] == "Log events in a single PutLogEvents request must be in chronological order."

    latest = logs.get_log_events(logGroupName="/events", logStreamName="s", limit=3)  # from the end, as AWS does
    assert [e["message"] for e in latest["events"]] == ["line 4", "line 5", "line 6"]
    back = logs.get_log_events(logGroupName="/events", logStreamName="s", limit=3, nextToken=latest["nextBackwardToken"])
    assert [e["message"] for e in back["events"]] == ["line 1", "line 2", "line 3"]
    head = logs.get_log_events(logGroupName="/events", logStreamName="s", limit=4, startFromHead=True)
    assert [e["message"] for e in head["events"]] == ["line 0", "line 1", "line 2", "line 3"]
    ahead = logs.get_log_events(logGroupName="/events", logStreamName="s", nextToken=head["nextForwardToken"])
    assert [e["message"] for e in ahead["events"]] == ["line 4", "line 5", "line 6"]
    end = logs.get_log_events(logGroupName="/events", logStreamName="s", nextToken=ahead["nextForwardToken"])
    assert end["events"] == [] and end["nextForwardToken"] == ahead["nextForwardToken"]  # the end: the same token

    (stream,) = logs.describe_log_streams(logGroupName="/events")["logStreams"]
    assert (stream["firstEventTimestamp"], stream["lastEventTimestamp"]) == (now, now + 6)
    (group,) = logs.describe_log_groups(logGroupNamePrefix="/events")["logGroups"]
    assert group["storedBytes"] == 7 * len("line 0")
    logs.delete_log_stream(logGroupName="/events", logStreamName="s")
    assert logs.describe_log_streams(logGroupName="/events")["logStreams"] == []


def test_filter_patterns_find_exactly_the_lines_invocations_wrote(server: Server, lam: Any, logs: Any, fn_name: str) -> None:
    create(lam, fn_name, LOGGER)
    invoke_lines(lam, fn_name, ["ERROR disk full", "INFO all fine", {"level": "ERROR", "latency": 250, "path": "/a"}])
    invoke_lines(lam, fn_name, [{"level": "ERROR", "latency": 50}, {"level": "INFO", "latency": 900}, "WARN slow disk"])
    invoke_lines(lam, fn_name, ["ERROR: Exiting now", "ERROR timeout"])
    group = f"/aws/lambda/{fn_name}"

    def messages(pattern: str) -> list[str]:
        return [e["message"] for e in all_events(logs, logGroupName=group, filterPattern=pattern)]

    erroring = ["ERROR disk full", '{"level": "ERROR", "latency": 250, "path": "/a"}', '{"level": "ERROR", "latency": 50}']
    assert messages("ERROR -Exiting") == [*erroring, "ERROR timeout"]  # a term matches a JSON event's text too
    assert messages('"ERROR:"') == ["ERROR: Exiting now"]
    assert messages("?WARN ?disk") == ["ERROR disk full", "WARN slow disk"]
    assert [json.loads(m) for m in messages('{ $.level = "ERROR" && $.latency > 100 }')] == [
        {"level": "ERROR", "latency": 250, "path": "/a"}
    ]
    assert len(messages("{ $.latency >= 50 }")) == 3
    assert len(messages("START RequestId")) == 3 and len(messages("REPORT")) == 3  # the platform's lines too
    every = all_events(logs, logGroupName=group)
    paged = all_events(logs, logGroupName=group, limit=2)
    assert [e["eventId"] for e in paged] == [e["eventId"] for e in every] and len({e["eventId"] for e in every}) == len(every)
    assert len(every) == 1 + 8 + 3 * 3  # INIT_START, the function's lines, and START, END, REPORT per invocation

    cli = json.loads(
        aws(server, "logs", "filter-log-events", "--log-group-name", group, "--filter-pattern", "ERROR -Exiting").stdout
    )
    assert [e["message"] for e in cli["events"]] == [*erroring, "ERROR timeout"]
    printed = lambent(server, "logs", fn_name, "--filter", '{ $.level = "INFO" }')
    assert printed.returncode == 0, printed.stderr
    assert [json.loads(line) for line in printed.stdout.splitlines()] == [{"level": "INFO", "latency": 900}]


@pytest.mark.skipif(
    not shutil.which(AWS_V2) or not os.access(AWS_V2, os.X_OK), reason="AWS CLI v2 (Debian's awscli) is not installed"
)
def test_aws_logs_tail_follow_shows_a_new_invocations_line(server: Server, lam: Any, fn_name: str) -> None:
    create(lam, fn_name, LOGGER)
    invoke_lines(lam, fn_name, ["before the tail"])
    tail = subprocess.Popen(
        [AWS_V2, "logs", "tail", f"/aws/lambda/{fn_name}", "--follow", "--format", "short", "--endpoint-url", server.endpoint],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=server.cli_env(),
        start_new_session=True,
    )
    try:
        seen = read_until(tail, "before the tail", 30)
        invoke_lines(lam, fn_name, ["a line for the tail"])
        seen += read_until(tail, "a line for the tail", 30)  # the CLI polls every 5 s
        assert seen.count("before the tail") == 1 and seen.count("a line for the tail") == 1
    finally:
        os.killpg(tail.pid, signal.SIGTERM)
        tail.wait(10)


def read_until(process: subprocess.Popen[bytes], text: str, timeout_s: float) -> str:
    assert process.stdout is not None
    out = b""
    deadline = time.monotonic() + timeout_s
    while text.encode() not in out:
        left = deadline - time.monotonic()
        assert left > 0, f"never printed {text!r}: {out.decode()!r}"
        ready, _, _ = select.select([process.stdout], [], [], left)
        if ready:
            chunk = os.read(process.stdout.fileno(), 65536)
            assert chunk, f"the tail ended: {process.stderr.read().decode() if process.stderr else ''}"
            out += chunk
    return out.decode()
