"""The terminal charts of ``lambent metrics`` and ``top``: one character per bucket, scaled
between the least and the most value, a blank where there is no datapoint."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from lambent.cli.metrics import SPANS, buckets, sparkline


def test_a_sparkline_scales_from_the_least_to_the_most() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([None, 5, None, 10]) == " ▁ █"
    assert sparkline([3, 3, 3]) == "▅▅▅" and sparkline([0, 0]) == "▁▁" and sparkline([None, None]) == "  "


@given(st.lists(st.one_of(st.none(), st.floats(min_value=0, max_value=1e9)), max_size=80))
def test_a_sparkline_has_one_character_per_value_and_blanks_only_for_gaps(values: list[float | None]) -> None:
    line = sparkline(values)
    assert len(line) == len(values)
    assert [c == " " for c in line] == [v is None for v in values]


def test_each_period_covers_its_span_in_whole_buckets() -> None:
    start = datetime(2026, 12, 5, tzinfo=UTC)
    assert [len(buckets(start, span)) for span in SPANS.values()] == [60, 48, 56]
    assert buckets(start, SPANS["1h"])[1] == datetime(2026, 12, 5, 0, 1, tzinfo=UTC)
