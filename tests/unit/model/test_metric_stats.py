"""Periods and statistics as CloudWatch computes them from one-minute points."""

from __future__ import annotations

import pytest

from lambent.errors import CloudWatchInvalidParameterCombination, CloudWatchInvalidParameterValue
from lambent.model import metric_stats as stats
from lambent.model.metric_series import MINUTE_MS, Point, series_key

KEY = series_key("000000000000", "AWS/Lambda", "Invocations")
T0 = 1_767_225_600_000


def minute(index: int, *values: float) -> Point:
    point = Point(KEY, T0 + index * MINUTE_MS, "Count")
    for value in values:
        point.add(value)
    return point


def test_periods_merge_the_minutes_they_cover_from_the_rounded_start() -> None:
    start, end = stats.window(T0 + 30_000, T0 + 10 * MINUTE_MS)
    assert start == T0
    merged = stats.periods([minute(0, 1, 1), minute(4, 1), minute(5, 1, 1, 1), minute(11, 9)], start, end, 5 * MINUTE_MS)
    assert sorted(merged) == [T0, T0 + 5 * MINUTE_MS]
    assert [stats.value(merged[t], "Sum") for t in sorted(merged)] == [3.0, 3.0]
    assert [stats.value(merged[t], "SampleCount") for t in sorted(merged)] == [3.0, 3.0]


@pytest.mark.parametrize(
    ("stat", "expected"), [("SampleCount", 4.0), ("Sum", 10.0), ("Average", 2.5), ("Minimum", 1.0), ("Maximum", 4.0)]
)
def test_the_five_statistics(stat: str, expected: float) -> None:
    assert stats.value(minute(0, 1, 2, 3, 4), stat) == expected


def test_percentile_names() -> None:
    assert [stats.percentile(s) for s in ("p50", "p99", "p99.9", "p100", "p0")] == [0.5, 0.99, pytest.approx(0.999), 1.0, 0.0]
    assert [stats.percentile(s) for s in ("p101", "P50", "tm99", "Sum")] == [None, None, None, None]


def test_periods_must_be_short_high_resolution_ones_or_multiples_of_a_minute() -> None:
    for period in (1, 5, 10, 20, 30, 60, 300, 86400):
        stats.check_period(period)
    for period in (0, 2, 61, 90):
        with pytest.raises(CloudWatchInvalidParameterValue):
            stats.check_period(period)
    assert stats.period_ms(10) == MINUTE_MS  # answered from the minutes kept


def test_more_than_1440_datapoints_is_refused_in_cloudwatchs_words() -> None:
    stats.check_datapoints(T0, T0 + 1440 * MINUTE_MS, 60)
    with pytest.raises(CloudWatchInvalidParameterCombination, match="You have requested up to 1,441 datapoints"):
        stats.check_datapoints(T0, T0 + 1441 * MINUTE_MS, 60)
    with pytest.raises(CloudWatchInvalidParameterValue, match="StartTime must be less than"):
        stats.check_datapoints(T0, T0, 60)
