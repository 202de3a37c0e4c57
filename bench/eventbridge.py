"""Line 15: EventBridge's PutEvents with 100 rules on the bus: throughput, matching cost, and
the time from PutEvents to the matched rule's handler.

``setup`` makes the custom bus ``bench`` with ``RULES`` rules. The load's events (source
``bench.load``, an order in ``detail``) are matched against all of them: 98 have patterns of
the kinds rules use (exact, ``prefix``, ``numeric``, ``anything-but``, on the source, the
detail-type and nested detail fields) that these events miss, most of them only at a detail
field, so the matcher walks the pattern before it says no; one (``match-all-orders``) matches
every load event and has no target, so what is measured is matching, not delivery (a target
would add an async Invoke per entry: line 6's figure); the last (``clock``) matches only
line 15c's events (source ``bench.clock``) and targets the ``clock`` function. A second bus,
``bench-empty``, has no rules.

- 15a ``put_throughput``: PutEvents of the same 10 entries, line 2's generator at its highest
  connection count for line 2's duration; entries/s. Baseline, same generator and connections:
  DescribeEventBus (the same JSON 1.1 edge, signature and authorization, no work), and the
  same PutEvents on ``bench-empty`` (what the 100 rules cost).
- 15b ``match_cost``: in this process, the 100 compiled patterns (``model.event_pattern``)
  against the load's events, and ``EventBusService.matching`` (what PutEvents runs per entry)
  over the same bus; ns per rule per event, median of 5 batches. Baseline: the same loops
  calling, per rule, a function that compares one field (a dict lookup).
- 15c ``delivery_latency``: one PutEvents of one ``bench.clock`` entry, then (after a gap) one
  async Invoke of ``clock``, alternating on one connection: from the client's send to the
  handler's start (``handler_clock``), the Invoke being the floor a delivery has.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import handler_clock
import harness
import loadgen
from httpclient import Connection
from latency import summary_ms

BUS = "bench"
EMPTY_BUS = "bench-empty"
RULES = 100
ACCOUNT = "000000000000"
REGION = "us-east-1"
CLOCK_RULE = "clock"
MATCH_RULE = "match-all-orders"
ENTRIES_PER_CALL = 10
PUT_EVENTS = "AWSEvents.PutEvents"


def _detail(n: int) -> dict[str, Any]:
    return {
        "status": "placed",
        "order": {"id": f"o-{n:06d}", "total": 40 + n * 1.5, "currency": "EUR", "region": "eu-west-1", "items": 1 + n % 5},
        "customer": {"id": f"c-{n % 7}", "tier": "standard"},
    }


def load_entries(bus: str = BUS) -> list[dict[str, Any]]:
    """The 10 entries each PutEvents of the load sends."""
    return [
        {"Source": "bench.load", "DetailType": "OrderPlaced", "Detail": json.dumps(_detail(n)), "EventBusName": bus}
        for n in range(ENTRIES_PER_CALL)
    ]


def _missing_pattern(i: int) -> dict[str, Any]:
    """The *i*-th of the patterns the load's events miss: mostly past the source, at a detail field."""
    kind = i % 7
    if kind == 0:
        return {"source": ["bench.load"], "detail": {"status": [f"shipped-{i}"]}}
    if kind == 1:
        return {"source": ["bench.load"], "detail": {"customer": {"id": [{"prefix": f"vip-{i}"}]}}}
    if kind == 2:
        return {
            "source": ["bench.load"],
            "detail-type": ["OrderPlaced"],
            "detail": {"order": {"total": [{"numeric": [">", 1000 + i]}]}},
        }
    if kind == 3:
        return {"source": ["bench.load"], "detail": {"order": {"currency": [{"anything-but": ["EUR", "USD", "GBP"]}]}}}
    if kind == 4:
        return {"source": [f"other.service-{i}"], "detail-type": ["OrderPlaced"]}
    if kind == 5:
        return {
            "source": ["bench.load"],
            "detail": {"order": {"region": [{"prefix": "us-"}], "items": [{"numeric": [">=", 1, "<", 10]}]}},
        }
    return {"source": ["bench.load"], "detail-type": [f"OrderCancelled-{i}"], "detail": {"customer": {"tier": ["gold"]}}}


