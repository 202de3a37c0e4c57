"""The functions half of ``SqlStore``: functions, their versions, aliases, settings and uids.

Versions and aliases are kept whole (JSON of their records); settings are one row each. The uid
registry (``function_uids``) outlives a function's rows on purpose: a function created again
under its name gets its uid back, and no deleted function's uid goes to another while free ones
remain (``model.uids``). A data directory made before the registry gets the table at ``open``
and its functions their uids at load (``assign_uid``).
"""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lambent.model.alias import Alias
from lambent.model.function import FunctionVersion
from lambent.model.function_policy import FunctionPolicy
from lambent.model.uids import pick_uid
from lambent.store import FunctionRecord


def define(metadata: sa.MetaData) -> dict[str, sa.Table]:
    name = sa.String(140)
    functions = sa.Table(
        "functions",
        metadata,
        sa.Column("name", name, primary_key=True),
        sa.Column("tags", sa.Text, nullable=False),
    )

    def owned(table: str, *columns: sa.Column[object]) -> sa.Table:
        return sa.Table(
            table,
            metadata,
            sa.Column("name", name, sa.ForeignKey("functions.name", ondelete="CASCADE"), primary_key=True),
            *columns,
        )

    return {
        "functions": functions,
        "versions": owned(
            "function_versions",
            sa.Column("version", sa.String(16), primary_key=True),
            sa.Column("config", sa.Text, nullable=False),
        ),
        "aliases": owned(
            "function_aliases", sa.Column("alias", sa.String(128), primary_key=True), sa.Column("config", sa.Text, nullable=False)
        ),
        "policies": owned(
            "function_policies",
            sa.Column("qualifier", sa.String(129), primary_key=True),
            sa.Column("config", sa.Text, nullable=False),
        ),
        "concurrency": owned("function_concurrency", sa.Column("reserved", sa.Integer, nullable=False)),
        "recursion": owned("function_recursion", sa.Column("recursive_loop", sa.String(16), nullable=False)),
        "uids": sa.Table(
            "function_uids",
            metadata,
            sa.Column("name", name, primary_key=True),
            sa.Column("uid", sa.Integer, nullable=False, unique=True),
        ),
    }


_encode = msgspec.json.Encoder()
_decode_version = msgspec.json.Decoder(FunctionVersion)
_decode_tags = msgspec.json.Decoder(dict[str, str])
_decode_alias = msgspec.json.Decoder(Alias)
_decode_policy = msgspec.json.Decoder(FunctionPolicy)


def _pairs(result: Any) -> dict[Any, Any]:
    """The two columns of a query's *result* as a mapping from the first to the second."""
    return {row[0]: row[1] for row in result.all()}


