"""The metering half of ``SqlStore``: usage records with their charges, daily totals, the
journal's committed position, and budgets. Sums are of integer columns, so every grouping of a
report is exact."""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from lambent.model.billing import SUMMED_COLUMNS, Charge, MonthState, Totals, UsageRecord
from lambent.model.budget import Budget
from lambent.store import LogEvent
from lambent.store.journal import Position
from lambent.store.sql_accounts import AccountScoped, account_column
from lambent.store.sql_logs import index_blocks


def define(metadata: sa.MetaData) -> dict[str, sa.Table]:
    # Records are kept whole (msgpack) for audit and reconciliation; what reports sum lives in
    # usage_totals, one row per (account, function, version, day, architecture), upserted per
    # commit. A 33-column row per record with its indexes cost ~20 us of SQLite per invocation.
    usage = sa.Table(
        "usage_records",
        metadata,
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("function", sa.String(140), nullable=False),
        sa.Column("record", sa.LargeBinary, nullable=False),  # [UsageRecord, Charge], msgpack
        sa.Index("usage_by_function", "function", "seq"),
    )
    totals = sa.Table(
        "usage_totals",
        metadata,
        *(sa.Column(name, sa.String(140), primary_key=True) for name in TOTAL_KEYS),
        sa.Column("month", sa.String(7), nullable=False),
        *(sa.Column(name, sa.BigInteger, nullable=False) for name in SUMMED_COLUMNS),
        sa.Index("usage_totals_by_month", "account", "month"),
    )
    journal = sa.Table(
        "journal_position",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
    )
    budgets = sa.Table(
        "budgets",
        metadata,
        account_column(),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("config", sa.Text, nullable=False),
    )
    alerts = sa.Table(
        "budget_alerts",
        metadata,
        account_column(),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("threshold", sa.Integer, primary_key=True),
        sa.Column("spent", sa.String(40), nullable=False),
        sa.Column("at_ms", sa.BigInteger, nullable=False),
    )
    return {"usage": usage, "totals": totals, "journal": journal, "budgets": budgets, "alerts": alerts}


TOTAL_KEYS = ("account", "function", "version", "day", "architecture")
GROUP_KEYS = (*TOTAL_KEYS, "month")
_budget = msgspec.json.Decoder(Budget)
_encode = msgspec.json.Encoder()
_pack = msgspec.msgpack.Encoder()
_unpack = msgspec.msgpack.Decoder(tuple[UsageRecord, Charge])
_UPSERT = (
    f"INSERT INTO usage_totals ({', '.join((*TOTAL_KEYS, 'month', *SUMMED_COLUMNS))}) "  # noqa: S608 - fixed names
    f"VALUES ({', '.join('?' * (len(TOTAL_KEYS) + 1 + len(SUMMED_COLUMNS)))}) "
    f"ON CONFLICT ({', '.join(TOTAL_KEYS)}) DO UPDATE SET " + ", ".join(f"{c} = {c} + excluded.{c}" for c in SUMMED_COLUMNS)
)


def _totals(charged: list[tuple[UsageRecord, Charge]]) -> list[tuple[Any, ...]]:
    """One upsert row per (account, function, version, day, architecture) of a batch."""
    groups: dict[tuple[str, ...], Totals] = {}
    months: dict[tuple[str, ...], str] = {}
    for record, made in charged:
        key = (record.account, record.function, record.version, made.day, record.architecture)
        if key not in groups:
            groups[key], months[key] = Totals(), made.month
        groups[key].add_charge(record, made)
    return [(*key, months[key], *msgspec.structs.astuple(totals)) for key, totals in groups.items()]