def patterns() -> dict[str, dict[str, Any]]:
    """Rule name -> pattern, the ``RULES`` rules of ``bench``."""
    found = {f"miss-{i:03d}": _missing_pattern(i) for i in range(RULES - 2)}
    found[MATCH_RULE] = {
        "source": ["bench.load"],
        "detail-type": ["OrderPlaced"],
        "detail": {"order": {"total": [{"numeric": [">", 0]}]}},
    }
    found[CLOCK_RULE] = {"source": ["bench.clock"]}
    return found


def setup(conn: Connection) -> None:
    """The buses and rules above; ``clock`` (a ``handler_clock`` function) lets the clock rule invoke it."""
    for bus in (BUS, EMPTY_BUS):
        harness.json11(conn, "AWSEvents.CreateEventBus", {"Name": bus})
    for name, pattern in patterns().items():
        answer = harness.json11(
            conn, "AWSEvents.PutRule", {"Name": name, "EventBusName": BUS, "EventPattern": json.dumps(pattern)}
        )
        if name == CLOCK_RULE:
            function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{handler_clock.FUNCTION}"
            target = {"Rule": name, "EventBusName": BUS, "Targets": [{"Id": "clock", "Arn": function}]}
            put = harness.json11(conn, "AWSEvents.PutTargets", target)
            if put["FailedEntryCount"]:
                raise harness.BenchError(f"PutTargets {name}: {put}")
            harness.allow_rule(conn, handler_clock.FUNCTION, answer["RuleArn"])


# -- 15a: throughput -------------------------------------------------------------------------------


def _put_events_check(conn: Connection, bus: str) -> None:
    """One PutEvents of the load's body, refused entries being a broken benchmark, not a figure."""
    answer = harness.json11(conn, PUT_EVENTS, {"Entries": load_entries(bus)})
    if answer["FailedEntryCount"]:
        raise harness.BenchError(f"PutEvents to {bus} refused entries: {answer['Entries'][:2]}")


def put_throughput(ctx: Any, plan: Any, round_no: int) -> dict[str, Any]:
    host, port = "127.0.0.1", ctx.lambent.port
    with Connection(host, port) as conn:
        for bus in (BUS, EMPTY_BUS):
            _put_events_check(conn, bus)
    connections = max(plan.connections)
    calls = [
        ("put_events", PUT_EVENTS, {"Entries": load_entries(BUS)}),
        ("put_events_no_rules", PUT_EVENTS, {"Entries": load_entries(EMPTY_BUS)}),
        ("describe_bus", "AWSEvents.DescribeEventBus", {"Name": BUS}),
    ]
    if round_no % 2:  # alternate the order, so drift hits all
        calls.reverse()
    result: dict[str, Any] = {"connections": connections, "entries_per_call": ENTRIES_PER_CALL}
    for name, target, params in calls:
        body = json.dumps(params).encode()
        headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
        loadgen.run_duration(host, port, "/", connections, plan.throughput_warmup_s, body, headers=headers, use_wrk=ctx.use_wrk)
        measured = loadgen.run_duration(
            host, port, "/", connections, plan.throughput_s, body, headers=headers, use_wrk=ctx.use_wrk
        )
        result[name] = {
            "rps": measured["rps"],
            "requests": measured["requests"],
            "non_2xx": measured["non_2xx"],
            "errors": measured["errors"],
        }
    return result


# -- 15b: matching cost, in process ----------------------------------------------------------------


def _per_check_ns(events: list[dict[str, Any]], checks: list[Callable[[Any], Any]], passes: int) -> float:
    """ns per (check, event) over *passes* passes of every check on every event."""
    clock = time.perf_counter_ns
    started = clock()
    for _ in range(passes):
        for event in events:
            for check in checks:
                check(event)
    return (clock() - started) / (passes * len(events) * len(checks))


def _per_event_ns(events: list[dict[str, Any]], match: Callable[[Any], Any], passes: int) -> float:
    clock = time.perf_counter_ns
    started = clock()
    for _ in range(passes):
        for event in events:
            match(event)
    return (clock() - started) / (passes * len(events))


