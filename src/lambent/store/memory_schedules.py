"""The EventBridge Scheduler half of ``MemoryStore``, answering as ``store.sql_schedules`` does."""

from __future__ import annotations

import msgspec

from lambent.model.schedule import Schedule, ScheduleGroup


class MemorySchedules:
    """Mixed into ``MemoryStore``, which binds ``_schedules`` and ``_schedule_groups``."""

    _schedules: dict[tuple[str, str], Schedule]
    _schedule_groups: dict[str, ScheduleGroup]

    async def load_schedules(self) -> list[Schedule]:
        return [self._schedules[key] for key in sorted(self._schedules)]

    async def put_schedule(self, schedule: Schedule) -> None:
        self._schedules[(schedule.group, schedule.name)] = schedule

    async def delete_schedule(self, group: str, name: str) -> None:
        self._schedules.pop((group, name), None)

    async def claim_slot(self, group: str, name: str, slot: float, next_fire_at: float | None) -> bool:
        schedule = self._schedules.get((group, name))
        if schedule is None or schedule.next_fire_at != slot:
            return False
        self._schedules[(group, name)] = msgspec.structs.replace(schedule, next_fire_at=next_fire_at)
        return True

    async def load_schedule_groups(self) -> list[ScheduleGroup]:
        return [self._schedule_groups[key] for key in sorted(self._schedule_groups)]

    async def put_schedule_group(self, group: ScheduleGroup) -> None:
        self._schedule_groups[group.name] = group

    async def delete_schedule_group(self, name: str) -> None:
        for key in [key for key in self._schedules if key[0] == name]:
            del self._schedules[key]
        self._schedule_groups.pop(name, None)
