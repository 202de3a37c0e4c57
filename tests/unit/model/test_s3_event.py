"""S3 event records as AWS sends them, made from what stores push: RGW's captured body
(tests/fixtures/s3_events/) becomes AWS's 2.1 record exactly, AWS's documented sample keeps its
fields, keys are form-encoded as S3 encodes them, event types and key filters match as S3's
NotificationConfiguration says, and the EventBridge event is S3's "Object Created"/"Object
Deleted"."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.errors import InvalidParameterValueException
from lambent.model import s3_event
from lambent.model.s3_event import LambdaConfiguration, NotificationConfiguration

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "s3_events"
FN = "arn:aws:lambda:us-east-1:000000000000:function:f"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def configuration(document: dict[str, Any]) -> NotificationConfiguration:
    return msgspec.convert(document, NotificationConfiguration)


def test_rgws_put_becomes_awss_record() -> None:
    (record,) = s3_event.parse_records(sample("rgw-put.json"))
    assert s3_event.lambda_record(record, "us-east-1", "images") == {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-12-04T18:02:29.208Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "tester"},
        "requestParameters": {"sourceIPAddress": ""},
        "responseElements": {
            "x-amz-request-id": "36ddaabd-ae81-49e7-9541-f85cd9ea2564.4122.13358380098436320053",
            "x-amz-id-2": "101a-default-default",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "images",
            "bucket": {"name": "inbox", "ownerIdentity": {"principalId": "tester"}, "arn": "arn:aws:s3:::inbox"},
            "object": {
                "key": "in/hello+w%C3%B6rld%2Ba%3Db%26c.txt",
                "size": 5,
                "eTag": "5d41402abc4b2a76b9719d911017c592",
                "sequencer": "3500136B21F19C0C",
            },
        },
    }


def test_rgws_delete_has_no_size_or_etag_as_awss() -> None:
    (record,) = s3_event.parse_records(sample("rgw-delete.json"))
    made = s3_event.lambda_record(record, "eu-west-1", "c")
    assert made["eventName"] == "ObjectRemoved:Delete"
    assert made["s3"]["object"] == {"key": "in/copy.txt", "sequencer": "3700136B61589313"}


def test_awss_sample_keeps_its_key_and_fields() -> None:
    (record,) = s3_event.parse_records(sample("aws-put.json"))
    made = s3_event.lambda_record(record, "us-east-1", "testConfigRule")
    original = sample("aws-put.json")["Records"][0]
    assert made == {**original, "eventVersion": "2.1"}


def test_an_encoded_key_is_decoded_once_and_encoded_again() -> None:
    body = sample("aws-put.json")
    body["Records"][0]["eventSource"] = "minio:s3"
    body["Records"][0]["s3"]["object"]["key"] = "red+flower%2B1.jpg"
    (record,) = s3_event.parse_records(body)
    assert record.key == "red flower+1.jpg"
    assert s3_event.lambda_record(record, "us-east-1", "x")["s3"]["object"]["key"] == "red+flower%2B1.jpg"


def test_version_id_only_when_versioned() -> None:
    body = sample("rgw-put.json")
    body["Records"][0]["s3"]["object"]["versionId"] = "3HL4kqtJvjVBH40Nrjfkd"
    (record,) = s3_event.parse_records(body)
    assert s3_event.lambda_record(record, "us-east-1", "x")["s3"]["object"]["versionId"] == "3HL4kqtJvjVBH40Nrjfkd"


@pytest.mark.parametrize(
    ("key", "encoded"),
    [
        ("red flower.jpg", "red+flower.jpg"),  # the S3 guide's example
        ("A file+name", "A+file%2Bname"),
        ("something/dt=2018-05-04/_SUCCESS", "something/dt%3D2018-05-04/_SUCCESS"),
        ("folder a/data.csv", "folder+a/data.csv"),
        ("hello wörld", "hello+w%C3%B6rld"),
        ("a:b(1).txt", "a%3Ab%281%29.txt"),
    ],
)
def test_keys_are_form_encoded(key: str, encoded: str) -> None:
    assert s3_event.encode_key(key) == encoded


@given(st.text(min_size=1, max_size=40))
def test_an_encoded_key_decodes_to_the_key(key: str) -> None:
    assert unquote_plus(s3_event.encode_key(key)) == key


def test_time_has_milliseconds_in_utc() -> None:
    moment = datetime(2026, 12, 4, 18, 2, 29, 208497, tzinfo=UTC)
    assert s3_event.event_time(moment) == "2026-12-04T18:02:29.208Z"


@pytest.mark.parametrize(
    ("wanted", "name", "matches"),
    [
        ("s3:ObjectCreated:*", "ObjectCreated:Put", True),
        ("s3:ObjectCreated:*", "ObjectCreated:CompleteMultipartUpload", True),
        ("s3:ObjectCreated:Put", "ObjectCreated:Put", True),
        ("s3:ObjectCreated:Put", "ObjectCreated:Copy", False),
        ("s3:ObjectCreated:*", "ObjectRemoved:Delete", False),
        ("s3:ObjectRemoved:*", "ObjectRemoved:DeleteMarkerCreated", True),
        ("s3:ObjectRemoved:Delete", "ObjectRemoved:DeleteMarkerCreated", False),
    ],
)
def test_event_types(wanted: str, name: str, matches: bool) -> None:
    assert s3_event.event_matches(wanted, name) is matches


def test_prefix_and_suffix_filters_with_names_in_any_case() -> None:
    item = msgspec.convert(
        {
            "LambdaFunctionArn": FN,
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "in/"}, {"Name": "suffix", "Value": ".jpg"}]}},
        },
        LambdaConfiguration,
    )
    assert s3_event.key_matches(item, "in/a.jpg")
    assert not s3_event.key_matches(item, "out/a.jpg")
    assert not s3_event.key_matches(item, "in/a.png")
    assert not s3_event.key_matches(item, "IN/a.jpg")  # values are case-sensitive


def test_matching_picks_each_configuration_that_passes() -> None:
    config = configuration(
        {
            "LambdaFunctionConfigurations": [
                {"Id": "all", "LambdaFunctionArn": FN, "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]},
                {
                    "Id": "in",
                    "LambdaFunctionArn": FN,
                    "Events": ["s3:ObjectCreated:Put"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}},
                },
            ]
        }
    )
    assert [i.config_id for i in s3_event.matching(config, "ObjectCreated:Put", "in/x")] == ["all", "in"]
    assert [i.config_id for i in s3_event.matching(config, "ObjectCreated:Put", "out/x")] == ["all"]
    assert [i.config_id for i in s3_event.matching(config, "ObjectRemoved:Delete", "in/x")] == ["all"]


def test_checked_gives_ids_and_refuses_what_s3_refuses() -> None:
    made = s3_event.checked(
        configuration({"LambdaFunctionConfigurations": [{"LambdaFunctionArn": FN, "Events": ["s3:ObjectCreated:*"]}]}),
        lambda: "new",
    )
    assert made.lambda_function_configurations[0].config_id == "new"
    refused = [
        {"LambdaFunctionArn": "arn:aws:sqs:us-east-1:000000000000:q", "Events": ["s3:ObjectCreated:*"]},
        {"LambdaFunctionArn": FN, "Events": ["s3:ObjectMangled:*"]},
        {"LambdaFunctionArn": FN, "Events": []},
        {
            "LambdaFunctionArn": FN,
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "a"}, {"Name": "Prefix", "Value": "b"}]}},
        },
        {
            "LambdaFunctionArn": FN,
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "regex", "Value": "a"}]}},
        },
    ]
    for item in refused:
        with pytest.raises(InvalidParameterValueException):
            s3_event.checked(configuration({"LambdaFunctionConfigurations": [item]}), lambda: "x")
    twice = [{"Id": "a", "LambdaFunctionArn": FN, "Events": ["s3:ObjectCreated:*"]}] * 2
    with pytest.raises(InvalidParameterValueException):
        s3_event.checked(configuration({"LambdaFunctionConfigurations": twice}), lambda: "x")


def test_unknown_members_are_refused() -> None:
    with pytest.raises(msgspec.ValidationError):
        configuration({"QueueConfigurations": []})


def test_bodies_that_are_no_records_are_refused() -> None:
    for body in ({}, {"Records": {}}, {"Records": [1]}, {"Records": [{"eventName": "x"}]}, []):
        with pytest.raises(s3_event.BadRecord):
            s3_event.parse_records(body)
    bad_time = sample("rgw-put.json")
    bad_time["Records"][0]["eventTime"] = "yesterday"
    with pytest.raises(s3_event.BadRecord):
        s3_event.parse_records(bad_time)


def test_eventbridge_object_created_as_s3_sends_it() -> None:
    (record,) = s3_event.parse_records(sample("rgw-put.json"))
    assert s3_event.eventbridge_event(record, "e1", "111122223333", "ca-central-1") == {
        "version": "0",
        "id": "e1",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "111122223333",
        "time": "2026-12-04T18:02:29Z",
        "region": "ca-central-1",
        "resources": ["arn:aws:s3:::inbox"],
        "detail": {
            "version": "0",
            "bucket": {"name": "inbox"},
            "object": {
                "key": "in/hello wörld+a=b&c.txt",
                "size": 5,
                "etag": "5d41402abc4b2a76b9719d911017c592",
                "sequencer": "3500136B21F19C0C",
            },
            "request-id": "36ddaabd-ae81-49e7-9541-f85cd9ea2564.4122.13358380098436320053",
            "requester": "tester",
            "source-ip-address": "",
            "reason": "PutObject",
        },
    }


def test_eventbridge_object_deleted() -> None:
    (record,) = s3_event.parse_records(sample("rgw-delete.json"))
    event = s3_event.eventbridge_event(record, "e2", "111122223333", "us-east-1")
    assert event is not None
    assert event["detail-type"] == "Object Deleted"
    assert event["detail"]["object"] == {"key": "in/copy.txt", "sequencer": "3700136B61589313"}
    assert (event["detail"]["reason"], event["detail"]["deletion-type"]) == ("DeleteObject", "Permanently Deleted")


def test_eventbridge_sends_nothing_for_other_types() -> None:
    body = sample("rgw-put.json")
    body["Records"][0]["eventName"] = "ObjectTagging:Put"
    (record,) = s3_event.parse_records(body)
    assert s3_event.eventbridge_event(record, "e", "111122223333", "us-east-1") is None
