"""The EventBridge half of ``SqlStore``: one row per (account, bus) holding the bus's whole state
(its rules and their targets) as JSON, as ``sql_http_apis`` keeps an API. A bus is small (300
rules of 5 targets) and every change to it is one write of one row, so a change is atomic."""

from __future__ import annotations

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lambent.model.event_bus import EventBusState
from lambent.store.sql_accounts import AccountScoped, account_column

_encode = msgspec.json.Encoder()
_decode = msgspec.json.Decoder(EventBusState)


def define(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "event_buses",
        metadata,
        account_column(),
        sa.Column("name", sa.String(256), primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
    )


class EventBusSql(AccountScoped):
    """Mixed into ``SqlStore``; needs its engine and the ``event_buses`` table."""

    _engine: AsyncEngine
    _event_buses: sa.Table

    async def load_event_buses(self) -> list[EventBusState]:
        table = self._event_buses
        query = sa.select(table.c.state).where(self._mine(table)).order_by(table.c.name)
        async with self._engine.connect() as conn:
            return [_decode.decode(row.state) for row in (await conn.execute(query)).all()]

    async def put_event_bus(self, state: EventBusState) -> None:
        table = self._event_buses
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(table).where(self._mine(table), table.c.name == state.name))
            await conn.execute(
                sa.insert(table).values(account=self._account, name=state.name, state=_encode.encode(state).decode())
            )

    async def delete_event_bus(self, name: str) -> None:
        table = self._event_buses
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(table).where(self._mine(table), table.c.name == name))
