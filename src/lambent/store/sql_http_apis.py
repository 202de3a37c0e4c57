"""The HTTP API half of ``SqlStore``: one row per (account, API) holding the API's whole state as
JSON, its id a column of its own, unique and indexed, because the ingress looks an API up by its
id alone, across accounts. An API is small (AWS's quotas: 300 routes and integrations, 10
stages), and every change to it is one write of one row, so a change is atomic."""

from __future__ import annotations

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lambent.model.http_api import HttpApiState
from lambent.store.sql_accounts import AccountScoped, account_column

_encode = msgspec.json.Encoder()
_decode = msgspec.json.Decoder(HttpApiState)


def define(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "http_apis",
        metadata,
        account_column(),
        sa.Column("api_id", sa.String(16), primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Index("http_apis_by_id", "api_id", unique=True),
    )


class HttpApiSql(AccountScoped):
    """Mixed into ``SqlStore``; needs its engine and the ``http_apis`` table."""

    _engine: AsyncEngine
    _http_apis: sa.Table

    async def load_http_apis(self) -> list[HttpApiState]:
        table = self._http_apis
        query = sa.select(table.c.state).where(self._mine(table)).order_by(table.c.api_id)
        async with self._engine.connect() as conn:
            return [_decode.decode(row.state) for row in (await conn.execute(query)).all()]

    async def put_http_api(self, state: HttpApiState) -> None:
        table = self._http_apis
        async with self._engine.begin() as conn:
            owner = (await conn.execute(sa.select(table.c.account).where(table.c.api_id == state.api_id))).first()
            if owner is not None and owner.account != self._account:
                raise KeyError(state.api_id)
            await conn.execute(sa.delete(table).where(self._mine(table), table.c.api_id == state.api_id))
            await conn.execute(
                sa.insert(table).values(account=self._account, api_id=state.api_id, state=_encode.encode(state).decode())
            )

    async def delete_http_api(self, api_id: str) -> None:
        table = self._http_apis
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(table).where(self._mine(table), table.c.api_id == api_id))
