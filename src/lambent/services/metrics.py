"""Metric series: recorded off the invoke path, rolled up per minute, kept for a retention, read
back as CloudWatch's statistics, and shown to Prometheus under AWS's names.

Guarantees:

- **Nothing synchronous on the invoke path.** What ran is already in the ledger's usage records;
  what did not run (a throttle, a dropped event, a dead-letter failure, an event's age, a
  stream's iterator age) is one ``list.append`` of a tuple (``count``), and concurrency is the
  invoker's own peaks (``watch``). The ledger's flush takes both on the event loop (``drain``,
  no I/O) and hands them with its batch to ``commit`` on its worker thread, which turns usage
  records, counted events, concurrency samples and EMF log lines into one ``Rollup`` and writes
  it right after the journal's transaction.
- **Exact counts.** A point's SampleCount and Sum are sums of what was recorded; a minute that
  several batches touch is merged, never replaced. A server killed between the journal's commit
  and the metrics' loses that batch's metrics (at most one flush, 100 ms), never counts it twice.
- **Retention** (``retention_s``, CloudWatch's 15 days for one-minute data): a background task
  deletes older points every ``RETENTION_SWEEP_S``; an index on the minute keeps it cheap.
- Writers of this server are serialized (one lock), since points are read, merged and written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily

from lambent.clock import Clock, SystemClock
from lambent.model import emf, lambda_metrics
from lambent.model.billing import UsageRecord
from lambent.model.metric_series import Datum, Point, Rollup, SeriesKey
from lambent.store import MetricStore

log = logging.getLogger(__name__)
RETENTION_SWEEP_S = 600.0
#: What ``watch`` is given: the invoker's peaks since the last call (all, unreserved, per function).
Peaks = Callable[[], tuple[int, int, dict[str, int]]]
#: One counted event: (account, metric, function, qualifier, value, executed version, at ms).
Counted = tuple[str, str, str, str | None, float, str | None, int]
#: Prometheus names of the counters kept per (account, function, resource, executed version).
PROMETHEUS_COUNTERS = {
    "Invocations": ("aws_lambda_invocations", "Invocations (AWS/Lambda Invocations)."),
    "Errors": ("aws_lambda_errors", "Invocations that ended in a function error (AWS/Lambda Errors)."),
    "Throttles": ("aws_lambda_throttles", "Throttled invocation requests (AWS/Lambda Throttles)."),
    "AsyncEventsReceived": ("aws_lambda_async_events_received", "Events queued for asynchronous invocation."),
    "AsyncEventsDropped": ("aws_lambda_async_events_dropped", "Asynchronous events dropped without success."),
    "DeadLetterErrors": ("aws_lambda_dead_letter_errors", "Events that failed to reach their dead-letter queue."),
    "DestinationDeliveryFailures": ("aws_lambda_destination_delivery_failures", "Records that failed to reach a destination."),
    "RecursiveInvocationsDropped": ("aws_lambda_recursive_invocations_dropped", "Invocations stopped as a recursive loop."),
}
#: Millisecond metrics exposed as summaries (a ``_sum`` and a ``_count``).
PROMETHEUS_SUMMARIES = {
    "Duration": ("aws_lambda_duration_milliseconds", "Invocation duration (AWS/Lambda Duration)."),
    "AsyncEventAge": ("aws_lambda_async_event_age_milliseconds", "Queued time of asynchronous events."),
    "IteratorAge": ("aws_lambda_iterator_age_milliseconds", "Age of the last record of each stream batch."),
}
_LABELS = ["account", "function_name", "resource", "executed_version"]


class MetricService:
    def __init__(
        self,
        store: MetricStore,
        default_account: str,
        retention_s: float = 15 * 86400,
        clock: Clock | None = None,
        enabled: bool = True,
    ) -> None:
        """*enabled* False: Lambda's metrics are not recorded (PutMetricData still is)."""
        self._store = store
        self._default_account = default_account
        self._retention_s = retention_s
        self._clock = clock or SystemClock()
        self.enabled = enabled
        self._counted: list[Counted] = []
        self._watched: list[tuple[str, Peaks]] = []
        self._concurrency: dict[tuple[str, str], int] = {}
        self._write_lock = threading.Lock()
        self._totals_lock = threading.Lock()  # apart: the loop never waits for a write
        self._totals: dict[tuple[str, str, str, str, str], list[float]] = {}  # (metric, *labels) -> [sum, count]
        self._task: asyncio.Task[None] | None = None

    def _now_ms(self) -> int:
        return int(self._clock.time() * 1000)

    # -- the hot path: no await, no I/O ------------------------------------------------------

    def count(
        self,
        account: str,
        metric: str,
        function: str,
        qualifier: str | None = None,
        value: float = 1.0,
        executed_version: str | None = None,
    ) -> None:
        """Count one event of Lambda's *metric* (a throttle, a dropped event, an age in ms)."""
        if self.enabled:
            self._counted.append((account, metric, function, qualifier, value, executed_version, self._now_ms()))

    def watch(self, account: str, peaks: Peaks) -> None:
        """Sample *account*'s concurrency from *peaks* at every flush."""
        self._watched.append((account, peaks))

    # -- the ledger's side --------------------------------------------------------------------

    def drain(self) -> Rollup | None:
        """On the event loop, at each flush: what was counted and the concurrency peaks since the
        last flush, as points (None when there is nothing)."""
        if not self.enabled:
            return None
        counted, self._counted = self._counted, []
        now_ms = self._now_ms()
        rollup = Rollup()
        for account, peaks in self._watched:
            busy, unreserved, functions = peaks()
            for function, running in functions.items():
                self._concurrency[(account, function)] = running
            for key in [k for k in self._concurrency if k[0] == account and k[1] not in functions]:
                del self._concurrency[key]
            for datum in lambda_metrics.concurrency(account, now_ms, busy, unreserved, functions):
                rollup.add(datum)
        for account, metric, function, qualifier, value, executed, at_ms in counted:
            for datum in lambda_metrics.event(account, metric, function, qualifier, at_ms, value, executed):
                rollup.add(datum)
            self._total(metric, account, function, qualifier, executed, value)
        return rollup if len(rollup) else None

    def commit(self, records: Iterable[UsageRecord], blocks: Iterable[tuple[str, str]], pending: Rollup | None) -> None:
        """On the ledger's worker thread, after its journal transaction: the batch's usage
        records and log blocks ((account, text)) rolled up with *pending*, and written."""
        rollup = pending or Rollup()
        if self.enabled:
            records = list(records)
            for datum in lambda_metrics.from_usage_batch(records):
                rollup.add(datum)
            calls: dict[tuple[str, str, str | None, str], list[float]] = {}
            for record in records:
                if record.kind == "invoke":
                    found = calls.setdefault((record.account, record.function, record.qualifier, record.version), [0, 0, 0])
                    found[0] += 1
                    found[1] += record.outcome != "success"
                    found[2] += record.duration_ms
            for (account, function, qualifier, version), (count, errors, duration) in calls.items():
                self._total("Invocations", account, function, qualifier, version, count, count)
                self._total("Errors", account, function, qualifier, version, errors, count)
                self._total("Duration", account, function, qualifier, version, duration, count)
        for account, text in blocks:
            if '"_aws"' not in text:
                continue
            for line in text.splitlines():
                for datum in emf.extract(line, account or self._default_account):
                    rollup.add(datum)
        self._write(rollup)

    def _write(self, rollup: Rollup) -> None:
        if len(rollup):
            with self._write_lock:
                self._store.commit_metrics(rollup.points())

    # -- PutMetricData and the queries ---------------------------------------------------------

    async def put(self, data: list[Datum]) -> None:
        """Store *data* now (durable when this returns)."""
        rollup = Rollup()
        for datum in data:
            rollup.add(datum)
        await asyncio.to_thread(self._write, rollup)

    async def points(self, key: SeriesKey, start_ms: int, end_ms: int, unit: str | None) -> list[Point]:
        return await self._store.metric_points(key, start_ms, end_ms, unit)

    async def series(self, account: str, namespace: str | None, name: str | None, since_ms: int | None = None) -> list[SeriesKey]:
        oldest = self._now_ms() - int(self._retention_s * 1000)
        return await self._store.metric_series(account, namespace, name, max(oldest, since_ms or 0))

    # -- retention -----------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._expire_forever())

    async def expire(self) -> int:
        """Delete what is older than the retention; how many points."""
        return await self._store.delete_metrics_before(self._now_ms() - int(self._retention_s * 1000))

    async def _expire_forever(self) -> None:
        while True:
            try:
                deleted = await self.expire()
                if deleted:
                    log.info("metric retention: %d points older than %.0f days deleted", deleted, self._retention_s / 86400)
            except Exception:
                log.exception("deleting expired metric points failed; tried again later")
            await self._clock.sleep(RETENTION_SWEEP_S)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    # -- Prometheus ----------------------------------------------------------------------------

    def _total(
        self,
        metric: str,
        account: str,
        function: str,
        qualifier: str | None,
        executed: str | None,
        value: float,
        samples: float = 1.0,
    ) -> None:
        resource = f"{function}:{qualifier}" if qualifier else ""
        version = executed if lambda_metrics.is_alias(qualifier) and executed else ""
        key = (metric, account, function, resource, version)
        with self._totals_lock:
            found = self._totals.get(key)
            if found is None:
                self._totals[key] = [value, samples]
            else:
                found[0] += value
                found[1] += samples

    def collect(self) -> Iterator[Metric]:
        """Counters since the server started, one series per (account, function, resource,
        executed version): ``resource`` is ``name:qualifier`` or "" for an unqualified call, so
        a sum by ``function_name`` is the function's total."""
        counters = {m: CounterMetricFamily(n, h, labels=_LABELS) for m, (n, h) in PROMETHEUS_COUNTERS.items()}
        summaries = {m: SummaryMetricFamily(n, h, labels=_LABELS) for m, (n, h) in PROMETHEUS_SUMMARIES.items()}
        with self._totals_lock:
            totals = [(key, list(found)) for key, found in self._totals.items()]
        for (metric, *labels), (total, samples) in totals:
            if metric in counters:
                counters[metric].add_metric(labels, total)
            elif metric in summaries:
                summaries[metric].add_metric(labels, count_value=int(samples), sum_value=total)
        concurrent = GaugeMetricFamily(
            "aws_lambda_concurrent_executions",
            "Executions running (AWS/Lambda ConcurrentExecutions).",
            labels=["account", "function_name"],
        )
        for (account, function), running in sorted(self._concurrency.items()):
            concurrent.add_metric([account, function], running)
        yield from counters.values()
        yield from summaries.values()
        yield concurrent
