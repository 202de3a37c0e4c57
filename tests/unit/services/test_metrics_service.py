"""The metric service on the memory store and the fake clock: counted events and concurrency
peaks drained on the loop and committed with a batch's usage records and EMF lines; retention;
and Prometheus' series, which the shipped Grafana dashboard reads."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import msgspec
from prometheus_client import CollectorRegistry, generate_latest

from lambent.clock import FakeClock
from lambent.model import metric_stats as stats
from lambent.model.metric_series import series_key
from lambent.services.metrics import MetricService
from lambent.store.memory import MemoryStore
from tests.fixtures.usage import record

ACCOUNT = "000000000000"
DASHBOARD = Path(__file__).resolve().parents[3] / "deploy" / "grafana" / "lambent-lambda.json"
EMF = json.dumps(
    {
        "_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "App", "Dimensions": [[]], "Metrics": [{"Name": "n"}]}]},
        "n": 4,
    }
)


def service(clock: FakeClock, store: MemoryStore) -> MetricService:
    metrics = MetricService(store, ACCOUNT, retention_s=3600, clock=clock)
    peaks = iter([(3, 2, {"f": 2}), (1, 1, {"f": 1})])
    metrics.watch(ACCOUNT, lambda: next(peaks))
    return metrics


def test_counted_events_peaks_records_and_emf_lines_are_committed_together() -> None:
    clock, store = FakeClock(), MemoryStore()
    metrics = service(clock, store)
    metrics.count(ACCOUNT, "Throttles", "f")
    metrics.count(ACCOUNT, "AsyncEventAge", "f", "live", 250.0, "3")
    now_ms = int(clock.time() * 1000)
    ran = msgspec.structs.replace(record(12, 128, now_ms), outcome="error")
    metrics.commit([ran], [(ACCOUNT, "START\n" + EMF + "\nEND\n")], metrics.drain())
    asyncio.run(clock.advance(1))
    metrics.commit([], [], metrics.drain())

    async def total(namespace: str, name: str, dims: dict[str, str], stat: str) -> float | None:
        points = await store.metric_points(series_key(ACCOUNT, namespace, name, dims), 0, now_ms + 60_000, None)
        merged = stats.periods(points, 0, now_ms + 60_000, now_ms + 60_000)
        return stats.value(next(iter(merged.values())), stat) if merged else None

    f = {"FunctionName": "f"}
    assert asyncio.run(total("AWS/Lambda", "Throttles", f, "Sum")) == 1
    assert asyncio.run(total("AWS/Lambda", "Throttles", {}, "Sum")) == 1
    assert (
        asyncio.run(total("AWS/Lambda", "AsyncEventAge", {**f, "Resource": "f:live", "ExecutedVersion": "3"}, "Maximum")) == 250
    )
    assert asyncio.run(total("AWS/Lambda", "Errors", f, "Sum")) == 1
    assert asyncio.run(total("AWS/Lambda", "ConcurrentExecutions", f, "Maximum")) == 2
    assert asyncio.run(total("AWS/Lambda", "UnreservedConcurrentExecutions", {}, "Maximum")) == 2
    assert asyncio.run(total("App", "n", {}, "Sum")) == 4
    asyncio.run(clock.advance(2 * 3600))
    assert asyncio.run(metrics.expire()) > 0
    assert asyncio.run(total("AWS/Lambda", "Throttles", f, "Sum")) is None


def test_metrics_off_records_nothing_of_lambdas_own() -> None:
    clock, store = FakeClock(), MemoryStore()
    metrics = MetricService(store, ACCOUNT, clock=clock, enabled=False)
    metrics.count(ACCOUNT, "Throttles", "f")
    assert metrics.drain() is None
    metrics.commit([record(12, 128, int(clock.time() * 1000))], [], None)
    assert asyncio.run(store.metric_series(ACCOUNT, None, None, 0)) == []


def test_the_dashboard_reads_only_series_that_metrics_serves() -> None:
    clock, store = FakeClock(), MemoryStore()
    metrics = service(clock, store)
    for name in ("Throttles", "AsyncEventsReceived", "AsyncEventsDropped", "DeadLetterErrors", "DestinationDeliveryFailures"):
        metrics.count(ACCOUNT, name, "f")
    for name in ("AsyncEventAge", "IteratorAge"):
        metrics.count(ACCOUNT, name, "f", None, 5.0)
    metrics.commit([record(12, 128, int(clock.time() * 1000))], [], metrics.drain())
    registry = CollectorRegistry(auto_describe=False)
    registry.register(metrics)  # type: ignore[arg-type]
    served = {line.split("{")[0] for line in generate_latest(registry).decode().splitlines() if not line.startswith("#")}
    assert 'aws_lambda_invocations_total{account="000000000000",executed_version="",function_name="f",resource=""} 1.0' in (
        generate_latest(registry).decode()
    )
    wanted = set()
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel["targets"]:
            wanted.update(re.findall(r"\b(aws_lambda_[a-z_]+)\{", target["expr"]))
    assert wanted and wanted <= served, wanted - served
