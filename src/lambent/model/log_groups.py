"""CloudWatch Logs' log groups and streams, as its API names and limits them. Pure.

A log group holds streams; Lambda writes each execution environment's lines to a stream of its
function's group (``/aws/lambda/<name>`` unless its LoggingConfig names another), creating the
group on its first write as Lambda does. A group may keep its events for one of CloudWatch's
retention periods; events older than that are deleted. Positions in a group are the store's block
row ids with a line index inside the block (``LogPosition``): a page of events may end inside a
block, and an event's id (``event_id``) is its position written as digits, unique in the group.
"""

from __future__ import annotations

from typing import NamedTuple

import msgspec

#: The values PutRetentionPolicy accepts, in days (CloudWatch Logs' own list).
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
DAY_MS = 86_400_000
#: How far from now PutLogEvents accepts an event's timestamp: 14 days back (or the group's
#: retention, when shorter), 2 hours ahead.
OLDEST_PUT_MS = 14 * DAY_MS
NEWEST_PUT_MS = 2 * 3_600_000
#: One PutLogEvents call: 10,000 events, 1,048,576 bytes counting 26 bytes per event, events
#: within 24 hours of each other.
PUT_MAX_EVENTS = 10_000
PUT_MAX_BYTES = 1_048_576
PUT_EVENT_OVERHEAD = 26
PUT_MAX_SPAN_MS = DAY_MS
DESCRIBE_LIMIT = 50
EVENTS_LIMIT = 10_000
#: How many blocks one FilterLogEvents call searches before it answers (with a nextToken when
#: more are left), as CloudWatch answers a long search in pages, some of them empty.
SEARCH_BLOCKS = 2_000

GROUP_EXISTS = "The specified log group already exists"
STREAM_EXISTS = "The specified log stream already exists"
NO_GROUP = "The specified log group does not exist."
NO_STREAM = "The specified log stream does not exist."
INVALID_PAGING = "The specified nextToken is invalid."


class LogGroup(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    created_ms: int
    retention_days: int | None = None
    stored_bytes: int = 0
    kms_key_id: str | None = None
    log_group_class: str = "STANDARD"


class LogStream(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    created_ms: int
    first_event_ms: int | None = None
    last_event_ms: int | None = None
    last_ingestion_ms: int | None = None


class LogPosition(NamedTuple):
    """Where an event is: its block's row id and its line in the block."""

    block: int
    line: int

    def token(self) -> str:
        return f"{self.block:d}-{self.line:d}"

    def event_id(self) -> str:
        """The event's id as FilterLogEvents shows it: digits, ordered as the events are."""
        return f"{self.block:020d}{self.line:06d}"


def parse_position(token: str) -> LogPosition | None:
    """The position a token of ``LogPosition.token`` names, or None if it names none."""
    block, dash, line = token.partition("-")
    if not dash or not block.isdigit() or not line.isdigit():
        return None
    return LogPosition(int(block), int(line))


def retention_message(value: object) -> str:
    """AWS's refusal of a retention period that is not one of ``RETENTION_DAYS``."""
    allowed = ", ".join(str(days) for days in RETENTION_DAYS)
    return (
        f"1 validation error detected: Value '{value}' at 'retentionInDays' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{allowed}]"
    )


def group_arn(region: str, account: str, name: str) -> str:
    """The ``logGroupArn`` (DescribeLogGroups' ``arn`` is this with ``:*``)."""
    return f"arn:aws:logs:{region}:{account}:log-group:{name}"


def stream_arn(region: str, account: str, group: str, stream: str) -> str:
    return f"{group_arn(region, account, group)}:log-stream:{stream}"


def expired_before(retention_days: int, now_ms: int) -> int:
    """Events of a group keeping *retention_days* with timestamps before this are deleted."""
    return now_ms - retention_days * DAY_MS


class Rejected(NamedTuple):
    """PutLogEvents' ``rejectedLogEventsInfo``: events before ``too_old_end`` (exclusive) are
    older than 14 days, before ``expired_end`` older than the retention, and from
    ``too_new_start`` more than 2 hours ahead. -1 where none is."""

    too_new_start: int
    too_old_end: int
    expired_end: int


def rejected(timestamps: list[int], now_ms: int, retention_days: int | None) -> Rejected:
    """Which of *timestamps* (in order) PutLogEvents refuses, as CloudWatch reports them."""
    too_old = expired = too_new = -1
    oldest = now_ms - OLDEST_PUT_MS
    kept_from = expired_before(retention_days, now_ms) if retention_days is not None else None
    for index, stamp in enumerate(timestamps):
        if stamp < oldest:
            too_old = index
        elif kept_from is not None and stamp < kept_from:
            expired = index
        if stamp > now_ms + NEWEST_PUT_MS and too_new < 0:
            too_new = index
    return Rejected(too_new, too_old + 1 if too_old >= 0 else -1, expired + 1 if expired >= 0 else -1)
