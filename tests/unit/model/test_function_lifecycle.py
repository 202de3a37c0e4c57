"""States, update statuses and revisions of a version; publishing after any change; AWS's
runtime deprecation schedule (lambent.model.function_state, function_update, runtime_schedule)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.errors import InvalidParameterValueException
from lambent.model.constraints import runtime_names
from lambent.model.function import FunctionVersion, configuration_document, listed_document
from lambent.model.function_state import creating, is_transient, settled, updating
from lambent.model.function_update import published_version, replaced, unchanged_since
from lambent.model.runtime_schedule import SCHEDULE, blocked_message, check_not_blocked, successor

MOMENT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
STATE_KEYS = (
    "State",
    "StateReason",
    "StateReasonCode",
    "LastUpdateStatus",
    "LastUpdateStatusReason",
    "LastUpdateStatusReasonCode",
)


def _version(revision_id: str = "r0") -> FunctionVersion:
    return FunctionVersion(
        name="f",
        runtime="python3.12",
        handler="app.handler",
        role="arn:aws:iam::123456789012:role/r",
        code_sha256_hex="00" * 32,
        code_size=1,
        last_modified="2026-01-02T03:04:05.000+0000",
        revision_id=revision_id,
    )


def _states(version: FunctionVersion) -> dict[str, object]:
    doc = configuration_document(version, "eu-west-1", "123456789012")
    return {k: doc[k] for k in STATE_KEYS if k in doc}


def test_a_version_being_created_is_pending_with_no_update_status() -> None:
    assert _states(creating(_version())) == {
        "State": "Pending",
        "StateReason": "The function is being created.",
        "StateReasonCode": "Creating",
    }


def test_a_version_being_updated_is_active_and_in_progress_with_awss_reason() -> None:
    assert _states(updating(_version())) == {
        "State": "Active",
        "LastUpdateStatus": "InProgress",
        "LastUpdateStatusReason": "The function is being created.",
        "LastUpdateStatusReasonCode": "Creating",
    }


def test_settling_makes_it_active_and_successful_with_the_new_revision() -> None:
    for transient in (creating(_version()), updating(_version())):
        assert is_transient(transient)
        done = settled(transient, "r1")
        assert _states(done) == {"State": "Active", "LastUpdateStatus": "Successful"}
        assert done.revision_id == "r1" and not is_transient(done)


def test_a_listing_leaves_out_states_and_runtime_version() -> None:
    full = configuration_document(updating(_version()), "eu-west-1", "123456789012")
    listed = listed_document(updating(_version()), "eu-west-1", "123456789012")
    assert listed == {k: v for k, v in full.items() if k not in (*STATE_KEYS, "RuntimeVersionConfig")}
    assert "RuntimeVersionConfig" in full


def test_any_change_to_latest_makes_the_next_publish_new() -> None:
    latest = _version(revision_id="r1")
    one = published_version(latest, 1, "v1")
    assert one.published_from == latest.revision_id
    assert unchanged_since(one, latest, None) and unchanged_since(one, latest, one.description)
    assert not unchanged_since(one, latest, "other words")
    # A description alone (the same code and configuration otherwise) is a change.
    described = replaced(latest, {"description": "only this"}, MOMENT, "r2")
    assert not unchanged_since(one, described, None)
    # So is an update that changes nothing: $LATEST has a new revision.
    assert not unchanged_since(one, replaced(latest, {}, MOMENT, "r3"), None)


def test_versions_published_before_their_source_was_recorded_compare_as_snapshots() -> None:
    latest = _version()
    legacy = msgspec.structs.replace(published_version(latest, 1, "v1"), published_from="")
    assert unchanged_since(legacy, replaced(latest, {}, MOMENT, "r9"), None)
    assert not unchanged_since(legacy, replaced(latest, {"description": "new"}, MOMENT, "r9"), None)


def _blocked(runtime: str, successor: str) -> str:
    return (
        f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda functions. "
        f"We recommend you use the new runtime ({successor}) while creating or updating functions."
    )


def test_creates_are_refused_from_the_block_create_date_with_awss_message() -> None:
    known = runtime_names()
    check_not_blocked("python3.7", "create", date(2024, 1, 8), known)
    with pytest.raises(InvalidParameterValueException) as refused:
        check_not_blocked("python3.7", "create", date(2024, 1, 9), known)
    assert refused.value.message == _blocked("python3.7", "python3.15")
    with pytest.raises(InvalidParameterValueException) as refused:
        check_not_blocked("provided", "create", date(2024, 2, 8), known)
    assert refused.value.message == _blocked("provided", "provided.al2023")


def test_updates_are_refused_only_from_the_later_block_update_date() -> None:
    known = runtime_names()
    check_not_blocked("python3.9", "create", date(2027, 1, 31), known)
    check_not_blocked("python3.9", "update", date(2027, 3, 2), known)
    with pytest.raises(InvalidParameterValueException):
        check_not_blocked("python3.9", "create", date(2027, 2, 1), known)
    with pytest.raises(InvalidParameterValueException) as refused:
        check_not_blocked("python3.9", "update", date(2027, 3, 3), known)
    assert refused.value.message == _blocked("python3.9", "python3.15")


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 1, 1)), st.sampled_from(sorted(SCHEDULE)))
def test_the_schedule_blocks_exactly_from_its_dates(today: date, runtime: str) -> None:
    deprecation = SCHEDULE[runtime]
    for operation, since in (("create", deprecation.block_create), ("update", deprecation.block_update)):
        blocked = since is not None and today >= since
        try:
            check_not_blocked(runtime, operation, today, runtime_names())  # type: ignore[arg-type]
        except InvalidParameterValueException as error:
            assert blocked and error.message == blocked_message(runtime, runtime_names())
        else:
            assert not blocked


def test_runtimes_without_a_schedule_are_never_blocked() -> None:
    for runtime in ("python3.12", "nodejs22.x", "provided.al2023", None):
        check_not_blocked(runtime, "create", date(2035, 1, 1), runtime_names())


def test_dates_are_in_order_and_the_successor_is_the_newest_of_the_language() -> None:
    for runtime, deprecation in SCHEDULE.items():
        blocks = [d for d in (deprecation.block_create, deprecation.block_update) if d is not None]
        assert blocks == sorted(blocks) and all(d >= deprecation.deprecated for d in blocks)
        assert deprecation.deprecated - date(2020, 1, 1) > timedelta(0), runtime
    assert successor("python3.9", runtime_names()) == "python3.15"
    assert successor("nodejs16.x", ["nodejs16.x", "nodejs8.10", "nodejs22.x", "nodejs4.3-edge"]) == "nodejs22.x"
