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
from lambent.model.uids import pick_uid, uid_key
from lambent.store import FunctionRecord
from lambent.store.sql_accounts import AccountScoped, account_column


def define(metadata: sa.MetaData) -> dict[str, sa.Table]:
    name = sa.String(140)
    functions = sa.Table(
        "functions",
        metadata,
        account_column(),
        sa.Column("name", name, primary_key=True),
        sa.Column("tags", sa.Text, nullable=False),
    )

    def owned(table: str, *columns: sa.Column[object]) -> sa.Table:
        return sa.Table(
            table,
            metadata,
            account_column(),
            sa.Column("name", name, primary_key=True),
            *columns,
            sa.ForeignKeyConstraint(["account", "name"], ["functions.account", "functions.name"], ondelete="CASCADE"),
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
        "urls": owned(
            "function_url_configs",
            sa.Column("qualifier", sa.String(128), primary_key=True),
            sa.Column("url_id", sa.String(32), nullable=False, unique=True, index=True),
            sa.Column("config", sa.Text, nullable=False),
        ),
        "uids": sa.Table(
            "function_uids",
            metadata,
            account_column(),
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


class FunctionSql(AccountScoped):
    """Mixed into ``SqlStore``; needs its engine and these tables."""

    _engine: AsyncEngine
    _functions: dict[str, sa.Table]
    #: The other tables of resources an account may own (layers, code signing configs).
    _owners: list[sa.Table]

    async def load_functions(self) -> list[FunctionRecord]:
        t = self._functions
        recursion, concurrency, uids = t["recursion"], t["concurrency"], t["uids"]
        async with self._engine.connect() as conn:
            rows, version_rows, alias_rows, policy_rows = [
                (await conn.execute(sa.select(t[table]).where(self._mine(t[table])))).all()
                for table in ("functions", "versions", "aliases", "policies")
            ]
            reserved = _pairs(
                await conn.execute(sa.select(concurrency.c.name, concurrency.c.reserved).where(self._mine(concurrency)))
            )
            loops = _pairs(
                await conn.execute(sa.select(recursion.c.name, recursion.c.recursive_loop).where(self._mine(recursion)))
            )
            uids_of = _pairs(await conn.execute(sa.select(uids.c.name, uids.c.uid).where(self._mine(uids))))
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
                uid=uids_of.get(row.name),
                policies=policies[row.name],
            )
            for row in rows
        ]

    async def create_function(self, name: str, tags: dict[str, str], new_versions: list[FunctionVersion]) -> int:
        t = self._functions
        functions, mine = t["functions"], self._account
        async with self._engine.begin() as conn:
            exists = (
                await conn.execute(sa.select(functions.c.name).where(self._mine(functions), functions.c.name == name))
            ).first()
            if exists is not None:
                raise KeyError(name)
            await conn.execute(sa.insert(functions).values(account=mine, name=name, tags=_encode.encode(tags).decode()))
            for version in new_versions:
                config = _encode.encode(version).decode()
                await conn.execute(
                    sa.insert(t["versions"]).values(account=mine, name=name, version=version.version, config=config)
                )
            return await self._assign_uid(conn, name)

    async def accounts_with_resources(self) -> list[str]:
        owners = [self._functions["functions"], *self._owners]
        query = sa.union(*(sa.select(table.c.account) for table in owners))
        async with self._engine.connect() as conn:
            return sorted(row[0] for row in await conn.execute(query))

    async def assign_uid(self, name: str) -> int:
        async with self._engine.begin() as conn:
            return await self._assign_uid(conn, name)

    async def _assign_uid(self, conn: AsyncConnection, name: str) -> int:
        """Uids are distinct across every account's functions: the registry is read whole, keyed
        ``account:name`` (``model.uids.uid_key``)."""
        uids, functions = self._functions["uids"], self._functions["functions"]
        registry = {
            uid_key(row[0], row[1]): row[2] for row in await conn.execute(sa.select(uids.c.account, uids.c.name, uids.c.uid))
        }
        key = uid_key(self._account, name)
        if key in registry:
            return int(registry[key])
        live = {uid_key(row[0], row[1]) for row in await conn.execute(sa.select(functions.c.account, functions.c.name))}
        uid = pick_uid(key, registry, live)
        await conn.execute(sa.delete(uids).where(uids.c.uid == uid))  # a deleted function's, when all are taken
        await conn.execute(sa.insert(uids).values(account=self._account, name=name, uid=uid))
        return uid

    async def _put_config(self, table: sa.Table, keys: dict[str, str], config: str) -> None:
        """Write the row of *table* that *keys* name with *config*, inserting it if there is none
        (an update first: the portable upsert, on SQLite and PostgreSQL alike)."""
        async with self._engine.begin() as conn:
            where = [self._mine(table), *(table.c[column] == value for column, value in keys.items())]
            updated = await conn.execute(sa.update(table).where(*where).values(config=config))
            if updated.rowcount == 0:
                await conn.execute(sa.insert(table).values(account=self._account, **keys, config=config))

    async def put_version(self, version: FunctionVersion) -> None:
        keys = {"name": version.name, "version": version.version}
        await self._put_config(self._functions["versions"], keys, _encode.encode(version).decode())

    async def delete_version(self, name: str, version: str) -> None:
        versions, policies = self._functions["versions"], self._functions["policies"]
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.delete(versions).where(self._mine(versions), versions.c.name == name, versions.c.version == version)
            )
            await conn.execute(
                sa.delete(policies).where(self._mine(policies), policies.c.name == name, policies.c.qualifier == version)
            )

    async def put_alias(self, alias: Alias) -> None:
        keys = {"name": alias.function_name, "alias": alias.name}
        await self._put_config(self._functions["aliases"], keys, _encode.encode(alias).decode())

    async def delete_alias(self, name: str, alias: str) -> None:
        aliases = self._functions["aliases"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(aliases).where(self._mine(aliases), aliases.c.name == name, aliases.c.alias == alias))
            for owned in ("policies", "urls"):
                table = self._functions[owned]
                await conn.execute(sa.delete(table).where(self._mine(table), table.c.name == name, table.c.qualifier == alias))

    async def put_function_policy(self, policy: FunctionPolicy) -> None:
        keys = {"name": policy.function_name, "qualifier": policy.qualifier}
        await self._put_config(self._functions["policies"], keys, _encode.encode(policy).decode())

    async def delete_function_policy(self, name: str, qualifier: str) -> None:
        policies = self._functions["policies"]
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.delete(policies).where(self._mine(policies), policies.c.name == name, policies.c.qualifier == qualifier)
            )

    async def put_reserved_concurrency(self, name: str, reserved: int | None) -> None:
        concurrency = self._functions["concurrency"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(concurrency).where(self._mine(concurrency), concurrency.c.name == name))
            if reserved is not None:
                await conn.execute(sa.insert(concurrency).values(account=self._account, name=name, reserved=reserved))

    async def put_recursive_loop(self, name: str, value: str) -> None:
        recursion = self._functions["recursion"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(recursion).where(self._mine(recursion), recursion.c.name == name))
            await conn.execute(sa.insert(recursion).values(account=self._account, name=name, recursive_loop=value))

    async def put_tags(self, name: str, tags: dict[str, str]) -> None:
        functions = self._functions["functions"]
        async with self._engine.begin() as conn:
            tags_text = _encode.encode(tags).decode()
            await conn.execute(sa.update(functions).where(self._mine(functions), functions.c.name == name).values(tags=tags_text))

    async def delete_function(self, name: str) -> None:
        t = self._functions
        async with self._engine.begin() as conn:
            for owned in ("urls", "policies", "aliases", "concurrency", "recursion", "versions", "functions"):
                await conn.execute(sa.delete(t[owned]).where(self._mine(t[owned]), t[owned].c.name == name))
