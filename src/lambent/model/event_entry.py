"""PutEvents' entries: which are refused and why, and the event each accepted one becomes. Pure.

An entry needs ``Source``, ``DetailType`` and ``Detail`` (a JSON object); each that lacks one is
refused alone, with AWS's ``ErrorCode`` and ``ErrorMessage``, while the others go on (a partial
failure, counted in ``FailedEntryCount``). Sources starting ``aws.`` are AWS's own and refused
(``NotAuthorizedForSourceException``). The whole request is refused only when its entries are
over 256 KB together, sized as AWS's guide ("Calculating PutEvents event entry size") counts:
the UTF-8 bytes of Source, DetailType, Detail and each resource, and 14 bytes for a Time.

The event is EventBridge's envelope, members in AWS's order: ``version`` "0", ``id``,
``detail-type``, ``source``, ``account``, ``time`` (the entry's Time, else the time it was put,
to the second, UTC), ``region``, ``resources`` and ``detail``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from lambent.errors import EventsValidationException

_decode = msgspec.json.Decoder().decode
#: AWS's limit for the entries of one PutEvents request together.
ENTRIES_LIMIT_BYTES = 256 * 1024
_TIME_BYTES = 14


class PutEventsEntry(msgspec.Struct, frozen=True, kw_only=True, rename="pascal"):
    source: str | None = None
    detail_type: str | None = None
    detail: str | None = None
    resources: list[str] | None = None
    #: Seconds since the epoch (botocore sends a timestamp as a number in JSON 1.1).
    time: float | None = None
    event_bus_name: str | None = None
    trace_header: str | None = None


class EntryRefusal(msgspec.Struct, frozen=True, kw_only=True, rename="pascal"):
    error_code: str
    error_message: str


def entry_size(entry: PutEventsEntry) -> int:
    size = _TIME_BYTES if entry.time is not None else 0
    for text in (entry.source, entry.detail_type, entry.detail, *(entry.resources or ())):
        if text:
            size += len(text.encode())
    return size


def check_size(entries: list[PutEventsEntry]) -> None:
    if sum(entry_size(entry) for entry in entries) > ENTRIES_LIMIT_BYTES:
        raise EventsValidationException("Total size of the entries in the request is over the limit.")


def _required(name: str) -> EntryRefusal:
    return EntryRefusal(
        error_code="InvalidArgument", error_message=f"Parameter {name} is not valid. Reason: {name} is a required argument."
    )


def refusal(entry: PutEventsEntry) -> EntryRefusal | None:
    """Why *entry* is refused, or None when it is accepted."""
    return accepted(entry)[0]


def accepted(entry: PutEventsEntry) -> tuple[EntryRefusal | None, dict[str, Any]]:
    """Why *entry* is refused (or None), and its Detail parsed (``{}`` when refused)."""
    if not entry.source:
        return _required("Source"), {}
    if not entry.detail_type:
        return _required("DetailType"), {}
    if not entry.detail:
        return _required("Detail"), {}
    if entry.source.startswith("aws."):
        return EntryRefusal(error_code="NotAuthorizedForSourceException", error_message="Not authorized for the source."), {}
    detail = _detail(entry.detail)
    if not isinstance(detail, dict):
        return EntryRefusal(error_code="MalformedDetail", error_message="Detail is malformed."), {}
    return None, detail


def _detail(text: str) -> Any:
    try:
        return _decode(text)
    except (msgspec.DecodeError, RecursionError):
        return None


def timestamp(seconds: float) -> str:
    """An event's ``time``: UTC, to the second, as EventBridge writes it."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(
    entry: PutEventsEntry, event_id: str, account: str, region: str, now: float, detail: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The event an accepted *entry* becomes (*detail*: its Detail, if parsed already)."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": entry.detail_type,
        "source": entry.source,
        "account": account,
        "time": timestamp(entry.time if entry.time is not None else now),
        "region": region,
        "resources": list(entry.resources or ()),
        "detail": detail if detail is not None else _detail(entry.detail or "{}"),
    }


def scheduled_event(event_id: str, account: str, region: str, rule_arn: str, slot: float) -> dict[str, Any]:
    """The event a rule's ScheduleExpression sends its targets, as CloudWatch Events did."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": timestamp(slot),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


def destination_event(
    event_id: str, account: str, region: str, bus_arn: str, record: dict[str, Any], now: float
) -> dict[str, Any]:
    """The event an asynchronous invocation's record becomes on an EventBridge destination:
    from ``lambda``, its ``detail`` the record, its resources the function and the bus."""
    context = record.get("requestContext") or {}
    outcome = "Success" if context.get("condition") == "Success" else "Failure"
    return {
        "version": "0",
        "id": event_id,
        "detail-type": f"Lambda Function Invocation Result - {outcome}",
        "source": "lambda",
        "account": account,
        "time": timestamp(now),
        "region": region,
        "resources": [str(context.get("functionArn", "")), bus_arn],
        "detail": record,
    }


#: TestEventPattern's event must have these (its ``resources`` need not be there, though the
#: reference says so; what AWS answers is what counts).
TEST_EVENT_FIELDS = frozenset({"id", "account", "source", "time", "region", "detail-type"})


def sample_event(text: str) -> dict[str, Any]:
    """TestEventPattern's ``Event``, or AWS's ValidationException."""
    event = _detail(text)
    if not isinstance(event, dict) or not event.keys() >= TEST_EVENT_FIELDS:
        raise EventsValidationException("Parameter Event is not valid.")
    return event