class UsageSql(AccountScoped):
    """Mixed into ``SqlStore``; needs its engine, its ``log_events`` table and these tables."""

    _engine: AsyncEngine
    _sync_engine: Engine
    _tables: dict[str, sa.Table]
    _log_events: sa.Table

    async def journal_position(self) -> Position | None:
        table = self._tables["journal"]
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(table.c.generation, table.c.offset).where(table.c.id == 1))).first()
        return Position(row[0], row[1]) if row is not None else None

    def commit_journal(self, events: list[LogEvent], charged: list[tuple[UsageRecord, Charge]], position: Position) -> None:
        # Synchronous, on the ledger's worker thread: the event loop pays nothing per record.
        # Plain DBAPI executemany: SQLAlchemy's per-row parameter processing is the larger cost.
        with self._sync_engine.begin() as conn:
            if events:
                conn.exec_driver_sql(
                    "INSERT INTO log_events (account, log_group, log_stream, timestamp_ms, ingestion_ms, message) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(e.account or self._account, e.group, e.stream, e.timestamp_ms, e.ingestion_ms, e.message) for e in events],
                )
                index_blocks(conn, events, self._account)
            if charged:
                conn.exec_driver_sql(
                    "INSERT INTO usage_records (function, record) VALUES (?, ?)",
                    [(record.function, _pack.encode((record, made))) for record, made in charged],
                )
                conn.exec_driver_sql(_UPSERT, _totals(charged))
            conn.exec_driver_sql(
                'INSERT INTO journal_position (id, generation, "offset") VALUES (1, ?, ?) '
                'ON CONFLICT (id) DO UPDATE SET generation = excluded.generation, "offset" = excluded."offset"',
                (position.generation, position.offset),
            )

    async def month_state(self, account: str, month: str) -> MonthState:
        totals = self._tables["totals"]
        on_demand = totals.c.tier1_mb_ms + totals.c.tier2_mb_ms + totals.c.tier3_mb_ms
        query = (
            sa.select(
                totals.c.architecture,
                sa.func.sum(totals.c.requests),
                sa.func.sum(totals.c.free_requests),
                sa.func.sum(totals.c.free_mb_ms),
                sa.func.sum(on_demand),
            )
            .where(totals.c.account == account, totals.c.month == month)
            .group_by(totals.c.architecture)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return MonthState(
            requests=sum(int(r[1]) for r in rows),
            free_requests=sum(int(r[2]) for r in rows),
            free_mb_ms=sum(int(r[3]) for r in rows),
            on_demand_mb_ms={r[0]: int(r[4]) for r in rows},
        )

    async def usage_sums(
        self, group_by: list[str], filters: dict[str, str], first_day: str | None = None, last_day: str | None = None
    ) -> list[dict[str, Any]]:
        totals = self._tables["totals"]
        keys = [totals.c[k] for k in dict.fromkeys([*group_by, "architecture"]) if k in GROUP_KEYS]
        query = sa.select(*keys, *(sa.func.sum(totals.c[c]).label(c) for c in SUMMED_COLUMNS))
        for name, value in filters.items():
            query = query.where(totals.c[name] == value)
        if first_day is not None:
            query = query.where(totals.c.day >= first_day)
        if last_day is not None:
            query = query.where(totals.c.day <= last_day)
        query = query.group_by(*keys).order_by(*keys)
        async with self._engine.connect() as conn:
            return [dict(row._mapping) for row in (await conn.execute(query)).all()]

    async def usage_records(self, function: str | None, after_seq: int, limit: int) -> list[tuple[int, UsageRecord, Charge]]:
        usage = self._tables["usage"]
        query = sa.select(usage.c.seq, usage.c.record).where(usage.c.seq > after_seq)
        if function is not None:
            query = query.where(usage.c.function == function)
        query = query.order_by(usage.c.seq).limit(limit)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [(row[0], *_unpack.decode(row[1])) for row in rows]

    async def load_budgets(self) -> list[tuple[str, Budget]]:
        table = self._tables["budgets"]
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(table.c.account, table.c.config))).all()
        return [(r[0], _budget.decode(r[1])) for r in rows]

    async def put_budget(self, account: str, budget: Budget) -> None:
        table = self._tables["budgets"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(table).where(table.c.account == account, table.c.name == budget.name))
            config = _encode.encode(budget).decode()
            await conn.execute(sa.insert(table).values(account=account, name=budget.name, config=config))

    async def delete_budget(self, account: str, name: str) -> None:
        async with self._engine.begin() as conn:
            for table in (self._tables["budgets"], self._tables["alerts"]):
                await conn.execute(sa.delete(table).where(table.c.account == account, table.c.name == name))

    async def budget_alerts(self, month: str) -> list[tuple[str, str, int, str, int]]:
        """(account, budget, threshold, spent, at ms) of the alerts raised in *month*."""
        table = self._tables["alerts"]
        query = sa.select(table.c.account, table.c.name, table.c.threshold, table.c.spent, table.c.at_ms).where(
            table.c.month == month
        )
        async with self._engine.connect() as conn:
            return [(r[0], r[1], r[2], r[3], r[4]) for r in (await conn.execute(query.order_by(table.c.at_ms))).all()]

    async def put_budget_alert(self, account: str, name: str, month: str, threshold: int, spent: str, at_ms: int) -> None:
        table = self._tables["alerts"]
        key = {"account": account, "name": name, "month": month, "threshold": threshold}
        async with self._engine.begin() as conn:
            exists = (await conn.execute(sa.select(table.c.name).where(*(table.c[k] == v for k, v in key.items())))).first()
            if exists is None:
                await conn.execute(sa.insert(table).values(**key, spent=spent, at_ms=at_ms))
