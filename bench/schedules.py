"""Line 16: how late EventBridge Scheduler's invocations start, against their slots.

Each round makes ``schedules_count`` one-time schedules (``at(...)``, whole seconds, UTC, no
flexible window, deleted after they fire), their slots spread over ``schedules_spread_s``
seconds starting a few seconds ahead (two or more share a slot when there are more schedules
than seconds: a slot is an instant, and they fire together). Each targets ``clock``
(``handler_clock``), delivering as ``harness.SCHEDULER_ROLE`` with its name as the mark; the
lateness of one is the handler's start minus its slot. Baseline, same round, before the
schedules are made: the same function's async Invoke from send to handler start, the floor any
scheduled invocation has (a slot fires as such an invoke).
"""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime
from typing import Any

import handler_clock
import harness
from httpclient import Connection
from latency import summary_ms

#: How far ahead of now the first slot is: time enough to create every schedule before it.
LEAD_S = 3
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:000000000000:function:{handler_clock.FUNCTION}"


def _create(conn: Connection, name: str, slot: int) -> None:
    at = datetime.fromtimestamp(slot, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    body = {
        "ScheduleExpression": f"at({at})",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "ActionAfterCompletion": "DELETE",
        "Target": {"Arn": FUNCTION_ARN, "RoleArn": harness.SCHEDULER_ROLE, "Input": json.dumps({"mark": name})},
    }
    response = conn.request("POST", f"/schedules/{name}", json.dumps(body).encode())
    if response.status != 200:
        raise harness.BenchError(f"CreateSchedule {name}: {response.status} {response.body[:300]!r}")


def lateness(ctx: Any, plan: Any, round_no: int) -> dict[str, Any]:
    count, spread = plan.schedules_count, plan.schedules_spread_s
    since = time.time()
    invokes: dict[str, float] = {}
    refused = 0
    with Connection("127.0.0.1", ctx.lambent.port) as conn:
        handler_clock.warm(conn)
        for index in range(count + 5):  # the first five warm the environment
            at, accepted = handler_clock.async_invoke(conn, f"si-r{round_no}-{index}")
            if not accepted:
                refused += 1
            elif index >= 5:
                invokes[f"si-r{round_no}-{index}"] = at
            time.sleep(handler_clock.GAP_S)
        first = math.ceil(time.time()) + LEAD_S
        slots = {f"bench-r{round_no}-{i:03d}": first + i * spread // count for i in range(count)}
        for name, slot in slots.items():
            _create(conn, name, slot)
        created_by = time.time()
        time.sleep(max(0.0, max(slots.values()) + 1 - time.time()))
        started = handler_clock.started_at(ctx.lambent.port, since, set(invokes) | set(slots))
    late = [started[name] - slot for name, slot in slots.items() if name in started]
    invoke_values, invoke_lost = handler_clock.delays(invokes, started)
    return {
        "schedule": {**summary_ms(late), "min_ms": min(late) * 1000 if late else math.nan, "lost": count - len(late)},
        "invoke": {**summary_ms(invoke_values), "lost": invoke_lost},
        "refused": refused,
        "samples": count,
        "lead_left_s": first - created_by,
    }
