"""The function URL half of ``SqlStore``: one row per (account, function, qualifier) holding the
whole config, its URL id a column of its own, unique and indexed, because the ingress looks a
URL up by its id alone, across accounts. The table is one of a function's (``sql_functions``):
deleting the function or the alias deletes the config."""

from __future__ import annotations

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lambent.model.function_url import FunctionUrlConfig
from lambent.store.sql_accounts import AccountScoped

_encode = msgspec.json.Encoder()
_decode = msgspec.json.Decoder(FunctionUrlConfig)


class FunctionUrlSql(AccountScoped):
    """Mixed into ``SqlStore``; needs its engine and the functions' tables."""

    _engine: AsyncEngine
    _functions: dict[str, sa.Table]

    async def load_function_urls(self) -> list[FunctionUrlConfig]:
        table = self._functions["urls"]
        query = sa.select(table.c.config).where(self._mine(table)).order_by(table.c.name, table.c.qualifier)
        async with self._engine.connect() as conn:
            return [_decode.decode(row.config) for row in (await conn.execute(query)).all()]

    async def put_function_url(self, config: FunctionUrlConfig) -> None:
        table = self._functions["urls"]
        keys = (table.c.name == config.function_name, table.c.qualifier == config.qualifier)
        async with self._engine.begin() as conn:
            taken = (
                await conn.execute(
                    sa.select(table.c.account, table.c.name, table.c.qualifier).where(table.c.url_id == config.url_id)
                )
            ).first()
            if taken is not None and tuple(taken) != (self._account, config.function_name, config.qualifier):
                raise KeyError(config.url_id)
            await conn.execute(sa.delete(table).where(self._mine(table), *keys))
            await conn.execute(
                sa.insert(table).values(
                    account=self._account,
                    name=config.function_name,
                    qualifier=config.qualifier,
                    url_id=config.url_id,
                    config=_encode.encode(config).decode(),
                )
            )

    async def delete_function_url(self, name: str, qualifier: str) -> None:
        table = self._functions["urls"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(table).where(self._mine(table), table.c.name == name, table.c.qualifier == qualifier))

    async def function_url_by_id(self, url_id: str) -> tuple[str, FunctionUrlConfig] | None:
        table = self._functions["urls"]
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(table.c.account, table.c.config).where(table.c.url_id == url_id))).first()
        return None if row is None else (row.account, _decode.decode(row.config))
