"""The metric series' half of ``SqlStore``: a row per series (its account, namespace, name,
sorted dimensions, and the last minute it had data, for ListMetrics) and a row per (series,
minute, unit) with CloudWatch's statistics and the DDSketch protobuf for percentiles.

Points merge on write: ``commit_metrics`` reads the stored points of a batch's slots, merges
(``model.metric_series.Point.merge``: sketches cannot be merged in SQL) and upserts them, in one
transaction whose first statement is a write, so SQLite takes its write lock (waiting its busy
timeout) before it reads. Writers of one server are serialized by ``services.metrics``; the
reads lock their rows on PostgreSQL (``FOR UPDATE``). Portable Core: SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import math
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from lambent.model.metric_series import Point, SeriesKey, decode_sketch, encode_sketch
from lambent.store.sql_accounts import ACCOUNT_LENGTH

_dims = msgspec.json.Encoder()
_undims = msgspec.json.Decoder(list[tuple[str, str]])
#: Slots read per statement (SQLite allows 32,766 parameters; each slot takes three).
_CHUNK = 300


def define(metadata: sa.MetaData) -> dict[str, sa.Table]:
    series = sa.Table(
        "metric_series",
        metadata,
        sa.Column("id", sa.String(40), primary_key=True),  # sha1 of the key: one short column to join on
        sa.Column("account", sa.String(ACCOUNT_LENGTH), nullable=False),
        sa.Column("namespace", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("dimensions", sa.Text, nullable=False),  # [[name, value], ...] sorted, JSON
        sa.Column("last_ms", sa.BigInteger, nullable=False),
        sa.Index("metric_series_by_name", "account", "namespace", "name"),
    )
    points = sa.Table(
        "metric_points",
        metadata,
        sa.Column("series", sa.String(40), primary_key=True),
        sa.Column("minute_ms", sa.BigInteger, primary_key=True),
        sa.Column("unit", sa.String(40), primary_key=True),
        sa.Column("sample_count", sa.Float, nullable=False),
        sa.Column("sum", sa.Float, nullable=False),
        sa.Column("minimum", sa.Float, nullable=False),
        sa.Column("maximum", sa.Float, nullable=False),
        sa.Column("percentiles", sa.Boolean, nullable=False),
        sa.Column("sketch", sa.LargeBinary, nullable=True),
        sa.Index("metric_points_by_minute", "minute_ms"),
    )
    return {"series": series, "points": points}


def series_id(key: SeriesKey) -> str:
    text = "\0".join((key.account, key.namespace, key.name, _dims.encode(key.dimensions).decode()))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _point(key: SeriesKey, row: Any) -> Point:
    return Point(
        key,
        row.minute_ms,
        row.unit,
        row.sample_count,
        row.sum,
        row.minimum,
        row.maximum,
        decode_sketch(row.sketch),
        bool(row.percentiles),
    )


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 0.0


class MetricSql:
    """Mixed into ``SqlStore``; needs its engines and ``_metric_tables``."""

    _engine: AsyncEngine
    _sync_engine: Engine
    _metric_tables: dict[str, sa.Table]

    def commit_metrics(self, points: list[Point]) -> None:
        if not points:
            return
        series, table = self._metric_tables["series"], self._metric_tables["points"]
        ids = {point.key: series_id(point.key) for point in points}
        last: dict[SeriesKey, int] = {}
        for point in points:
            last[point.key] = max(last.get(point.key, 0), point.minute_ms)
        with self._sync_engine.begin() as conn:
            upsert = _insert(conn, series)
            conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=[series.c.id],
                    set_={
                        "last_ms": sa.case(
                            (upsert.excluded.last_ms > series.c.last_ms, upsert.excluded.last_ms), else_=series.c.last_ms
                        )
                    },
                ),
                [
                    {
                        "id": ids[key],
                        "account": key.account,
                        "namespace": key.namespace,
                        "name": key.name,
                        "dimensions": _dims.encode(key.dimensions).decode(),
                        "last_ms": at,
                    }
                    for key, at in last.items()
                ],
            )
            merged = {(ids[p.key], p.minute_ms, p.unit): p.copy() for p in points}
            slots = list(merged)
            keys = {ids[p.key]: p.key for p in points}
            for start in range(0, len(slots), _CHUNK):
                chunk = slots[start : start + _CHUNK]
                query = (
                    sa.select(table)
                    .where(sa.tuple_(table.c.series, table.c.minute_ms, table.c.unit).in_(chunk))
                    .with_for_update()
                )
                for row in conn.execute(query):
                    merged[(row.series, row.minute_ms, row.unit)].merge(_point(keys[row.series], row))
            upsert = _insert(conn, table)
            columns = ("sample_count", "sum", "minimum", "maximum", "percentiles", "sketch")
            conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=[table.c.series, table.c.minute_ms, table.c.unit],
                    set_={name: upsert.excluded[name] for name in columns},
                ),
                [
                    {
                        "series": slot[0],
                        "minute_ms": slot[1],
                        "unit": slot[2],
                        "sample_count": p.sample_count,
                        "sum": p.sum,
                        "minimum": _finite(p.minimum),
                        "maximum": _finite(p.maximum),
                        "percentiles": p.percentiles,
                        "sketch": encode_sketch(p.sketch) if p.percentiles else None,
                    }
                    for slot, p in merged.items()
                ],
            )

    async def metric_points(self, key: SeriesKey, start_ms: int, end_ms: int, unit: str | None) -> list[Point]:
        table = self._metric_tables["points"]
        query = sa.select(table).where(
            table.c.series == series_id(key), table.c.minute_ms >= start_ms, table.c.minute_ms < end_ms
        )
        if unit is not None:
            query = query.where(table.c.unit == unit)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.order_by(table.c.minute_ms, table.c.unit))).all()
        return [_point(key, row) for row in rows]

    async def metric_series(self, account: str, namespace: str | None, name: str | None, since_ms: int) -> list[SeriesKey]:
        table = self._metric_tables["series"]
        query = sa.select(table.c.namespace, table.c.name, table.c.dimensions).where(
            table.c.account == account, table.c.last_ms >= since_ms
        )
        if namespace is not None:
            query = query.where(table.c.namespace == namespace)
        if name is not None:
            query = query.where(table.c.name == name)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return sorted(SeriesKey(account, r[0], r[1], tuple(_undims.decode(r[2]))) for r in rows)

    async def delete_metrics_before(self, before_ms: int) -> int:
        series, table = self._metric_tables["series"], self._metric_tables["points"]
        async with self._engine.begin() as conn:
            deleted = await conn.execute(sa.delete(table).where(table.c.minute_ms < before_ms))
            await conn.execute(sa.delete(series).where(series.c.last_ms < before_ms))
        return int(deleted.rowcount or 0)
