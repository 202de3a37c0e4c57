"""The console's saved test events' half of ``SqlStore``: a row per (account, function, name)
with the event's JSON text. A function's events outlive it, as the AWS console's shareable test
events do (a function made again under the name finds them)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lambent.store.sql_accounts import AccountScoped, account_column


def define(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "test_events",
        metadata,
        account_column(),
        sa.Column("function", sa.String(140), primary_key=True),
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
    )


class TestEventSql(AccountScoped):
    """Mixed into ``SqlStore``; needs its engine and ``_test_events``."""

    _engine: AsyncEngine
    _test_events: sa.Table

    def _one(self, function: str, name: str) -> sa.ColumnElement[bool]:
        table = self._test_events
        return sa.and_(self._mine(table), table.c.function == function, table.c.name == name)

    async def test_events(self, function: str) -> dict[str, str]:
        table = self._test_events
        query = sa.select(table.c.name, table.c.body).where(self._mine(table), table.c.function == function)
        async with self._engine.connect() as conn:
            return {row.name: row.body for row in (await conn.execute(query.order_by(table.c.name))).all()}

    async def put_test_event(self, function: str, name: str, body: str) -> None:
        table = self._test_events
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(table).where(self._one(function, name)))
            await conn.execute(sa.insert(table).values(account=self._account, function=function, name=name, body=body))

    async def delete_test_event(self, function: str, name: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(self._test_events).where(self._one(function, name)))
