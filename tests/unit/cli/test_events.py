"""`lambent events`' views of buses, rules and targets, as the events API answers them: every
value shown whole, a table where it fits and blocks where it does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from lambent.cli.events import buses_table, rule_view, rules_table
from tests.fixtures.cli import lines, text

RULE_ARN = "arn:aws:events:us-east-1:000000000000:rule/orders/placed"
FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:orders"


def test_buses_with_their_rule_counts_and_utc_creation_times() -> None:
    buses = [
        {"Name": "default", "CreationTime": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)},
        {
            "Name": "orders",
            "Description": "order events",
            "CreationTime": datetime(2026, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2))),
        },
    ]
    shown = text(buses_table(buses, {"orders": 12}, 200))
    assert "│ default │     0 │ 2026-01-02T03:04:05Z │              │" in shown
    assert "│ orders  │    12 │ 2026-01-02T03:04:05Z │ order events │" in shown


def test_rules_show_state_targets_and_the_pattern_on_one_line_or_the_schedule() -> None:
    rules: list[dict[str, Any]] = [
        {
            "Name": "placed",
            "State": "ENABLED",
            "EventPattern": '{\n  "source": ["shop"],\n  "detail": {"total": [{"numeric": [">", 100]}]}\n}',
        },
        {"Name": "tick", "State": "DISABLED", "ScheduleExpression": "rate(5 minutes)"},
    ]
    shown = lines(rules_table(rules, {"placed": 2}, 200))
    assert '│ placed │ ENABLED  │       2 │ {"source":["shop"],"detail":{"total":[{"numeric":[">",100]}]}} │' in shown
    assert "│ tick   │ DISABLED │       0 │ rate(5 minutes)" in shown[4]


def test_a_narrow_terminal_gets_one_block_per_rule_nothing_cut() -> None:
    pattern = '{"source":["a-rather-long-source-name"],"detail-type":["Something Happened"]}'
    shown = lines(rules_table([{"Name": "placed", "State": "ENABLED", "EventPattern": pattern}], {"placed": 1}, 60), 60)
    assert shown == [
        "rule placed",
        "  state              ENABLED",
        "  targets" + " " * 50 + "1",
        '  pattern / schedule {"source":["a-rather-long-source-name"]',
        '                     ,"detail-type":["Something Happened"]}',
    ]


def test_describe_shows_the_rule_then_each_target_with_what_it_sends() -> None:
    rule = {
        "Name": "placed",
        "Arn": RULE_ARN,
        "EventBusName": "orders",
        "State": "ENABLED",
        "EventPattern": '{"source":["shop"]}',
        "Description": "[/x] big orders",
        "CreatedBy": "000000000000",
    }
    targets = [
        {"Id": "all", "Arn": FUNCTION},
        {
            "Id": "cut",
            "Arn": FUNCTION + ":live",
            "InputPath": "$.detail",
            "RetryPolicy": {"MaximumRetryAttempts": 3},
            "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:000000000000:dlq"},
        },
        {"Id": "fixed", "Arn": FUNCTION, "Input": '{"k":1}', "RetryPolicy": {"MaximumEventAgeInSeconds": 60}},
    ]
    shown = lines(rule_view(rule, targets, 250), 250)
    assert shown[:8] == [
        "rule         placed",
        f"arn          {RULE_ARN}",
        "bus          orders",
        "state        ENABLED",
        'pattern      {"source": ["shop"]}',
        "description  [/x] big orders",
        "created by   000000000000",
        "",
    ]
    assert shown[8] == "targets (3)"
    body = "\n".join(shown[9:])
    assert f"│ all    │ {FUNCTION}      │ the matched event │ 185 retries within 86400 s │" in body
    assert (
        f"│ cut    │ {FUNCTION}:live │ path $.detail     │ 3 retries within 86400 s   │ arn:aws:sqs:us-east-1:000000000000:dlq │"
        in body
    )
    assert "│ fixed  │ " + FUNCTION + '      │ constant {"k":1}  │ 185 retries within 60 s    │' in body


def test_describe_a_scheduled_rule_without_targets() -> None:
    rule = {
        "Name": "tick",
        "Arn": "arn:aws:events:us-east-1:000000000000:rule/tick",
        "State": "DISABLED",
        "ScheduleExpression": "cron(0 12 * * ? *)",
    }
    assert lines(rule_view(rule, [], 120), 120) == [
        "rule      tick",
        "arn       arn:aws:events:us-east-1:000000000000:rule/tick",
        "bus       default",
        "state     DISABLED",
        "schedule  cron(0 12 * * ? *)",
        "",
        "no targets",
    ]


def test_a_pattern_too_wide_for_one_line_is_indented() -> None:
    rule = {"Name": "r", "Arn": "arn:r", "State": "ENABLED", "EventPattern": '{"source":["shop"]}'}
    assert lines(rule_view(rule, [], 29), 29)[4] == 'pattern  {"source": ["shop"]}'  # 29 columns
    assert lines(rule_view(rule, [], 28), 28)[4:9] == [
        "pattern  {",
        '           "source": [',
        '             "shop"',
        "           ]",
        "         }",
    ]
