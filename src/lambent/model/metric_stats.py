"""Statistics over periods, as CloudWatch computes them from one-minute points.

A period's value is the merge of the minutes it covers (``metric_series.Point.merge``), read as
one statistic: SampleCount, Sum, Average, Minimum, Maximum, or a percentile ``pNN`` / ``pNN.NN``
(0-100) from the merged sketch, clamped to the exact Minimum and Maximum (p0 and p100 are
exact). Periods start at the query's start time rounded down to the minute, one after another;
a period without samples has no datapoint. Time here is epoch milliseconds, passed in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from lambent.errors import CloudWatchInvalidParameterCombination, CloudWatchInvalidParameterValue
from lambent.model.metric_series import MINUTE_MS, Point

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
#: The most datapoints one GetMetricStatistics answers.
MAX_DATAPOINTS = 1440
#: Periods under a minute that high-resolution metrics allow (answered here from minutes).
SHORT_PERIODS = (1, 5, 10, 20, 30)
_PERCENTILE = re.compile(r"p(\d{1,2}(?:\.\d{1,10})?|100(?:\.0{1,10})?)")


def percentile(stat: str) -> float | None:
    """The quantile (0-1) a ``pNN`` statistic names, or None if *stat* is no percentile."""
    match = _PERCENTILE.fullmatch(stat)
    return float(match.group(1)) / 100 if match else None


def check_statistic(stat: str, where: str) -> None:
    if stat not in STATISTICS and percentile(stat) is None:
        raise CloudWatchInvalidParameterValue(f"The value {stat} for parameter {where} is not supported.")


def check_period(period_s: int, where: str = "Period") -> None:
    if period_s <= 0 or (period_s not in SHORT_PERIODS and period_s % 60):
        raise CloudWatchInvalidParameterValue(
            f"The parameter {where} must be 1, 5, 10, 20, 30, or any multiple of 60, not {period_s}."
        )


def window(start_ms: int, end_ms: int) -> tuple[int, int]:
    """The query's start rounded down to its minute, and its end (exclusive)."""
    return start_ms - start_ms % MINUTE_MS, end_ms


def period_ms(period_s: int) -> int:
    """Periods shorter than a minute are answered at the one resolution kept: a minute."""
    return max(60, period_s) * 1000


def check_datapoints(start_ms: int, end_ms: int, period_s: int) -> None:
    if end_ms <= start_ms:
        raise CloudWatchInvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.")
    wanted = math.ceil((end_ms - start_ms) / (period_s * 1000))
    if wanted > MAX_DATAPOINTS:
        raise CloudWatchInvalidParameterCombination(
            f"You have requested up to {wanted:,} datapoints, which exceeds the limit of {MAX_DATAPOINTS:,}. "
            "You may reduce the datapoints requested by increasing Period, or decreasing the time range."
        )


def periods(points: Iterable[Point], start_ms: int, end_ms: int, step_ms: int) -> dict[int, Point]:
    """The points of [start, end) merged per period, by the period's start."""
    merged: dict[int, Point] = {}
    for point in points:
        if not start_ms <= point.minute_ms < end_ms:
            continue
        begin = start_ms + (point.minute_ms - start_ms) // step_ms * step_ms
        found = merged.get(begin)
        if found is None:
            merged[begin] = found = Point(point.key, begin, point.unit)
        found.merge(point)
    return merged


def value(point: Point, stat: str) -> float | None:
    """*stat* of *point*; None where it has none (a percentile of a point without a sketch)."""
    if point.sample_count <= 0:
        return None
    if stat == "SampleCount":
        return point.sample_count
    if stat == "Sum":
        return point.sum
    if stat == "Average":
        return point.sum / point.sample_count
    if stat == "Minimum":
        return point.minimum
    if stat == "Maximum":
        return point.maximum
    quantile = percentile(stat)
    if quantile is None or not point.percentiles or point.sketch is None:
        return None
    if quantile <= 0:
        return point.minimum
    if quantile >= 1:
        return point.maximum
    found = point.sketch.get_quantile_value(quantile)
    return None if found is None else min(point.maximum, max(point.minimum, float(found)))
