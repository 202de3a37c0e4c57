"""Event source mappings from SQS, driven by boto3 against a real server and moto's SQS server (the
SQS server these machines have, a stand-in for AWS's): the API with AWS's answers and refusals,
AWS's ``aws:sqs`` record, batching windows, partial batch failures dead-lettered by the queue's
own redrive policy, filters that delete what they drop, and a disabled or deleted mapping that
stops and holds nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.cli import aws, lambent, table_rows
from tests.fixtures.mappings import settled, wait_for
from tests.fixtures.records import RECORDER, records
from tests.fixtures.server import Server, create
from tests.fixtures.sqs import server_with_sqs, sqs_client

SQS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
#: Fails the records whose body is "bad" (batch item failures), records every event.
PARTIAL = (
    "import json\n"
    "def handler(event, context):\n"
    "    print('RECORD ' + json.dumps(event))\n"
    "    return {'batchItemFailures': [{'itemIdentifier': r['messageId']} for r in event['Records'] if r['body'] == 'bad']}\n"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    with server_with_sqs(tmp_path_factory.mktemp("esm-sqs") / "data") as served:
        yield served


@pytest.fixture(scope="module")
def server(served: tuple[Server, str]) -> Server:
    return served[0]


@pytest.fixture(scope="module")
def sqs(served: tuple[Server, str]) -> Any:
    return sqs_client(served[1])


@pytest.fixture(scope="module")
def reader(server: Server) -> str:
    return server.ensure_role("esm-sqs-reader", SQS_POLICY)


def queue(sqs: Any, name: str, **attributes: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def error(raised: pytest.ExceptionInfo[Any]) -> tuple[str, str, int]:
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def visible(sqs: Any, url: str) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_the_api_answers_and_refuses_as_aws(server: Server, sqs: Any, reader: str) -> None:
    lam = server.client()
    create(lam, "esm-api-fn", RECORDER, Role=reader)
    _, arn = queue(sqs, "esm-api-q")
    made = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="esm-api-fn", BatchSize=5, Tags={"team": "a"})
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert made["State"] == "Creating"
    uuid = made["UUID"]
    got = settled(lam, uuid)
    assert got["State"] == "Enabled"
    assert got["StateTransitionReason"] == "USER_INITIATED"
    assert got["EventSourceMappingArn"] == f"arn:aws:lambda:us-east-1:000000000000:event-source-mapping:{uuid}"
    assert got["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:esm-api-fn"
    assert {k: got[k] for k in ("BatchSize", "MaximumBatchingWindowInSeconds", "EventSourceArn", "FunctionResponseTypes")} == {
        "BatchSize": 5,
        "MaximumBatchingWindowInSeconds": 0,
        "EventSourceArn": arn,
        "FunctionResponseTypes": [],
    }
    for stream_only in ("StartingPosition", "ParallelizationFactor", "MaximumRetryAttempts", "LastProcessingResult"):
        assert stream_only not in got
    assert lam.list_tags(Resource=got["EventSourceMappingArn"])["Tags"] == {"team": "a"}
    lam.tag_resource(Resource=got["EventSourceMappingArn"], Tags={"env": "test"})
    lam.untag_resource(Resource=got["EventSourceMappingArn"], TagKeys=["team"])
    assert lam.list_tags(Resource=got["EventSourceMappingArn"])["Tags"] == {"env": "test"}

    by_function = lam.list_event_source_mappings(FunctionName="esm-api-fn")["EventSourceMappings"]
    by_source = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert [m["UUID"] for m in by_function] == [m["UUID"] for m in by_source] == [uuid]

    with pytest.raises(lam.exceptions.ResourceConflictException) as raised:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="esm-api-fn")
    assert error(raised) == (
        "ResourceConflictException",
        f'An event source mapping with SQS arn (" {arn} ") and function (" esm-api-fn ") already exists. '
        f"Please update or delete the existing mapping with UUID {uuid}",
        409,
    )
    refusals = [
        ({"BatchSize": 20}, "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"),
        ({"StartingPosition": "LATEST"}, "StartingPosition is not valid for SQS event sources."),
        ({"ParallelizationFactor": 2}, "Unsupported ParallelizationFactor parameter for given event source mapping type."),
        ({"FilterCriteria": {"Filters": [{"Pattern": "{not json"}]}}, "Invalid filter pattern definition."),
    ]
    _, other = queue(sqs, "esm-api-other")
    for extra, message in refusals:
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
            lam.create_event_source_mapping(EventSourceArn=other, FunctionName="esm-api-fn", **extra)
        assert error(raised) == ("InvalidParameterValueException", message, 400)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.create_event_source_mapping(EventSourceArn=arn.replace("esm-api-q", "nowhere"), FunctionName="esm-api-fn")
    code, message, status = error(raised)
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message.startswith("Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue.")
    body = json.dumps({"EventSourceArn": other, "FunctionName": "esm-api-fn", "BatchSize": 0}).encode()
    status, headers, answer = server.request("POST", "/2015-03-31/event-source-mappings", body)
    assert (status, headers["x-amzn-ErrorType"]) == (400, "ValidationException")
    assert json.loads(answer)["message"] == (
        "1 validation error detected: Value '0' at 'batchSize' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )

    short, _ = queue(sqs, "esm-api-short", VisibilityTimeout="5")
    create(lam, "esm-api-slow", RECORDER, Role=reader, Timeout=60)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        short_arn = sqs.get_queue_attributes(QueueUrl=short, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        lam.create_event_source_mapping(EventSourceArn=short_arn, FunctionName="esm-api-slow")
    assert error(raised)[1] == "Queue visibility timeout: 5 seconds is less than Function timeout: 60 seconds"

    unprivileged = server.ensure_role("esm-no-sqs", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    create(lam, "esm-api-denied", RECORDER, Role=unprivileged)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.create_event_source_mapping(EventSourceArn=other, FunctionName="esm-api-denied")
    assert error(raised)[1] == "The function execution role does not have permissions to call ReceiveMessage on SQS"

    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.get_event_source_mapping(UUID="00000000-0000-0000-0000-000000000000")
    assert error(raised) == ("ResourceNotFoundException", "The resource you requested does not exist.", 404)

    updated = lam.update_event_source_mapping(UUID=uuid, BatchSize=7)
    assert updated["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert updated["State"] == "Updating"
    assert settled(lam, uuid)["BatchSize"] == 7
    deleted = lam.delete_event_source_mapping(UUID=uuid)
    assert deleted["State"] == "Deleting"
    wait_for(lambda: not lam.list_event_source_mappings(FunctionName="esm-api-fn")["EventSourceMappings"])


def test_a_message_reaches_the_function_as_awss_record(server: Server, sqs: Any, reader: str) -> None:
    lam = server.client()
    create(lam, "esm-shape-fn", RECORDER, Role=reader)
    url, arn = queue(sqs, "esm-shape-q")
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="esm-shape-fn")["UUID"]
    settled(lam, uuid)
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody='{"hello": "world"}',
        MessageAttributes={"color": {"DataType": "String", "StringValue": "blue"}},
    )
    [event] = records(server, "esm-shape-fn", 1)
    [record] = event["Records"]
    assert list(record) == [
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "md5OfMessageAttributes",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    ]
    assert record["messageId"] == sent["MessageId"]
    assert record["body"] == '{"hello": "world"}'
    assert record["md5OfBody"] == sent["MD5OfMessageBody"]
    assert record["messageAttributes"] == {
        "color": {"stringValue": "blue", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
    }
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == ("aws:sqs", arn, "us-east-1")
    wait_for(lambda: visible(sqs, url) == (0, 0))  # deleted on success
    lam.delete_event_source_mapping(UUID=uuid)


def test_a_batching_window_gathers_one_batch(server: Server, sqs: Any, reader: str) -> None:
    lam = server.client()
    create(lam, "esm-window-fn", RECORDER, Role=reader)
    url, arn = queue(sqs, "esm-window-q")
    for i in range(12):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="esm-window-fn", BatchSize=12, MaximumBatchingWindowInSeconds=3
    )["UUID"]
    events = records(server, "esm-window-fn", 1)
    time.sleep(1)
    events = records(server, "esm-window-fn", 1)
    bodies = sorted(r["body"] for e in events for r in e["Records"])
    assert bodies == sorted(f"m{i}" for i in range(12))
    assert len(events) <= 2  # five workers may split what the queue hands out, never one call per message
    assert max(len(e["Records"]) for e in events) >= 6
    lam.delete_event_source_mapping(UUID=uuid)


def test_partial_failures_return_and_the_redrive_policy_dead_letters_them(server: Server, sqs: Any, reader: str) -> None:
    lam = server.client()
    create(lam, "esm-partial-fn", PARTIAL, Role=reader)
    _, dlq_arn = queue(sqs, "esm-partial-dlq")
    dlq_url = sqs.get_queue_url(QueueName="esm-partial-dlq")["QueueUrl"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})
    url, arn = queue(sqs, "esm-partial-q", VisibilityTimeout="3", RedrivePolicy=redrive)
    sqs.send_message(QueueUrl=url, MessageBody="good")
    sqs.send_message(QueueUrl=url, MessageBody="bad")
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="esm-partial-fn",
        FunctionResponseTypes=["ReportBatchItemFailures"],
        BatchSize=10,
    )["UUID"]
    wait_for(lambda: visible(sqs, dlq_url)[0] == 1, timeout_s=30)
    dead = sqs.receive_message(QueueUrl=dlq_url, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in dead] == ["bad"]
    seen = [r["body"] for e in records(server, "esm-partial-fn", 2) for r in e["Records"]]
    assert seen.count("good") == 1  # deleted after its first success
    assert seen.count("bad") == 2  # received twice, then the queue's redrive policy moved it
    assert visible(sqs, url) == (0, 0)
    lam.delete_event_source_mapping(UUID=uuid)


def test_filters_drop_and_delete_what_they_do_not_match(server: Server, sqs: Any, reader: str) -> None:
    lam = server.client()
    create(lam, "esm-filter-fn", RECORDER, Role=reader)
    url, arn = queue(sqs, "esm-filter-q")
    pattern = json.dumps({"body": {"kind": ["keep"]}})
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="esm-filter-fn", FilterCriteria={"Filters": [{"Pattern": pattern}]}
    )["UUID"]
    assert settled(lam, uuid)["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    for body in ('{"kind": "drop"}', "not json", '{"kind": "keep", "n": 1}'):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    wait_for(lambda: visible(sqs, url) == (0, 0))
    time.sleep(0.5)
    bodies = [r["body"] for e in records(server, "esm-filter-fn", 1) for r in e["Records"]]
    assert bodies == ['{"kind": "keep", "n": 1}']
    lam.delete_event_source_mapping(UUID=uuid)


def test_a_disabled_mapping_stops_and_holds_nothing_then_resumes(server: Server, sqs: Any, reader: str) -> None:
    lam = server.client()
    create(lam, "esm-toggle-fn", RECORDER, Role=reader)
    url, arn = queue(sqs, "esm-toggle-q")
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="esm-toggle-fn")["UUID"]
    settled(lam, uuid)
    answer = lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    assert answer["State"] == "Disabling"
    assert settled(lam, uuid)["State"] == "Disabled"
    sqs.send_message(QueueUrl=url, MessageBody="while disabled")
    time.sleep(1.5)
    # a long poll the stop abandoned may take it and give it straight back: nothing keeps it
    wait_for(lambda: visible(sqs, url) == (1, 0), timeout_s=5)
    assert records(server, "esm-toggle-fn", 1, timeout_s=0.5) == []
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=True)["State"] == "Enabling"
    assert settled(lam, uuid)["State"] == "Enabled"
    [event] = records(server, "esm-toggle-fn", 1)
    assert [r["body"] for r in event["Records"]] == ["while disabled"]
    lam.delete_event_source_mapping(UUID=uuid)


def test_a_sigkill_while_consuming_loses_nothing(server: Server, sqs: Any, reader: str) -> None:
    """At least once across a crash: every message sent is processed; duplicates are counted."""
    lam = server.client()
    create(lam, "esm-crash-fn", RECORDER + "    import time\n    time.sleep(0.1)\n", Role=reader)
    url, arn = queue(sqs, "esm-crash-q", VisibilityTimeout="4")
    sent = [f"m{i:03d}" for i in range(300)]
    for start in range(0, 150, 10):
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(sent[start : start + 10])]
        )
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="esm-crash-fn", BatchSize=10)["UUID"]
    for start in range(150, 300, 10):
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(sent[start : start + 10])]
        )
    wait_for(lambda: len(records(server, "esm-crash-fn", 1, timeout_s=0.1)) >= 3)
    server.kill_and_restart()
    lam = server.client()

    def bodies() -> list[str]:
        return [r["body"] for e in records(server, "esm-crash-fn", 1, timeout_s=0.1) for r in e["Records"]]

    wait_for(lambda: set(bodies()) >= set(sent), timeout_s=60)
    seen = bodies()
    duplicates = len(seen) - len(set(seen))
    print(f"SQS crash test: {len(sent)} sent, {len(set(seen))} processed, 0 lost, {duplicates} duplicates")
    assert set(seen) == set(sent)
    wait_for(lambda: visible(sqs, url) == (0, 0))
    lam.delete_event_source_mapping(UUID=uuid)


def test_the_cli_shows_each_mapping_with_its_state_and_lag(server: Server, sqs: Any, reader: str) -> None:
    lam = server.client()
    create(lam, "esm-cli-fn", RECORDER, Role=reader)
    url, arn = queue(sqs, "esm-cli-q")
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="esm-cli-fn", BatchSize=3)["UUID"]
    settled(lam, uuid)
    sqs.send_message(QueueUrl=url, MessageBody="one")
    records(server, "esm-cli-fn", 1)
    wait_for(lambda: visible(sqs, url) == (0, 0))
    listed = lambent(server, "sources", "ls", "--function", "esm-cli-fn")
    assert listed.returncode == 0, listed.stderr
    assert table_rows(listed.stdout) == [[uuid, "esm-cli-fn", "Enabled", "3", "0 waiting", arn]]
    described = lambent(server, "sources", "describe", uuid)
    assert described.returncode == 0, described.stderr
    shown = {line.split()[0]: line.split()[1:] for line in described.stdout.splitlines() if line.strip()}
    assert shown["state"] == ["Enabled", "(USER_INITIATED)"]
    assert shown["received"] == ["1"] and shown["processed"] == ["1"] and shown["failed"] == ["0"]
    assert shown["lag"] == ["0", "waiting"]
    lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    settled(lam, uuid)
    assert table_rows(lambent(server, "sources", "ls").stdout).count([uuid, "esm-cli-fn", "Disabled", "3", "-", arn]) == 1
    missing = lambent(server, "sources", "describe", "00000000-0000-0000-0000-000000000000")
    assert missing.returncode == 1
    assert "ResourceNotFoundException" in missing.stderr
    lam.delete_event_source_mapping(UUID=uuid)


def test_the_aws_cli_drives_mappings_unmodified(server: Server, sqs: Any, reader: str) -> None:
    lam = server.client()
    create(lam, "esm-awscli-fn", RECORDER, Role=reader)
    url, arn = queue(sqs, "esm-awscli-q")
    made = json.loads(
        aws(
            server,
            "lambda",
            "create-event-source-mapping",
            "--function-name",
            "esm-awscli-fn",
            "--event-source-arn",
            arn,
            "--batch-size",
            "4",
            "--function-response-types",
            "ReportBatchItemFailures",
        ).stdout
    )
    assert (made["State"], made["BatchSize"], made["FunctionResponseTypes"]) == ("Creating", 4, ["ReportBatchItemFailures"])
    settled(lam, made["UUID"])
    listed = json.loads(aws(server, "lambda", "list-event-source-mappings", "--event-source-arn", arn).stdout)
    assert [m["UUID"] for m in listed["EventSourceMappings"]] == [made["UUID"]]
    sqs.send_message(QueueUrl=url, MessageBody="via the cli")
    [event] = records(server, "esm-awscli-fn", 1)
    assert [r["body"] for r in event["Records"]] == ["via the cli"]
    deleted = json.loads(aws(server, "lambda", "delete-event-source-mapping", "--uuid", made["UUID"]).stdout)
    assert deleted["State"] == "Deleting"


def test_kafka_is_refused_saying_so(server: Server, reader: str) -> None:
    """No Kafka broker can run on these machines (Debian packages none), so Lambent ships no
    untested Kafka poller: a Kafka mapping is refused at create."""
    lam = server.client()
    create(lam, "esm-kafka-fn", RECORDER, Role=reader)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.create_event_source_mapping(
            FunctionName="esm-kafka-fn",
            SelfManagedEventSource={"Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": ["127.0.0.1:9092"]}},
            Topics=["orders"],
            StartingPosition="TRIM_HORIZON",
        )
    assert error(raised) == ("InvalidParameterValueException", "Lambent does not poll Kafka event sources.", 400)
    assert lam.list_event_source_mappings(FunctionName="esm-kafka-fn")["EventSourceMappings"] == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"EventSourceArn": "arn:aws:sqs:us-east-1:123456789012:q"}, 400, "ValidationException"),
        (
            {"FunctionName": "esm-bad-fn", "EventSourceArn": "arn:aws:sqs:us-east-1:123456789012:q", "BatchSize": "ten"},
            400,
            "InvalidRequestContentException",
        ),
        (
            {"FunctionName": "esm-bad-fn", "EventSourceArn": "arn:aws:sqs:us-east-1:123456789012:q", "Bogus": 1},
            400,
            "InvalidRequestContentException",
        ),
        (
            {
                "FunctionName": "esm-bad-fn",
                "EventSourceArn": "arn:aws:sqs:us-east-1:123456789012:q",
                "FilterCriteria": {"Filters": "x"},
            },
            400,
            "InvalidRequestContentException",
        ),
        (
            {
                "FunctionName": "esm-bad-fn",
                "EventSourceArn": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/s",
                "StartingPosition": "LATEST",
            },
            400,
            "InvalidParameterValueException",
        ),
        (
            {
                "FunctionName": "esm-bad-fn",
                "SelfManagedEventSource": {"Endpoints": {"REDIS_URLS": ["redis://x"], "NATS_URLS": ["nats://y"]}},
                "Topics": ["tt"],
            },
            400,
            "InvalidParameterValueException",
        ),
        ({"FunctionName": "nobody", "EventSourceArn": "arn:aws:sqs:us-east-1:123456789012:q"}, 404, "ResourceNotFoundException"),
    ],
)
def test_bad_requests_get_awss_errors_and_change_nothing(
    server: Server, reader: str, body: dict[str, Any], status: int, code: str
) -> None:
    lam = server.client()
    if "esm-bad-fn" not in [f["FunctionName"] for f in lam.list_functions()["Functions"]]:
        create(lam, "esm-bad-fn", RECORDER, Role=reader)
    got, headers, answer = server.request("POST", "/2015-03-31/event-source-mappings", json.dumps(body).encode())
    assert (got, headers["x-amzn-ErrorType"]) == (status, code), answer
    assert json.loads(answer)["message"]
    assert lam.list_event_source_mappings(FunctionName="esm-bad-fn")["EventSourceMappings"] == []
    status_raw, _, _ = server.request("POST", "/2015-03-31/event-source-mappings", b"{not json")
    assert status_raw == 400
