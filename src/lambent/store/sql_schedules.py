"""The EventBridge Scheduler half of ``SqlStore``: a row per schedule, holding its settings as
JSON and the next slot it fires at as a column of its own, and a row per schedule group.

A slot is claimed by moving ``next_fire_at`` past it with a compare-and-set (``claim_slot``):
only the update that finds the slot still there wins, so a slot fires once however many
restarts (or, later, nodes) try it."""

from __future__ import annotations

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lambent.model.schedule import Schedule, ScheduleGroup
from lambent.store.sql_accounts import AccountScoped, account_column

_encode = msgspec.json.Encoder()
_decode = msgspec.json.Decoder(Schedule)
_decode_group = msgspec.json.Decoder(ScheduleGroup)


def define(metadata: sa.MetaData) -> dict[str, sa.Table]:
    return {
        "schedules": sa.Table(
            "schedules",
            metadata,
            account_column(),
            sa.Column("group_name", sa.String(64), primary_key=True),
            sa.Column("name", sa.String(64), primary_key=True),
            sa.Column("state", sa.Text, nullable=False),
            sa.Column("next_fire_at", sa.Float, nullable=True),
        ),
        "groups": sa.Table(
            "schedule_groups",
            metadata,
            account_column(),
            sa.Column("name", sa.String(64), primary_key=True),
            sa.Column("state", sa.Text, nullable=False),
        ),
    }


class ScheduleSql(AccountScoped):
    """Mixed into ``SqlStore``; needs its engine and the ``_schedule_tables``."""

    _engine: AsyncEngine
    _schedule_tables: dict[str, sa.Table]

    async def load_schedules(self) -> list[Schedule]:
        table = self._schedule_tables["schedules"]
        query = sa.select(table.c.state, table.c.next_fire_at).where(self._mine(table)).order_by(table.c.group_name, table.c.name)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [msgspec.structs.replace(_decode.decode(row.state), next_fire_at=row.next_fire_at) for row in rows]

    async def put_schedule(self, schedule: Schedule) -> None:
        table = self._schedule_tables["schedules"]
        where = (self._mine(table), table.c.group_name == schedule.group, table.c.name == schedule.name)
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(table).where(*where))
            await conn.execute(
                sa.insert(table).values(
                    account=self._account,
                    group_name=schedule.group,
                    name=schedule.name,
                    state=_encode.encode(schedule).decode(),
                    next_fire_at=schedule.next_fire_at,
                )
            )

    async def delete_schedule(self, group: str, name: str) -> None:
        table = self._schedule_tables["schedules"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(table).where(self._mine(table), table.c.group_name == group, table.c.name == name))

    async def claim_slot(self, group: str, name: str, slot: float, next_fire_at: float | None) -> bool:
        table = self._schedule_tables["schedules"]
        query = (
            sa.update(table)
            .where(self._mine(table), table.c.group_name == group, table.c.name == name, table.c.next_fire_at == slot)
            .values(next_fire_at=next_fire_at)
        )
        async with self._engine.begin() as conn:
            return (await conn.execute(query)).rowcount == 1

    async def load_schedule_groups(self) -> list[ScheduleGroup]:
        table = self._schedule_tables["groups"]
        query = sa.select(table.c.state).where(self._mine(table)).order_by(table.c.name)
        async with self._engine.connect() as conn:
            return [_decode_group.decode(row.state) for row in (await conn.execute(query)).all()]

    async def put_schedule_group(self, group: ScheduleGroup) -> None:
        table = self._schedule_tables["groups"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(table).where(self._mine(table), table.c.name == group.name))
            await conn.execute(
                sa.insert(table).values(account=self._account, name=group.name, state=_encode.encode(group).decode())
            )

    async def delete_schedule_group(self, name: str) -> None:
        """The group and every schedule in it, in one transaction."""
        groups, schedules = self._schedule_tables["groups"], self._schedule_tables["schedules"]
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(schedules).where(self._mine(schedules), schedules.c.group_name == name))
            await conn.execute(sa.delete(groups).where(self._mine(groups), groups.c.name == name))
