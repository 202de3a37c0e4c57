"""The metric series' half of ``MemoryStore``, answering as ``store.sql_metrics`` does."""

from __future__ import annotations

from lambent.model.metric_series import Point, SeriesKey


class MemoryMetrics:
    """Mixed into ``MemoryStore``, which shares ``_metric_points`` and ``_metric_last`` across views."""

    _metric_points: dict[tuple[SeriesKey, int, str], Point]
    _metric_last: dict[SeriesKey, int]

    def commit_metrics(self, points: list[Point]) -> None:
        for point in points:
            found = self._metric_points.get(point.slot)
            if found is None:
                self._metric_points[point.slot] = point.copy()
            else:
                found.merge(point)
            self._metric_last[point.key] = max(self._metric_last.get(point.key, 0), point.minute_ms)

    async def metric_points(self, key: SeriesKey, start_ms: int, end_ms: int, unit: str | None) -> list[Point]:
        found = [
            p.copy()
            for (k, minute, u), p in self._metric_points.items()
            if k == key and start_ms <= minute < end_ms and (unit is None or u == unit)
        ]
        return sorted(found, key=lambda p: (p.minute_ms, p.unit))

    async def metric_series(self, account: str, namespace: str | None, name: str | None, since_ms: int) -> list[SeriesKey]:
        return sorted(
            key
            for key, last in self._metric_last.items()
            if key.account == account
            and last >= since_ms
            and (namespace is None or key.namespace == namespace)
            and (name is None or key.name == name)
        )

    async def delete_metrics_before(self, before_ms: int) -> int:
        old = [slot for slot in self._metric_points if slot[1] < before_ms]
        for slot in old:
            del self._metric_points[slot]
        for key in [key for key, last in self._metric_last.items() if last < before_ms]:
            del self._metric_last[key]
        return len(old)
