"""PutEvents' entries, pure: which are refused with which ErrorCode and ErrorMessage, the size
of a request as AWS's guide counts it ("Calculating PutEvents event entry size"), and the
envelope an accepted entry becomes; TestEventPattern's sample event."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import msgspec
import pytest

from lambent.errors import EventsValidationException
from lambent.model.event_entry import (
    ENTRIES_LIMIT_BYTES,
    EntryRefusal,
    PutEventsEntry,
    check_size,
    entry_size,
    envelope,
    refusal,
    sample_event,
    timestamp,
)

ACCOUNT = "123456789012"
REGION = "eu-west-1"


def entry(**fields: object) -> PutEventsEntry:
    base: dict[str, object] = {"source": "shop", "detail_type": "OrderPlaced", "detail": '{"id": 1}'}
    return PutEventsEntry(**(base | fields))


# --- refusal -----------------------------------------------------------------------------------


def test_a_complete_entry_is_accepted() -> None:
    assert refusal(entry()) is None
    assert refusal(entry(detail="{}")) is None


@pytest.mark.parametrize("missing", ["Source", "DetailType", "Detail"])
@pytest.mark.parametrize("empty", [None, ""])
def test_each_required_member_is_refused_by_name(missing: str, empty: str | None) -> None:
    field = {"Source": "source", "DetailType": "detail_type", "Detail": "detail"}[missing]
    assert refusal(entry(**{field: empty})) == EntryRefusal(
        error_code="InvalidArgument",
        error_message=f"Parameter {missing} is not valid. Reason: {missing} is a required argument.",
    )


def test_the_first_missing_member_is_the_one_named() -> None:
    assert refusal(PutEventsEntry()) == EntryRefusal(
        error_code="InvalidArgument", error_message="Parameter Source is not valid. Reason: Source is a required argument."
    )
    refused = refusal(PutEventsEntry(source="shop"))
    assert refused is not None and refused.error_message.startswith("Parameter DetailType ")


def test_awss_own_sources_are_refused() -> None:
    assert refusal(entry(source="aws.ec2")) == EntryRefusal(
        error_code="NotAuthorizedForSourceException", error_message="Not authorized for the source."
    )
    assert refusal(entry(source="awsome.shop")) is None  # the prefix is "aws." with its dot


@pytest.mark.parametrize("detail", ["[]", '"text"', "1", "null", "{", "not json", "[" * 100_000])
def test_a_detail_that_is_not_a_json_object_is_malformed(detail: str) -> None:
    assert refusal(entry(detail=detail)) == EntryRefusal(error_code="MalformedDetail", error_message="Detail is malformed.")


def test_refusals_render_as_awss_members() -> None:
    refused = refusal(entry(source="aws.s3"))
    assert msgspec.to_builtins(refused) == {
        "ErrorCode": "NotAuthorizedForSourceException",
        "ErrorMessage": "Not authorized for the source.",
    }


# --- entry_size and check_size ------------------------------------------------------------------


def test_size_is_the_utf8_bytes_of_source_detail_type_detail_and_resources() -> None:
    sized = PutEventsEntry(source="abc", detail_type="de", detail='{"k":"é"}', resources=["r1", "€"])
    # 3 + 2 + 10 ('{"k":"é"}' is 9 characters, é two bytes) + 2 + 3 (€ is three bytes)
    assert entry_size(sized) == 20


def test_a_time_counts_14_bytes_whatever_its_value() -> None:
    assert entry_size(entry(time=0.0)) == entry_size(entry()) + 14
    assert entry_size(entry(time=1_700_000_000.5)) == entry_size(entry()) + 14


def test_members_not_sized_are_not_counted() -> None:
    plain = entry_size(entry())
    assert entry_size(entry(event_bus_name="a-long-bus-name", trace_header="Root=1-abc")) == plain
    assert entry_size(PutEventsEntry()) == 0
    assert entry_size(entry(resources=[])) == plain


def test_the_entries_of_a_request_may_total_256_kb_but_not_one_byte_more() -> None:
    assert ENTRIES_LIMIT_BYTES == 262_144
    fixed = len("s") + len("t") + len("{}")  # 4 bytes besides the padding
    half = ENTRIES_LIMIT_BYTES // 2
    padded = PutEventsEntry(source="s", detail_type="t", detail="{}", resources=["x" * (half - fixed)])
    assert entry_size(padded) == half
    check_size([padded, padded])  # exactly the limit
    one_more = PutEventsEntry(source="s", detail_type="t", detail="{}", resources=["x" * (half - fixed + 1)])
    with pytest.raises(EventsValidationException) as refused:
        check_size([padded, one_more])
    assert refused.value.message == "Total size of the entries in the request is over the limit."
    assert refused.value.error_type == "ValidationException"
    with pytest.raises(EventsValidationException):
        check_size([padded, msgspec.structs.replace(padded, time=1.0)])  # Time's 14 bytes tip it over
    check_size([])


# --- envelope ----------------------------------------------------------------------------------


def test_the_envelope_has_awss_members_in_awss_order() -> None:
    event = envelope(
        entry(resources=["arn:aws:s3:::b"], detail='{"id": 1, "items": [2]}'), "ev-1", ACCOUNT, REGION, 1_700_000_000.9
    )
    assert list(event) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert event == {
        "version": "0",
        "id": "ev-1",
        "detail-type": "OrderPlaced",
        "source": "shop",
        "account": ACCOUNT,
        "time": "2023-11-14T22:13:20Z",
        "region": REGION,
        "resources": ["arn:aws:s3:::b"],
        "detail": {"id": 1, "items": [2]},
    }
    assert json.dumps(event).startswith('{"version": "0", "id": "ev-1", "detail-type": ')


def test_the_envelopes_time_is_the_entrys_time_else_now_to_the_second_in_utc() -> None:
    assert envelope(entry(time=86_400.999), "e", ACCOUNT, REGION, 1_700_000_000.0)["time"] == "1970-01-02T00:00:00Z"
    assert envelope(entry(time=0.0), "e", ACCOUNT, REGION, 1_700_000_000.0)["time"] == "1970-01-01T00:00:00Z"
    assert envelope(entry(), "e", ACCOUNT, REGION, 1_700_000_000.0)["time"] == "2023-11-14T22:13:20Z"


def test_the_envelope_has_empty_resources_when_the_entry_has_none() -> None:
    assert envelope(entry(), "e", ACCOUNT, REGION, 0.0)["resources"] == []
    resources = ["a"]
    event = envelope(entry(resources=resources), "e", ACCOUNT, REGION, 0.0)
    event["resources"].append("b")
    assert resources == ["a"]  # a copy, not the entry's list


def test_timestamp_is_utc_to_the_second_whatever_the_local_zone() -> None:
    moment = datetime(2026, 2, 28, 23, 59, 59, 999_000, tzinfo=UTC).timestamp()
    assert timestamp(moment) == "2026-02-28T23:59:59Z"


# --- sample_event ------------------------------------------------------------------------------

SAMPLE = {
    "id": "1",
    "account": ACCOUNT,
    "source": "shop",
    "time": "2026-01-01T00:00:00Z",
    "region": REGION,
    "detail-type": "OrderPlaced",
}


def test_a_sample_event_needs_awss_members_but_not_resources() -> None:
    assert sample_event(json.dumps(SAMPLE)) == SAMPLE
    with_more = {**SAMPLE, "resources": [], "detail": {"id": 1}}
    assert sample_event(json.dumps(with_more)) == with_more


@pytest.mark.parametrize("missing", sorted(SAMPLE))
def test_a_sample_event_without_a_required_member_is_refused(missing: str) -> None:
    event = {key: value for key, value in SAMPLE.items() if key != missing}
    with pytest.raises(EventsValidationException) as refused:
        sample_event(json.dumps(event))
    assert refused.value.message == "Parameter Event is not valid."


@pytest.mark.parametrize("text", ["", "not json", "[]", json.dumps([SAMPLE]), "null"])
def test_a_sample_event_that_is_not_a_json_object_is_refused(text: str) -> None:
    with pytest.raises(EventsValidationException) as refused:
        sample_event(text)
    assert refused.value.message == "Parameter Event is not valid."
