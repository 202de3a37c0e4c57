"""The meter's budgets (services.metering) with a fake clock: a THROTTLE budget blocks at its cap,
only its own function, and lets go when the month turns, even if nothing was charged since."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import msgspec
import pytest

from lambent.clock import FakeClock
from lambent.errors import TooManyRequestsException
from lambent.model.billing import UsageRecord
from lambent.model.budget import Budget
from lambent.services.alerts import AlertOutbox
from lambent.services.metering import MeterService, load_prices
from lambent.store.memory import MemoryStore
from tests.fixtures.usage import record


def at(year: int, month: int, day: int) -> float:
    return datetime(year, month, day, 12, tzinfo=UTC).timestamp()


A, B = "000000000000", "111111111111"


def used(function: str, end_s: float, billed_ms: int = 1000, memory_mb: int = 1024, account: str = A) -> UsageRecord:
    end_ms = int(end_s * 1000)
    made = record(billed_ms, memory_mb, end_ms)
    return msgspec.structs.replace(made, id=f"{account}-{function}-{end_ms}", function=function, account=account)


def test_a_throttle_budget_blocks_its_function_at_the_cap_until_the_month_turns() -> None:
    clock = FakeClock(at(2026, 11, 27))

    async def scenario() -> None:
        meter = MeterService(MemoryStore(), load_prices(None), clock=clock)
        await meter.load("000000000000")
        await meter.put_budget(A, Budget(name="cap", limit="2", unit="GB-s", action="THROTTLE", function_name="capped"))
        meter.charge(used("capped", clock.time()))  # 1 GB-s
        meter.check(A, "capped")
        meter.charge(used("other", clock.time()))  # other functions do not count
        meter.charge(used("capped", clock.time(), account=B))  # nor another account's of that name
        meter.check(A, "capped")
        meter.charge(used("capped", clock.time()))  # 2 GB-s: at the cap
        with pytest.raises(TooManyRequestsException) as refused:
            meter.check(A, "capped")
        assert refused.value.fields["Reason"] == "BudgetExceeded"
        meter.check(A, "other")
        meter.check(B, "capped")  # another account's function of that name runs
        assert meter.list_budgets(B) == [] and [b.name for b in meter.list_budgets(A)] == ["cap"]
        await clock.set(at(2026, 12, 1))  # nothing is charged (the function is blocked), yet it runs again
        meter.check(A, "capped")
        await meter.close()

    asyncio.run(scenario())


def test_an_alert_with_a_target_waits_in_the_outbox_for_delivery_once_per_threshold() -> None:
    clock = FakeClock(at(2026, 11, 27))

    async def scenario() -> None:
        alerts = AlertOutbox()
        meter = MeterService(MemoryStore(), load_prices(None), clock=clock, alerts=alerts)
        await meter.load("000000000000")
        target = "arn:aws:sqs:us-east-1:000000000000:alerts"
        await meter.put_budget(A, Budget(name="watch", limit="4", unit="GB-s", notify=target, thresholds=[50, 100]))
        meter.charge(used("f", clock.time()))  # 1 GB-s: 25 %, no alert
        meter.charge(used("f", clock.time()))  # 2 GB-s: 50 %
        alert = await asyncio.wait_for(alerts.get(), 5)
        assert (alert.account, alert.budget, alert.target) == (A, "watch", target)
        assert json.loads(alert.body) | {"spent": None} == {
            "budget": "watch",
            "month": "2026-11",
            "threshold": 50,
            "limit": "4",
            "unit": "GB-s",
            "spent": None,
            "action": "ALERT",
            "functionName": None,
        }
        meter.charge(used("f", clock.time()))  # 3 GB-s: 50 % again, not alerted twice
        meter.charge(used("f", clock.time()))  # 4 GB-s: 100 %
        assert json.loads((await asyncio.wait_for(alerts.get(), 5)).body)["threshold"] == 100
        await meter.close()

    asyncio.run(scenario())
