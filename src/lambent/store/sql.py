"""The ``Store`` on SQLAlchemy Core: SQLite (WAL) in the data directory by default."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from lambent.model.event_invoke import EventInvokeConfig
from lambent.model.layer import LayerVersion
from lambent.store.sql_accounts import account_column, upgrade
from lambent.store.sql_bucket_notifications import BucketNotificationSql
from lambent.store.sql_bucket_notifications import define as define_bucket_notifications
from lambent.store.sql_code_signing import CodeSigningSql
from lambent.store.sql_code_signing import define as define_code_signing
from lambent.store.sql_event_buses import EventBusSql
from lambent.store.sql_event_buses import define as define_event_buses
from lambent.store.sql_event_sources import EventSourceSql
from lambent.store.sql_event_sources import define as define_event_sources
from lambent.store.sql_function_urls import FunctionUrlSql
from lambent.store.sql_functions import FunctionSql
from lambent.store.sql_functions import define as define_functions
from lambent.store.sql_http_apis import HttpApiSql
from lambent.store.sql_http_apis import define as define_http_apis
from lambent.store.sql_identity import IdentitySql
from lambent.store.sql_identity import define as define_identity
from lambent.store.sql_logs import LogSql, backfill
from lambent.store.sql_logs import define as define_logs
from lambent.store.sql_metrics import MetricSql
from lambent.store.sql_metrics import define as define_metrics
from lambent.store.sql_schedules import ScheduleSql
from lambent.store.sql_schedules import define as define_schedules
from lambent.store.sql_test_events import TestEventSql
from lambent.store.sql_test_events import define as define_test_events
from lambent.store.sql_usage import UsageSql, define

metadata = sa.MetaData()

function_tables = define_functions(metadata)

provisioned = sa.Table(
    "provisioned_concurrency",
    metadata,
    account_column(),
    sa.Column("name", sa.String(140), primary_key=True),
    sa.Column("qualifier", sa.String(128), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("last_modified", sa.String(40), nullable=False),
)

layer_versions = sa.Table(
    "layer_versions",
    metadata,
    account_column(),
    sa.Column("name", sa.String(140), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("config", sa.Text, nullable=False),
)

event_invoke_configs = sa.Table(
    "event_invoke_configs",
    metadata,
    account_column(),
    sa.Column("name", sa.String(140), primary_key=True),
    sa.Column("qualifier", sa.String(128), primary_key=True),
    sa.Column("config", sa.Text, nullable=False),
)

async_events = sa.Table(
    "async_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event", sa.LargeBinary, nullable=False),  # a QueuedEvent, msgspec-encoded
    sa.Column("not_before", sa.Float, nullable=False),
    sa.Column("lease_until", sa.Float, nullable=True),
    sa.Index("async_events_due", "not_before", "id"),
)

usage_tables = define(metadata)
identity_tables = define_identity(metadata)
code_signing_tables = define_code_signing(metadata)
http_apis = define_http_apis(metadata)
event_buses = define_event_buses(metadata)
schedule_tables = define_schedules(metadata)
event_source_tables = define_event_sources(metadata)
test_events = define_test_events(metadata)
bucket_notifications = define_bucket_notifications(metadata)
log_tables = define_logs(metadata)
metric_tables = define_metrics(metadata)

_encode = msgspec.json.Encoder()
_decode_layer = msgspec.json.Decoder(LayerVersion)
_decode_event_config = msgspec.json.Decoder(EventInvokeConfig)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class SqlStore(
    FunctionSql,
    FunctionUrlSql,
    HttpApiSql,
    EventBusSql,
    ScheduleSql,
    EventSourceSql,
    TestEventSql,
    BucketNotificationSql,
    UsageSql,
    MetricSql,
    IdentitySql,
    CodeSigningSql,
    LogSql,
):
    """The store, bound to *account*: what it reads and writes of Lambda's resources (functions,
    layers, their settings) is that account's; ``of_account`` views another's."""

    def __init__(self, url: str, account: str) -> None:
        self._account = account
        self._engine: AsyncEngine = create_async_engine(url)
        # The ledger commits from its worker thread, through a synchronous engine on the same database.
        self._sync_engine = sa.create_engine(url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg"))
        self._tables = usage_tables
        self._functions = function_tables
        self._identity = identity_tables
        self._code_signing = code_signing_tables
        self._http_apis = http_apis
        self._event_buses = event_buses
        self._schedule_tables = schedule_tables
        self._event_source_tables = event_source_tables
        self._test_events = test_events
        self._bucket_notifications = bucket_notifications
        self._metric_tables = metric_tables
        self._owners = [
            layer_versions,
            code_signing_tables["configs"],
            http_apis,
            event_buses,
            schedule_tables["schedules"],
            event_source_tables["mappings"],
            bucket_notifications,
        ]
        self._log_tables = log_tables
        if url.startswith("sqlite"):
            event.listen(self._engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self._sync_engine, "connect", _sqlite_pragmas)

    def of_account(self, account: str) -> SqlStore:
        """The same store (engines, transactions, life cycle) bound to *account*."""
        view = copy.copy(self)
        view._account = account
        return view

    async def open(self) -> None:
        """Make the tables a data directory lacks, after upgrading those an older Lambent made
        (``sql_accounts.upgrade``: their rows become this store's account's)."""
        async with self._engine.begin() as conn:
            await conn.run_sync(upgrade, metadata, self._account)
            had_groups = await conn.run_sync(lambda sync: sa.inspect(sync).has_table("log_groups"))
            await conn.run_sync(metadata.create_all)
            if not had_groups:
                await conn.run_sync(backfill)

    async def close(self) -> None:
        await self._engine.dispose()
        self._sync_engine.dispose()

    async def enqueue(self, events: list[bytes], now: float) -> list[int]:
        """Insert queued events in one transaction; their ids, in order."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                sa.insert(async_events).returning(async_events.c.id),
                [{"event": event, "not_before": now, "lease_until": None} for event in events],
            )
            return [row[0] for row in result.all()]

    async def claim(self, now: float, lease_until: float, limit: int) -> list[tuple[int, bytes]]:
        """Lease up to *limit* due events that no live lease holds."""
        due = (
            sa.select(async_events.c.id)
            .where(async_events.c.not_before <= now)
            .where(sa.or_(async_events.c.lease_until.is_(None), async_events.c.lease_until < now))
            .order_by(async_events.c.not_before, async_events.c.id)
            .limit(limit)
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(
                sa.update(async_events)
                .where(async_events.c.id.in_(due.scalar_subquery()))
                .values(lease_until=lease_until)
                .returning(async_events.c.id, async_events.c.event)
            )
            return [(row[0], row[1]) for row in result.all()]

    async def finish(self, ids: list[int]) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(async_events).where(async_events.c.id.in_(ids)))

    async def reschedule(self, event_id: int, event: bytes, not_before: float) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.update(async_events)
                .where(async_events.c.id == event_id)
                .values(event=event, not_before=not_before, lease_until=None)
            )

    async def release_leases(self) -> int:
        """Free every lease (at start: nothing of an earlier run is still working on them)."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                sa.update(async_events).where(async_events.c.lease_until.is_not(None)).values(lease_until=None)
            )
            return int(result.rowcount or 0)

    async def load_provisioned(self) -> list[tuple[str, str, int, str]]:
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(
                        provisioned.c.name, provisioned.c.qualifier, provisioned.c.count, provisioned.c.last_modified
                    ).where(self._mine(provisioned))
                )
            ).all()
        return [(r[0], r[1], int(r[2]), r[3]) for r in rows]

    async def put_provisioned(self, name: str, qualifier: str, count: int | None, last_modified: str) -> None:
        """Set (or, with None, delete) the provisioned concurrency of *name*:*qualifier*."""
        table = provisioned
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(table).where(self._mine(table), table.c.name == name, table.c.qualifier == qualifier))
            if count is not None:
                values = {
                    "account": self._account,
                    "name": name,
                    "qualifier": qualifier,
                    "count": count,
                    "last_modified": last_modified,
                }
                await conn.execute(sa.insert(table).values(**values))

    async def load_event_configs(self) -> list[EventInvokeConfig]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(event_invoke_configs).where(self._mine(event_invoke_configs)))).all()
        return [_decode_event_config.decode(row.config) for row in rows]

    async def put_event_config(self, config: EventInvokeConfig) -> None:
        table = event_invoke_configs
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.delete(table).where(
                    self._mine(table), table.c.name == config.function_name, table.c.qualifier == config.qualifier
                )
            )
            await conn.execute(
                sa.insert(table).values(
                    account=self._account,
                    name=config.function_name,
                    qualifier=config.qualifier,
                    config=_encode.encode(config).decode(),
                )
            )

    async def delete_event_config(self, name: str, qualifier: str | None) -> None:
        table = event_invoke_configs
        query = sa.delete(table).where(self._mine(table), table.c.name == name)
        if qualifier is not None:
            query = query.where(table.c.qualifier == qualifier)
        async with self._engine.begin() as conn:
            await conn.execute(query)

    async def load_layers(self) -> list[LayerVersion]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(layer_versions.c.config).where(self._mine(layer_versions)))).all()
        return [_decode_layer.decode(row.config) for row in rows]

    async def put_layer_version(self, layer: LayerVersion) -> None:
        config = _encode.encode(layer).decode()
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.delete(layer_versions).where(
                    self._mine(layer_versions), layer_versions.c.name == layer.name, layer_versions.c.version == layer.version
                )
            )
            values = {"account": self._account, "name": layer.name, "version": layer.version, "config": config}
            await conn.execute(sa.insert(layer_versions).values(**values))

    async def delete_layer_version(self, name: str, version: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.delete(layer_versions).where(
                    self._mine(layer_versions), layer_versions.c.name == name, layer_versions.c.version == version
                )
            )
