"""What recording metrics costs: the warm invoke with AWS/Lambda metrics on vs off, and the
ledger's commit of 1,000 records with and without their metric roll-up.

    PYTHONPATH=src .venv/bin/python bench/metrics.py [--quick]

Rows (medians of rounds, both sides measured in the same run, alternating which goes first):

- warm invoke p50 on one keep-alive connection against a server with ``LAMBENT_METRICS=on``
  (the default) beside one with ``off``: the invoke path's share (a counted event is one
  append; the admission's peaks a few comparisons) plus the commit thread's competition for
  the GIL;
- the ledger's commit of 1,000 journaled invocations (log block + usage record, six functions,
  one in ten through an alias, one in twenty printing an EMF line) into SQLite with the metric
  roll-up and without it (``Ledger(metrics=None)``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import harness
from lambent.model.billing import UsageRecord
from lambent.services.ledger import Ledger
from lambent.services.metering import MeterService, load_prices
from lambent.services.metrics import MetricService
from lambent.store.sql import SqlStore
from latency import one_connection

ACCOUNT = "000000000000"
LOG = (
    b"START RequestId: 6f1c2d8e-3a4b-4c5d-8e9f-0a1b2c3d4e5f Version: $LATEST\nhello from the function\n"
    b"END RequestId: 6f1c2d8e-3a4b-4c5d-8e9f-0a1b2c3d4e5f\nREPORT RequestId: 6f1c2d8e-3a4b-4c5d-8e9f-0a1b2c3d4e5f\t"
    b"Duration: 0.31 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 31 MB\t\n"
)


def _emf(now_ms: int) -> bytes:
    document = {
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{"Namespace": "Bench", "Dimensions": [["service"]], "Metrics": [{"Name": "n"}]}],
        },
        "service": "bench",
        "n": 1,
    }
    return json.dumps(document).encode() + b"\n"


def _usage(index: int, now_ms: int) -> UsageRecord:
    return UsageRecord(
        id=uuid.uuid4().hex,
        kind="invoke",
        request_id=str(uuid.uuid4()),
        attempt=1,
        account=ACCOUNT,
        function=f"bench-{index % 6}",
        version="1" if index % 10 == 0 else "$LATEST",
        qualifier="live" if index % 10 == 0 else None,
        invocation_type="RequestResponse",
        start_ms=now_ms - 1,
        end_ms=now_ms,
        duration_ms=0.2 + (index % 97) / 10,
        init_duration_ms=None,
        billed_ms=1,
        memory_mb=128,
        max_memory_used_mb=31,
        architecture="x86_64",
        ephemeral_mb=512,
        provisioned=False,
        outcome="error" if index % 13 == 0 else "success",
    )


async def commit_ms_per_1000(directory: Path, count: int, with_metrics: bool) -> float:
    store = SqlStore(f"sqlite+aiosqlite:///{directory / 'bench.db'}", ACCOUNT)
    await store.open()
    meter = MeterService(store, load_prices(None))
    metrics = MetricService(store, ACCOUNT) if with_metrics else None
    ledger = Ledger(store, directory / "journal", meter, metrics=metrics)
    await ledger.open()
    await meter.load(ACCOUNT)
    now_ms = int(time.time() * 1000)
    for index in range(count):
        text = LOG + (_emf(now_ms) if index % 20 == 0 else b"")
        ledger.record(f"/aws/lambda/bench-{index % 6}", "stream", now_ms, text, _usage(index, now_ms), ACCOUNT)
    started = time.perf_counter()
    await ledger.flush()
    elapsed = time.perf_counter() - started
    await ledger.close()
    await store.close()
    return elapsed / count * 1000 * 1000


def warm_p50(plan: SimpleNamespace, rounds: int, work: Path) -> tuple[list[float], list[float]]:
    on_p50, off_p50 = [], []
    for side in ("on", "off"):
        (work / side).mkdir(parents=True)
    with (
        harness.lambent_server(work / "on", idle_timeout_s=600) as on,
        harness.lambent_server(work / "off", idle_timeout_s=600, env={"LAMBENT_METRICS": "off"}) as off,
        harness.function(on.port, "noop", plan.runtime, harness.NOOP_HANDLER),
        harness.function(off.port, "noop", plan.runtime, harness.NOOP_HANDLER),
    ):
        for round_no in range(rounds):
            sides = [("on", on), ("off", off)]
            if round_no % 2:
                sides.reverse()
            for name, server in sides:
                result = one_connection(server, harness.invoke_path("noop"), plan)
                (on_p50 if name == "on" else off_p50).append(result["p50_ms"])
    return on_p50, off_p50


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and invokes")
    parser.add_argument("--records", type=int, default=20_000)
    args = parser.parse_args()
    rounds = 3 if args.quick else 5
    count = 2_000 if args.quick else 5_000
    commits: dict[bool, list[float]] = {True: [], False: []}
    for round_no in range(rounds):
        for with_metrics in (True, False) if round_no % 2 else (False, True):
            with tempfile.TemporaryDirectory() as directory:
                commits[with_metrics].append(asyncio.run(commit_ms_per_1000(Path(directory), args.records, with_metrics)))
    from run import pick_runtime

    runtime, _ = pick_runtime()
    plan = SimpleNamespace(latency_warmup=500, latency_count=count, runtime=runtime)
    with tempfile.TemporaryDirectory() as work:
        on, off = warm_p50(plan, rounds, Path(work))
    print(f"| measure (median of {rounds} rounds) | metrics on | baseline: off | ratio |")
    print("| --- | --- | --- | --- |")
    p_on, p_off = statistics.median(on), statistics.median(off)
    print(
        f"| warm invoke p50, 1 connection, {count} invokes ({runtime}) | {p_on:.3f} ms | {p_off:.3f} ms | {p_on / p_off:.2f}x |"
    )
    c_on, c_off = statistics.median(commits[True]), statistics.median(commits[False])
    print(
        f"| ledger commit per 1,000 records ({args.records} journaled) | {c_on:.1f} ms | {c_off:.1f} ms | {c_on / c_off:.2f}x |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
