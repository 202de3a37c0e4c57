"""Wall-clock timings that were once asserted in tests/acceptance/test_invoke.py, now measured.

    .venv/bin/python bench/timing.py [--rounds 5]

- timeout: how long a caller waits for a function with ``Timeout=1`` whose handler sleeps 30 s
  (AWS: just over 1 s; the overshoot is the platform's reaction time). The unit test
  ``tests/unit/invoker/test_timeouts.py`` checks it times out at 1 s of the clock, not before.
- side by side: four concurrent invocations of a handler that sleeps 0.5 s (one environment
  each: about 0.5 s plus cold starts, never 2 s). ``tests/unit/invoker/test_pool.py`` checks
  that all four are in flight at once.

It prints medians and the worst round; it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from harness import create_function, delete_function, invoke_path, lambent_server
from httpclient import Connection

SLEEPER = "import time\n\ndef handler(event, context):\n    time.sleep(event.get('sleep', 0))\n    return 1\n"


def timed_out(port: int, round_no: int) -> float:
    """Seconds a caller waits for a Timeout=1 function that would sleep 30 s (a fresh function
    each round, so each includes a cold start, as the test did)."""
    name = f"timeout-{round_no}"
    with Connection("127.0.0.1", port, timeout_s=60) as conn:
        create_function(conn, name, "python3.12", SLEEPER, timeout_s=1)
        started = time.perf_counter()
        response = conn.request("POST", invoke_path(name), b'{"sleep": 30}')
        elapsed = time.perf_counter() - started
        if "x-amz-function-error" not in response.headers:
            raise SystemExit(f"{name} did not time out: {response.status} {response.body[:200]!r}")
        delete_function(conn, name)
    return elapsed


def side_by_side(port: int, round_no: int, count: int = 4) -> float:
    """Seconds for *count* concurrent 0.5 s invocations of a new function (cold starts included)."""
    name = f"side-by-side-{round_no}"
    with Connection("127.0.0.1", port, timeout_s=60) as conn:
        create_function(conn, name, "python3.12", SLEEPER)
    gate = threading.Barrier(count + 1)
    failures: list[str] = []

    def one() -> None:
        with Connection("127.0.0.1", port, timeout_s=60) as conn:
            gate.wait()
            response = conn.request("POST", invoke_path(name), b'{"sleep": 0.5}')
            if response.status != 200 or "x-amz-function-error" in response.headers:
                failures.append(f"{response.status} {response.body[:200]!r}")

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    gate.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{name}: {failures[0]}")
    with Connection("127.0.0.1", port) as conn:
        delete_function(conn, name)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lambent-timing-") as scratch, lambent_server(Path(scratch), 60.0) as server:
        timeouts = [timed_out(server.port, n) for n in range(args.rounds)]
        together = [side_by_side(server.port, n) for n in range(args.rounds)]
    print(f"| measure ({args.rounds} rounds) | median s | worst s | was asserted |")
    print("|---|---|---|---|")
    print(f"| Timeout=1, handler sleeps 30 s | {statistics.median(timeouts):.3f} | {max(timeouts):.3f} | 1.0 <= t < 1.6 |")
    print(f"| 4 concurrent 0.5 s invocations | {statistics.median(together):.3f} | {max(together):.3f} | t < 1.9 |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
