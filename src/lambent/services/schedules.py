"""EventBridge Scheduler of one account: schedules and groups in memory, written through the
store, and each enabled schedule's next slot armed on the server's one timer heap.

Firing a slot: claim it in the store (``claim_slot`` moves ``next_fire_at`` from the slot to the
one after, or fails: the slot is taken or the schedule changed), then hand the target its
delivery (``services.event_delivery``: an async invoke as a session of the target's role, which
must trust ``scheduler.amazonaws.com``, retried and dead-lettered by its RetryPolicy), then arm
the next slot. A one-time schedule whose ``ActionAfterCompletion`` is ``DELETE`` is deleted once
it fired.

A slot that passed while the server was down fires once when the server starts (the latest such
slot: a schedule that missed ten slots fires once, late, not ten times), and its next slot is the
first one after the start: docs/decisions/0030-eventbridge-and-scheduler.md.

Not shared between nodes (#21): each node would arm every schedule; the claim keeps a slot to
one firing, but the wake-ups would be duplicated.
"""

from __future__ import annotations

import asyncio
import secrets

import msgspec

from lambent.clock import Clock, SystemClock
from lambent.errors import SchedulerConflict, SchedulerValidation
from lambent.model import schedule as model
from lambent.model.event_retry import limits
from lambent.model.iam_policy import Caller
from lambent.model.lambda_target import lambda_target
from lambent.model.schedule import Schedule, ScheduleGroup, ScheduleInput
from lambent.services.event_delivery import Delivery, EventDelivery, Refusal
from lambent.services.execution_roles import Roles
from lambent.services.timers import Timers
from lambent.store import ScheduleStore

SCHEDULER_SERVICE = "scheduler.amazonaws.com"


def execution_id() -> str:
    return secrets.token_hex(8)


def role_session(role_arn: str, session: str) -> Caller:
    """The caller a target's role acts as: a session of it (``assumed-role/ROLE/SESSION``)."""
    parts = role_arn.split(":", 5)
    account, name = parts[4], parts[5].rsplit("/", 1)[-1]
    return Caller(arn=f"arn:aws:sts::{account}:assumed-role/{name}/{session}", account_id=account, role_arn=role_arn)


