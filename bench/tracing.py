"""What tracing costs: the warm invoke p50 of a function with TracingConfig Active on a server
exporting spans over OTLP/HTTP, against the same function with tracing off (issue #18's target:
within 5%).

    PYTHONPATH=src .venv/bin/python bench/tracing.py [--quick]

Two servers, both with metrics and logs on (the defaults): ``off`` (no OTLP endpoint, the
function PassThrough) and ``on`` (``LAMBENT_OTLP_ENDPOINT`` naming a collector, the function
Active). The collector is the tests' OTLP receiver (``tests/fixtures/otlp.py``: it decodes every
span), run as a process of its own so that its work is not the measuring client's. Rows, each the
median of the rounds' p50s on one keep-alive connection (the sides alternating which goes first):

- tracing off (the baseline);
- Active with X-Ray's default sampling (the first request each second, then 5%);
- every request sampled (each carries ``X-Amzn-Trace-Id: ...;Sampled=1``): two spans exported
  per warm invoke (the function and its Invocation), the worst case.

The last row counts the spans the collector received: about 2 per sampled invoke shows none
was dropped.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # the tests' OTLP receiver

import harness
from httpclient import build_request
from latency import BODY, HOST, one_connection

SAMPLED = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1"


def collector(ready: Any, stop: Any, out: Any) -> None:
    """The OTLP receiver in this process until *stop*; puts its endpoint, then its span count."""
    from tests.fixtures.otlp import otlp_receiver

    with otlp_receiver() as receiver:
        ready.put(receiver.endpoint)
        stop.wait()
        with receiver.lock:
            out.put(len(receiver.spans))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and invokes")
    args = parser.parse_args()
    rounds = 3 if args.quick else 5
    count = 2_000 if args.quick else 5_000
    from run import pick_runtime

    runtime, _ = pick_runtime()
    plan = SimpleNamespace(latency_warmup=300, latency_count=count, runtime=runtime)
    ready: multiprocessing.Queue[str] = multiprocessing.Queue()
    counted: multiprocessing.Queue[int] = multiprocessing.Queue()
    stop = multiprocessing.Event()
    receiver = multiprocessing.Process(target=collector, args=(ready, stop, counted))
    receiver.start()
    endpoint = ready.get(timeout=30)
    results: dict[str, list[float]] = {"off": [], "active": [], "sampled": []}
    try:
        with tempfile.TemporaryDirectory() as work:
            (Path(work) / "off").mkdir()
            (Path(work) / "on").mkdir()
            with (
                harness.lambent_server(Path(work) / "off", idle_timeout_s=600) as off,
                harness.lambent_server(Path(work) / "on", idle_timeout_s=600, env={"LAMBENT_OTLP_ENDPOINT": endpoint}) as on,
            ):
                with harness.Connection("127.0.0.1", off.port) as conn:
                    harness.create_function(conn, "noop", runtime, harness.NOOP_HANDLER)
                with harness.Connection("127.0.0.1", on.port) as conn:
                    harness.create_function(
                        conn, "noop", runtime, harness.NOOP_HANDLER, extra={"TracingConfig": {"Mode": "Active"}}
                    )
                path = harness.invoke_path("noop")
                sampled = build_request("POST", f"{HOST}:{on.port}", path, BODY, {"X-Amzn-Trace-Id": SAMPLED})
                sides: list[tuple[str, Any, bytes | None]] = [("off", off, None), ("active", on, None), ("sampled", on, sampled)]
                for round_no in range(rounds):
                    for name, server, request in sides if round_no % 2 == 0 else list(reversed(sides)):
                        results[name].append(one_connection(server, path, plan, request)["p50_ms"])
                time.sleep(1.0)  # the last batch of spans sent
    finally:
        stop.set()
        spans = counted.get(timeout=30)
        receiver.join(30)
    base = statistics.median(results["off"])
    print(f"| measure (median of {rounds} rounds, {count} invokes each, {runtime}) | warm invoke p50 | ratio to off |")
    print("| --- | --- | --- |")
    print(f"| tracing off (baseline) | {base:.3f} ms | 1.00x |")
    for name, label in (("active", "Active, default sampling"), ("sampled", "Active, every request sampled")):
        p50 = statistics.median(results[name])
        print(f"| {label} | {p50:.3f} ms | {p50 / base:.2f}x |")
    print(f"| spans the collector received | {spans:,} | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
