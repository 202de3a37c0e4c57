"""Asynchronous invocation policy: retries, event age, destinations, records. Pure.

AWS's rules: a function error is retried up to MaximumRetryAttempts times (0-2, default 2), one
minute and then two minutes later; an event older than MaximumEventAgeInSeconds (60-21,600,
default 6 h) is not tried again; the outcome goes to the OnSuccess or OnFailure destination as
an invocation record whose ``condition`` is Success, RetriesExhausted or EventAgeExceeded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from lambent.errors import InvalidParameterValueException
from lambent.model.limits import DEFAULT_MAXIMUM_AGE_S

DEFAULT_RETRIES = 2
RETRY_DELAYS_S = (60.0, 120.0)


class DestinationInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    destination: str | None = msgspec.field(default=None, name="Destination")


class DestinationConfigInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    on_success: DestinationInput | None = msgspec.field(default=None, name="OnSuccess")
    on_failure: DestinationInput | None = msgspec.field(default=None, name="OnFailure")


class EventInvokeConfigInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    maximum_retry_attempts: int | None = msgspec.field(default=None, name="MaximumRetryAttempts")
    maximum_event_age_s: int | None = msgspec.field(default=None, name="MaximumEventAgeInSeconds")
    destinations: DestinationConfigInput | None = msgspec.field(default=None, name="DestinationConfig")


class EventInvokeConfig(msgspec.Struct, frozen=True, kw_only=True):
    function_name: str
    qualifier: str = "$LATEST"
    maximum_retry_attempts: int | None = None
    maximum_event_age_s: int | None = None
    on_success: str | None = None
    on_failure: str | None = None
    last_modified: float = 0.0

    @property
    def retries(self) -> int:
        return DEFAULT_RETRIES if self.maximum_retry_attempts is None else self.maximum_retry_attempts

    @property
    def maximum_age_s(self) -> int:
        return DEFAULT_MAXIMUM_AGE_S if self.maximum_event_age_s is None else self.maximum_event_age_s


DEFAULT = EventInvokeConfig(function_name="")


WEBHOOK_PREFIX = "arn:aws:lambent-webhook:::"


def destination_kind(arn: str) -> str:
    """``lambda``, ``sqs``, ``eventbridge`` (an event bus) or ``webhook``: Lambent's own kind,
    ``arn:aws:lambent-webhook:::<http(s) URL>`` (an ARN, because the API model accepts only ARNs
    as destinations)."""
    if arn.startswith(WEBHOOK_PREFIX) and webhook_url(arn).startswith(("http://", "https://")):
        return "webhook"
    if arn.startswith("arn:aws:sqs:"):
        return "sqs"
    if arn.startswith("arn:aws:lambda:"):
        return "lambda"
    if arn.startswith("arn:aws:events:") and ":event-bus/" in arn:
        return "eventbridge"
    return "unsupported"


def check_destination(arn: str | None, region: str, account_id: str) -> None:
    """Lambda functions and event buses of this account, SQS queues and webhooks; other kinds are
    refused by name."""
    if arn is None:
        return
    kind = destination_kind(arn)
    if kind == "lambda" and not arn.startswith(f"arn:aws:lambda:{region}:{account_id}:function:"):
        raise InvalidParameterValueException(f"The destination {arn} is not a function of this account and region.")
    if kind == "eventbridge" and not arn.startswith(f"arn:aws:events:{region}:{account_id}:event-bus/"):
        raise InvalidParameterValueException(f"The destination {arn} is not an event bus of this account and region.")
    if kind == "unsupported":
        raise InvalidParameterValueException(
            f"The destination {arn} is not supported by Lambent yet: "
            "Lambda functions, EventBridge buses, SQS queues and http(s) webhooks are."
        )


def webhook_url(arn: str) -> str:
    return arn[len(WEBHOOK_PREFIX) :]


def sqs_queue_name(arn: str) -> str:
    """The queue name of an SQS ARN (arn:aws:sqs:region:account:name)."""
    return arn.rsplit(":", 1)[-1]


def after_function_error(config: EventInvokeConfig, attempts: int, age_s: float, scale: float = 1.0) -> float | None:
    """Seconds until the next attempt after *attempts* failed ones, or None when there is none."""
    if attempts > config.retries:
        return None
    delay = RETRY_DELAYS_S[min(attempts, len(RETRY_DELAYS_S)) - 1] * scale
    if age_s + delay > config.maximum_age_s:
        return None
    return delay


def failure_condition(config: EventInvokeConfig, attempts: int) -> str:
    """Why no attempt follows: retries remained, so the event grew too old; or they ran out."""
    return "EventAgeExceeded" if attempts <= config.retries else "RetriesExhausted"


def invocation_record(
    *,
    moment: datetime,
    request_id: str,
    function_arn: str,
    condition: str,
    attempts: int,
    request_payload: Any,
    executed_version: str,
    function_error: str | None,
    response_payload: Any,
) -> dict[str, Any]:
    moment = moment.astimezone(UTC)
    response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": executed_version}
    if function_error is not None:
        response_context["functionError"] = function_error
    return {
        "version": "1.0",
        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "requestPayload": request_payload,
        "responseContext": response_context,
        "responsePayload": response_payload,
    }


def config_document(config: EventInvokeConfig, function_arn: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"LastModified": config.last_modified, "FunctionArn": function_arn}
    if config.maximum_retry_attempts is not None:
        doc["MaximumRetryAttempts"] = config.maximum_retry_attempts
    if config.maximum_event_age_s is not None:
        doc["MaximumEventAgeInSeconds"] = config.maximum_event_age_s
    destinations: dict[str, Any] = {}
    if config.on_success:
        destinations["OnSuccess"] = {"Destination": config.on_success}
    if config.on_failure:
        destinations["OnFailure"] = {"Destination": config.on_failure}
    doc["DestinationConfig"] = destinations
    return doc
