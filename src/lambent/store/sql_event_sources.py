"""The event source mappings' half of ``SqlStore``: a row per mapping (its whole record as JSON,
its state apart), and a row per partition a stream poller reads (a Kinesis shard): the position
it has checkpointed and who holds its lease until when.

A lease is taken with a compare-and-set (``claim_partition``): the update that finds the lease
free, expired or already its own wins, so two pollers (later, two nodes) never read one shard
at once; a checkpoint is written only under the lease (``put_position`` checks the owner)."""

from __future__ import annotations

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lambent.model.event_source_mapping import Mapping
from lambent.store.sql_accounts import AccountScoped, account_column

_encode = msgspec.json.Encoder()
_decode = msgspec.json.Decoder(Mapping)


def define(metadata: sa.MetaData) -> dict[str, sa.Table]:
    return {
        "mappings": sa.Table(
            "event_source_mappings",
            metadata,
            account_column(),
            sa.Column("uuid", sa.String(36), primary_key=True),
            sa.Column("state", sa.Text, nullable=False),
        ),
        "positions": sa.Table(
            "event_source_positions",
            metadata,
            sa.Column("uuid", sa.String(36), primary_key=True),
            sa.Column("partition", sa.String(256), primary_key=True),
            sa.Column("position", sa.Text, nullable=True),
            sa.Column("owner", sa.String(64), nullable=True),
            sa.Column("lease_until", sa.Float, nullable=False, default=0.0),
        ),
    }


class EventSourceSql(AccountScoped):
    """Mixed into ``SqlStore``; needs its engine and the ``_event_source_tables``."""

    _engine: AsyncEngine
    _event_source_tables: dict[str, sa.Table]

    async def load_event_source_mappings(self) -> list[Mapping]:
        table = self._event_source_tables["mappings"]
        query = sa.select(table.c.state).where(self._mine(table)).order_by(table.c.uuid)
        async with self._engine.connect() as conn:
            return [_decode.decode(row.state) for row in (await conn.execute(query)).all()]

    async def put_event_source_mapping(self, mapping: Mapping) -> None:
        table = self._event_source_tables["mappings"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(table).where(self._mine(table), table.c.uuid == mapping.uuid))
            await conn.execute(
                sa.insert(table).values(account=self._account, uuid=mapping.uuid, state=_encode.encode(mapping).decode())
            )

    async def delete_event_source_mapping(self, uuid: str) -> None:
        """The mapping and its positions, at once."""
        mappings, positions = self._event_source_tables["mappings"], self._event_source_tables["positions"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(positions).where(positions.c.uuid == uuid))
            await conn.execute(sa.delete(mappings).where(self._mine(mappings), mappings.c.uuid == uuid))

    async def load_positions(self, uuid: str) -> dict[str, str | None]:
        table = self._event_source_tables["positions"]
        query = sa.select(table.c.partition, table.c.position).where(table.c.uuid == uuid)
        async with self._engine.connect() as conn:
            return {row.partition: row.position for row in (await conn.execute(query)).all()}

    async def claim_partition(self, uuid: str, partition: str, owner: str, until: float, now: float) -> bool:
        table = self._event_source_tables["positions"]
        async with self._engine.begin() as conn:
            found = (
                await conn.execute(sa.select(table.c.owner).where(table.c.uuid == uuid, table.c.partition == partition))
            ).first()
            if found is None:
                await conn.execute(sa.insert(table).values(uuid=uuid, partition=partition, owner=owner, lease_until=until))
                return True
            claim = (
                sa.update(table)
                .where(
                    table.c.uuid == uuid,
                    table.c.partition == partition,
                    sa.or_(table.c.owner.is_(None), table.c.owner == owner, table.c.lease_until < now),
                )
                .values(owner=owner, lease_until=until)
            )
            return (await conn.execute(claim)).rowcount == 1

    async def release_partition(self, uuid: str, partition: str, owner: str) -> None:
        table = self._event_source_tables["positions"]
        query = (
            sa.update(table)
            .where(table.c.uuid == uuid, table.c.partition == partition, table.c.owner == owner)
            .values(owner=None, lease_until=0.0)
        )
        async with self._engine.begin() as conn:
            await conn.execute(query)

    async def put_position(self, uuid: str, partition: str, owner: str, position: str | None) -> bool:
        table = self._event_source_tables["positions"]
        query = (
            sa.update(table)
            .where(table.c.uuid == uuid, table.c.partition == partition, table.c.owner == owner)
            .values(position=position)
        )
        async with self._engine.begin() as conn:
            return (await conn.execute(query)).rowcount == 1
