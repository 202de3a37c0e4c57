"""The metering half of ``SqlStore``: usage records with their charges, the journal's committed
position, and budgets. Sums are of integer columns, so every grouping of a report is exact."""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lambent.model.billing import CHARGE_COLUMNS, MonthState, UsageRecord
from lambent.model.budget import Budget
from lambent.store import LogEvent
from lambent.store.journal import Position


def define(metadata: sa.MetaData) -> dict[str, sa.Table]:
    usage = sa.Table(
        "usage_records",
        metadata,
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("account", sa.String(12), nullable=False),
        sa.Column("function", sa.String(140), nullable=False),
        sa.Column("version", sa.String(16), nullable=False),
        sa.Column("qualifier", sa.String(128), nullable=True),
        sa.Column("invocation_type", sa.String(20), nullable=False),
        sa.Column("start_ms", sa.BigInteger, nullable=False),
        sa.Column("end_ms", sa.BigInteger, nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("init_duration_ms", sa.Float, nullable=True),
        sa.Column("billed_ms", sa.BigInteger, nullable=False),
        sa.Column("memory_mb", sa.Integer, nullable=False),
        sa.Column("max_memory_used_mb", sa.Integer, nullable=False),
        sa.Column("architecture", sa.String(16), nullable=False),
        sa.Column("ephemeral_mb", sa.Integer, nullable=False),
        sa.Column("provisioned", sa.Boolean, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        *(sa.Column(name, sa.BigInteger, nullable=False) for name in CHARGE_COLUMNS),
        sa.Index("usage_by_account_month", "account", "month"),
        sa.Index("usage_by_function_day", "function", "day"),
        sa.Index("usage_by_request", "request_id"),
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
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("config", sa.Text, nullable=False),
    )
    alerts = sa.Table(
        "budget_alerts",
        metadata,
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("threshold", sa.Integer, primary_key=True),
        sa.Column("spent", sa.String(40), nullable=False),
        sa.Column("at_ms", sa.BigInteger, nullable=False),
    )
    return {"usage": usage, "journal": journal, "budgets": budgets, "alerts": alerts}


GROUP_KEYS = ("account", "function", "version", "month", "day", "architecture")
_budget = msgspec.json.Decoder(Budget)
_encode = msgspec.json.Encoder()
_record_fields = [f.name for f in msgspec.structs.fields(UsageRecord)]


class UsageSql:
    """Mixed into ``SqlStore``; needs its engine, its ``log_events`` table and these tables."""

    _engine: AsyncEngine
    _tables: dict[str, sa.Table]
    _log_events: sa.Table

    async def journal_position(self) -> Position | None:
        table = self._tables["journal"]
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(table.c.generation, table.c.offset).where(table.c.id == 1))).first()
        return Position(row[0], row[1]) if row is not None else None

    async def commit_journal(self, events: list[LogEvent], usage_rows: list[dict[str, Any]], position: Position) -> None:
        journal = self._tables["journal"]
        async with self._engine.begin() as conn:
            if events:
                await conn.execute(
                    sa.insert(self._log_events),
                    [
                        {
                            "log_group": e.group,
                            "log_stream": e.stream,
                            "timestamp_ms": e.timestamp_ms,
                            "ingestion_ms": e.ingestion_ms,
                            "message": e.message,
                        }
                        for e in events
                    ],
                )
            if usage_rows:
                await conn.execute(sa.insert(self._tables["usage"]), usage_rows)
            updated = await conn.execute(
                sa.update(journal).where(journal.c.id == 1).values(generation=position.generation, offset=position.offset)
            )
            if not updated.rowcount:
                await conn.execute(sa.insert(journal).values(id=1, generation=position.generation, offset=position.offset))

    async def month_state(self, account: str, month: str) -> MonthState:
        usage = self._tables["usage"]
        on_demand = usage.c.tier1_mb_ms + usage.c.tier2_mb_ms + usage.c.tier3_mb_ms
        query = (
            sa.select(
                usage.c.architecture,
                sa.func.sum(usage.c.requests),
                sa.func.sum(usage.c.free_requests),
                sa.func.sum(usage.c.free_mb_ms),
                sa.func.sum(on_demand),
            )
            .where(usage.c.account == account, usage.c.month == month)
            .group_by(usage.c.architecture)
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
        self, group_by: list[str], filters: dict[str, str], start_ms: int | None = None, end_ms: int | None = None
    ) -> list[dict[str, Any]]:
        """Sums of the charge columns (and billed ms, record count) per group of *group_by*
        (always also per architecture: prices differ), over records matching *filters*."""
        usage = self._tables["usage"]
        keys = [usage.c[k] for k in dict.fromkeys([*group_by, "architecture"]) if k in GROUP_KEYS]
        invoked_ms = sa.case((usage.c.kind == "invoke", usage.c.billed_ms), else_=0)
        query = sa.select(
            *keys,
            sa.func.sum(invoked_ms).label("billed_ms"),
            *(sa.func.sum(usage.c[c]).label(c) for c in CHARGE_COLUMNS),
            sa.func.count().label("records"),
        )
        for name, value in filters.items():
            query = query.where(usage.c[name] == value)
        if start_ms is not None:
            query = query.where(usage.c.end_ms >= start_ms)
        if end_ms is not None:
            query = query.where(usage.c.end_ms < end_ms)
        query = query.group_by(*keys).order_by(*keys)
        async with self._engine.connect() as conn:
            return [dict(row._mapping) for row in (await conn.execute(query)).all()]

    async def usage_records(
        self, filters: dict[str, str], after_seq: int, limit: int
    ) -> list[tuple[int, UsageRecord, dict[str, int]]]:
        """Records in commit order after *after_seq*: (seq, record, its charge columns)."""
        usage = self._tables["usage"]
        query = sa.select(usage).where(usage.c.seq > after_seq)
        for name, value in filters.items():
            query = query.where(usage.c[name] == value)
        query = query.order_by(usage.c.seq).limit(limit)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        made = []
        for row in rows:
            values = row._mapping
            record = UsageRecord(**{name: values[name] for name in _record_fields})
            made.append((values["seq"], record, {c: values[c] for c in CHARGE_COLUMNS}))
        return made

    async def load_budgets(self) -> list[Budget]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(self._tables["budgets"].c.config))).all()
        return [_budget.decode(r[0]) for r in rows]

    async def put_budget(self, budget: Budget) -> None:
        table = self._tables["budgets"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(table).where(table.c.name == budget.name))
            await conn.execute(sa.insert(table).values(name=budget.name, config=_encode.encode(budget).decode()))

    async def delete_budget(self, name: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(self._tables["budgets"]).where(self._tables["budgets"].c.name == name))
            await conn.execute(sa.delete(self._tables["alerts"]).where(self._tables["alerts"].c.name == name))

    async def budget_alerts(self, month: str) -> list[tuple[str, int, str, int]]:
        """(budget, threshold, spent, at ms) of the alerts raised in *month*."""
        table = self._tables["alerts"]
        query = sa.select(table.c.name, table.c.threshold, table.c.spent, table.c.at_ms).where(table.c.month == month)
        async with self._engine.connect() as conn:
            return [(r[0], r[1], r[2], r[3]) for r in (await conn.execute(query.order_by(table.c.at_ms))).all()]

    async def put_budget_alert(self, name: str, month: str, threshold: int, spent: str, at_ms: int) -> None:
        table = self._tables["alerts"]
        async with self._engine.begin() as conn:
            exists = (
                await conn.execute(
                    sa.select(table.c.name).where(table.c.name == name, table.c.month == month, table.c.threshold == threshold)
                )
            ).first()
            if exists is None:
                await conn.execute(sa.insert(table).values(name=name, month=month, threshold=threshold, spent=spent, at_ms=at_ms))
