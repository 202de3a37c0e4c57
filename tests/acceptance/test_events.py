"""EventBridge through boto3's ``events`` client and the AWS CLI against a real server: buses,
rules and targets with AWS's refusals, PutEvents delivering the exact envelope (or the
transformed input) to the matched rule's function, partial failures, retries of a refused
delivery and its dead letter on an SQS queue (moto's server, a stand-in on 127.0.0.1)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.records import RECORDER, records
from tests.fixtures.server import VENV_BIN, Server, create
from tests.fixtures.sqs import receive, server_with_sqs, sqs_client

ACCOUNT = "000000000000"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    with server_with_sqs(tmp_path_factory.mktemp("events") / "data") as served:
        yield served


@pytest.fixture(scope="module")
def server(served: tuple[Server, str]) -> Server:
    return served[0]


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def allow_rule(server: Server, function: str, rule_arn: str, sid: str = "events") -> None:
    server.client().add_permission(
        FunctionName=function,
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )


def error(raised: pytest.ExceptionInfo[Any]) -> tuple[str, str]:
    body = raised.value.response["Error"]
    return body["Code"], body["Message"]


def test_buses_are_created_described_listed_and_deleted(server: Server) -> None:
    events = server.client("events")
    created = events.create_event_bus(Name="orders", Description="order events")
    assert created["EventBusArn"] == f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/orders"
    described = events.describe_event_bus(Name=created["EventBusArn"])
    assert (described["Name"], described["Description"]) == ("orders", "order events")
    assert events.describe_event_bus()["Arn"] == f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"
    names = [bus["Name"] for bus in events.list_event_buses()["EventBuses"]]
    assert {"default", "orders"} <= set(names)
    with pytest.raises(events.exceptions.ResourceAlreadyExistsException) as again:
        events.create_event_bus(Name="orders")
    assert error(again) == ("ResourceAlreadyExistsException", "Event bus orders already exists.")
    with pytest.raises(events.exceptions.ClientError) as default:
        events.delete_event_bus(Name="default")
    assert error(default) == ("ValidationException", "Cannot delete event bus default.")
    events.delete_event_bus(Name="orders")
    events.delete_event_bus(Name="orders")  # gone already: no error, as AWS
    with pytest.raises(events.exceptions.ResourceNotFoundException) as missing:
        events.describe_event_bus(Name="orders")
    assert error(missing) == ("ResourceNotFoundException", "Event bus orders does not exist.")


def test_rules_and_targets_with_awss_refusals(server: Server) -> None:
    events = server.client("events")
    create(server.client(), "rule-target", RECORDER)
    pattern = json.dumps({"source": ["shop"]})
    arn = events.put_rule(Name="shop-rule", EventPattern=pattern, Description="d")["RuleArn"]
    assert arn == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/shop-rule"
    rule = events.describe_rule(Name="shop-rule")
    assert (rule["State"], rule["EventPattern"], rule["EventBusName"], rule["CreatedBy"]) == (
        "ENABLED",
        pattern,
        "default",
        ACCOUNT,
    )
    events.disable_rule(Name="shop-rule")
    assert events.describe_rule(Name="shop-rule")["State"] == "DISABLED"
    events.enable_rule(Name="shop-rule")
    assert [r["Name"] for r in events.list_rules(NamePrefix="shop")["Rules"]] == ["shop-rule"]

    with pytest.raises(events.exceptions.InvalidEventPatternException) as invalid:
        events.put_rule(Name="bad", EventPattern='{"source": "shop"}')
    assert error(invalid)[1].startswith("Event pattern is not valid. Reason: ")
    with pytest.raises(events.exceptions.ClientError) as neither:
        events.put_rule(Name="bad")
    assert error(neither) == ("ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified.")
    with pytest.raises(events.exceptions.ClientError) as named:
        events.put_rule(Name="bad name!", EventPattern=pattern)
    assert error(named) == (
        "ValidationException",
        "1 validation error detected: Value 'bad name!' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
    )
    with pytest.raises(events.exceptions.ClientError) as schedule:
        events.put_rule(Name="bad", ScheduleExpression="rate(1 minutes)")
    assert error(schedule) == ("ValidationException", "Parameter ScheduleExpression is not valid.")
    with pytest.raises(events.exceptions.ResourceNotFoundException) as no_rule:
        events.describe_rule(Name="nope")
    assert error(no_rule) == ("ResourceNotFoundException", "Rule nope does not exist on EventBus default.")

    put = events.put_targets(
        Rule="shop-rule",
        Targets=[
            {"Id": "fn", "Arn": function_arn("rule-target"), "RetryPolicy": {"MaximumRetryAttempts": 3}},
            {"Id": "queue", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"},
        ],
    )
    assert put["FailedEntryCount"] == 1 and put["FailedEntries"][0]["TargetId"] == "queue"
    listed = events.list_targets_by_rule(Rule="shop-rule")["Targets"]
    assert listed == [{"Id": "fn", "Arn": function_arn("rule-target"), "RetryPolicy": {"MaximumRetryAttempts": 3}}]
    assert events.list_rule_names_by_target(TargetArn=function_arn("rule-target"))["RuleNames"] == ["shop-rule"]
    with pytest.raises(events.exceptions.ClientError) as bad_input:
        events.put_targets(Rule="shop-rule", Targets=[{"Id": "x", "Arn": function_arn("rule-target"), "Input": "{nope"}])
    assert error(bad_input)[0] == "ValidationException"
    with pytest.raises(events.exceptions.ClientError) as out_of_range:
        events.put_targets(
            Rule="shop-rule",
            Targets=[{"Id": "x", "Arn": function_arn("rule-target"), "RetryPolicy": {"MaximumRetryAttempts": 500}}],
        )
    assert error(out_of_range) == (
        "ValidationException",
        "1 validation error detected: Value '500' at 'targets.1.member.retryPolicy.maximumRetryAttempts' "
        "failed to satisfy constraint: Member must have value less than or equal to 185",
    )
    with pytest.raises(events.exceptions.LimitExceededException):
        events.put_targets(Rule="shop-rule", Targets=[{"Id": f"t{i}", "Arn": function_arn("rule-target")} for i in range(6)])
    with pytest.raises(events.exceptions.ClientError) as has_targets:
        events.delete_rule(Name="shop-rule")
    assert error(has_targets) == ("ValidationException", "Rule can't be deleted since it has targets.")
    events.remove_targets(Rule="shop-rule", Ids=["fn"])
    events.delete_rule(Name="shop-rule")
    assert events.list_rules(NamePrefix="shop")["Rules"] == []


def test_put_events_delivers_the_envelope_to_the_matching_rules_function_only(server: Server) -> None:
    events = server.client("events")
    create(server.client(), "orders-fn", RECORDER)
    events.create_event_bus(Name="shop")
    pattern = {"source": ["com.shop"], "detail": {"amount": [{"numeric": [">", 100]}]}}
    arn = events.put_rule(Name="big-orders", EventBusName="shop", EventPattern=json.dumps(pattern))["RuleArn"]
    assert arn == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/shop/big-orders"
    allow_rule(server, "orders-fn", arn)
    events.put_targets(Rule="big-orders", EventBusName="shop", Targets=[{"Id": "fn", "Arn": function_arn("orders-fn")}])

    put = events.put_events(
        Entries=[
            {"Source": "com.shop", "DetailType": "Order", "Detail": json.dumps({"amount": 5}), "EventBusName": "shop"},
            {
                "Source": "com.shop",
                "DetailType": "Order Placed",
                "Detail": json.dumps({"amount": 250, "id": "o-1"}),
                "Resources": ["arn:aws:shop:order/o-1"],
                "EventBusName": "shop",
            },
        ]
    )
    assert put["FailedEntryCount"] == 0 and all("EventId" in entry for entry in put["Entries"])
    (got,) = records(server, "orders-fn", 1)
    assert list(got) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert got["id"] == put["Entries"][1]["EventId"]
    assert (got["version"], got["detail-type"], got["source"], got["account"], got["region"]) == (
        "0",
        "Order Placed",
        "com.shop",
        ACCOUNT,
        REGION,
    )
    assert got["resources"] == ["arn:aws:shop:order/o-1"] and got["detail"] == {"amount": 250, "id": "o-1"}
    assert time.strptime(got["time"], "%Y-%m-%dT%H:%M:%SZ")
    time.sleep(1)
    assert len(records(server, "orders-fn", 2, timeout_s=1)) == 1  # the small order matched nothing


def test_an_input_transformer_shapes_what_the_function_gets(server: Server) -> None:
    events = server.client("events")
    create(server.client(), "transformed-fn", RECORDER)
    arn = events.put_rule(Name="transform", EventPattern=json.dumps({"source": ["com.transform"]}))["RuleArn"]
    allow_rule(server, "transformed-fn", arn)
    transformer = {
        "InputPathsMap": {"state": "$.detail.state", "id": "$.detail.instance"},
        "InputTemplate": '{"message": "instance <id> is <state>", "state": <state>, "rule": "<aws.events.rule-name>"}',
    }
    events.put_targets(
        Rule="transform", Targets=[{"Id": "t", "Arn": function_arn("transformed-fn"), "InputTransformer": transformer}]
    )
    events.put_events(
        Entries=[{"Source": "com.transform", "DetailType": "x", "Detail": json.dumps({"state": "running", "instance": "i-1"})}]
    )
    (got,) = records(server, "transformed-fn", 1)
    assert got == {"message": "instance i-1 is running", "state": "running", "rule": "transform"}


def test_put_events_refuses_bad_entries_one_by_one(server: Server) -> None:
    events = server.client("events")
    put = events.put_events(
        Entries=[
            {"Source": "ok", "DetailType": "t", "Detail": "{}"},
            {"DetailType": "t", "Detail": "{}"},
            {"Source": "s", "Detail": "{}"},
            {"Source": "s", "DetailType": "t"},
            {"Source": "s", "DetailType": "t", "Detail": "[1, 2]"},
            {"Source": "aws.ec2", "DetailType": "t", "Detail": "{}"},
            {"Source": "s", "DetailType": "t", "Detail": "{}", "EventBusName": "missing-bus"},
        ]
    )
    assert put["FailedEntryCount"] == 6
    first, *refused = put["Entries"]
    assert "EventId" in first
    assert [(e["ErrorCode"], e["ErrorMessage"]) for e in refused] == [
        ("InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."),
        ("InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."),
        ("InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."),
        ("MalformedDetail", "Detail is malformed."),
        ("NotAuthorizedForSourceException", "Not authorized for the source."),
        ("ResourceNotFoundException", "Event bus missing-bus does not exist."),
    ]
    with pytest.raises(events.exceptions.ClientError) as too_big:
        events.put_events(Entries=[{"Source": "s", "DetailType": "t", "Detail": json.dumps({"x": "a" * 300_000})}])
    assert error(too_big) == ("ValidationException", "Total size of the entries in the request is over the limit.")
    with pytest.raises(events.exceptions.ClientError) as too_many:
        events.put_events(Entries=[{"Source": "s", "DetailType": "t", "Detail": "{}"}] * 11)
    assert error(too_many)[0] == "ValidationException"


def test_a_refused_delivery_is_retried(server: Server) -> None:
    """No permission at the first try; granted before the retry, which delivers."""
    events = server.client("events")
    create(server.client(), "late-permission", RECORDER)
    arn = events.put_rule(Name="late", EventPattern=json.dumps({"source": ["com.late"]}))["RuleArn"]
    events.put_targets(Rule="late", Targets=[{"Id": "t", "Arn": function_arn("late-permission")}])
    events.put_events(Entries=[{"Source": "com.late", "DetailType": "x", "Detail": '{"n": 1}'}])
    assert records(server, "late-permission", 1, timeout_s=0.3) == []
    allow_rule(server, "late-permission", arn)
    (got,) = records(server, "late-permission", 1)
    assert got["detail"] == {"n": 1}


def test_a_delivery_refused_to_the_end_goes_to_the_dead_letter_queue(served: tuple[Server, str]) -> None:
    server, endpoint = served
    sqs = sqs_client(endpoint)
    dlq_url = sqs.create_queue(QueueName="events-dlq")["QueueUrl"]
    dlq_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:events-dlq"
    events = server.client("events")
    create(server.client(), "never-allowed", RECORDER)
    rule_arn = events.put_rule(Name="doomed", EventPattern=json.dumps({"source": ["com.doomed"]}))["RuleArn"]
    target = {
        "Id": "t",
        "Arn": function_arn("never-allowed"),
        "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60},
        "DeadLetterConfig": {"Arn": dlq_arn},
    }
    events.put_targets(Rule="doomed", Targets=[target])
    event_id = events.put_events(Entries=[{"Source": "com.doomed", "DetailType": "x", "Detail": '{"n": 2}'}])["Entries"][0][
        "EventId"
    ]
    message = receive(sqs, dlq_url)
    body = json.loads(message["Body"])
    assert (body["id"], body["detail"]) == (event_id, {"n": 2})
    attributes = {key: value["StringValue"] for key, value in message["MessageAttributes"].items()}
    assert attributes["RULE_ARN"] == rule_arn and attributes["TARGET_ARN"] == function_arn("never-allowed")
    assert attributes["ERROR_CODE"] == "AccessDeniedException"
    assert (attributes["RETRY_ATTEMPTS"], attributes["EXHAUSTED_RETRY_CONDITION"]) == ("2", "MaximumRetryAttemptsExhausted")
    assert records(server, "never-allowed", 1, timeout_s=0.5) == []


def test_test_event_pattern_and_the_cli(server: Server) -> None:
    events = server.client("events")
    event = {
        "id": "1",
        "account": ACCOUNT,
        "source": "com.cli",
        "time": "2026-12-04T00:00:00Z",
        "region": REGION,
        "detail-type": "x",
        "detail": {"state": "up"},
    }
    pattern = json.dumps({"detail": {"state": [{"prefix": "u"}]}})
    assert events.test_event_pattern(EventPattern=pattern, Event=json.dumps(event))["Result"] is True
    assert events.test_event_pattern(EventPattern=json.dumps({"source": ["other"]}), Event=json.dumps(event))["Result"] is False
    with pytest.raises(events.exceptions.ClientError) as not_an_event:
        events.test_event_pattern(EventPattern=pattern, Event='{"detail": {}}')
    assert error(not_an_event) == ("ValidationException", "Parameter Event is not valid.")
    cli = subprocess.run(
        [
            str(VENV_BIN / "aws"),
            "events",
            "put-events",
            "--endpoint-url",
            server.endpoint,
            "--entries",
            json.dumps([{"Source": "com.cli", "DetailType": "x", "Detail": "{}"}]),
        ],
        capture_output=True,
        text=True,
        env=server.cli_env(),
        timeout=60,
        check=True,
    )
    assert json.loads(cli.stdout)["FailedEntryCount"] == 0


def test_rules_and_targets_survive_a_restart(server: Server) -> None:
    events = server.client("events")
    create(server.client(), "kept-fn", RECORDER)
    arn = events.put_rule(Name="kept", EventPattern=json.dumps({"source": ["com.kept"]}))["RuleArn"]
    allow_rule(server, "kept-fn", arn)
    events.put_targets(Rule="kept", Targets=[{"Id": "t", "Arn": function_arn("kept-fn")}])
    server.kill_and_restart()
    events = server.client("events")
    assert events.describe_rule(Name="kept")["Arn"] == arn
    events.put_events(Entries=[{"Source": "com.kept", "DetailType": "x", "Detail": '{"after": "restart"}'}])
    (got,) = records(server, "kept-fn", 1)
    assert got["detail"] == {"after": "restart"}


def test_an_async_invocations_record_goes_to_an_event_bus_destination(server: Server) -> None:
    lam, events = server.client(), server.client("events")
    create(lam, "destined-fn", "def handler(event, context):\n    return {'doubled': event['n'] * 2}\n")
    create(lam, "results-fn", RECORDER)
    bus_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"
    lam.put_function_event_invoke_config(FunctionName="destined-fn", DestinationConfig={"OnSuccess": {"Destination": bus_arn}})
    pattern = {"source": ["lambda"], "detail-type": ["Lambda Function Invocation Result - Success"]}
    arn = events.put_rule(Name="results", EventPattern=json.dumps(pattern))["RuleArn"]
    allow_rule(server, "results-fn", arn)
    events.put_targets(Rule="results", Targets=[{"Id": "t", "Arn": function_arn("results-fn")}])
    lam.invoke(FunctionName="destined-fn", InvocationType="Event", Payload=b'{"n": 21}')
    (got,) = records(server, "results-fn", 1)
    assert (got["source"], got["detail-type"]) == ("lambda", "Lambda Function Invocation Result - Success")
    assert got["resources"] == [f"{function_arn('destined-fn')}:$LATEST", bus_arn]
    detail = got["detail"]
    assert detail["requestContext"]["condition"] == "Success" and detail["requestPayload"] == {"n": 21}
    assert detail["responsePayload"] == {"doubled": 42}