class ScheduleService:
    def __init__(
        self,
        store: ScheduleStore,
        account_id: str,
        region: str,
        timers: Timers,
        deliveries: EventDelivery,
        roles: Roles,
        clock: Clock | None = None,
    ) -> None:
        """*roles* answers whether a target's role trusts Scheduler (asked before each try)."""
        self._store = store
        self._roles = roles
        self.account_id = account_id
        self.region = region
        self._timers = timers
        self._deliveries = deliveries
        self._clock = clock or SystemClock()
        self._schedules: dict[tuple[str, str], Schedule] = {}
        self._groups: dict[str, ScheduleGroup] = {}
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        now = self._clock.time()
        self._groups = {group.name: group for group in await self._store.load_schedule_groups()}
        if model.DEFAULT_GROUP not in self._groups:
            self._groups[model.DEFAULT_GROUP] = self._group(model.DEFAULT_GROUP, now)
        self._schedules = {(s.group, s.name): s for s in await self._store.load_schedules()}
        for schedule in self._schedules.values():
            self._arm(schedule)

    def _group(self, name: str, now: float) -> ScheduleGroup:
        arn = model.group_arn(self.region, self.account_id, name)
        return ScheduleGroup(name=name, arn=arn, creation_date=now, last_modification_date=now)

    # -- reading --------------------------------------------------------------------------------

    def get(self, group: str | None, name: str) -> Schedule:
        schedule = self._schedules.get((group or model.DEFAULT_GROUP, name))
        if schedule is None:
            raise model.schedule_not_found(group or model.DEFAULT_GROUP, name)
        return schedule

    def all(self) -> list[Schedule]:
        return [self._schedules[key] for key in sorted(self._schedules)]

    def group(self, name: str) -> ScheduleGroup:
        group = self._groups.get(name)
        if group is None:
            raise model.group_not_found(name)
        return group

    def groups(self) -> list[ScheduleGroup]:
        return [self._groups[name] for name in sorted(self._groups)]

    # -- changing -------------------------------------------------------------------------------

    async def create(self, name: str, spec: ScheduleInput) -> Schedule:
        model.check(spec, self.region)
        group = spec.group_name or model.DEFAULT_GROUP
        async with self._lock:
            self.group(group)
            if (group, name) in self._schedules:
                raise model.schedule_exists(name)
            now = self._clock.time()
            schedule = Schedule(
                name=name,
                group=group,
                arn=model.schedule_arn(self.region, self.account_id, group, name),
                spec=spec,
                creation_date=now,
                last_modification_date=now,
                next_fire_at=model.next_slot(spec, now, now),
            )
            await self._store.put_schedule(schedule)
            self._schedules[(group, name)] = schedule
        self._arm(schedule)
        return schedule

    async def update(self, name: str, spec: ScheduleInput) -> Schedule:
        """UpdateSchedule replaces every setting, as AWS's does (what is left out is reset)."""
        model.check(spec, self.region)
        group = spec.group_name or model.DEFAULT_GROUP
        async with self._lock:
            before = self.get(group, name)
            now = self._clock.time()
            schedule = msgspec.structs.replace(
                before, spec=spec, last_modification_date=now, next_fire_at=model.next_slot(spec, now, before.creation_date)
            )
            await self._store.put_schedule(schedule)
            self._schedules[(group, name)] = schedule
        self._arm(schedule)
        return schedule

    async def delete(self, group: str | None, name: str) -> None:
        key = (group or model.DEFAULT_GROUP, name)
        async with self._lock:
            self.get(*key)
            await self._store.delete_schedule(*key)
            self._schedules.pop(key, None)
        self._timers.cancel((self.account_id, *key))

    async def create_group(self, name: str) -> ScheduleGroup:
        async with self._lock:
            if name in self._groups:
                raise model.group_exists(name)
            group = self._group(name, self._clock.time())
            await self._store.put_schedule_group(group)
            self._groups[name] = group
            return group

    async def delete_group(self, name: str) -> None:
        if name == model.DEFAULT_GROUP:
            raise SchedulerValidation("The default schedule group cannot be deleted.")
        async with self._lock:
            self.group(name)
            await self._store.delete_schedule_group(name)
            del self._groups[name]
            for key in [key for key in self._schedules if key[0] == name]:
                del self._schedules[key]
                self._timers.cancel((self.account_id, *key))

    # -- firing ---------------------------------------------------------------------------------

    def _arm(self, schedule: Schedule) -> None:
        key = (self.account_id, schedule.group, schedule.name)
        slot = schedule.next_fire_at
        if not schedule.enabled or slot is None:
            self._timers.cancel(key)
            return

        async def fire() -> None:
            await self._fire(schedule.group, schedule.name, slot)

        self._timers.at(key, model.fire_time(schedule, slot), fire)

    async def _fire(self, group: str, name: str, slot: float) -> None:
        async with self._lock:
            schedule = self._schedules.get((group, name))
            if schedule is None or schedule.next_fire_at != slot:
                return  # changed or deleted since it was armed
            after = max(slot, self._clock.time())  # slots missed while down collapse into this one
            following = model.next_slot(schedule.spec, after, schedule.creation_date)
            if not await self._store.claim_slot(group, name, slot, following):
                return
            schedule = msgspec.structs.replace(schedule, next_fire_at=following)
            self._schedules[(group, name)] = schedule
            if following is None and schedule.spec.action_after_completion == "DELETE":
                await self._store.delete_schedule(group, name)
                del self._schedules[(group, name)]
        await self._deliver(schedule, slot)
        self._arm(schedule)

    async def _deliver(self, schedule: Schedule, slot: float) -> None:
        target = schedule.spec.target
        function = lambda_target(target.arn)
        if function is None:  # checked at create and update
            raise SchedulerConflict(f"{target.arn} is not a Lambda function")
        execution = execution_id()

        def payload(attempt: int) -> bytes:
            return model.payload(schedule, slot, execution, attempt)

        async def trusted() -> Refusal | None:
            if await self._roles.assumable_by(target.role_arn, SCHEDULER_SERVICE):
                return None
            return ("AccessDeniedException", f"EventBridge Scheduler cannot assume the role {target.role_arn}.")

        await self._deliveries.deliver(
            Delivery(
                function=function,
                caller=role_session(target.role_arn, execution),
                context={"aws:SourceArn": schedule.arn, "aws:SourceAccount": self.account_id},
                payload=payload,
                limits=limits(target.retry_policy),
                dead_letter_arn=target.dead_letter_config.arn if target.dead_letter_config else None,
                dead_letter_body=payload(1),
                about={"SCHEDULE_ARN": schedule.arn, "TARGET_ARN": target.arn},
                label=f"schedule {schedule.arn} slot {model.scheduled_time(slot)}",
                precondition=trusted,
            )
        )
