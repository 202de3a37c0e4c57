"""Metric series and their one-minute points: what a datum is, and how data roll up.

A series is CloudWatch's metric: (account, namespace, metric name, dimensions), the dimensions
kept sorted by name so that one set names one series whatever order a client sends it in. Data
are kept at one-minute resolution only: a ``Point`` is one series' minute in one unit, with the
statistics CloudWatch keeps for it (SampleCount, Sum, Minimum, Maximum) and a DDSketch (1%
relative accuracy) for percentiles. Points merge: two points of the same minute are the point of
all their samples, so a minute written by several batches (or nodes) is still exact in its
counts and sums, and within 1% in its percentiles.

Percentiles follow CloudWatch's rule for statistic sets: a set can only be placed in the sketch
when all its samples are one value (SampleCount 1, or Minimum = Maximum with Sum = Minimum x
SampleCount); a point that took any other set has ``percentiles = False`` and answers no
percentile, as CloudWatch answers none.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import msgspec
from ddsketch import DDSketch
from ddsketch.ddsketch import BaseDDSketch
from ddsketch.pb.ddsketch_pb2 import DDSketch as SketchMessage
from ddsketch.pb.proto import DDSketchProto

MINUTE_MS = 60_000
#: The sketches' relative accuracy: a percentile is within 1% of a true sample's value.
RELATIVE_ACCURACY = 0.01

Dimensions = tuple[tuple[str, str], ...]


class SeriesKey(msgspec.Struct, frozen=True, order=True):
    account: str
    namespace: str
    name: str
    #: (name, value) pairs sorted by name.
    dimensions: Dimensions = ()


def series_key(
    account: str, namespace: str, name: str, dimensions: Mapping[str, str] | Iterable[tuple[str, str]] = ()
) -> SeriesKey:
    pairs = dimensions.items() if isinstance(dimensions, Mapping) else dimensions
    return SeriesKey(account, namespace, name, tuple(sorted((str(k), str(v)) for k, v in pairs)))


class StatisticSet(msgspec.Struct, frozen=True):
    sample_count: float
    sum: float
    minimum: float
    maximum: float

    def single_valued(self) -> bool:
        """Whether every sample of the set is one value (so it may go into a sketch)."""
        if self.sample_count == 1 and self.minimum == self.maximum == self.sum:
            return True
        return self.minimum == self.maximum and math.isclose(self.sum, self.minimum * self.sample_count)


class Datum(msgspec.Struct, frozen=True):
    """One observation of a series: *values* as (value, how many times), or a statistic set."""

    key: SeriesKey
    at_ms: int
    unit: str = "None"
    values: tuple[tuple[float, float], ...] = ()
    stats: StatisticSet | None = None


def minute_of(at_ms: int) -> int:
    return at_ms - at_ms % MINUTE_MS


def new_sketch() -> DDSketch:
    return DDSketch(RELATIVE_ACCURACY)


class Point:
    """One series' minute in one unit; mutable while a batch is rolled up."""

    __slots__ = ("key", "maximum", "minimum", "minute_ms", "percentiles", "sample_count", "sketch", "sum", "unit")

    def __init__(
        self,
        key: SeriesKey,
        minute_ms: int,
        unit: str,
        sample_count: float = 0.0,
        total: float = 0.0,
        minimum: float = math.inf,
        maximum: float = -math.inf,
        sketch: BaseDDSketch | None = None,
        percentiles: bool = True,
    ) -> None:
        self.key = key
        self.minute_ms = minute_ms
        self.unit = unit
        self.sample_count = sample_count
        self.sum = total
        self.minimum = minimum
        self.maximum = maximum
        self.sketch = sketch
        self.percentiles = percentiles

    @property
    def slot(self) -> tuple[SeriesKey, int, str]:
        return (self.key, self.minute_ms, self.unit)

    def add(self, value: float, weight: float = 1.0) -> None:
        self.sample_count += weight
        self.sum += value * weight
        self.minimum = min(self.minimum, value)
        self.maximum = max(self.maximum, value)
        if self.percentiles:
            if self.sketch is None:
                self.sketch = new_sketch()
            self.sketch.add(value, weight)

    def add_set(self, stats: StatisticSet) -> None:
        if stats.single_valued():
            self.add(stats.minimum, stats.sample_count)
            return
        self.sample_count += stats.sample_count
        self.sum += stats.sum
        self.minimum = min(self.minimum, stats.minimum)
        self.maximum = max(self.maximum, stats.maximum)
        self.percentiles, self.sketch = False, None

    def merge(self, other: Point) -> None:
        self.sample_count += other.sample_count
        self.sum += other.sum
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        if not (self.percentiles and other.percentiles):
            self.percentiles, self.sketch = False, None
        elif other.sketch is not None:
            if self.sketch is None:
                self.sketch = new_sketch()
            self.sketch.merge(other.sketch)

    def copy(self) -> Point:
        point = Point(self.key, self.minute_ms, self.unit, percentiles=self.percentiles)
        point.merge(self)
        return point

    def __repr__(self) -> str:
        return (
            f"Point({self.key.name} {self.key.dimensions} @{self.minute_ms} {self.unit}: n={self.sample_count} "
            f"sum={self.sum} min={self.minimum} max={self.maximum})"
        )


class Rollup:
    """Data gathered into one point per (series, minute, unit)."""

    def __init__(self) -> None:
        self._points: dict[tuple[SeriesKey, int, str], Point] = {}

    def __len__(self) -> int:
        return len(self._points)

    def point(self, key: SeriesKey, at_ms: int, unit: str) -> Point:
        minute = minute_of(at_ms)
        found = self._points.get((key, minute, unit))
        if found is None:
            found = self._points[(key, minute, unit)] = Point(key, minute, unit)
        return found

    def add(self, datum: Datum) -> None:
        point = self.point(datum.key, datum.at_ms, datum.unit)
        for value, weight in datum.values:
            point.add(value, weight)
        if datum.stats is not None:
            point.add_set(datum.stats)

    def merge(self, point: Point) -> None:
        found = self._points.get(point.slot)
        if found is None:
            self._points[point.slot] = point.copy()
        else:
            found.merge(point)

    def points(self) -> list[Point]:
        return list(self._points.values())


def encode_sketch(sketch: BaseDDSketch | None) -> bytes | None:
    """The sketch as DDSketch's protobuf (its count and sum are the point's own columns)."""
    return None if sketch is None else bytes(DDSketchProto.to_proto(sketch).SerializeToString())  # type: ignore[no-untyped-call]


def decode_sketch(data: bytes | None) -> BaseDDSketch | None:
    if data is None:
        return None
    message = SketchMessage()
    message.ParseFromString(data)
    decoded: BaseDDSketch = DDSketchProto.from_proto(message)  # type: ignore[no-untyped-call]
    return decoded
