"""CloudWatch's CBOR and JSON wire read what botocore's own serializers write, and write what
its parsers read: timestamps as CBOR tag 1, errors as the codes boto3 raises."""

from __future__ import annotations

import datetime
import gzip
from typing import Any

import pytest
from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from lambent.api import cloudwatch_wire as wire
from lambent.errors import (
    CloudWatchInvalidParameterValue,
    CloudWatchMissingParameter,
    RequestEntityTooLargeException,
    ValidationError,
)

MODEL = ServiceModel(Loader().load_service_model("cloudwatch", "service-2"), "cloudwatch")
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def parsed(protocol: str, operation: str, response: Any) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in response.headers.items()}
    raw = {"status_code": response.status_code, "headers": headers, "body": response.body}
    model = MODEL.operation_model(operation)
    result: dict[str, Any] = create_parser(protocol).parse(raw, model.output_shape)
    return result


def test_a_cbor_request_from_botocore_decodes_with_its_timestamps() -> None:
    params = {"Namespace": "AWS/Lambda", "MetricName": "Invocations", "StartTime": START, "EndTime": START, "Period": 60}
    request = create_serializer("smithy-rpc-v2-cbor").serialize_to_request(
        {**params, "Statistics": ["Sum"]}, MODEL.operation_model("GetMetricStatistics")
    )
    assert request["url_path"] == f"{wire.CBOR_PREFIX}GetMetricStatistics"
    assert request["headers"]["smithy-protocol"] == "rpc-v2-cbor"
    decoded = wire.decode_cbor(request["body"])
    assert wire.instant(decoded["StartTime"]) == START.timestamp()
    assert (decoded["Period"], decoded["Statistics"]) == (60, ["Sum"])


def test_a_json_request_from_botocore_decodes_with_its_timestamps() -> None:
    request = create_serializer("json").serialize_to_request(
        {"MetricDataQueries": [], "StartTime": START, "EndTime": START}, MODEL.operation_model("GetMetricData")
    )
    assert request["headers"]["X-Amz-Target"] == "GraniteServiceVersion20100801.GetMetricData"
    assert wire.instant(wire.decode_json(request["body"])["StartTime"]) == START.timestamp()


RESULT = {
    "MetricDataResults": [
        {"Id": "a", "Label": "L", "Timestamps": [START], "Values": [1.5], "StatusCode": "Complete"},
    ],
    "Messages": [],
}


@pytest.mark.parametrize(("protocol", "respond"), [("smithy-rpc-v2-cbor", wire.cbor_response), ("json", wire.json_response)])
def test_answers_parse_in_botocore(protocol: str, respond: Any) -> None:
    found = parsed(protocol, "GetMetricData", respond(RESULT))
    (result,) = found["MetricDataResults"]
    assert result["Timestamps"][0].timestamp() == START.timestamp()
    assert (result["Values"], result["StatusCode"], result["Label"]) == ([1.5], "Complete", "L")


@pytest.mark.parametrize(("protocol", "fail"), [("smithy-rpc-v2-cbor", wire.cbor_error), ("json", wire.json_error)])
@pytest.mark.parametrize(
    ("error", "code"),
    [
        (CloudWatchInvalidParameterValue("bad"), "InvalidParameterValue"),
        (CloudWatchMissingParameter("missing"), "MissingParameter"),
        (ValidationError("1 validation error detected"), "ValidationError"),
    ],
)
def test_errors_parse_to_the_query_codes_boto3_raises(protocol: str, fail: Any, error: Any, code: str) -> None:
    response = fail(error)
    assert response.status_code == 400
    found = parsed(protocol, "GetMetricStatistics", response)
    assert found["Error"]["Code"] == code
    assert found["Error"]["Message"] == error.message


def test_gzipped_bodies_are_inflated_within_their_bound() -> None:
    assert wire.inflate(gzip.compress(b"Action=PutMetricData"), "gzip") == b"Action=PutMetricData"
    assert wire.inflate(b"plain", None) == b"plain"
    with pytest.raises(RequestEntityTooLargeException):
        wire.inflate(gzip.compress(b"0" * (9 << 20)), "gzip")
    with pytest.raises(ValidationError):
        wire.inflate(b"not gzip", "gzip")
