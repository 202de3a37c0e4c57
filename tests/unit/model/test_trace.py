"""The trace header's loop count. Pure."""

from __future__ import annotations

from lambent.model.limits import MAX_CHAIN
from lambent.model.trace import is_loop, lineage, next_header, root


def test_a_call_from_outside_starts_a_chain() -> None:
    header = next_header(None, now=0x5F000000)
    assert lineage(header) == 1
    assert root(header) is not None and root(header).startswith("1-5f000000-")  # type: ignore[union-attr]
    assert "Sampled=0" in header and "Parent=" in header


def test_each_hop_adds_one_and_keeps_the_root() -> None:
    header = None
    for expected in range(1, 5):
        following = next_header(header, now=0x5F000000 + expected)
        assert lineage(following) == expected
        if header is not None:
            assert root(following) == root(header)
        header = following


def test_loops_are_chains_longer_than_16() -> None:
    assert not is_loop(f"Root=1-0-0;Lineage={MAX_CHAIN - 1}")
    assert is_loop(f"Root=1-0-0;Lineage={MAX_CHAIN}")
    assert lineage("Root=1-0-0;Lineage=a87bd80c:7") == 7  # AWS's hash:count form too
    assert lineage("Root=1-0-0;Lineage=garbage") == 0
    assert lineage(None) == 0
