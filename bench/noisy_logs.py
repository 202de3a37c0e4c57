"""What a chatty neighbour costs: the warm invoke p50 of ``noop`` while another function logs
10,000 lines per second, against the same p50 with that function idle (issue #18's target: no
more than 10% slower).

    PYTHONPATH=src .venv/bin/python bench/noisy_logs.py [--quick]

One server. The load is a process of its own (not a thread of the measuring one, whose GIL it
would take) that invokes ``chatty`` on its own keep-alive connection, each invoke printing
``--lines-per-invoke`` lines of about 80 bytes, paced to ``--rate`` lines per second; it reports
the rate it reached. Each round measures ``noop`` quiet, then loud (the order alternating), and
the table shows the medians of the rounds.
The ledger commits the chatty lines on its worker thread (one block per invocation).
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

import harness
from httpclient import Connection, build_request
from latency import HOST, ok, one_connection

CHATTY = """\
def handler(event, context):
    line = "x" * 60
    for i in range(event.get("lines", 500)):
        print(f"{i:08d} {line}")
    return None
"""


def load(port: int, lines_per_invoke: int, rate: float, stop: Any, out: Any) -> None:
    """Invoke ``chatty`` paced to *rate* lines per second until *stop*; put the rate reached."""
    body = f'{{"lines": {lines_per_invoke}}}'.encode()
    request = build_request("POST", f"{HOST}:{port}", harness.invoke_path("chatty"), body)
    interval = lines_per_invoke / rate
    sent = errors = 0
    with Connection(HOST, port) as conn:
        started = time.perf_counter()
        while not stop.is_set():
            due = started + sent * interval
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            errors += not ok(conn.send_raw(request))
            sent += 1
        elapsed = time.perf_counter() - started
    out.put((sent * lines_per_invoke / elapsed, errors))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and invokes")
    parser.add_argument("--rate", type=float, default=10_000.0, help="lines per second the neighbour logs")
    parser.add_argument("--lines-per-invoke", type=int, default=500)
    args = parser.parse_args()
    rounds = 3 if args.quick else 5
    count = 2_000 if args.quick else 5_000
    from run import pick_runtime

    runtime, _ = pick_runtime()
    plan = SimpleNamespace(latency_warmup=300, latency_count=count, runtime=runtime)
    quiet: list[float] = []
    loud: list[float] = []
    rates: list[float] = []
    load_errors = 0
    with (
        tempfile.TemporaryDirectory() as work,
        harness.lambent_server(Path(work), idle_timeout_s=600) as server,
        harness.function(server.port, "noop", runtime, harness.NOOP_HANDLER),
        harness.function(server.port, "chatty", runtime, CHATTY),
    ):
        for round_no in range(rounds):
            for side in ("quiet", "loud") if round_no % 2 == 0 else ("loud", "quiet"):
                if side == "quiet":
                    quiet.append(one_connection(server, harness.invoke_path("noop"), plan)["p50_ms"])
                    continue
                stop = multiprocessing.Event()
                out: multiprocessing.Queue[tuple[float, int]] = multiprocessing.Queue()
                worker = multiprocessing.Process(target=load, args=(server.port, args.lines_per_invoke, args.rate, stop, out))
                worker.start()
                time.sleep(1.0)  # the neighbour at its rate before the measure starts
                loud.append(one_connection(server, harness.invoke_path("noop"), plan)["p50_ms"])
                stop.set()
                reached, errors = out.get(timeout=60)
                worker.join(30)
                rates.append(reached)
                load_errors += errors
    p_quiet, p_loud = statistics.median(quiet), statistics.median(loud)
    print(f"| measure (median of {rounds} rounds, {runtime}) | neighbour logging | baseline: neighbour idle | ratio |")
    print("| --- | --- | --- | --- |")
    print(
        f"| noop warm invoke p50, 1 connection, {count} invokes | {p_loud:.3f} ms | {p_quiet:.3f} ms | {p_loud / p_quiet:.2f}x |"
    )
    print(f"| neighbour's log rate reached (target {args.rate:,.0f} lines/s) | {statistics.median(rates):,.0f} lines/s | | |")
    print(f"| neighbour's failed invokes | {load_errors} | | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