def match_cost(_ctx: Any, plan: Any, _round_no: int) -> dict[str, Any]:
    from typing import cast

    from lambent.model import event_bus as buses
    from lambent.model import event_entry
    from lambent.model.event_pattern import parse
    from lambent.services.events import EventBusService

    now = time.time()
    entries = [
        event_entry.PutEventsEntry(source=e["Source"], detail_type=e["DetailType"], detail=e["Detail"]) for e in load_entries()
    ]
    events = [event_entry.envelope(entry, f"event-{n}", ACCOUNT, REGION, now) for n, entry in enumerate(entries)]
    texts = {name: json.dumps(pattern) for name, pattern in patterns().items()}
    compiled = [parse(text) for text in texts.values()]
    matched = sum(p.matches(e) for p in compiled for e in events)
    if matched != len(events):  # each load event matches match-all-orders alone
        raise harness.BenchError(f"{matched} matches of {len(events)} events, expected one each")
    bus = buses.new_bus(REGION, ACCOUNT, BUS, None, now)
    for name, text in texts.items():
        bus = buses.put_rule(bus, buses.RulePut(name=name, event_pattern=text), ACCOUNT, REGION, now, lambda _s: None)
    # matching() reads only the bus it is given and its own compiled patterns: no store, timers or delivery.
    service = EventBusService(cast(Any, None), ACCOUNT, REGION, cast(Any, None), cast(Any, None))
    if [r.name for r in service.matching(bus, events[0])] != [MATCH_RULE]:
        raise harness.BenchError("EventBusService.matching does not find the one matching rule")

    def lookups() -> list[Callable[[Any], Any]]:
        def check(event: Any, expected: str = "bench.other") -> bool:
            return bool(event.get("source") == expected)

        return [check] * len(compiled)

    sides: dict[str, Callable[[], float]] = {
        "pattern": lambda: _per_check_ns(events, [p.matches for p in compiled], plan.matching_passes),
        "lookup": lambda: _per_check_ns(events, lookups(), plan.matching_passes),
        "service": lambda: _per_event_ns(events, lambda e: service.matching(bus, e), plan.matching_passes) / len(compiled),
    }
    batches: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(5):  # batches interleaved, so drift hits all three
        for name, measure in sides.items():
            batches[name].append(measure())
    return {
        **{f"{name}_us": statistics.median(values) / 1000 for name, values in batches.items()},
        "rules": len(compiled),
        "events": len(events),
        "passes": plan.matching_passes,
    }


# -- 15c: PutEvents to handler start ---------------------------------------------------------------


def delivery_latency(ctx: Any, plan: Any, round_no: int) -> dict[str, Any]:
    count = max(20, plan.latency_count // 40)
    sent: dict[str, dict[str, float]] = {"put_events": {}, "invoke": {}}
    refused = 0
    since = time.time()
    with Connection("127.0.0.1", ctx.lambent.port) as conn:
        host = f"{conn.host}:{conn.port}"
        handler_clock.warm(conn)
        for index in range(count + 5):  # the first five warm the environment
            tag = f"r{round_no}-{index}" if index >= 5 else f"r{round_no}-warm{index}"
            entry = {
                "Source": "bench.clock",
                "DetailType": "Clock",
                "Detail": json.dumps({"mark": f"e-{tag}"}),
                "EventBusName": BUS,
            }
            request = harness.json11_request(host, PUT_EVENTS, {"Entries": [entry]})
            at = time.time()
            response = conn.send_raw(request)
            if response.status != 200 or json.loads(response.body)["FailedEntryCount"]:
                refused += 1
            elif index >= 5:
                sent["put_events"][f"e-{tag}"] = at
            time.sleep(handler_clock.GAP_S)
            at, accepted = handler_clock.async_invoke(conn, f"i-{tag}")
            if not accepted:
                refused += 1
            elif index >= 5:
                sent["invoke"][f"i-{tag}"] = at
            time.sleep(handler_clock.GAP_S)
        started = handler_clock.started_at(ctx.lambent.port, since, set(sent["put_events"]) | set(sent["invoke"]))
    result: dict[str, Any] = {"refused": refused, "samples": count}
    for name, marks in sent.items():
        values, lost = handler_clock.delays(marks, started)
        result[name] = {**summary_ms(values), "lost": lost}
    return result
