"""``lambent events`` as a user runs it, against a real server, with the ``lambent`` profile that
server wrote: buses and rules made with boto3's ``events`` client, then listed, described and
their patterns tested by the CLI, output and exit status asserted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.cli import lambent, table_rows
from tests.fixtures.server import Server

ACCOUNT = "000000000000"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders"
PATTERN = {"source": ["shop"], "detail": {"total": [{"numeric": [">", 100]}]}}
EVENT = {
    "id": "1",
    "account": ACCOUNT,
    "source": "shop",
    "time": "2026-01-01T00:00:00Z",
    "region": "us-east-1",
    "detail-type": "OrderPlaced",
    "detail": {"total": 250},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("cli-events") / "data").start()
    try:
        events = server.client("events")
        events.create_event_bus(Name="shop", Description="order events")
        events.put_rule(Name="big-orders", EventBusName="shop", EventPattern=json.dumps(PATTERN), Description="over 100")
        events.put_targets(
            Rule="big-orders",
            EventBusName="shop",
            Targets=[
                {"Id": "all", "Arn": FUNCTION},
                {"Id": "detail", "Arn": FUNCTION + ":live", "InputPath": "$.detail", "RetryPolicy": {"MaximumRetryAttempts": 3}},
            ],
        )
        events.put_rule(Name="nightly", ScheduleExpression="cron(0 2 * * ? *)", State="DISABLED")
        yield server
    finally:
        server.stop()


def test_ls_lists_the_buses_with_their_rule_counts(server: Server) -> None:
    ran = lambent(server, "events", "ls")
    assert ran.returncode == 0, ran.stderr
    listed = {row[0]: row for row in table_rows(ran.stdout)}
    assert set(listed) == {"default", "shop"}
    assert listed["default"][1] == "1"
    assert (listed["shop"][1], listed["shop"][3]) == ("1", "order events")
    assert listed["shop"][2].endswith("Z")


def test_ls_with_a_bus_lists_its_rules_state_pattern_and_target_count(server: Server) -> None:
    ran = lambent(server, "events", "ls", "--bus", "shop")
    assert ran.returncode == 0, ran.stderr
    assert table_rows(ran.stdout) == [["big-orders", "ENABLED", "2", json.dumps(PATTERN, separators=(",", ":"))]]
    default = lambent(server, "events", "ls", "--bus", f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default")
    assert table_rows(default.stdout) == [["nightly", "DISABLED", "0", "cron(0 2 * * ? *)"]]


def test_ls_of_a_missing_bus_says_so_and_fails(server: Server) -> None:
    ran = lambent(server, "events", "ls", "--bus", "nope")
    assert ran.returncode == 1
    assert ran.stdout == ""
    assert ran.stderr.strip() == "ResourceNotFoundException: Event bus nope does not exist."


def test_describe_shows_the_rule_and_its_targets(server: Server) -> None:
    ran = lambent(server, "events", "describe", "big-orders", "--bus", "shop")
    assert ran.returncode == 0, ran.stderr
    lines = [line.rstrip() for line in ran.stdout.splitlines()]
    assert lines[:4] == [
        "rule         big-orders",
        f"arn          arn:aws:events:us-east-1:{ACCOUNT}:rule/shop/big-orders",
        "bus          shop",
        "state        ENABLED",
    ]
    assert lines[4:6] == ["pattern      " + json.dumps(PATTERN), "description  over 100"]
    assert f"created by   {ACCOUNT}" in lines
    assert "targets (2)" in lines
    assert table_rows(ran.stdout) == [
        ["all", FUNCTION, "the matched event", "185 retries within 86400 s", ""],
        ["detail", FUNCTION + ":live", "path $.detail", "3 retries within 86400 s", ""],
    ]


def test_describe_a_rule_not_on_the_bus_fails_with_awss_answer(server: Server) -> None:
    ran = lambent(server, "events", "describe", "big-orders")
    assert ran.returncode == 1
    assert ran.stderr.strip() == "ResourceNotFoundException: Rule big-orders does not exist on EventBus default."


def test_test_pattern_prints_matched_or_not_and_exits_0_either_way(server: Server, tmp_path: Path) -> None:
    matched = lambent(server, "events", "test-pattern", json.dumps(PATTERN), json.dumps(EVENT))
    assert (matched.returncode, matched.stdout, matched.stderr) == (0, "matched\n", "")
    (tmp_path / "pattern.json").write_text(json.dumps(PATTERN, indent=2))
    (tmp_path / "event.json").write_text(json.dumps({**EVENT, "detail": {"total": 99}}))
    missed = lambent(server, "events", "test-pattern", f"@{tmp_path / 'pattern.json'}", f"@{tmp_path / 'event.json'}")
    assert (missed.returncode, missed.stdout, missed.stderr) == (0, "not matched\n", "")


def test_test_pattern_fails_on_what_the_server_refuses(server: Server, tmp_path: Path) -> None:
    bad_pattern = lambent(server, "events", "test-pattern", '{"source": "shop"}', json.dumps(EVENT))
    assert bad_pattern.returncode == 1 and bad_pattern.stdout == ""
    assert bad_pattern.stderr.startswith("InvalidEventPatternException: Event pattern is not valid. Reason: ")
    bare = lambent(server, "events", "test-pattern", json.dumps(PATTERN), '{"source": "shop"}')
    assert bare.returncode == 1
    assert bare.stderr.splitlines() == [
        "ValidationException: Parameter Event is not valid.",
        "an event needs the members id, account, source, time, region, detail-type",
    ]
    missing = lambent(server, "events", "test-pattern", f"@{tmp_path / 'none.json'}", json.dumps(EVENT))
    assert missing.returncode == 1
    assert "No such file or directory" in missing.stderr
