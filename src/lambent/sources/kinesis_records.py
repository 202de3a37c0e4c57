"""What the readers of one Kinesis mapping share: their needs, their counts, AWS's
``aws:kinesis`` record, and the view the mapping's filters match."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from lambent.clock import Clock
from lambent.model.event_pattern import EventPattern
from lambent.model.stream_batch import StreamRules
from lambent.sources.poller import Counts, InvokeBatch, Report, SendFailure
from lambent.store import EventSourceStore

#: How long an idle shard waits between two GetRecords (AWS polls each shard about once a second).
IDLE_POLL_S = 0.25
#: Waits after Kinesis refused a call, doubling up to the last.
BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0)


@dataclass
class ShardCounts(Counts):
    """What the readers of one mapping counted, summed, and what they are doing now."""

    in_flight: int = 0
    #: Per shard, how old the last record read was when it was read (AWS's IteratorAge).
    iterator_age_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ShardNeeds:
    """What every reader of one mapping is given."""

    call: Callable[..., Awaitable[Any]]
    #: GetShardIterator AT_TIMESTAMP, with a short timeout (Kinesalite never answers it when
    #: nothing arrived since the timestamp).
    at_timestamp: Callable[..., Awaitable[Any]]
    client: Any
    stream_name: str
    stream_arn: str
    uuid: str
    owner: str
    store: EventSourceStore
    clock: Clock
    rules: StreamRules
    filters: list[EventPattern]
    invoke: InvokeBatch
    report: Report
    send_failure: SendFailure
    #: The on-failure destination's ARN, if the mapping has one.
    destination: str | None
    function_arn: str
    region: str
    #: The function's execution role now (``invokeIdentityArn``).
    role: Callable[[], str]
    counts: ShardCounts


def shaped(record: dict[str, Any], shard_id: str, stream_arn: str, region: str, role: str) -> dict[str, Any]:
    """AWS's ``aws:kinesis`` record of one record GetRecords returned (botocore's form)."""
    sequence_number = record["SequenceNumber"]
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record["PartitionKey"],
            "sequenceNumber": sequence_number,
            "data": base64.b64encode(record["Data"]).decode(),
            "approximateArrivalTimestamp": round(record["ApproximateArrivalTimestamp"].timestamp(), 3),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": role,
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


def filter_view(kinesis: dict[str, Any], data: bytes) -> dict[str, Any]:
    """What filters match: the ``kinesis`` object with ``data`` decoded and parsed, when it is
    UTF-8 JSON. Other data stays base64, so a pattern on it matches nothing and the record is
    dropped, as AWS drops it."""
    try:
        return {**kinesis, "data": json.loads(data.decode())}
    except ValueError:  # not UTF-8 (UnicodeDecodeError is one), or not JSON
        return kinesis


async def wait(clock: Clock, timeout_s: float, *events: asyncio.Event) -> None:
    """Until one of *events* is set or *timeout_s* has passed on *clock*."""
    if timeout_s <= 0 or any(event.is_set() for event in events):
        return
    waits = {asyncio.ensure_future(clock.sleep(timeout_s)), *(asyncio.ensure_future(e.wait()) for e in events)}
    _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
