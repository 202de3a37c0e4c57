"""S3 event notifications from a real S3-compatible store: a Ceph RGW (tests/fixtures/rgw.py) on
127.0.0.1 pushes its bucket notifications to the endpoint Lambent's configuration answers with,
and the subscribed functions receive S3's records exactly as AWS sends them (key URL-encoded,
eventSource aws:s3, eventVersion 2.1, the bucket's ARN); a key the filter leaves out invokes
nothing; deletes reach ``s3:ObjectRemoved:*``; a wrong token is refused and invokes nothing; and
with ``EventBridgeConfiguration`` a rule on the default bus receives S3's "Object Created"."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures import rgw
from tests.fixtures.records import RECORDER, records
from tests.fixtures.server import Server, create, process_exists

ACCOUNT, REGION = "000000000000", "us-east-1"
BUCKET = "inbox"
CONFIG = "/lambent/2026-11-27/buckets/{}/notification"
KEY = "in/hello wörld+a=b&c.txt"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, rgw.Rgw]]:
    absent = rgw.missing()
    if absent:
        pytest.skip(f"Ceph RGW is not installed (missing {', '.join(absent)}; `make system` installs it as root)")
    store = rgw.Rgw(tmp_path_factory.mktemp("rgw"))
    server = Server(tmp_path_factory.mktemp("s3") / "data")
    try:
        store.start()
        server.start()
        yield server, store
    finally:
        server.stop()
        pids = store.pids()
        store.stop()
        assert not [pid for pid in pids if process_exists(pid)], "an RGW process outlived its test"


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def put_config(server: Server, bucket: str, document: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, _headers, body = server.request("PUT", CONFIG.format(bucket), json.dumps(document).encode())
    return status, json.loads(body or b"{}")


def subscribe(store: rgw.Rgw, bucket: str, endpoint: str) -> None:
    """The store's side: a topic pushing to *endpoint*, every object event of *bucket* sent to it
    (Lambent filters; RGW could narrow first)."""
    s3, sns = store.client("s3"), store.client("sns")
    s3.create_bucket(Bucket=bucket)
    topic = sns.create_topic(Name=f"lambent-{bucket}", Attributes={"push-endpoint": endpoint})["TopicArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "TopicConfigurations": [
                {"Id": "to-lambent", "TopicArn": topic, "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]}
            ]
        },
    )


@pytest.fixture(scope="module")
def wired(stack: tuple[Server, rgw.Rgw]) -> dict[str, Any]:
    server, store = stack
    lam = server.client()
    for name in ("on-create", "on-delete", "on-bus"):
        create(lam, name, RECORDER)
    for name in ("on-create", "on-delete"):
        lam.add_permission(
            FunctionName=name,
            StatementId="s3",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
            SourceArn=f"arn:aws:s3:::{BUCKET}",
            SourceAccount=ACCOUNT,
        )
    events = server.client("events")
    rule = events.put_rule(Name="s3-created", EventPattern=json.dumps({"source": ["aws.s3"], "detail-type": ["Object Created"]}))[
        "RuleArn"
    ]
    events.put_targets(Rule="s3-created", Targets=[{"Id": "bus", "Arn": function_arn("on-bus")}])
    lam.add_permission(
        FunctionName="on-bus",
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule,
    )
    status, answer = put_config(
        server,
        BUCKET,
        {
            "LambdaFunctionConfigurations": [
                {
                    "Id": "created-in",
                    "LambdaFunctionArn": function_arn("on-create"),
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "in/"}]}},
                },
                {"Id": "removed", "LambdaFunctionArn": function_arn("on-delete"), "Events": ["s3:ObjectRemoved:*"]},
            ],
            "EventBridgeConfiguration": {},
        },
    )
    assert status == 200, answer
    endpoint = answer["PushEndpoint"]
    assert endpoint.startswith(f"{server.endpoint}/lambent/s3-events/")
    subscribe(store, BUCKET, endpoint)
    return answer


def test_the_configuration_reads_back_with_its_push_endpoint(stack: tuple[Server, rgw.Rgw], wired: dict[str, Any]) -> None:
    server, _store = stack
    status, _headers, body = server.request("GET", CONFIG.format(BUCKET))
    assert status == 200
    assert json.loads(body) == wired
    assert [c["Id"] for c in wired["LambdaFunctionConfigurations"]] == ["created-in", "removed"]
    unsigned, _headers, _body = server.request("GET", CONFIG.format(BUCKET), sign=False)
    assert unsigned == 403


def test_an_upload_reaches_the_function_as_awss_record(stack: tuple[Server, rgw.Rgw], wired: dict[str, Any]) -> None:
    server, store = stack
    s3 = store.client()
    began = time.monotonic()
    put = s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"hello")
    (event,) = records(server, "on-create", 1)
    print(f"PUT -> handler: {time.monotonic() - began:.3f} s")  # the latency, for the record (-s shows it)
    (record,) = event["Records"]
    assert record["eventVersion"] == "2.1"
    assert record["eventSource"] == "aws:s3"
    assert record["awsRegion"] == REGION
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["eventTime"].endswith("Z") and len(record["eventTime"]) == len("2026-12-04T18:02:29.208Z")
    assert record["userIdentity"] == {"principalId": "tester"}
    assert set(record["requestParameters"]) == {"sourceIPAddress"}
    assert set(record["responseElements"]) == {"x-amz-request-id", "x-amz-id-2"}
    s3_part = record["s3"]
    assert s3_part["s3SchemaVersion"] == "1.0"
    assert s3_part["configurationId"] == "created-in"
    assert s3_part["bucket"] == {"name": BUCKET, "ownerIdentity": {"principalId": "tester"}, "arn": f"arn:aws:s3:::{BUCKET}"}
    obj = s3_part["object"]
    assert set(obj) == {"key", "size", "eTag", "sequencer"}  # unversioned: no versionId
    assert obj["key"] == "in/hello+w%C3%B6rld%2Ba%3Db%26c.txt"
    assert obj["size"] == 5
    assert obj["eTag"] == put["ETag"].strip('"')
    assert obj["sequencer"]


def test_eventbridge_rule_receives_object_created(stack: tuple[Server, rgw.Rgw], wired: dict[str, Any]) -> None:
    server, store = stack
    store.client().put_object(Bucket=BUCKET, Key="bus/report.csv", Body=b"a,b\n")
    found = [e for e in records(server, "on-bus", 2) if e["detail"]["object"]["key"] == "bus/report.csv"]
    assert len(found) == 1
    (event,) = found
    assert (event["source"], event["detail-type"], event["account"], event["region"]) == (
        "aws.s3",
        "Object Created",
        ACCOUNT,
        REGION,
    )
    assert event["resources"] == [f"arn:aws:s3:::{BUCKET}"]
    detail = event["detail"]
    assert detail["bucket"] == {"name": BUCKET}
    assert (detail["version"], detail["reason"], detail["object"]["size"]) == ("0", "PutObject", 4)


def test_a_key_the_filter_leaves_out_invokes_nothing(stack: tuple[Server, rgw.Rgw], wired: dict[str, Any]) -> None:
    server, store = stack
    before = len(records(server, "on-create", 0))
    store.client().put_object(Bucket=BUCKET, Key="out/skipped.txt", Body=b"x")
    store.client().put_object(Bucket=BUCKET, Key="in/after.txt", Body=b"y")  # a marker that does pass
    got = records(server, "on-create", before + 1)
    keys = [e["Records"][0]["s3"]["object"]["key"] for e in got]
    assert "in/after.txt" in keys
    assert not any(k.startswith("out/") for k in keys)


def test_a_delete_reaches_object_removed(stack: tuple[Server, rgw.Rgw], wired: dict[str, Any]) -> None:
    server, store = stack
    s3 = store.client()
    s3.put_object(Bucket=BUCKET, Key="tmp/gone soon.txt", Body=b"z")
    s3.delete_object(Bucket=BUCKET, Key="tmp/gone soon.txt")
    (event,) = records(server, "on-delete", 1)
    (record,) = event["Records"]
    assert record["eventName"] == "ObjectRemoved:Delete"
    assert record["s3"]["configurationId"] == "removed"
    assert set(record["s3"]["object"]) == {"key", "sequencer"}
    assert record["s3"]["object"]["key"] == "tmp/gone+soon.txt"


def post(server: Server, path: str, body: bytes) -> int:
    request = urllib.request.Request(
        f"{server.endpoint}{path}", data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def test_a_wrong_token_or_a_bad_body_is_refused_and_invokes_nothing(stack: tuple[Server, rgw.Rgw], wired: dict[str, Any]) -> None:
    server, _store = stack
    sample = (Path(__file__).resolve().parents[1] / "fixtures" / "s3_events" / "rgw-put.json").read_bytes()
    good = wired["PushEndpoint"].removeprefix(server.endpoint)
    before = len(records(server, "on-create", 0))
    assert post(server, "/lambent/s3-events/not-the-token", sample) == 403
    assert post(server, good[:-1] + ("A" if good[-1] != "A" else "B"), sample) == 403
    assert post(server, good, b"{not json") == 400
    assert post(server, good, b'{"Records": [{"eventName": "x"}]}') == 400
    assert post(server, good, b"x" * (300 * 1024)) == 413
    time.sleep(1)
    assert len(records(server, "on-create", 0)) == before
    assert "Traceback" not in server.log_text()
