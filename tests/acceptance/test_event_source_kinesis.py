"""Event source mappings from Kinesis, driven by boto3 against a real server, a real Kinesalite
(a Kinesis API) and moto's SQS server (the on-failure destination). Covered: the API's Kinesis
members and refusals, AWS's ``aws:kinesis`` record, batches and batching windows, retries and
bisection that keep each partition key's order, the failure record sent to an SQS destination,
partial batch failures, filters, tumbling windows, a poison record that does not stall its
shard, and checkpoints that survive a SIGKILL. One server, Kinesalite and SQS serve the whole
module; each test has its own stream and function."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.fixtures import kinesalite
from tests.fixtures.mappings import settled
from tests.fixtures.records import RECORDER, records
from tests.fixtures.server import Server, create
from tests.fixtures.sqs import receive, server_with_sqs, sqs_client

KINESIS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole"
#: Logs what it was given (partition key and decoded data per record), and when; fails a batch
#: holding a record whose data ends in "-bad" the first two times this environment sees it.
FLAKY = """import base64, json, time
seen = {}
def handler(event, context):
    items = [[r['kinesis']['partitionKey'], base64.b64decode(r['kinesis']['data']).decode()] for r in event['Records']]
    print('RECORD ' + json.dumps({'try': items, 'at': time.time()}))
    for _, data in items:
        if data.endswith('-bad'):
            seen[data] = seen.get(data, 0) + 1
            if seen[data] <= 2:
                raise Exception('failing ' + data)
    print('RECORD ' + json.dumps({'ok': items, 'at': time.time()}))
"""
#: Decodes every record as UTF-8 (a record that is not fails the batch), or fails on "boom".
STRICT = """import base64, json
def handler(event, context):
    items = [base64.b64decode(r['kinesis']['data']).decode('utf-8') for r in event['Records']]
    print('RECORD ' + json.dumps(items))
    if 'boom' in items:
        raise Exception('boom')
"""
#: Reports the first record whose data is "bad" as failed, once.
PARTIAL = """import base64, json
reported = set()
def handler(event, context):
    items = [(r['kinesis']['sequenceNumber'], base64.b64decode(r['kinesis']['data']).decode()) for r in event['Records']]
    print('RECORD ' + json.dumps([data for _, data in items]))
    for seq, data in items:
        if data == 'bad' and seq not in reported:
            reported.add(seq)
            return {'batchItemFailures': [{'itemIdentifier': seq}]}
    return {'batchItemFailures': []}
"""
#: Counts the records of its window in the state it carries.
COUNTER = """import json
def handler(event, context):
    state = event['state'] or {}
    fields = {k: event[k] for k in ('window', 'state', 'shardId', 'eventSourceARN', 'isFinalInvokeForWindow', 'isWindowTerminatedEarly')}
    print('RECORD ' + json.dumps({**fields, 'records': len(event['Records'])}))
    return {'state': {'count': state.get('count', 0) + len(event['Records'])}}
"""
#: Logs the data of every record (the kill test counts them).
SEEN = """import base64, json
def handler(event, context):
    print('RECORD ' + json.dumps([base64.b64decode(r['kinesis']['data']).decode() for r in event['Records']]))
