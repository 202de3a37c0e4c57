"""The batch decisions of a Kinesis shard, pure: batches cut by count, size and tumbling window;
records too old; retries, bisection and partial failures as AWS applies them; lanes by partition
key; the checkpoint behind the slowest lane; and AWS's on-failure record."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.model.event_source_mapping import MappingInput
from lambent.model.event_source_rules import settle
from lambent.model.stream_batch import (
    AGE_EXCEEDED,
    RETRIES_EXHAUSTED,
    Attempt,
    LastInvoke,
    Outcome,
    StreamRecord,
    StreamRules,
    after_invoke,
    batch_cut,
    expired,
    failure_record,
    lane_of,
    order,
    ready,
    retry_delay_s,
    rules_of,
    settled,
)

ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/s"
FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:f"
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def rec(n: int, key: str = "k", at: float = T0, size: int = 100) -> StreamRecord:
    return StreamRecord(sequence_number=str(49_000_000_000_000 + n), partition_key=key, arrival_s=at, size=size)


def seqs(records: tuple[StreamRecord, ...] | list[StreamRecord]) -> list[int]:
    return [int(r.sequence_number) - 49_000_000_000_000 for r in records]


def batch(*ns: int) -> Attempt:
    return Attempt(records=tuple(rec(n) for n in ns))


# -- rules ---------------------------------------------------------------------------------------


def test_the_rules_of_a_settled_kinesis_mapping_are_awss_defaults() -> None:
    settings = settle("kinesis", MappingInput(event_source_arn=ARN, function_name="f", starting_position="LATEST"))
    assert rules_of(settings) == StreamRules(
        batch_size=100, window_s=0.0, retries=-1, max_age_s=None, bisect=False, report_failures=False, lanes=1, tumbling_s=0
    )


def test_the_rules_take_every_setting() -> None:
    settings = MappingInput(
        batch_size=7,
        maximum_batching_window_in_seconds=3,
        maximum_retry_attempts=0,
        maximum_record_age_in_seconds=120,
        bisect_batch_on_function_error=True,
        function_response_types=["ReportBatchItemFailures"],
        parallelization_factor=4,
    )
    assert rules_of(settings) == StreamRules(
        batch_size=7, window_s=3.0, retries=0, max_age_s=120.0, bisect=True, report_failures=True, lanes=4
    )


@pytest.mark.parametrize(
    ("age", "retention", "expected"), [(-1, None, None), (-1, 86400, 86400.0), (60, 86400, 60.0), (604800, 86400, 86400.0)]
)
def test_the_streams_retention_is_the_oldest_a_record_may_be(age: int, retention: float | None, expected: float | None) -> None:
    assert rules_of(MappingInput(maximum_record_age_in_seconds=age), retention).max_age_s == expected


def test_a_tumbling_window_reads_the_shard_as_one_lane() -> None:
    rules = rules_of(MappingInput(parallelization_factor=5, tumbling_window_in_seconds=60))
    assert (rules.lanes, rules.tumbling_s) == (1, 60)


def test_sequence_numbers_order_by_value_not_text() -> None:
    assert order("9") < order("10")
    assert sorted(["100", "99", "1000"], key=order) == ["99", "100", "1000"]


# -- lanes -----------------------------------------------------------------------------------------


def test_one_lane_takes_everything() -> None:
    assert {lane_of(f"key-{i}", 1) for i in range(100)} == {0}


def test_a_partition_key_always_has_the_same_lane_and_keys_spread_over_all_lanes() -> None:
    lanes = {f"key-{i}": lane_of(f"key-{i}", 4) for i in range(400)}
    assert all(lane_of(key, 4) == lane for key, lane in lanes.items())
    counts: dict[int, int] = defaultdict(int)
    for lane in lanes.values():
        counts[lane] += 1
    assert set(counts) == {0, 1, 2, 3}
    assert min(counts.values()) > 60  # MD5 spreads them about evenly (100 each)


@given(st.text(), st.integers(min_value=1, max_value=10))
def test_a_lane_is_always_one_of_the_lanes(key: str, lanes: int) -> None:
    assert 0 <= lane_of(key, lanes) < lanes


# -- cutting batches ---------------------------------------------------------------------------------


def test_a_batch_takes_at_most_batch_size_records() -> None:
    waiting = [rec(i) for i in range(10)]
    assert batch_cut(waiting, StreamRules(batch_size=4)) == 4
    assert batch_cut(waiting, StreamRules(batch_size=100)) == 10
    assert batch_cut([], StreamRules()) == 0


def test_a_batch_is_cut_before_the_payload_limit_but_takes_at_least_one() -> None:
    waiting = [rec(i, size=400) for i in range(10)]
    assert batch_cut(waiting, StreamRules(), limit_bytes=1000) == 2
    assert batch_cut(waiting, StreamRules(), limit_bytes=1200) == 3
    assert batch_cut([rec(0, size=5000)], StreamRules(), limit_bytes=1000) == 1


def test_a_batch_never_spans_two_tumbling_windows() -> None:
    waiting = [rec(0, at=T0 + 10), rec(1, at=T0 + 59.999), rec(2, at=T0 + 60), rec(3, at=T0 + 61)]
    assert batch_cut(waiting, StreamRules(tumbling_s=60)) == 2
    assert batch_cut(waiting[2:], StreamRules(tumbling_s=60)) == 2
    assert batch_cut(waiting, StreamRules(tumbling_s=0)) == 4


def test_records_make_a_batch_when_full_or_when_the_batching_window_passed() -> None:
    rules = StreamRules(batch_size=3, window_s=2.0)
    assert not ready([], 0.0, 100.0, rules)
    assert not ready([rec(0), rec(1)], 10.0, 11.9, rules)
    assert ready([rec(0), rec(1)], 10.0, 12.0, rules)
    assert ready([rec(0), rec(1), rec(2)], 10.0, 10.0, rules)
    assert ready([rec(0, size=600), rec(1, size=600)], 10.0, 10.0, rules, limit_bytes=1000)


def test_without_a_batching_window_anything_waiting_is_a_batch() -> None:
    assert ready([rec(0)], 10.0, 10.0, StreamRules(batch_size=100, window_s=0.0))


def test_a_window_boundary_makes_a_batch_at_once() -> None:
    rules = StreamRules(batch_size=100, window_s=30.0, tumbling_s=60)
    assert ready([rec(0, at=T0 + 59), rec(1, at=T0 + 60)], 10.0, 10.0, rules)
    assert not ready([rec(0, at=T0 + 58), rec(1, at=T0 + 59)], 10.0, 10.0, rules)


# -- age -------------------------------------------------------------------------------------------


def test_the_records_older_than_the_maximum_age_are_the_leading_ones() -> None:
    records = [rec(0, at=T0), rec(1, at=T0 + 30), rec(2, at=T0 + 61)]
    assert expired(records, T0 + 90, 60.0) == 1
    assert expired(records, T0 + 91, 60.0) == 2
    assert expired(records, T0 + 60, 60.0) == 0  # exactly the maximum age is not older
    assert expired(records, T0 + 10_000, 60.0) == 3
    assert expired(records, T0 + 10_000, None) == 0


# -- after an invocation ---------------------------------------------------------------------------


def test_a_success_settles_the_whole_batch() -> None:
    outcome = after_invoke(batch(1, 2, 3), set(), StreamRules())
    assert seqs(outcome.done) == [1, 2, 3]
    assert (outcome.retry, outcome.exhausted) == ((), None)


def test_a_function_error_retries_the_same_batch_counting_the_retry_and_the_invocation() -> None:
    outcome = after_invoke(batch(1, 2, 3), None, StreamRules(retries=2))
    assert outcome.done == ()
    [again] = outcome.retry
    assert (seqs(again.records), again.retries, again.invocations) == ([1, 2, 3], 1, 1)
    outcome = after_invoke(again, None, StreamRules(retries=2))
    [again] = outcome.retry
    assert (again.retries, again.invocations) == (2, 2)
    outcome = after_invoke(again, None, StreamRules(retries=2))
    assert outcome.retry == ()
    assert outcome.exhausted is not None
    assert (seqs(outcome.exhausted.records), outcome.exhausted.invocations) == ([1, 2, 3], 3)


def test_no_retries_sends_the_first_failure_to_the_failure_path() -> None:
    outcome = after_invoke(batch(1, 2), None, StreamRules(retries=0))
    assert outcome.exhausted == Attempt(records=batch(1, 2).records, retries=0, invocations=1)


def test_minus_one_retries_forever() -> None:
    attempt = batch(1)
    for _ in range(500):
        outcome = after_invoke(attempt, None, StreamRules(retries=-1))
        assert outcome.exhausted is None
        [attempt] = outcome.retry
    assert (attempt.retries, attempt.invocations) == (500, 500)


def test_bisecting_splits_a_failed_batch_in_order_without_counting_a_retry() -> None:
    rules = StreamRules(retries=1, bisect=True)
    outcome = after_invoke(batch(1, 2, 3, 4, 5), None, rules)
    first, second = outcome.retry
    assert (seqs(first.records), seqs(second.records)) == ([1, 2, 3], [4, 5])
    assert (first.retries, first.invocations, second.retries, second.invocations) == (0, 1, 0, 1)
    assert outcome.done == () and outcome.exhausted is None


def test_bisecting_down_to_one_poison_record_then_retrying_it_until_exhausted() -> None:
    rules = StreamRules(retries=1, bisect=True)
    poison = 3
    queue = [batch(1, 2, 3, 4)]
    done: list[int] = []
    invoked: list[list[int]] = []
    exhausted: list[Attempt] = []
    while queue:
        attempt = queue.pop(0)
        invoked.append(seqs(attempt.records))
        failed: set[str] | None = None if poison in seqs(attempt.records) else set()
        outcome = after_invoke(attempt, failed, rules)
        done += seqs(outcome.done)
        queue[:0] = outcome.retry
        if outcome.exhausted:
            exhausted.append(outcome.exhausted)
    assert invoked == [[1, 2, 3, 4], [1, 2], [3, 4], [3], [3], [4]]
    assert done == [1, 2, 4]
    [gone] = exhausted
    assert (seqs(gone.records), gone.retries, gone.invocations) == ([3], 1, 4)


def test_a_reported_failure_settles_what_is_before_the_lowest_and_retries_from_it() -> None:
    attempt = batch(1, 2, 3, 4, 5)
    outcome = after_invoke(attempt, {rec(4).sequence_number, rec(2).sequence_number}, StreamRules(retries=3))
    assert seqs(outcome.done) == [1]
    [again] = outcome.retry
    assert (seqs(again.records), again.retries, again.invocations) == ([2, 3, 4, 5], 1, 1)


def test_a_reported_failure_is_not_bisected_further() -> None:
    outcome = after_invoke(batch(1, 2, 3, 4), {rec(3).sequence_number}, StreamRules(bisect=True))
    assert seqs(outcome.done) == [1, 2]
    assert [seqs(a.records) for a in outcome.retry] == [[3, 4]]


def test_reported_failures_count_against_the_retries() -> None:
    outcome = after_invoke(Attempt(records=batch(1, 2, 3).records, retries=2), {rec(2).sequence_number}, StreamRules(retries=2))
    assert seqs(outcome.done) == [1]
    assert outcome.exhausted is not None and seqs(outcome.exhausted.records) == [2, 3]


def test_reporting_the_first_record_retries_the_whole_batch() -> None:
    outcome = after_invoke(batch(1, 2), {rec(1).sequence_number}, StreamRules())
    assert outcome.done == ()
    assert [seqs(a.records) for a in outcome.retry] == [[1, 2]]


def test_a_split_keeps_the_retries_its_batch_had() -> None:
    outcome = after_invoke(Attempt(records=batch(1, 2).records, retries=2, invocations=3), None, StreamRules(bisect=True))
    assert [(a.retries, a.invocations) for a in outcome.retry] == [(2, 4), (2, 4)]


def test_a_retry_waits_longer_each_time_and_a_new_batch_or_a_half_not_at_all() -> None:
    assert retry_delay_s(batch(1)) == 0.0
    delays = [retry_delay_s(Attempt(records=batch(1).records, retries=n)) for n in range(1, 10)]
    assert delays == sorted(delays)
    assert delays[0] == 0.1 and delays[-1] == 5.0


@given(
    st.lists(st.booleans(), min_size=1, max_size=12),
    st.integers(min_value=-1, max_value=3),
    st.booleans(),
)
def test_every_record_ends_done_or_exhausted_once_and_in_order(poisons: list[bool], retries: int, bisect: bool) -> None:
    """Whatever fails, each record is settled exactly once, and the records done come in shard
    order (the lane never skips ahead of a batch still being tried)."""
    if retries == -1:
        retries = 2  # a poison record would be retried forever
    rules = StreamRules(retries=retries, bisect=bisect)
    poison = {i for i, bad in enumerate(poisons) if bad}
    queue = [Attempt(records=tuple(rec(i) for i in range(len(poisons))))]
    settled_order: list[int] = []
    steps = 0
    while queue:
        steps += 1
        assert steps < 1000
        attempt = queue.pop(0)
        failed: set[str] | None = None if poison & set(seqs(attempt.records)) else set()
        outcome: Outcome = after_invoke(attempt, failed, rules)
        settled_order += seqs(outcome.done)
        if outcome.exhausted:
            settled_order += seqs(outcome.exhausted.records)
            assert poison & set(seqs(outcome.exhausted.records))
        queue[:0] = outcome.retry
    assert settled_order == list(range(len(poisons)))


# -- the checkpoint --------------------------------------------------------------------------------


def test_the_checkpoint_stops_at_the_first_record_not_done() -> None:
    read = ["1", "2", "3", "4"]
    assert settled(read, set()) == 0
    assert settled(read, {"2", "3"}) == 0
    assert settled(read, {"1", "3"}) == 1
    assert settled(read, {"1", "2", "3", "4"}) == 4
    assert settled([], {"1"}) == 0


def test_lanes_done_out_of_order_move_the_checkpoint_only_past_what_all_finished() -> None:
    records = [rec(i, key=f"key-{i % 5}") for i in range(20)]
    lanes: dict[int, list[StreamRecord]] = defaultdict(list)
    for record in records:
        lanes[lane_of(record.partition_key, 3)].append(record)
    read = [r.sequence_number for r in records]
    fast = max(lanes, key=lambda lane: len(lanes[lane]))
    done = {r.sequence_number for r in lanes[fast]}
    first_slow = min(i for i, r in enumerate(records) if r.sequence_number not in done)
    assert settled(read, done) == first_slow
    done |= {r.sequence_number for lane in lanes.values() for r in lane}
    assert settled(read, done) == 20


# -- the failure record ----------------------------------------------------------------------------


def test_the_failure_record_is_awss() -> None:
    records = [rec(1, at=T0 + 4.835), rec(2, at=T0 + 5.58)]
    last = LastInvoke(request_id="c9b8fa9f-5a7f-xmpl", status_code=200, executed_version="$LATEST", function_error=True)
    shaped = failure_record(
        records,
        RETRIES_EXHAUSTED,
        3,
        last,
        request_id="unused",
        function_arn=FUNCTION,
        shard_id="shardId-000000000001",
        stream_arn=ARN,
        now=T0 + 6.021,
    )
    assert shaped == {
        "requestContext": {
            "requestId": "c9b8fa9f-5a7f-xmpl",
            "functionArn": FUNCTION,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 3,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": "2026-01-01T00:00:06.021Z",
        "KinesisBatchInfo": {
            "shardId": "shardId-000000000001",
            "startSequenceNumber": records[0].sequence_number,
            "endSequenceNumber": records[1].sequence_number,
            "approximateArrivalOfFirstRecord": "2026-01-01T00:00:04.835Z",
            "approximateArrivalOfLastRecord": "2026-01-01T00:00:05.580Z",
            "batchSize": 2,
            "streamArn": ARN,
        },
    }
    assert list(shaped) == ["requestContext", "responseContext", "version", "timestamp", "KinesisBatchInfo"]


def test_records_too_old_before_any_invocation_have_no_response_context() -> None:
    shaped = failure_record(
        [rec(1)], AGE_EXCEEDED, 0, None, request_id="r-1", function_arn=FUNCTION, shard_id="s", stream_arn=ARN, now=T0
    )
    assert shaped["requestContext"] == {
        "requestId": "r-1",
        "functionArn": FUNCTION,
        "condition": "RecordAgeExceeded",
        "approximateInvokeCount": 0,
    }
    assert "responseContext" not in shaped
    assert shaped["KinesisBatchInfo"]["batchSize"] == 1


def test_a_reported_or_refused_failure_has_no_function_error() -> None:
    for last in (LastInvoke(request_id="r"), LastInvoke(request_id="r", status_code=429)):
        shaped = failure_record(
            [rec(1)], RETRIES_EXHAUSTED, 1, last, request_id="x", function_arn=FUNCTION, shard_id="s", stream_arn=ARN, now=T0
        )
        assert shaped["responseContext"] == {"statusCode": last.status_code, "executedVersion": "$LATEST"}
