"""Scheduler's firing loop (services.schedules on services.timers) on a fake clock and the in-memory
store, with a recording stand-in for the deliveries: slots in a time zone across both DST changes
of 2026, each slot claimed once, a missed stretch fired once late, one-time schedules deleted
after firing. Nothing sleeps: the clock moves when the test says."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import msgspec

from lambent.clock import FakeClock
from lambent.model.schedule import FlexibleTimeWindow, ScheduleInput, SchedulerTarget
from lambent.services.event_delivery import Delivery
from lambent.services.execution_roles import AnyRole
from lambent.services.schedules import ScheduleService
from lambent.services.timers import Timers
from lambent.store.memory import MemoryStore

REGION, ACCOUNT = "us-east-1", "123456789012"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:tick"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/scheduler"


class RecordingDeliveries:
    """Takes each delivery as EventDelivery would (its first try), and keeps its payload."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.callers: list[str] = []

    async def deliver(self, delivery: Delivery) -> None:
        self.payloads.append(msgspec.json.decode(delivery.payload(1)))
        self.callers.append(delivery.caller.arn)


def utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()


def spec(expression: str, timezone: str | None = None, **more: Any) -> ScheduleInput:
    return ScheduleInput(
        schedule_expression=expression,
        schedule_expression_timezone=timezone,
        target=SchedulerTarget(arn=FUNCTION, role_arn=ROLE, input='{"slot": "<aws.scheduler.scheduled-time>"}'),
        flexible_time_window=FlexibleTimeWindow(mode="OFF"),
        **more,
    )


@asynccontextmanager
async def scheduler(clock: FakeClock, store: MemoryStore) -> AsyncIterator[tuple[ScheduleService, RecordingDeliveries]]:
    timers = Timers(clock)
    deliveries = RecordingDeliveries()
    service = ScheduleService(store, ACCOUNT, REGION, timers, deliveries, AnyRole(), clock=clock)  # type: ignore[arg-type]
    await service.load()
    timers.start()
    try:
        yield service, deliveries
    finally:
        await timers.close()


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


def slots(deliveries: RecordingDeliveries) -> list[str]:
    return [payload["slot"] for payload in deliveries.payloads]


async def walk(clock: FakeClock, until: float, step_s: float = 600) -> None:
    """Move the clock to *until* in steps, as time passes (each step wakes what fell due)."""
    while clock.time() < until:
        await clock.advance(min(step_s, until - clock.time()))


def test_a_daily_cron_in_new_york_skips_the_hour_spring_forward_removes() -> None:
    async def scenario() -> None:
        clock = FakeClock(utc(2026, 3, 6, 12))
        async with scheduler(clock, MemoryStore(ACCOUNT)) as (service, deliveries):
            await service.create("spring", spec("cron(30 2 * * ? *)", "America/New_York"))
            await walk(clock, utc(2026, 3, 10, 12))
            # 2026-03-08 02:30 does not exist in New York (02:00 -> 03:00): no invocation that day
            assert slots(deliveries) == ["2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"]

    run(scenario)


def test_a_daily_cron_in_new_york_fires_the_hour_fall_back_repeats_once() -> None:
    async def scenario() -> None:
        clock = FakeClock(utc(2026, 10, 31, 12))
        async with scheduler(clock, MemoryStore(ACCOUNT)) as (service, deliveries):
            await service.create("autumn", spec("cron(30 1 * * ? *)", "America/New_York"))
            await walk(clock, utc(2026, 11, 2, 12))
            # 2026-11-01 01:30 happens twice (EDT, then EST): one invocation, at the first
            assert slots(deliveries) == ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"]

    run(scenario)


def test_each_slot_is_claimed_once_and_a_restart_neither_repeats_nor_loses_one() -> None:
    async def scenario() -> None:
        clock, store = FakeClock(utc(2026, 5, 1, 0, 0, 30)), MemoryStore(ACCOUNT)
        async with scheduler(clock, store) as (service, deliveries):
            await service.create("minutely", spec("rate(1 minute)", start_date=utc(2026, 5, 1, 0, 1)))
            await walk(clock, utc(2026, 5, 1, 0, 3, 10), step_s=5)
            assert slots(deliveries) == ["2026-05-01T00:01:00Z", "2026-05-01T00:02:00Z", "2026-05-01T00:03:00Z"]
        # a second process on the same store (a restart) arms the same schedule again
        async with scheduler(clock, store) as (_, again):
            await walk(clock, utc(2026, 5, 1, 0, 4, 10), step_s=5)
            assert slots(again) == ["2026-05-01T00:04:00Z"]

    run(scenario)


def test_two_processes_on_one_store_fire_each_slot_once_between_them() -> None:
    async def scenario() -> None:
        clock, store = FakeClock(utc(2026, 5, 1, 0, 0, 30)), MemoryStore(ACCOUNT)
        async with scheduler(clock, store) as (service, first):
            await service.create("minutely", spec("rate(1 minute)", start_date=utc(2026, 5, 1, 0, 1)))
            async with scheduler(clock, store) as (_, second):  # both armed the same slots
                await walk(clock, utc(2026, 5, 1, 0, 3, 10), step_s=5)
                assert sorted(slots(first) + slots(second)) == [
                    "2026-05-01T00:01:00Z",
                    "2026-05-01T00:02:00Z",
                    "2026-05-01T00:03:00Z",
                ]

    run(scenario)


def test_slots_missed_while_down_fire_once_late_then_the_schedule_goes_on() -> None:
    async def scenario() -> None:
        clock, store = FakeClock(utc(2026, 5, 1, 0, 0, 30)), MemoryStore(ACCOUNT)
        async with scheduler(clock, store) as (service, _):
            await service.create("minutely", spec("rate(1 minute)", start_date=utc(2026, 5, 1, 0, 1)))
        await clock.set(utc(2026, 5, 1, 0, 10, 30))  # down from 00:00:30 to 00:10:30: ten slots missed
        async with scheduler(clock, store) as (_, deliveries):
            await walk(clock, utc(2026, 5, 1, 0, 12, 10), step_s=5)
            assert slots(deliveries) == ["2026-05-01T00:01:00Z", "2026-05-01T00:11:00Z", "2026-05-01T00:12:00Z"]

    run(scenario)


def test_a_one_time_schedule_fires_as_its_role_and_deletes_itself() -> None:
    async def scenario() -> None:
        clock = FakeClock(utc(2026, 5, 1, 0, 0, 0))
        async with scheduler(clock, MemoryStore(ACCOUNT)) as (service, deliveries):
            await service.create("once", spec("at(2026-05-01T09:00:00)", "Europe/Paris", action_after_completion="DELETE"))
            await walk(clock, utc(2026, 5, 1, 8))
            assert slots(deliveries) == ["2026-05-01T07:00:00Z"]  # 09:00 in Paris, summer time
            assert deliveries.callers[0].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/scheduler/")
            assert [s.name for s in service.all()] == []

    run(scenario)
