"""The decisions a stream poller makes about the batches of one Kinesis shard, as AWS makes
them. Pure: time is an argument.

A shard is read in order and its records are split by partition key into
``ParallelizationFactor`` lanes (``lane_of``). A lane's batches go one at a time, in order: the
lane waits until a batch has succeeded or taken the failure path before it starts the next. Records
with one partition key are always in one lane, so they reach the function in the order they were
written. The shard's checkpoint is the highest sequence number below which every record is done
(``settled``). A record is done when it succeeded, when a filter dropped it, or when it took the
failure path.

A batch is up to ``BatchSize`` records, or what arrived within
``MaximumBatchingWindowInSeconds``. It is cut before the 6 MB payload limit and never spans two
tumbling windows (``batch_cut``, ``ready``). Before each try, the records older than
``MaximumRecordAgeInSeconds`` go to the failure path (``expired``), and so do records older
than the stream's retention. After each try, ``after_invoke`` decides:

- on success, the batch is done;
- with ``ReportBatchItemFailures``, the records before the lowest reported sequence number are
  done, and the batch is retried from that record. This is a retry, and
  ``BisectBatchOnFunctionError`` does not halve it further: AWS bisects "at the returned
  sequence number";
- on a function error, the batch is retried, up to ``MaximumRetryAttempts`` times (-1: until
  the records expire). With ``BisectBatchOnFunctionError`` it is split in two halves, which are
  retried in order. A split does not count as a retry: each half keeps the count it had;
- when the retries are spent, the records take the failure path with AWS's condition
  ``RetryAttemptsExhausted``; when the records are too old, the condition is
  ``RecordAgeExceeded``. ``failure_record`` is what goes to the on-failure destination; then the
  shard moves past those records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence, Set
from datetime import UTC, datetime
from typing import Any

import msgspec

from lambent.model.event_source_batch import PAYLOAD_LIMIT_BYTES
from lambent.model.event_source_mapping import MappingInput
from lambent.model.stream_window import window_of

RETRIES_EXHAUSTED = "RetryAttemptsExhausted"
AGE_EXCEEDED = "RecordAgeExceeded"
#: The wait before a lane tries a failed batch again, doubling from the first to the last.
RETRY_BACKOFF_S = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)


class StreamRecord(msgspec.Struct, frozen=True, kw_only=True):
    """What the decisions need of one record read from a shard."""

    sequence_number: str
    partition_key: str
    #: ``ApproximateArrivalTimestamp``, in epoch seconds.
    arrival_s: float
    #: The bytes the record adds to the function's event.
    size: int = 0


class StreamRules(msgspec.Struct, frozen=True, kw_only=True):
    """A stream mapping's settings, as its batch decisions read them."""

    batch_size: int = 100
    window_s: float = 0.0
    #: -1: retry until the records expire.
    retries: int = -1
    #: None: records never get too old (the stream's retention aside).
    max_age_s: float | None = None
    bisect: bool = False
    report_failures: bool = False
    lanes: int = 1
    #: 0: no tumbling window.
    tumbling_s: int = 0


def rules_of(settings: MappingInput, retention_s: float | None = None) -> StreamRules:
    """The rules of a mapping's settings (its defaults settled), on a stream that keeps records
    for *retention_s*: a record past it is gone from the stream, so it counts as too old."""
    age = settings.maximum_record_age_in_seconds
    limits = [float(x) for x in (age if age is not None and age != -1 else None, retention_s) if x is not None]
    tumbling = settings.tumbling_window_in_seconds or 0
    return StreamRules(
        batch_size=settings.batch_size or 100,
        window_s=float(settings.maximum_batching_window_in_seconds or 0),
        retries=-1 if settings.maximum_retry_attempts is None else settings.maximum_retry_attempts,
        max_age_s=min(limits) if limits else None,
        bisect=bool(settings.bisect_batch_on_function_error),
        report_failures="ReportBatchItemFailures" in (settings.function_response_types or []),
        # a tumbling window's state belongs to the shard: one lane carries it
        lanes=1 if tumbling else (settings.parallelization_factor or 1),
        tumbling_s=tumbling,
    )


def order(sequence_number: str) -> int:
    """Sequence numbers are decimal strings of up to 128 bits. Their order is the order of their
    values, not of their text."""
    return int(sequence_number)


def lane_of(partition_key: str, lanes: int) -> int:
    """The lane of a record: its partition key's hash, which is Kinesis's own MD5 hash key,
    taken modulo the lanes."""
    if lanes <= 1:
        return 0
    digest = hashlib.md5(partition_key.encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest, "big") % lanes


# -- batches ---------------------------------------------------------------------------------------


def batch_cut(waiting: Sequence[StreamRecord], rules: StreamRules, limit_bytes: int = PAYLOAD_LIMIT_BYTES) -> int:
    """How many of a lane's waiting records (in order) the next batch takes: at most
    ``BatchSize``, under *limit_bytes*, none past the end of the first record's tumbling window,
    and at least one."""
    if not waiting:
        return 0
    window = window_of(waiting[0].arrival_s, rules.tumbling_s) if rules.tumbling_s else None
    size, taken = 0, 0
    for record in waiting[: rules.batch_size]:
        if taken and size + record.size > limit_bytes:
            break
        if window is not None and taken and window_of(record.arrival_s, rules.tumbling_s) != window:
            break
        size += record.size
        taken += 1
    return taken


