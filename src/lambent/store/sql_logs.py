"""CloudWatch Logs' half of ``SqlStore``: a row per log group (its retention and the bytes it
holds), a row per stream (its first and last event), and a row per block of events.

A block is what one write brought: an invocation's lines from the ledger's journal, or one
event of a PutLogEvents call. The journal's commit (``index_blocks``, on the ledger's worker
thread, in its transaction) creates the groups and streams its blocks are in and moves their
counters on: one upsert per group and per stream of a batch, not per block.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lambent.model.log_groups import LogGroup, LogStream
from lambent.store import LogEvent
from lambent.store.sql_accounts import ACCOUNT_LENGTH


def define(metadata: sa.MetaData) -> dict[str, sa.Table]:
    return {
        "events": sa.Table(
            "log_events",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("account", sa.String(ACCOUNT_LENGTH), nullable=False),
            sa.Column("log_group", sa.String(512), nullable=False),
            sa.Column("log_stream", sa.String(512), nullable=False),
            sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
            sa.Column("ingestion_ms", sa.BigInteger, nullable=False),
            sa.Column("message", sa.Text, nullable=False),
            sa.Index("log_events_by_account_group_time", "account", "log_group", "timestamp_ms", "id"),
        ),
        "groups": sa.Table(
            "log_groups",
            metadata,
            sa.Column("account", sa.String(ACCOUNT_LENGTH), primary_key=True),
            sa.Column("name", sa.String(512), primary_key=True),
            sa.Column("created_ms", sa.BigInteger, nullable=False),
            sa.Column("retention_days", sa.Integer, nullable=True),
            sa.Column("stored_bytes", sa.BigInteger, nullable=False, default=0),
            sa.Column("kms_key_id", sa.String(256), nullable=True),
            sa.Column("log_group_class", sa.String(32), nullable=False, default="STANDARD"),
        ),
        "streams": sa.Table(
            "log_streams",
            metadata,
            sa.Column("account", sa.String(ACCOUNT_LENGTH), primary_key=True),
            sa.Column("log_group", sa.String(512), primary_key=True),
            sa.Column("name", sa.String(512), primary_key=True),
            sa.Column("created_ms", sa.BigInteger, nullable=False),
            sa.Column("first_event_ms", sa.BigInteger, nullable=True),
            sa.Column("last_event_ms", sa.BigInteger, nullable=True),
            sa.Column("last_ingestion_ms", sa.BigInteger, nullable=True),
        ),
    }


_GROUP_UPSERT = (
    "INSERT INTO log_groups (account, name, created_ms, stored_bytes, log_group_class) VALUES (?, ?, ?, ?, 'STANDARD') "
    "ON CONFLICT (account, name) DO UPDATE SET stored_bytes = log_groups.stored_bytes + excluded.stored_bytes"
)
_STREAM_UPSERT = (
    "INSERT INTO log_streams (account, log_group, name, created_ms, first_event_ms, last_event_ms, last_ingestion_ms) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account, log_group, name) DO UPDATE SET "
    "first_event_ms = CASE WHEN log_streams.first_event_ms IS NULL OR excluded.first_event_ms < log_streams.first_event_ms "
    "THEN excluded.first_event_ms ELSE log_streams.first_event_ms END, "
    "last_event_ms = CASE WHEN log_streams.last_event_ms IS NULL OR excluded.last_event_ms > log_streams.last_event_ms "
    "THEN excluded.last_event_ms ELSE log_streams.last_event_ms END, "
    "last_ingestion_ms = excluded.last_ingestion_ms"
)


def index_blocks(conn: sa.Connection, events: Sequence[LogEvent], default_account: str) -> None:
    """Create the groups and streams of *events* (blocks being inserted in this transaction)
    where missing, and add their bytes and times to them."""
    groups: dict[tuple[str, str], list[int]] = {}
    streams: dict[tuple[str, str, str], list[int]] = {}
    for event in events:
        account = event.account or default_account
        group = groups.setdefault((account, event.group), [event.ingestion_ms, 0])
        group[1] += len(event.message.encode())
        stream = streams.get((account, event.group, event.stream))
        if stream is None:
            streams[(account, event.group, event.stream)] = [event.timestamp_ms, event.timestamp_ms, event.ingestion_ms]
        else:
            stream[0] = min(stream[0], event.timestamp_ms)
            stream[1] = max(stream[1], event.timestamp_ms)
            stream[2] = max(stream[2], event.ingestion_ms)
    conn.exec_driver_sql(_GROUP_UPSERT, [(a, g, created, size) for (a, g), (created, size) in groups.items()])
    conn.exec_driver_sql(
        _STREAM_UPSERT, [(a, g, s, first, first, last, ingested) for (a, g, s), (first, last, ingested) in streams.items()]
    )


def backfill(conn: sa.Connection) -> None:
    """Groups and streams for the events of a data dir from before groups were kept."""
    conn.exec_driver_sql(
        "INSERT INTO log_groups (account, name, created_ms, stored_bytes, log_group_class) "
        "SELECT account, log_group, MIN(ingestion_ms), SUM(LENGTH(message)), 'STANDARD' FROM log_events "
        "GROUP BY account, log_group ON CONFLICT (account, name) DO NOTHING"
    )
    conn.exec_driver_sql(
        "INSERT INTO log_streams (account, log_group, name, created_ms, first_event_ms, last_event_ms, last_ingestion_ms) "
        "SELECT account, log_group, log_stream, MIN(ingestion_ms), MIN(timestamp_ms), MAX(timestamp_ms), MAX(ingestion_ms) "
        "FROM log_events GROUP BY account, log_group, log_stream ON CONFLICT (account, log_group, name) DO NOTHING"
    )


def _group(row: sa.Row[tuple[object, ...]]) -> LogGroup:
    return LogGroup(
        name=row.name,
        created_ms=row.created_ms,
        retention_days=row.retention_days,
        stored_bytes=row.stored_bytes,
        kms_key_id=row.kms_key_id,
        log_group_class=row.log_group_class,
    )


def _stream(row: sa.Row[tuple[object, ...]]) -> LogStream:
    return LogStream(
        name=row.name,
        created_ms=row.created_ms,
        first_event_ms=row.first_event_ms,
        last_event_ms=row.last_event_ms,
        last_ingestion_ms=row.last_ingestion_ms,
    )


class LogSql:
    """Mixed into ``SqlStore``; needs its engine and the ``_log_tables``."""

    _engine: AsyncEngine
    _log_tables: dict[str, sa.Table]

    async def create_log_group(self, account: str, group: LogGroup) -> bool:
        table = self._log_tables["groups"]
        async with self._engine.begin() as conn:
            found = await conn.execute(sa.select(table.c.name).where(table.c.account == account, table.c.name == group.name))
            if found.first() is not None:
                return False
            await conn.execute(
                sa.insert(table).values(
                    account=account,
                    name=group.name,
                    created_ms=group.created_ms,
                    retention_days=group.retention_days,
                    stored_bytes=0,
                    kms_key_id=group.kms_key_id,
                    log_group_class=group.log_group_class,
                )
            )
        return True

    async def delete_log_group(self, account: str, name: str) -> bool:
        groups, streams, events = (self._log_tables[k] for k in ("groups", "streams", "events"))
        async with self._engine.begin() as conn:
            gone = await conn.execute(sa.delete(groups).where(groups.c.account == account, groups.c.name == name))
            await conn.execute(sa.delete(streams).where(streams.c.account == account, streams.c.log_group == name))
            await conn.execute(sa.delete(events).where(events.c.account == account, events.c.log_group == name))
        return bool(gone.rowcount)

    async def log_group(self, account: str, name: str) -> LogGroup | None:
        table = self._log_tables["groups"]
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(table).where(table.c.account == account, table.c.name == name))).first()
        return _group(row) if row is not None else None

    async def log_groups(
        self, account: str, prefix: str | None, pattern: str | None, after: str | None, limit: int
    ) -> list[LogGroup]:
        table = self._log_tables["groups"]
        query = sa.select(table).where(table.c.account == account)
        if prefix:
            query = query.where(table.c.name.startswith(prefix, autoescape=True))
        if pattern:
            query = query.where(table.c.name.contains(pattern, autoescape=True))
        if after is not None:
            query = query.where(table.c.name > after)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.order_by(table.c.name).limit(limit))).all()
        # SQLite's LIKE ignores ASCII case: CloudWatch's pattern is case-sensitive.
        return [_group(r) for r in rows if (not pattern or pattern in r.name) and (not prefix or r.name.startswith(prefix))]

    async def put_retention(self, account: str, name: str, days: int | None) -> bool:
        table = self._log_tables["groups"]
        async with self._engine.begin() as conn:
            done = await conn.execute(
                sa.update(table).where(table.c.account == account, table.c.name == name).values(retention_days=days)
            )
        return bool(done.rowcount)

    async def retained_groups(self) -> list[tuple[str, str, int]]:
        table = self._log_tables["groups"]
        query = sa.select(table.c.account, table.c.name, table.c.retention_days).where(table.c.retention_days.is_not(None))
        async with self._engine.connect() as conn:
            return [(r[0], r[1], r[2]) for r in (await conn.execute(query)).all()]

    async def expire_log_events(self, account: str, group: str, before_ms: int, batch: int) -> int:
        groups, events = self._log_tables["groups"], self._log_tables["events"]
        async with self._engine.begin() as conn:
            rows = (
                await conn.execute(
                    sa.select(events.c.id, events.c.message)
                    .where(events.c.account == account, events.c.log_group == group, events.c.timestamp_ms < before_ms)
                    .order_by(events.c.timestamp_ms)
                    .limit(batch)
                )
            ).all()
            if not rows:
                return 0
            await conn.execute(sa.delete(events).where(events.c.id.in_([r.id for r in rows])))
            freed = sum(len(r.message.encode()) for r in rows)
            await conn.execute(
                sa.update(groups)
                .where(groups.c.account == account, groups.c.name == group)
                .values(stored_bytes=sa.case((groups.c.stored_bytes > freed, groups.c.stored_bytes - freed), else_=0))
            )
        return len(rows)

    async def oldest_log_event(self, account: str, group: str) -> int | None:
        events = self._log_tables["events"]
        query = sa.select(sa.func.min(events.c.timestamp_ms)).where(events.c.account == account, events.c.log_group == group)
        async with self._engine.connect() as conn:
            found = (await conn.execute(query)).scalar()
        return int(found) if found is not None else None

    async def create_log_stream(self, account: str, group: str, stream: str, created_ms: int) -> bool | None:
        groups, streams = self._log_tables["groups"], self._log_tables["streams"]
        async with self._engine.begin() as conn:
            if (
                await conn.execute(sa.select(groups.c.name).where(groups.c.account == account, groups.c.name == group))
            ).first() is None:
                return None
            mine = (streams.c.account == account, streams.c.log_group == group, streams.c.name == stream)
            if (await conn.execute(sa.select(streams.c.name).where(*mine))).first() is not None:
                return False
            await conn.execute(sa.insert(streams).values(account=account, log_group=group, name=stream, created_ms=created_ms))
        return True

    async def delete_log_stream(self, account: str, group: str, stream: str) -> bool:
        streams, events = self._log_tables["streams"], self._log_tables["events"]
        async with self._engine.begin() as conn:
            gone = await conn.execute(
                sa.delete(streams).where(streams.c.account == account, streams.c.log_group == group, streams.c.name == stream)
            )
            await conn.execute(
                sa.delete(events).where(events.c.account == account, events.c.log_group == group, events.c.log_stream == stream)
            )
        return bool(gone.rowcount)

    async def log_streams(
        self, account: str, group: str, prefix: str | None, by_last_event: bool, descending: bool, offset: int, limit: int
    ) -> list[LogStream]:
        table = self._log_tables["streams"]
        query = sa.select(table).where(table.c.account == account, table.c.log_group == group)
        if prefix:
            query = query.where(table.c.name.startswith(prefix, autoescape=True))
        keys = [sa.func.coalesce(table.c.last_event_ms, 0), table.c.name] if by_last_event else [table.c.name]
        query = query.order_by(*(key.desc() if descending else key for key in keys)).offset(offset).limit(limit)
        async with self._engine.connect() as conn:
            return [_stream(r) for r in (await conn.execute(query)).all()]

    async def put_log_events(
        self, account: str, group: str, stream: str, events: list[tuple[int, str]], ingestion_ms: int
    ) -> None:
        blocks = [
            LogEvent(account=account, group=group, stream=stream, timestamp_ms=ts, message=message, ingestion_ms=ingestion_ms)
            for ts, message in events
        ]
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.insert(self._log_tables["events"]),
                [
                    {
                        "account": account,
                        "log_group": group,
                        "log_stream": stream,
                        "timestamp_ms": b.timestamp_ms,
                        "ingestion_ms": ingestion_ms,
                        "message": b.message,
                    }
                    for b in blocks
                ],
            )
            await conn.run_sync(index_blocks, blocks, account)

    async def log_blocks(
        self,
        account: str,
        group: str,
        streams: list[str] | None,
        start_ms: int | None,
        end_ms: int | None,
        after_id: int | None,
        before_id: int | None,
        limit: int,
        descending: bool = False,
        stream_prefix: str | None = None,
    ) -> list[LogEvent]:
        table = self._log_tables["events"]
        query = sa.select(table).where(table.c.account == account, table.c.log_group == group)
        if streams:
            query = query.where(table.c.log_stream.in_(streams))
        if stream_prefix:
            query = query.where(table.c.log_stream.startswith(stream_prefix, autoescape=True))
        if start_ms is not None:
            query = query.where(table.c.timestamp_ms >= start_ms)
        if end_ms is not None:
            query = query.where(table.c.timestamp_ms <= end_ms)
        if after_id is not None:
            query = query.where(table.c.id > after_id)
        if before_id is not None:
            query = query.where(table.c.id < before_id)
        query = query.order_by(table.c.id.desc() if descending else table.c.id).limit(limit)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            LogEvent(
                account=r.account,
                group=r.log_group,
                stream=r.log_stream,
                timestamp_ms=r.timestamp_ms,
                ingestion_ms=r.ingestion_ms,
                message=r.message,
                event_id=r.id,
            )
            for r in rows
            if not stream_prefix or r.log_stream.startswith(stream_prefix)
        ]
