"""The pure retry policy of asynchronous invocation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.errors import InvalidParameterValueException
from lambent.model.event_invoke import (
    EventInvokeConfig,
    after_function_error,
    check_destination,
    failure_condition,
    invocation_record,
)


def config(retries: int | None = None, age: int | None = None) -> EventInvokeConfig:
    return EventInvokeConfig(function_name="f", maximum_retry_attempts=retries, maximum_event_age_s=age)


def test_default_is_two_retries_one_then_two_minutes_apart() -> None:
    assert after_function_error(config(), 1, 0) == 60.0
    assert after_function_error(config(), 2, 60) == 120.0
    assert after_function_error(config(), 3, 180) is None
    assert failure_condition(config(), 3) == "RetriesExhausted"


def test_scale_shrinks_the_waits() -> None:
    assert after_function_error(config(), 1, 0, scale=0.01) == pytest.approx(0.6)


def test_no_retries() -> None:
    assert after_function_error(config(retries=0), 1, 0) is None


def test_event_age_stops_retries() -> None:
    assert after_function_error(config(age=90), 1, 10) == 60.0
    assert after_function_error(config(age=90), 2, 70) is None  # 70 + 120 > 90
    assert failure_condition(config(age=90), 2) == "EventAgeExceeded"


@given(st.integers(0, 2), st.integers(1, 5))
def test_never_more_attempts_than_retries_allow(retries: int, attempts: int) -> None:
    delay = after_function_error(config(retries=retries), attempts, 0)
    assert (delay is not None) == (attempts <= retries)


def test_destinations_are_functions_of_this_account_queues_and_webhooks() -> None:
    check_destination("arn:aws:lambda:us-east-1:123456789012:function:f", "us-east-1", "123456789012")
    check_destination(None, "us-east-1", "123456789012")
    check_destination("arn:aws:sqs:us-east-1:123456789012:q", "us-east-1", "123456789012")
    check_destination("arn:aws:lambent-webhook:::https://example.test/hook", "us-east-1", "123456789012")
    for other in (
        "arn:aws:sns:us-east-1:123456789012:topic",
        "arn:aws:lambda:eu-west-1:123456789012:function:f",
        "arn:aws:lambent-webhook:::ftp://example.test/",
    ):
        with pytest.raises(InvalidParameterValueException):
            check_destination(other, "us-east-1", "123456789012")


def test_invocation_record_shape() -> None:
    record = invocation_record(
        moment=datetime(2019, 11, 14, 18, 16, 5, 568000, tzinfo=UTC),
        request_id="r",
        function_arn="arn:f:$LATEST",
        condition="RetriesExhausted",
        attempts=3,
        request_payload={"a": 1},
        executed_version="$LATEST",
        function_error="Unhandled",
        response_payload={"errorMessage": "x"},
    )
    assert record == {
        "version": "1.0",
        "timestamp": "2019-11-14T18:16:05.568Z",
        "requestContext": {
            "requestId": "r",
            "functionArn": "arn:f:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": {"a": 1},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "x"},
    }
