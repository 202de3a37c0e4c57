"""The code signing half of ``SqlStore``: a config is one row holding its whole record; which
config a function uses is a row per function; a signing profile version is one row, its
private key sealed (by ``services.identity.Sealer``) before it is written."""

from __future__ import annotations

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lambent.model.code_signing import CodeSigningConfig
from lambent.model.signing_profile import SigningProfileVersion
from lambent.store.sql_accounts import ACCOUNT_LENGTH, AccountScoped, account_column

_encode = msgspec.json.Encoder()
_decode_config = msgspec.json.Decoder(CodeSigningConfig)
_decode_profile = msgspec.json.Decoder(SigningProfileVersion)


def define(metadata: sa.MetaData) -> dict[str, sa.Table]:
    return {
        "configs": sa.Table(
            "code_signing_configs",
            metadata,
            account_column(),
            sa.Column("arn", sa.String(200), primary_key=True),
            sa.Column("config_id", sa.String(32), nullable=False),
            sa.Column("record", sa.Text, nullable=False),
        ),
        "uses": sa.Table(
            "function_code_signing",
            metadata,
            account_column(),
            sa.Column("name", sa.String(140), primary_key=True),
            sa.Column("arn", sa.String(200), nullable=False),
        ),
        "profiles": sa.Table(
            "signing_profiles",
            metadata,
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("account", sa.String(ACCOUNT_LENGTH), nullable=False, index=True),
            sa.Column("arn", sa.String(300), nullable=False, unique=True),
            sa.Column("record", sa.Text, nullable=False),
        ),
    }


class CodeSigningSql(AccountScoped):
    """Mixed into ``SqlStore``; needs its engine and these tables."""

    _engine: AsyncEngine
    _code_signing: dict[str, sa.Table]

    async def load_code_signing_configs(self) -> list[CodeSigningConfig]:
        table = self._code_signing["configs"]
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(table.c.record).where(self._mine(table)).order_by(table.c.config_id))).all()
        return [_decode_config.decode(row.record) for row in rows]

    async def put_code_signing_config(self, config: CodeSigningConfig) -> None:
        table = self._code_signing["configs"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(table).where(self._mine(table), table.c.arn == config.arn))
            record = _encode.encode(config).decode()
            await conn.execute(
                sa.insert(table).values(account=self._account, arn=config.arn, config_id=config.config_id, record=record)
            )

    async def delete_code_signing_config(self, arn: str) -> None:
        table = self._code_signing["configs"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(table).where(self._mine(table), table.c.arn == arn))

    async def load_function_code_signing(self) -> dict[str, str]:
        table = self._code_signing["uses"]
        async with self._engine.connect() as conn:
            return {row.name: row.arn for row in (await conn.execute(sa.select(table).where(self._mine(table)))).all()}

    async def put_function_code_signing(self, name: str, arn: str | None) -> None:
        table = self._code_signing["uses"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(table).where(self._mine(table), table.c.name == name))
            if arn is not None:
                await conn.execute(sa.insert(table).values(account=self._account, name=name, arn=arn))

    async def load_signing_profiles(self) -> list[SigningProfileVersion]:
        table = self._code_signing["profiles"]
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(table.c.record).where(self._mine(table)).order_by(table.c.seq))).all()
        return [_decode_profile.decode(row.record) for row in rows]

    async def put_signing_profile(self, profile: SigningProfileVersion) -> None:
        table = self._code_signing["profiles"]
        async with self._engine.begin() as conn:
            exists = (await conn.execute(sa.select(table.c.seq).where(table.c.arn == profile.arn))).first()
            if exists is not None:
                raise KeyError(profile.arn)
            record = _encode.encode(profile).decode()
            await conn.execute(sa.insert(table).values(account=self._account, arn=profile.arn, record=record))
