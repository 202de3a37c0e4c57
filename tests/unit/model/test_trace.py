"""The trace header: its loop count and its sampling decision. Pure."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lambent.model.limits import MAX_CHAIN
from lambent.model.trace import Sampler, decision, is_loop, lineage, next_header, root


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


def test_the_upstream_decision_is_honoured_and_propagated() -> None:
    upstream = "Root=1-5f000000-abcdefabcdefabcdefabcdef;Parent=53995c3f42cd8ad8;Sampled=1"
    assert decision(next_header(upstream, now=0, sample=False)) is True
    assert decision(next_header(upstream.replace("Sampled=1", "Sampled=0"), now=0, sample=True)) is False
    assert root(next_header(upstream, now=0)) == "1-5f000000-abcdefabcdefabcdefabcdef"
    # No decision upstream ("?", or none at all): Lambda's own.
    assert decision(next_header(upstream.replace("Sampled=1", "Sampled=?"), now=0, sample=True)) is True
    assert decision(next_header(None, now=0, sample=False)) is False and decision(None) is None


def test_the_default_rule_samples_the_first_request_each_second_then_five_percent() -> None:
    sampler = Sampler()
    assert sampler.sample(100.0, draw=0.99) is True  # the reservoir
    assert sampler.sample(100.5, draw=0.99) is False and sampler.sample(100.7, draw=0.01) is True  # 5%
    assert sampler.sample(101.0, draw=0.99) is True  # a new second, a new reservoir


@given(st.lists(st.floats(min_value=0, max_value=0.9999), min_size=1, max_size=200))
def test_beyond_the_reservoir_a_request_is_sampled_when_its_draw_is_under_five_percent(draws: list[float]) -> None:
    sampler = Sampler()
    taken = [sampler.sample(7.0, draw) for draw in draws]
    assert taken[0] is True and sum(taken[1:]) == sum(1 for d in draws[1:] if d < 0.05)
