"""Latency on one keep-alive connection, and the summaries every line reports: shared by the
lines in ``measures`` and those in modules of their own (``streaming``, ``eventbridge``,
``schedules``), which need them without importing ``measures``."""

from __future__ import annotations

import math
import time
from typing import Any

import harness
from harness import Server
from httpclient import Connection, Response, build_request

HOST = "127.0.0.1"
BODY = b'{"bench": "payload", "n": 1}'


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99), "mean_ms": sum(ms) / len(ms) if ms else math.nan}


def ok(response: Response) -> bool:
    return response.status == 200 and "x-amz-function-error" not in response.headers


def one_connection(server: Server, path: str, plan: Any, request: bytes | None = None) -> dict[str, float]:
    """Line 1's loop: one keep-alive connection, *request* (by default a POST of ``BODY`` to
    *path*) sent again and again, each answer timed."""
    with Connection(HOST, server.port) as conn:
        request = request or build_request("POST", f"{HOST}:{server.port}", path, BODY)
        errors = 0
        for _ in range(plan.latency_warmup):
            errors += not ok(conn.send_raw(request))
        samples: list[float] = []
        cpu_before = harness.cpu_seconds(server.pid)
        clock = time.perf_counter
        for _ in range(plan.latency_count):
            started = clock()
            response = conn.send_raw(request)
            samples.append(clock() - started)
            errors += not ok(response)
        cpu = harness.cpu_seconds(server.pid) - cpu_before
    return {**summary_ms(samples), "cpu_s_per_1000": cpu / plan.latency_count * 1000, "errors": errors}
