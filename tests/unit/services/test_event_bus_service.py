"""PutEvents' matching in services.events with the in-memory store: the source index skips rules
for other sources but never one that could match, the matches come in rule-name order, and a
change to a rule is seen by the next event."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any

from lambent.clock import FakeClock
from lambent.model import event_bus as buses
from lambent.model.event_bus import RulePut
from lambent.services.event_delivery import Delivery
from lambent.services.events import EventBusService
from lambent.services.timers import Timers
from lambent.store.memory import MemoryStore

REGION, ACCOUNT = "us-east-1", "123456789012"
PATTERNS = {
    "a-shop": {"source": ["shop"]},
    "b-any-with-detail": {"detail": {"n": [{"numeric": [">", 0]}]}},
    "c-shop-or-billing": {"source": ["billing", "shop"], "detail-type": ["Order"]},
    "d-billing": {"source": ["billing"]},
    "e-prefix": {"source": [{"prefix": "sh"}]},
}


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


async def service() -> EventBusService:
    clock = FakeClock()

    async def deliver(_delivery: Delivery) -> None:
        return None

    events = EventBusService(MemoryStore(ACCOUNT), ACCOUNT, REGION, deliver, Timers(clock), clock=clock)
    await events.load()
    for name, pattern in PATTERNS.items():
        put = RulePut(name=name, event_pattern=json.dumps(pattern))
        await events.change(None, lambda bus, put=put: buses.put_rule(bus, put, ACCOUNT, REGION, 0.0, lambda _: None))
    return events


def event(source: str, detail_type: str = "Order", **detail: Any) -> dict[str, Any]:
    return {"source": source, "detail-type": detail_type, "detail": detail}


def test_rules_naming_other_sources_are_skipped_and_the_rest_matched_in_name_order() -> None:
    async def scenario() -> None:
        events = await service()
        bus = events.bus(None)
        assert [r.name for r in events.matching(bus, event("shop", n=1))] == [
            "a-shop",
            "b-any-with-detail",
            "c-shop-or-billing",
            "e-prefix",
        ]
        assert [r.name for r in events.matching(bus, event("billing", "Invoice"))] == ["d-billing"]
        assert [r.name for r in events.matching(bus, event("other", n=2))] == ["b-any-with-detail"]
        assert events.matching(bus, {"detail": {}}) == []  # no source at all: only unindexed rules are tried

    run(scenario)


def test_the_index_agrees_with_matching_every_rule() -> None:
    async def scenario() -> None:
        events = await service()
        bus = events.bus(None)
        for candidate in (event("shop"), event("shop", n=3), event("billing", "Order"), event("shopping"), event("x")):
            everyone = [name for name in sorted(PATTERNS) if buses.compile_pattern(json.dumps(PATTERNS[name])).matches(candidate)]
            assert [r.name for r in events.matching(bus, candidate)] == everyone

    run(scenario)


def test_a_disabled_or_changed_rule_is_seen_by_the_next_event() -> None:
    async def scenario() -> None:
        events = await service()
        await events.change(None, lambda bus: buses.set_rule_state(bus, "a-shop", "DISABLED"))
        assert "a-shop" not in [r.name for r in events.matching(events.bus(None), event("shop"))]
        put = RulePut(name="d-billing", event_pattern=json.dumps({"source": ["shop"]}))
        await events.change(None, lambda bus: buses.put_rule(bus, put, ACCOUNT, REGION, 0.0, lambda _: None))
        assert [r.name for r in events.matching(events.bus(None), event("shop"))] == [
            "c-shop-or-billing",
            "d-billing",
            "e-prefix",
        ]

    run(scenario)
