"""The S3 notifications half of ``SqlStore``: one row per (account, bucket) holding the bucket's
notification configuration whole as JSON, with the SHA-256 of its push token in a column of its
own, unique and indexed: the ingest endpoint finds a push's account and bucket by its token alone,
across accounts, and a lookup by digest says nothing of the token by its timing."""

from __future__ import annotations

import hashlib

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lambent.model.s3_event import BucketNotification
from lambent.store.sql_accounts import AccountScoped, account_column

_encode = msgspec.json.Encoder()
_decode = msgspec.json.Decoder(BucketNotification)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def define(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "bucket_notifications",
        metadata,
        account_column(),
        sa.Column("bucket", sa.String(255), primary_key=True),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True, index=True),
        sa.Column("state", sa.Text, nullable=False),
    )


class BucketNotificationSql(AccountScoped):
    """Mixed into ``SqlStore``; needs its engine and the ``bucket_notifications`` table."""

    _engine: AsyncEngine
    _bucket_notifications: sa.Table

    async def load_bucket_notifications(self) -> list[BucketNotification]:
        table = self._bucket_notifications
        query = sa.select(table.c.state).where(self._mine(table)).order_by(table.c.bucket)
        async with self._engine.connect() as conn:
            return [_decode.decode(row.state) for row in (await conn.execute(query)).all()]

    async def put_bucket_notification(self, notification: BucketNotification) -> None:
        table = self._bucket_notifications
        digest = token_digest(notification.token)
        async with self._engine.begin() as conn:
            taken = (await conn.execute(sa.select(table.c.account, table.c.bucket).where(table.c.token_sha256 == digest))).first()
            if taken is not None and tuple(taken) != (self._account, notification.bucket):
                raise KeyError(digest)
            await conn.execute(sa.delete(table).where(self._mine(table), table.c.bucket == notification.bucket))
            await conn.execute(
                sa.insert(table).values(
                    account=self._account,
                    bucket=notification.bucket,
                    token_sha256=digest,
                    state=_encode.encode(notification).decode(),
                )
            )

    async def delete_bucket_notification(self, bucket: str) -> None:
        table = self._bucket_notifications
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(table).where(self._mine(table), table.c.bucket == bucket))

    async def bucket_notification_by_token(self, token: str) -> tuple[str, BucketNotification] | None:
        table = self._bucket_notifications
        query = sa.select(table.c.account, table.c.state).where(table.c.token_sha256 == token_digest(token))
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else (row.account, _decode.decode(row.state))
