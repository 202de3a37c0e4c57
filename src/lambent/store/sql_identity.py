"""The identity half of ``SqlStore``: accounts, IAM users and roles, access keys, customer
managed policies.

A user, a role or a managed policy is one row holding its whole record (policies or versions
inside), replaced by compare-and-set on the document, so two writers cannot lose each other's
change. Access keys
are rows of their own, looked up by id on every signed request.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lambent.model.identity import AccessKey, Account, Role, User
from lambent.model.managed_policy import ManagedPolicy

_Principal = TypeVar("_Principal", User, Role, ManagedPolicy)
_encode = msgspec.json.Encoder()
_decode_key = msgspec.json.Decoder(AccessKey)
#: The kind column of each record type (managed policies share the principals' table and CAS).
_KINDS: dict[type[Any], str] = {User: "user", Role: "role", ManagedPolicy: "policy"}


def define(metadata: sa.MetaData) -> dict[str, sa.Table]:
    return {
        "accounts": sa.Table(
            "accounts",
            metadata,
            sa.Column("account_id", sa.String(12), primary_key=True),
            sa.Column("created", sa.String(40), nullable=False),
        ),
        "principals": sa.Table(
            "iam_principals",
            metadata,
            sa.Column("account_id", sa.String(12), primary_key=True),
            sa.Column("kind", sa.String(8), primary_key=True),
            sa.Column("name", sa.String(128), primary_key=True),
            sa.Column("document", sa.Text, nullable=False),
        ),
        "keys": sa.Table(
            "access_keys",
            metadata,
            sa.Column("access_key_id", sa.String(32), primary_key=True),
            sa.Column("principal_arn", sa.String(2048), nullable=False, index=True),
            sa.Column("record", sa.Text, nullable=False),  # an AccessKey, JSON (the secret sealed)
        ),
    }


class IdentitySql:
    """Mixed into ``SqlStore``; needs its engine and these tables."""

    _engine: AsyncEngine
    _identity: dict[str, sa.Table]

    async def put_account(self, account: Account) -> None:
        table = self._identity["accounts"]
        async with self._engine.begin() as conn:
            exists = (await conn.execute(sa.select(table.c.account_id).where(table.c.account_id == account.account_id))).first()
            if exists is None:
                await conn.execute(sa.insert(table).values(account_id=account.account_id, created=account.created))

    async def accounts(self) -> list[Account]:
        table = self._identity["accounts"]
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(table).order_by(table.c.account_id))).all()
        return [Account(account_id=row.account_id, created=row.created) for row in rows]

    async def _put_principal(self, record: User | Role | ManagedPolicy, expected: User | Role | ManagedPolicy | None) -> None:
        table = self._identity["principals"]
        kind = _KINDS[type(record)]
        document = _encode.encode(record).decode()
        async with self._engine.begin() as conn:
            if expected is None:
                try:
                    await conn.execute(
                        sa.insert(table).values(account_id=record.account_id, kind=kind, name=record.name, document=document)
                    )
                except sa.exc.IntegrityError:
                    raise KeyError(record.name) from None
                return
            result = await conn.execute(
                sa.update(table)
                .where(table.c.account_id == record.account_id, table.c.kind == kind, table.c.name == record.name)
                .where(table.c.document == _encode.encode(expected).decode())
                .values(document=document)
            )
            if result.rowcount != 1:
                raise LookupError(record.name)

    async def _principal(self, kind: type[_Principal], account_id: str, name: str) -> _Principal | None:
        table = self._identity["principals"]
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(table.c.document).where(
                        table.c.account_id == account_id, table.c.kind == _KINDS[kind], table.c.name == name
                    )
                )
            ).first()
        return msgspec.json.decode(row[0], type=kind) if row is not None else None

    async def _principals(self, kind: type[_Principal], account_id: str) -> list[_Principal]:
        table = self._identity["principals"]
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(table.c.document)
                    .where(table.c.account_id == account_id, table.c.kind == _KINDS[kind])
                    .order_by(table.c.name)
                )
            ).all()
        return [msgspec.json.decode(row[0], type=kind) for row in rows]

    async def _delete_principal(self, kind: type[_Principal], account_id: str, name: str) -> bool:
        found = await self._principal(kind, account_id, name)
        if found is None:
            return False
        principals, keys = self._identity["principals"], self._identity["keys"]
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.delete(principals).where(
                    principals.c.account_id == account_id, principals.c.kind == _KINDS[kind], principals.c.name == name
                )
            )
            await conn.execute(sa.delete(keys).where(keys.c.principal_arn == found.arn))
        return True

    async def put_user(self, user: User, expected: User | None) -> None:
        await self._put_principal(user, expected)

    async def user(self, account_id: str, name: str) -> User | None:
        return await self._principal(User, account_id, name)

    async def users(self, account_id: str) -> list[User]:
        return await self._principals(User, account_id)

    async def delete_user(self, account_id: str, name: str) -> bool:
        return await self._delete_principal(User, account_id, name)

    async def put_role(self, role: Role, expected: Role | None) -> None:
        await self._put_principal(role, expected)

    async def role(self, account_id: str, name: str) -> Role | None:
        return await self._principal(Role, account_id, name)

    async def roles(self, account_id: str) -> list[Role]:
        return await self._principals(Role, account_id)

    async def delete_role(self, account_id: str, name: str) -> bool:
        return await self._delete_principal(Role, account_id, name)

    async def put_access_key(self, key: AccessKey) -> None:
        table = self._identity["keys"]
        values = {"principal_arn": key.principal_arn, "record": _encode.encode(key).decode()}
        async with self._engine.begin() as conn:
            result = await conn.execute(sa.update(table).where(table.c.access_key_id == key.access_key_id).values(**values))
            if result.rowcount == 0:
                await conn.execute(sa.insert(table).values(access_key_id=key.access_key_id, **values))

    async def access_key(self, access_key_id: str) -> AccessKey | None:
        table = self._identity["keys"]
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(table.c.record).where(table.c.access_key_id == access_key_id))).first()
        return _decode_key.decode(row[0]) if row is not None else None

    async def access_keys(self, principal_arn: str) -> list[AccessKey]:
        table = self._identity["keys"]
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(table.c.record).where(table.c.principal_arn == principal_arn))).all()
        return sorted((_decode_key.decode(row[0]) for row in rows), key=lambda key: (key.created, key.access_key_id))

    async def delete_access_key(self, access_key_id: str) -> bool:
        table = self._identity["keys"]
        async with self._engine.begin() as conn:
            result = await conn.execute(sa.delete(table).where(table.c.access_key_id == access_key_id))
        return bool(result.rowcount)

    async def put_policy(self, policy: ManagedPolicy, expected: ManagedPolicy | None) -> None:
        await self._put_principal(policy, expected)

    async def policy(self, account_id: str, name: str) -> ManagedPolicy | None:
        return await self._principal(ManagedPolicy, account_id, name)

    async def policies(self, account_id: str) -> list[ManagedPolicy]:
        return await self._principals(ManagedPolicy, account_id)

    async def delete_policy(self, account_id: str, name: str) -> bool:
        table = self._identity["principals"]
        async with self._engine.begin() as conn:
            result = await conn.execute(
                sa.delete(table).where(table.c.account_id == account_id, table.c.kind == "policy", table.c.name == name)
            )
        return bool(result.rowcount)
