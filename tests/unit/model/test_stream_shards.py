"""Which shards a Kinesis mapping reads and from where, pure: stored positions resume; LATEST
reads the open shards and pins where it began; TRIM_HORIZON and AT_TIMESTAMP read parents
before children; a split while reading starts the children from their first record once the
parent is read through."""

from __future__ import annotations

import pytest

from lambent.model.stream_shards import SHARD_END, Shard, Start, pin, plan, start_of

T = 1_767_225_600.25
TH = Start(type="TRIM_HORIZON")
LATEST = Start(type="LATEST")
END = Start(type="END")


def at(t: float) -> Start:
    return Start(type="AT_TIMESTAMP", timestamp=t)


def after(seq: str) -> Start:
    return Start(type="AFTER_SEQUENCE_NUMBER", sequence_number=seq)


#: shard 0 split into 1 and 2; 1 and 2 merged into 3 (only 3 is open).
RESHARDED = [
    Shard(shard_id="s0", closed=True),
    Shard(shard_id="s1", parents=("s0",), closed=True),
    Shard(shard_id="s2", parents=("s0",), closed=True),
    Shard(shard_id="s3", parents=("s1", "s2")),
]


def test_positions_round_trip() -> None:
    assert start_of(pin(T)) == at(T)
    assert start_of("49590338271490256608559692538361571095921575989136588898") == after(
        "49590338271490256608559692538361571095921575989136588898"
    )
    assert start_of(SHARD_END) is None
    assert start_of(pin(0.1 + 0.2)) == at(0.1 + 0.2)  # exactly the float written


def test_stored_positions_resume_and_read_through_shards_are_left() -> None:
    shards = [Shard(shard_id="a"), Shard(shard_id="b"), Shard(shard_id="c", closed=True)]
    positions: dict[str, str | None] = {"a": "123", "b": pin(T), "c": SHARD_END}
    assert plan(shards, positions, "LATEST") == {"a": after("123"), "b": at(T)}


@pytest.mark.parametrize("starting", ["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"])
def test_a_new_mapping_on_a_stream_of_open_shards_starts_each_at_its_starting_position(starting: str) -> None:
    shards = [Shard(shard_id="a"), Shard(shard_id="b")]
    expected = {"TRIM_HORIZON": TH, "LATEST": LATEST, "AT_TIMESTAMP": at(T)}[starting]
    assert plan(shards, {}, starting, T if starting == "AT_TIMESTAMP" else None) == {"a": expected, "b": expected}


def test_latest_reads_only_the_open_leaves_of_a_resharded_stream() -> None:
    assert plan(RESHARDED, {}, "LATEST") == {"s0": END, "s1": END, "s2": END, "s3": LATEST}


def test_trim_horizon_reads_parents_before_children() -> None:
    assert plan(RESHARDED, {}, "TRIM_HORIZON") == {"s0": TH}
    assert plan(RESHARDED, {"s0": "5"}, "TRIM_HORIZON") == {"s0": after("5")}
    assert plan(RESHARDED, {"s0": SHARD_END}, "TRIM_HORIZON") == {"s1": TH, "s2": TH}
    assert plan(RESHARDED, {"s0": SHARD_END, "s1": SHARD_END, "s2": "7"}, "TRIM_HORIZON") == {"s2": after("7")}
    ended = {"s0": SHARD_END, "s1": SHARD_END, "s2": SHARD_END}
    assert plan(RESHARDED, dict(ended), "TRIM_HORIZON") == {"s3": TH}


def test_at_timestamp_reads_children_from_the_timestamp_too() -> None:
    assert plan(RESHARDED, {}, "AT_TIMESTAMP", T) == {"s0": at(T)}
    assert plan(RESHARDED, {"s0": SHARD_END}, "AT_TIMESTAMP", T) == {"s1": at(T), "s2": at(T)}


def test_a_split_while_reading_latest_starts_the_children_from_their_first_record_after_the_parent() -> None:
    split = [Shard(shard_id="p", closed=True), Shard(shard_id="c1", parents=("p",)), Shard(shard_id="c2", parents=("p",))]
    assert plan(split, {"p": pin(T)}, "LATEST") == {"p": at(T)}
    assert plan(split, {"p": "99"}, "LATEST") == {"p": after("99")}
    assert plan(split, {"p": SHARD_END}, "LATEST") == {"c1": TH, "c2": TH}


def test_a_shard_claimed_without_a_checkpoint_starts_again_as_new() -> None:
    shards = [Shard(shard_id="a")]
    assert plan(shards, {"a": None}, "LATEST") == {"a": LATEST}
    assert plan(shards, {"a": None}, "TRIM_HORIZON") == {"a": TH}


def test_a_merge_waits_for_both_parents() -> None:
    merge = [Shard(shard_id="x", closed=True), Shard(shard_id="y", closed=True), Shard(shard_id="z", parents=("x", "y"))]
    assert plan(merge, {"x": SHARD_END, "y": "3"}, "LATEST") == {"y": after("3")}
    assert plan(merge, {"x": SHARD_END, "y": SHARD_END}, "LATEST") == {"z": TH}
    # a parent the mapping never read (closed before LATEST began) is at its end at once
    assert plan(merge, {"x": SHARD_END}, "LATEST") == {"y": END}


def test_parents_gone_from_the_stream_do_not_hold_their_children() -> None:
    orphan = [Shard(shard_id="c", parents=("expired",))]
    assert plan(orphan, {}, "TRIM_HORIZON") == {"c": TH}
    assert plan(orphan, {}, "LATEST") == {"c": LATEST}