class FunctionSql:
    """Mixed into ``SqlStore``; needs its engine and these tables."""

    _engine: AsyncEngine
    _functions: dict[str, sa.Table]

    async def load_functions(self) -> list[FunctionRecord]:
        t = self._functions
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(t["functions"]))).all()
            version_rows = (await conn.execute(sa.select(t["versions"]))).all()
            alias_rows = (await conn.execute(sa.select(t["aliases"]))).all()
            policy_rows = (await conn.execute(sa.select(t["policies"]))).all()
            reserved = _pairs(await conn.execute(sa.select(t["concurrency"].c.name, t["concurrency"].c.reserved)))
            recursion = t["recursion"]
            loops = _pairs(await conn.execute(sa.select(recursion.c.name, recursion.c.recursive_loop)))
            uids = _pairs(await conn.execute(sa.select(t["uids"].c.name, t["uids"].c.uid)))
        versions: dict[str, dict[str, FunctionVersion]] = {row.name: {} for row in rows}
        for row in version_rows:
            versions[row.name][row.version] = _decode_version.decode(row.config)
        aliases: dict[str, dict[str, Alias]] = {row.name: {} for row in rows}
        for row in alias_rows:
            aliases[row.name][row.alias] = _decode_alias.decode(row.config)
        policies: dict[str, dict[str, FunctionPolicy]] = {row.name: {} for row in rows}
        for row in policy_rows:
            policies[row.name][row.qualifier] = _decode_policy.decode(row.config)
        return [
            FunctionRecord(
                name=row.name,
                tags=_decode_tags.decode(row.tags),
                versions=versions[row.name],
                aliases=aliases[row.name],
                reserved_concurrency=reserved.get(row.name),
                recursive_loop=loops.get(row.name, "Terminate"),
                uid=uids.get(row.name),
                policies=policies[row.name],
            )
            for row in rows
        ]

    async def create_function(self, name: str, tags: dict[str, str], new_versions: list[FunctionVersion]) -> int:
        t = self._functions
        async with self._engine.begin() as conn:
            exists = (await conn.execute(sa.select(t["functions"].c.name).where(t["functions"].c.name == name))).first()
            if exists is not None:
                raise KeyError(name)
            await conn.execute(sa.insert(t["functions"]).values(name=name, tags=_encode.encode(tags).decode()))
            for version in new_versions:
                await conn.execute(
                    sa.insert(t["versions"]).values(name=name, version=version.version, config=_encode.encode(version).decode())
                )
            return await self._assign_uid(conn, name)

    async def assign_uid(self, name: str) -> int:
        async with self._engine.begin() as conn:
            return await self._assign_uid(conn, name)

    async def _assign_uid(self, conn: AsyncConnection, name: str) -> int:
        uids = self._functions["uids"]
        registry = _pairs(await conn.execute(sa.select(uids.c.name, uids.c.uid)))
        if name in registry:
            return int(registry[name])
        live = set((await conn.execute(sa.select(self._functions["functions"].c.name))).scalars().all())
        uid = pick_uid(name, registry, live)
        await conn.execute(sa.delete(uids).where(uids.c.uid == uid))  # a deleted function's, when all are taken
        await conn.execute(sa.insert(uids).values(name=name, uid=uid))
        return uid

    async def _put_config(self, table: sa.Table, keys: dict[str, str], config: str) -> None:
        """Write the row of *table* that *keys* name with *config*, inserting it if there is none
        (an update first: the portable upsert, on SQLite and PostgreSQL alike)."""
        async with self._engine.begin() as conn:
            where = [table.c[column] == value for column, value in keys.items()]
            updated = await conn.execute(sa.update(table).where(*where).values(config=config))
            if updated.rowcount == 0:
                await conn.execute(sa.insert(table).values(**keys, config=config))

    async def put_version(self, version: FunctionVersion) -> None:
        keys = {"name": version.name, "version": version.version}
        await self._put_config(self._functions["versions"], keys, _encode.encode(version).decode())

    async def delete_version(self, name: str, version: str) -> None:
        versions, policies = self._functions["versions"], self._functions["policies"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(versions).where(versions.c.name == name, versions.c.version == version))
            await conn.execute(sa.delete(policies).where(policies.c.name == name, policies.c.qualifier == version))

    async def put_alias(self, alias: Alias) -> None:
        keys = {"name": alias.function_name, "alias": alias.name}
        await self._put_config(self._functions["aliases"], keys, _encode.encode(alias).decode())

    async def delete_alias(self, name: str, alias: str) -> None:
        aliases, policies = self._functions["aliases"], self._functions["policies"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(aliases).where(aliases.c.name == name, aliases.c.alias == alias))
            await conn.execute(sa.delete(policies).where(policies.c.name == name, policies.c.qualifier == alias))

    async def put_function_policy(self, policy: FunctionPolicy) -> None:
        keys = {"name": policy.function_name, "qualifier": policy.qualifier}
        await self._put_config(self._functions["policies"], keys, _encode.encode(policy).decode())

    async def delete_function_policy(self, name: str, qualifier: str) -> None:
        policies = self._functions["policies"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(policies).where(policies.c.name == name, policies.c.qualifier == qualifier))

    async def put_reserved_concurrency(self, name: str, reserved: int | None) -> None:
        concurrency = self._functions["concurrency"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(concurrency).where(concurrency.c.name == name))
            if reserved is not None:
                await conn.execute(sa.insert(concurrency).values(name=name, reserved=reserved))

    async def put_recursive_loop(self, name: str, value: str) -> None:
        recursion = self._functions["recursion"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(recursion).where(recursion.c.name == name))
            await conn.execute(sa.insert(recursion).values(name=name, recursive_loop=value))

    async def put_tags(self, name: str, tags: dict[str, str]) -> None:
        functions = self._functions["functions"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.update(functions).where(functions.c.name == name).values(tags=_encode.encode(tags).decode()))

    async def delete_function(self, name: str) -> None:
        t = self._functions
        async with self._engine.begin() as conn:
            for owned in ("policies", "aliases", "concurrency", "recursion", "versions", "functions"):
                await conn.execute(sa.delete(t[owned]).where(t[owned].c.name == name))