"""


@dataclass
class World:
    server: Server
    kinesis: Any
    sqs: Any
    reader: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    absent = kinesalite.missing()
    if absent:
        pytest.skip(f"Kinesalite is not installed (missing {', '.join(absent)}; `make peers` installs it)")
    base = tmp_path_factory.mktemp("esm-kinesis")
    with (
        kinesalite.kinesalite(base / "kinesalite") as endpoint,
        server_with_sqs(base / "data", LAMBENT_KINESIS_ENDPOINT_URL=endpoint) as (server, sqs_endpoint),
    ):
        reader = server.ensure_role("esm-kinesis-reader", KINESIS_POLICY)
        yield World(server, kinesalite.client(endpoint), sqs_client(sqs_endpoint), reader)


def stream(world: World, name: str, shards: int = 1) -> str:
    world.kinesis.create_stream(StreamName=name, ShardCount=shards)
    return str(world.kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"])


def put(world: World, name: str, data: str | bytes, key: str = "k") -> str:
    body = data.encode() if isinstance(data, str) else data
    return str(world.kinesis.put_record(StreamName=name, Data=body, PartitionKey=key)["SequenceNumber"])


def queue(world: World, name: str) -> tuple[str, str]:
    url = world.sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = world.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def logged(world: World, function: str, done: Callable[[list[Any]], bool], timeout_s: float = 30) -> list[Any]:
    """What *function* logged (``RECORD`` lines, every page), once *done* says it is all there."""
    logs = world.server.client("logs")
    deadline = time.monotonic() + timeout_s
    while True:
        found, params = [], {"logGroupName": f"/aws/lambda/{function}"}
        with contextlib.suppress(logs.exceptions.ResourceNotFoundException):  # nothing logged yet
            while True:
                page = logs.filter_log_events(**params)
                found += [json.loads(e["message"][7:]) for e in page["events"] if e["message"].startswith("RECORD ")]
                if "nextToken" not in page:
                    break
                params["nextToken"] = page["nextToken"]
        if done(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def error(raised: pytest.ExceptionInfo[Any]) -> tuple[str, str, int]:
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def mapping(world: World, function: str, arn: str, **settings: Any) -> str:
    settings.setdefault("StartingPosition", "TRIM_HORIZON")
    uuid = world.server.client().create_event_source_mapping(EventSourceArn=arn, FunctionName=function, **settings)["UUID"]
    return str(uuid)


def test_a_mapping_shows_awss_kinesis_members_and_refuses_as_aws(world: World) -> None:
    lam = world.server.client()
    arn = stream(world, "members")
    create(lam, "kin-members", RECORDER, Role=world.reader)
    made = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="kin-members", StartingPosition="LATEST")
    assert (made["ResponseMetadata"]["HTTPStatusCode"], made["State"]) == (202, "Creating")
    got = settled(lam, made["UUID"])
    got.pop("ResponseMetadata")
    assert got == {
        "UUID": made["UUID"],
        "StartingPosition": "LATEST",
        "BatchSize": 100,
        "MaximumBatchingWindowInSeconds": 0,
        "EventSourceArn": arn,
        "FunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:kin-members",
        "LastModified": got["LastModified"],
        "LastProcessingResult": "No records processed",
        "State": "Enabled",
        "StateTransitionReason": "User action",
        "ParallelizationFactor": 1,
        "DestinationConfig": {"OnFailure": {}},
        "MaximumRecordAgeInSeconds": -1,
        "BisectBatchOnFunctionError": False,
        "MaximumRetryAttempts": -1,
        "TumblingWindowInSeconds": 0,
        "FunctionResponseTypes": [],
        "EventSourceMappingArn": f"arn:aws:lambda:us-east-1:000000000000:event-source-mapping:{made['UUID']}",
    }

    create(lam, "kin-refused", RECORDER, Role=world.reader)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="kin-refused")
    assert error(raised) == (
        "InvalidParameterValueException",
        "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.",
        400,
    )
    missing = arn.replace("stream/members", "stream/nowhere")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.create_event_source_mapping(EventSourceArn=missing, FunctionName="kin-refused", StartingPosition="LATEST")
    assert error(raised) == ("InvalidParameterValueException", f"Stream not found: {missing}", 400)
    basic = world.server.ensure_role("esm-no-kinesis", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    create(lam, "kin-denied", RECORDER, Role=basic)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="kin-denied", StartingPosition="LATEST")
    assert error(raised)[1] == (
        f"Cannot access stream {arn}. Please ensure the role can perform the GetRecords, GetShardIterator, "
        "DescribeStream, ListShards, and ListStreams Actions on your stream in IAM."
    )
    lam.delete_event_source_mapping(UUID=made["UUID"])


def test_a_record_reaches_the_function_as_awss_record_and_latest_skips_what_came_before(world: World) -> None:
    lam = world.server.client()
    arn = stream(world, "shape")
    put(world, "shape", "before the mapping")
    create(lam, "kin-shape", RECORDER, Role=world.reader)
    uuid = mapping(world, "kin-shape", arn, StartingPosition="LATEST")
    settled(lam, uuid)
    # LATEST begins once the shard's reader has pinned it: send until one arrives
    sent: dict[str, str] = {}
    deadline = time.monotonic() + 20
    while not records(world.server, "kin-shape", 1, timeout_s=0.5) and time.monotonic() < deadline:
        sent[put(world, "shape", '{"hello": "world"}', key="pk-1")] = "pk-1"
    events = records(world.server, "kin-shape", 1)
    record = events[0]["Records"][0]
    seq = record["kinesis"]["sequenceNumber"]
    assert seq in sent
    assert list(record) == [
        "kinesis",
        "eventSource",
        "eventVersion",
        "eventID",
        "eventName",
        "invokeIdentityArn",
        "awsRegion",
        "eventSourceARN",
    ]
    kinesis = record["kinesis"]
    assert list(kinesis) == ["kinesisSchemaVersion", "partitionKey", "sequenceNumber", "data", "approximateArrivalTimestamp"]
    assert (kinesis["kinesisSchemaVersion"], kinesis["partitionKey"]) == ("1.0", "pk-1")
    assert base64.b64decode(kinesis["data"]) == b'{"hello": "world"}'
    assert isinstance(kinesis["approximateArrivalTimestamp"], float)
    assert abs(kinesis["approximateArrivalTimestamp"] - time.time()) < 60
    assert record["eventSource"] == "aws:kinesis"
    assert record["eventVersion"] == "1.0"
    assert record["eventID"] == f"shardId-000000000000:{seq}"
    assert record["eventName"] == "aws:kinesis:record"
    assert record["invokeIdentityArn"] == world.reader
    assert (record["awsRegion"], record["eventSourceARN"]) == ("us-east-1", arn)
    every = [base64.b64decode(r["kinesis"]["data"]) for e in records(world.server, "kin-shape", len(sent)) for r in e["Records"]]
    assert b"before the mapping" not in every
    assert settled(lam, uuid)["LastProcessingResult"] == "OK"
    lam.delete_event_source_mapping(UUID=uuid)


def test_batches_take_batch_size_records_in_order_and_a_batching_window_gathers(world: World) -> None:
    lam = world.server.client()
    arn = stream(world, "batches")
    sent = [put(world, "batches", f"r{i}") for i in range(12)]
    create(lam, "kin-batches", RECORDER, Role=world.reader)
    uuid = mapping(world, "kin-batches", arn, BatchSize=5)
    events = logged(world, "kin-batches", lambda found: sum(len(e["Records"]) for e in found) >= 12)
    assert [[r["kinesis"]["sequenceNumber"] for r in e["Records"]] for e in events] == [sent[0:5], sent[5:10], sent[10:12]]
    status, _, body = world.server.request("GET", f"/lambent/2026-11-27/event-source-mappings/{uuid}")
    counted = json.loads(body)
    assert status == 200
    assert {k: counted[k] for k in ("Polling", "Received", "Processed", "Failed", "Invocations")} == {
        "Polling": True,
        "Received": 12,
        "Processed": 12,
        "Failed": 0,
        "Invocations": 3,
    }
    assert counted["IteratorAgeMs"] >= 0
    lam.delete_event_source_mapping(UUID=uuid)

    arn = stream(world, "window")
    create(lam, "kin-window", RECORDER, Role=world.reader)
    uuid = mapping(world, "kin-window", arn, BatchSize=100, MaximumBatchingWindowInSeconds=3)
    settled(lam, uuid)
    for i in range(4):
        put(world, "window", f"w{i}")
        time.sleep(0.2)
    events = logged(world, "kin-window", lambda found: sum(len(e["Records"]) for e in found) >= 4)
    assert [[base64.b64decode(r["kinesis"]["data"]).decode() for r in e["Records"]] for e in events] == [["w0", "w1", "w2", "w3"]]
    lam.delete_event_source_mapping(UUID=uuid)


def test_errors_retried_and_bisected_keep_each_partition_keys_order(world: World) -> None:
    lam = world.server.client()
    arn = stream(world, "ordered", shards=2)
    produced: dict[str, list[str]] = defaultdict(list)
    for i in range(10):
        for key in ("k0", "k1", "k2", "k3"):
            data = f"{key}-{i}" + ("-bad" if i == 4 else "")
            put(world, "ordered", data, key=key)
            produced[key].append(data)
    create(lam, "kin-ordered", FLAKY, Role=world.reader)
    uuid = mapping(
        world, "kin-ordered", arn, BatchSize=10, BisectBatchOnFunctionError=True, MaximumRetryAttempts=5, ParallelizationFactor=2
    )
    entries = logged(world, "kin-ordered", lambda found: sum(len(e.get("ok", [])) for e in found) >= 40)
    succeeded: dict[str, list[str]] = defaultdict(list)
    for entry in sorted((e for e in entries if "ok" in e), key=lambda e: e["at"]):
        for key, data in entry["ok"]:
            succeeded[key].append(data)
    assert succeeded == produced
    tries = [e["try"] for e in entries if "try" in e]
    assert any(len(t) == 1 and t[0][1].endswith("-bad") for t in tries)  # bisected down to the failing record
    lam.delete_event_source_mapping(UUID=uuid)


def test_exhausted_retries_send_awss_failure_record_to_an_sqs_destination_and_the_shard_moves_on(world: World) -> None:
    lam = world.server.client()
    arn = stream(world, "exhausted")
    url, queue_arn = queue(world, "kin-failures")
    first, second = put(world, "exhausted", "boom"), put(world, "exhausted", "fine")
    create(lam, "kin-exhausted", STRICT, Role=world.reader)
    uuid = mapping(
        world, "kin-exhausted", arn, MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": queue_arn}}
    )
    failure = json.loads(receive(world.sqs, url)["Body"])
    assert list(failure) == ["requestContext", "responseContext", "version", "timestamp", "KinesisBatchInfo"]
    request = failure["requestContext"]
    assert request["functionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:kin-exhausted"
    assert (request["condition"], request["approximateInvokeCount"]) == ("RetryAttemptsExhausted", 2)
    assert len(request["requestId"]) == 36
    assert failure["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert failure["version"] == "1.0"
    assert time.strptime(failure["timestamp"][:19], "%Y-%m-%dT%H:%M:%S") and failure["timestamp"].endswith("Z")
    info = failure["KinesisBatchInfo"]
    assert {k: info[k] for k in ("shardId", "startSequenceNumber", "endSequenceNumber", "batchSize", "streamArn")} == {
        "shardId": "shardId-000000000000",
        "startSequenceNumber": first,
        "endSequenceNumber": second,
        "batchSize": 2,
        "streamArn": arn,
    }
    assert info["approximateArrivalOfFirstRecord"].endswith("Z") and info["approximateArrivalOfLastRecord"].endswith("Z")
    put(world, "exhausted", "after")
    seen = logged(world, "kin-exhausted", lambda found: ["after"] in found)
    assert seen == [["boom", "fine"], ["boom", "fine"], ["after"]]
    assert settled(lam, uuid)["LastProcessingResult"] == "OK"
    lam.delete_event_source_mapping(UUID=uuid)


def test_a_reported_item_failure_retries_the_batch_from_its_sequence_number(world: World) -> None:
    lam = world.server.client()
    arn = stream(world, "partial")
    for data in ("a", "b", "bad", "c", "d"):
        put(world, "partial", data)
    create(lam, "kin-partial", PARTIAL, Role=world.reader)
    uuid = mapping(world, "kin-partial", arn, FunctionResponseTypes=["ReportBatchItemFailures"])
    seen = logged(world, "kin-partial", lambda found: len(found) >= 2)
    assert seen == [["a", "b", "bad", "c", "d"], ["bad", "c", "d"]]
    lam.delete_event_source_mapping(UUID=uuid)


def test_a_filter_skips_what_it_does_not_match(world: World) -> None:
    lam = world.server.client()
    arn = stream(world, "filtered")
    for data in ('{"kind": "drop"}', "not json", b"\xff\xfe", '{"kind": "keep", "n": 1}', '{"kind": "keep", "n": 2}'):
        put(world, "filtered", data)
    create(lam, "kin-filtered", RECORDER, Role=world.reader)
    pattern = json.dumps({"data": {"kind": ["keep"]}})
    uuid = mapping(world, "kin-filtered", arn, FilterCriteria={"Filters": [{"Pattern": pattern}]})
    logged(world, "kin-filtered", lambda found: bool(found))
    put(world, "filtered", '{"kind": "drop"}')
    put(world, "filtered", '{"kind": "keep", "n": 3}')  # once it is seen, all before it was read
    events = logged(world, "kin-filtered", lambda found: sum(len(e["Records"]) for e in found) >= 3)
    datas = [json.loads(base64.b64decode(r["kinesis"]["data"])) for e in events for r in e["Records"]]
    assert datas == [{"kind": "keep", "n": 1}, {"kind": "keep", "n": 2}, {"kind": "keep", "n": 3}]
    lam.delete_event_source_mapping(UUID=uuid)


def test_a_tumbling_window_carries_its_state_to_a_final_invocation(world: World) -> None:
    lam = world.server.client()
    arn = stream(world, "tumbling")
    create(lam, "kin-tumbling", COUNTER, Role=world.reader)
    uuid = mapping(world, "kin-tumbling", arn, BatchSize=2, TumblingWindowInSeconds=2)
    for i in range(5):
        put(world, "tumbling", f"t{i}")

    def finished(found: list[Any]) -> bool:  # the finals' states count every record
        return sum(e["state"].get("count", 0) for e in found if e["isFinalInvokeForWindow"]) >= 5

    entries = logged(world, "kin-tumbling", finished)
    windows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        assert (entry["shardId"], entry["eventSourceARN"], entry["isWindowTerminatedEarly"]) == (
            "shardId-000000000000",
            arn,
            False,
        )
        windows[entry["window"]["start"]].append(entry)
    total = 0
    for start, invocations in windows.items():
        assert invocations[0]["state"] == {}
        count = 0
        for entry in invocations:
            assert entry["state"] == ({"count": count} if count else {})
            count += entry["records"]
        final = invocations[-1]
        assert (final["isFinalInvokeForWindow"], final["records"]) == (True, 0)
        assert all(not e["isFinalInvokeForWindow"] for e in invocations[:-1])
        assert time.strptime(final["window"]["end"], "%Y-%m-%dT%H:%M:%SZ")
        assert start.endswith("Z")
        total += count
    assert total == 5
    lam.delete_event_source_mapping(UUID=uuid)


def test_a_record_that_is_not_utf8_takes_the_failure_path_and_does_not_stall_the_shard(world: World) -> None:
    lam = world.server.client()
    arn = stream(world, "poison")
    url, queue_arn = queue(world, "kin-poison-failures")
    put(world, "poison", "g1")
    poison = put(world, "poison", b"\xff\xfe\x00not utf-8")
    put(world, "poison", "g2")
    create(lam, "kin-poison", STRICT, Role=world.reader)
    uuid = mapping(
        world,
        "kin-poison",
        arn,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    info = json.loads(receive(world.sqs, url)["Body"])["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (poison, poison, 1)
    put(world, "poison", "g3")
    seen = logged(world, "kin-poison", lambda found: ["g3"] in found)
    assert [batch for batch in seen if batch in (["g1"], ["g2"], ["g3"])] == [["g1"], ["g2"], ["g3"]]
    lam.delete_event_source_mapping(UUID=uuid)


def test_checkpoints_survive_a_sigkill_and_nothing_is_lost(world: World) -> None:
    """Last in the module: it kills the shared server."""
    lam = world.server.client()
    arn = stream(world, "durable", shards=2)
    create(lam, "kin-durable", SEEN, Role=world.reader)
    uuid = mapping(world, "kin-durable", arn, BatchSize=10)
    settled(lam, uuid)
    total = 300
    produced: list[str] = []

    def produce() -> None:
        producer = kinesalite.client(world.kinesis.meta.endpoint_url)
        for i in range(total):
            producer.put_record(StreamName="durable", Data=f"d{i}".encode(), PartitionKey=f"key-{i % 7}")
            produced.append(f"d{i}")
            time.sleep(0.01)

    producing = threading.Thread(target=produce)
    producing.start()
    logged(world, "kin-durable", lambda found: sum(len(batch) for batch in found) >= 50)
    world.server.kill_and_restart()
    producing.join()
    assert len(produced) == total
    seen = logged(world, "kin-durable", lambda found: len({d for batch in found for d in batch}) >= total, timeout_s=60)
    counts = Counter(d for batch in seen for d in batch)
    lost = sorted(set(produced) - set(counts), key=lambda d: int(d[1:]))
    duplicates = sum(n - 1 for n in counts.values())
    print(f"kill -9 while consuming {total} records: {duplicates} delivered twice or more, {len(lost)} lost")
    assert lost == []
    settled(world.server.client(), uuid)
