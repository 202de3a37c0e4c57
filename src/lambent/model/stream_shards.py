"""Which shards of a Kinesis stream a mapping reads, and where each one starts. Pure.

A shard's checkpoint, as it is stored (``EventSourceStore.put_position``), is one of three
things. It can be the sequence number of the last record done, and reading goes on after it. It
can be ``SHARD_END``: the shard is closed and read through. Or it can be a pin, ``pin(t)``: read
the records that arrived at *t* or later. A pin is written as soon as a shard is first read from
``LATEST``, before anything is read, so a poller that crashes before its first checkpoint
resumes where it began instead of at a later ``LATEST``, and loses nothing written in between.

``plan`` decides, from the listed shards and the stored positions, which shards can be read now
and from where:

- a shard with a stored position resumes from it;
- a shard that is new to the mapping and has a parent the mapping knows (a split or a merge
  while it read) waits until every parent is read through, then starts from its first record
  (or from the mapping's ``AT_TIMESTAMP``);
- a shard that is new and whose parents the mapping never read starts at the mapping's
  ``StartingPosition``. With ``LATEST``, only the open shards are read: a closed shard has nothing
  after ``LATEST``, so it is at its end at once. With ``TRIM_HORIZON`` and ``AT_TIMESTAMP``,
  every shard is read, parents before children, so a partition key's records stay in order
  across a split.
"""

from __future__ import annotations

from typing import Literal

import msgspec

SHARD_END = "SHARD_END"
_PIN = "AT_TIMESTAMP:"

StartType = Literal["AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "AT_TIMESTAMP", "LATEST", "END"]


class Shard(msgspec.Struct, frozen=True, kw_only=True):
    shard_id: str
    #: ``ParentShardId`` and ``AdjacentParentShardId``, where ListShards names them.
    parents: tuple[str, ...] = ()
    #: It has an ``EndingSequenceNumber``: nothing more will be written to it.
    closed: bool = False


class Start(msgspec.Struct, frozen=True, kw_only=True):
    """Where a shard's reading starts (GetShardIterator's ``ShardIteratorType``). ``LATEST`` is
    pinned before it is read; ``END``: nothing to read, mark the shard read through."""

    type: StartType
    sequence_number: str | None = None
    timestamp: float | None = None


def pin(epoch_s: float) -> str:
    return f"{_PIN}{epoch_s!r}"


def start_of(position: str) -> Start | None:
    """Where a stored position resumes. None: the shard is read through."""
    if position == SHARD_END:
        return None
    if position.startswith(_PIN):
        return Start(type="AT_TIMESTAMP", timestamp=float(position[len(_PIN) :]))
    return Start(type="AFTER_SEQUENCE_NUMBER", sequence_number=position)


def plan(
    shards: list[Shard], positions: dict[str, str | None], starting: str, starting_timestamp: float | None = None
) -> dict[str, Start]:
    """shard id -> where to read it from, for every listed shard that can be read now.
    *positions*: the mapping's stored positions; a shard in it with None has been claimed
    but has no checkpoint yet. *starting*: the mapping's ``StartingPosition``."""
    listed = {shard.shard_id for shard in shards}
    initial = _initial(starting, starting_timestamp)
    after_parents = (
        Start(type="AT_TIMESTAMP", timestamp=starting_timestamp) if starting == "AT_TIMESTAMP" else Start(type="TRIM_HORIZON")
    )
    chosen: dict[str, Start] = {}
    for shard in shards:
        position = positions.get(shard.shard_id)
        if position is not None:
            resumed = start_of(position)
            if resumed is not None:
                chosen[shard.shard_id] = resumed
            continue
        parents = [parent for parent in shard.parents if parent in listed]
        known = [parent for parent in parents if parent in positions]
        if starting == "LATEST" and not known:
            chosen[shard.shard_id] = Start(type="END") if shard.closed else initial
        elif not parents:
            chosen[shard.shard_id] = initial
        elif all(positions.get(parent) == SHARD_END for parent in parents):
            chosen[shard.shard_id] = after_parents
    return chosen


def _initial(starting: str, starting_timestamp: float | None) -> Start:
    if starting == "AT_TIMESTAMP":
        return Start(type="AT_TIMESTAMP", timestamp=starting_timestamp)
    if starting == "LATEST":
        return Start(type="LATEST")
    return Start(type="TRIM_HORIZON")
