"""A batch's decisions as AWS makes them: which records a ReportBatchItemFailures answer fails
(the whole batch when the answer is not one), filters over the record, the queue pollers'
scaling, and what LastProcessingResult says."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.model import event_source_batch as batch
from lambent.model.event_source_mapping import FilterCriteria, FilterSpec, MappingInput

IDS = ["a", "b", "c"]


@pytest.mark.parametrize("answer", [None, {}, {"batchItemFailures": None}, {"batchItemFailures": []}, "ok", 5])
def test_a_complete_success(answer: Any) -> None:
    assert batch.failed_items(answer, True, IDS) == set()


@pytest.mark.parametrize(
    "answer",
    [
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"itemId": "a"}]},
        {"batchItemFailures": [{"itemIdentifier": "z"}]},
        {"batchItemFailures": "a"},
    ],
)
def test_a_complete_failure(answer: Any) -> None:
    assert batch.failed_items(answer, True, IDS) is None


def test_an_answer_that_is_not_json_fails_the_batch_and_named_items_fail_alone() -> None:
    assert batch.failed_items(None, False, IDS) is None
    answer = {"batchItemFailures": [{"itemIdentifier": "b"}, {"itemIdentifier": "c"}]}
    assert batch.failed_items(answer, True, IDS) == {"b", "c"}


@given(st.lists(st.sampled_from(IDS), max_size=5))
def test_named_items_are_exactly_what_fails(named: list[str]) -> None:
    answer = {"batchItemFailures": [{"itemIdentifier": i} for i in named]}
    assert batch.failed_items(answer, True, IDS) == set(named)


def test_filters_keep_what_any_pattern_matches() -> None:
    settings = MappingInput(
        filter_criteria=FilterCriteria(
            filters=[
                FilterSpec(pattern='{"body": {"kind": ["a"]}}'),
                FilterSpec(pattern='{"body": {"n": [{"numeric": [">", 5]}]}}'),
            ]
        )
    )
    patterns = batch.filters(settings)
    assert batch.matches(patterns, {"body": {"kind": "a"}})
    assert batch.matches(patterns, {"body": {"n": 6}})
    assert not batch.matches(patterns, {"body": {"n": 5}})
    assert not batch.matches(patterns, {"body": "a plain string"})
    assert batch.matches(batch.filters(MappingInput()), {"body": "anything"})


@given(st.integers(2, 1000), st.integers(1, 1000), st.booleans(), st.booleans())
def test_workers_stay_between_the_start_and_the_maximum(maximum: int, current: int, full: bool, empty: bool) -> None:
    current = max(min(current, maximum), batch.start_workers(maximum))
    after = batch.next_workers(current, full, empty and not full, maximum)
    assert batch.start_workers(maximum) <= after <= maximum
    if full:
        assert after == min(current + 1, maximum)


def test_five_workers_at_first_unless_fewer_are_allowed() -> None:
    assert batch.start_workers(1000) == 5
    assert batch.start_workers(2) == 2


def test_the_processing_result_says_what_happened() -> None:
    assert batch.processing_result(None, None) == "OK"
    assert batch.processing_result("Runtime.Unknown", None) == "PROBLEM: Function call failed"
    assert batch.processing_result(None, "TooManyRequestsException: Rate Exceeded.").startswith("PROBLEM: Function call failed.")