def ready(
    waiting: Sequence[StreamRecord], since: float, now: float, rules: StreamRules, limit_bytes: int = PAYLOAD_LIMIT_BYTES
) -> bool:
    """Whether a lane's waiting records make a batch now. *since* is when the first of them was
    read, on the same clock as *now*. They make one when the batch is full, by count, by size or
    at a window's end, or when the batching window since the first has passed."""
    if not waiting:
        return False
    taken = batch_cut(waiting, rules, limit_bytes)
    return taken < len(waiting) or taken >= rules.batch_size or now - since >= rules.window_s


def expired(records: Sequence[StreamRecord], now: float, max_age_s: float | None) -> int:
    """How many of *records*, from the first on, are older than *max_age_s* at *now*. Records
    arrive in order, so the old ones come first."""
    if max_age_s is None:
        return 0
    count = 0
    for record in records:
        if now - record.arrival_s <= max_age_s:
            break
        count += 1
    return count


class Attempt(msgspec.Struct, frozen=True, kw_only=True):
    """A batch being tried."""

    records: tuple[StreamRecord, ...]
    #: Failed tries of these records that were followed by a retry (a split is not one).
    retries: int = 0
    #: Invocations that carried these records: ``approximateInvokeCount``.
    invocations: int = 0


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """What follows a try: the records done, the batches to try next (in order, before any new
    one), and the batch whose retries are spent (it takes the failure path)."""

    done: tuple[StreamRecord, ...] = ()
    retry: tuple[Attempt, ...] = ()
    exhausted: Attempt | None = None


def after_invoke(attempt: Attempt, failed: Set[str] | None, rules: StreamRules) -> Outcome:
    """The decision after *attempt* was invoked. *failed* holds the sequence numbers the function
    reported as failed (empty: success); None means the whole batch failed (a function error, a
    refused invocation, or an answer that names no record of the batch)."""
    tried = msgspec.structs.replace(attempt, invocations=attempt.invocations + 1)
    records = tried.records
    if failed is not None and not failed:
        return Outcome(done=records)
    if failed is not None:
        first = next(i for i, record in enumerate(records) if record.sequence_number in failed)
        rest = msgspec.structs.replace(tried, records=records[first:])
        return _retry_or_give_up(rest, records[:first], rules)
    if rules.bisect and len(records) > 1:
        half = (len(records) + 1) // 2
        return Outcome(
            retry=(
                msgspec.structs.replace(tried, records=records[:half]),
                msgspec.structs.replace(tried, records=records[half:]),
            )
        )
    return _retry_or_give_up(tried, (), rules)


def _retry_or_give_up(attempt: Attempt, done: tuple[StreamRecord, ...], rules: StreamRules) -> Outcome:
    if rules.retries != -1 and attempt.retries >= rules.retries:
        return Outcome(done=done, exhausted=attempt)
    return Outcome(done=done, retry=(msgspec.structs.replace(attempt, retries=attempt.retries + 1),))


def retry_delay_s(attempt: Attempt) -> float:
    """How long a lane waits before it tries *attempt*. A new batch, or a half of a split, goes
    at once; a retry waits longer each time."""
    if attempt.retries == 0:
        return 0.0
    return RETRY_BACKOFF_S[min(attempt.retries, len(RETRY_BACKOFF_S)) - 1]


def settled(read: Sequence[str], done: Set[str]) -> int:
    """How many of the records *read* (sequence numbers, in shard order) are done, counting from
    the first one. The checkpoint may move past exactly that many: a record done in one lane
    waits for the records before it in the other lanes."""
    count = 0
    for sequence_number in read:
        if sequence_number not in done:
            break
        count += 1
    return count


# -- the failure path ------------------------------------------------------------------------------


class LastInvoke(msgspec.Struct, frozen=True, kw_only=True):
    """The last invocation of a batch that took the failure path, as its failure record tells it."""

    request_id: str
    status_code: int = 200
    executed_version: str = "$LATEST"
    #: Whether the function itself failed (``functionError: Unhandled``). A partial failure it
    #: reported, or a refused invocation, is not a function error.
    function_error: bool = False


def _instant(epoch_s: float) -> str:
    moment = datetime.fromtimestamp(epoch_s, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def failure_record(
    records: Sequence[StreamRecord],
    condition: str,
    invocations: int,
    last: LastInvoke | None,
    *,
    request_id: str,
    function_arn: str,
    shard_id: str,
    stream_arn: str,
    now: float,
) -> dict[str, Any]:
    """AWS's record of a batch sent to an on-failure destination (the developer guide's
    "Kinesis on-failure destination" example). *request_id* stands in when no invocation was
    made; then the record has no ``responseContext``."""
    request: dict[str, Any] = {
        "requestId": last.request_id if last is not None else request_id,
        "functionArn": function_arn,
        "condition": condition,
        "approximateInvokeCount": invocations,
    }
    shaped: dict[str, Any] = {"requestContext": request}
    if last is not None:
        response: dict[str, Any] = {"statusCode": last.status_code, "executedVersion": last.executed_version}
        if last.function_error:
            response["functionError"] = "Unhandled"
        shaped["responseContext"] = response
    shaped["version"] = "1.0"
    shaped["timestamp"] = _instant(now)
    shaped["KinesisBatchInfo"] = {
        "shardId": shard_id,
        "startSequenceNumber": records[0].sequence_number,
        "endSequenceNumber": records[-1].sequence_number,
        "approximateArrivalOfFirstRecord": _instant(records[0].arrival_s),
        "approximateArrivalOfLastRecord": _instant(records[-1].arrival_s),
        "batchSize": len(records),
        "streamArn": stream_arn,
    }
    return shaped
