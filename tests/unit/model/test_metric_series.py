"""One-minute points: samples and statistic sets roll up exactly, merge in any order, and keep
percentiles within the sketch's 1% (none once a set of several values came in)."""

from __future__ import annotations

import random

import pytest

from lambent.model import metric_stats as stats
from lambent.model.metric_series import MINUTE_MS, Datum, Point, Rollup, StatisticSet, decode_sketch, encode_sketch, series_key

KEY = series_key("000000000000", "App", "Latency", {"Service": "api", "Env": "prod"})
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def test_dimensions_are_sorted_so_one_set_is_one_series() -> None:
    assert series_key("000000000000", "App", "Latency", [("Service", "api"), ("Env", "prod")]) == KEY
    assert KEY.dimensions == (("Env", "prod"), ("Service", "api"))


def test_samples_of_one_minute_roll_up_into_one_point_per_unit() -> None:
    rollup = Rollup()
    for second, value in enumerate([3.0, 1.0, 2.0]):
        rollup.add(Datum(KEY, T0 + second * 1000, "Milliseconds", ((value, 1.0),)))
    rollup.add(Datum(KEY, T0 + 59_999, "Milliseconds", ((10.0, 2.0),)))
    rollup.add(Datum(KEY, T0 + MINUTE_MS, "Milliseconds", ((5.0, 1.0),)))
    rollup.add(Datum(KEY, T0, "Count", ((1.0, 1.0),)))
    points = {(p.minute_ms, p.unit): p for p in rollup.points()}
    first = points[(T0, "Milliseconds")]
    assert (first.sample_count, first.sum, first.minimum, first.maximum) == (5.0, 26.0, 1.0, 10.0)
    assert points[(T0 + MINUTE_MS, "Milliseconds")].sample_count == 1.0
    assert points[(T0, "Count")].sum == 1.0


def test_points_merge_to_the_point_of_all_their_samples_in_any_order() -> None:
    values = [random.Random(7).uniform(0.1, 900.0) for _ in range(2000)]
    whole, halves = Point(KEY, T0, "None"), [Point(KEY, T0, "None"), Point(KEY, T0, "None")]
    for index, value in enumerate(values):
        whole.add(value)
        halves[index % 2].add(value)
    merged = halves[1].copy()
    merged.merge(halves[0])
    assert merged.sample_count == whole.sample_count == 2000
    assert abs(merged.sum - whole.sum) < 1e-6
    assert (merged.minimum, merged.maximum) == (min(values), max(values))
    for quantile in (0.5, 0.9, 0.99):
        exact = sorted(values)[int(quantile * (len(values) - 1))]
        found = stats.value(merged, f"p{quantile * 100:g}")
        assert found is not None and abs(found - exact) <= 0.021 * exact  # 1% sketch, rank of the nearest sample


def test_a_sketch_survives_its_protobuf_with_the_points_own_count_and_sum() -> None:
    point = Point(KEY, T0, "None")
    for value in (1.0, 2.0, 3.0, 400.0):
        point.add(value)
    restored = Point(
        KEY, T0, "None", point.sample_count, point.sum, point.minimum, point.maximum, decode_sketch(encode_sketch(point.sketch))
    )
    assert stats.value(restored, "p50") == pytest.approx(stats.value(point, "p50"))
    assert stats.value(restored, "p100") == 400.0 and stats.value(restored, "p0") == 1.0
    assert stats.value(restored, "Average") == 101.5


def test_a_statistic_set_of_one_value_keeps_percentiles_and_others_lose_them() -> None:
    one = Point(KEY, T0, "None")
    one.add_set(StatisticSet(sample_count=4, sum=20, minimum=5, maximum=5))
    assert one.percentiles and stats.value(one, "p90") is not None and abs(stats.value(one, "p90") - 5) < 0.06  # type: ignore[operator]
    spread = one.copy()
    spread.add_set(StatisticSet(sample_count=2, sum=3, minimum=1, maximum=2))
    assert not spread.percentiles and stats.value(spread, "p90") is None
    assert (spread.sample_count, spread.sum, spread.minimum, spread.maximum) == (6, 23, 1, 5)
    merged = Point(KEY, T0, "None")
    merged.add(7.0)
    merged.merge(spread)
    assert stats.value(merged, "p50") is None and stats.value(merged, "Maximum") == 7.0
