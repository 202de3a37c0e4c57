"""SnapStart: cold starts restored from a published version's snapshot, beside the same
function's cold starts initialised on demand (the baseline, measured in the same run).

    .venv/bin/python bench/snapstart.py [--samples 200] [--burst 40]

The function's init is a typical one: import boto3 and make a client. The server's idle timeout
is short and invocations are spaced past it, so each one needs a new environment: on demand,
the init runs again; with SnapStart, the environment is a fork of the version's template. It
prints client-side latency p50/p99, the REPORT lines' Init / Restore Duration medians, and how
many environments a burst of concurrent invocations gets per second. It asserts nothing.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path

from harness import create_function, invoke_path, lambent_server, publish_version
from httpclient import Connection

IDLE_TIMEOUT_S = 0.2
INIT = """
import time
import boto3
S3 = boto3.client("s3", region_name="us-east-1")


def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return 1
"""
TAIL = {"X-Amz-Log-Type": "Tail"}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def cold_starts(port: int, path: str, samples: int) -> tuple[list[float], list[float], int]:
    """Client latency (ms) and the REPORT's Init or Restore Duration (ms) of *samples* cold starts."""
    latencies, reported, errors = [], [], 0
    with Connection("127.0.0.1", port, timeout_s=60) as conn:
        for _ in range(samples):
            time.sleep(IDLE_TIMEOUT_S * 2.5)  # the last environment is reaped by now
            started = time.perf_counter()
            response = conn.request("POST", path, b"{}", TAIL)
            latencies.append((time.perf_counter() - started) * 1000)
            log = base64.b64decode(response.headers.get("x-amz-log-result", "")).decode()
            found = re.search(r"(?:Init|Restore) Duration: (\d+\.\d\d) ms", log)
            if response.status != 200 or "x-amz-function-error" in response.headers or found is None:
                errors += 1
                continue
            reported.append(float(found.group(1)))
    return latencies, reported, errors


def burst(port: int, path: str, count: int) -> tuple[float, int]:
    """Environments per second when *count* invocations (each holding its environment 1 s) arrive
    at once, and how many of them succeeded (the rate counts only a burst that all succeeded)."""
    done: list[float] = []
    gate = threading.Barrier(count)

    def one() -> None:
        with Connection("127.0.0.1", port, timeout_s=60) as conn:
            gate.wait()
            response = conn.request("POST", path, json.dumps({"sleep": 1.0}).encode())
            if response.status == 200 and "x-amz-function-error" not in response.headers:
                done.append(time.perf_counter())

    threads = [threading.Thread(target=one) for _ in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if len(done) < count:
        return 0.0, len(done)
    return count / max(1e-3, max(done) - started - 1.0), count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--burst", type=int, default=40)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="lambent-snapstart-") as scratch,
        lambent_server(Path(scratch), IDLE_TIMEOUT_S) as server,
    ):
        with Connection("127.0.0.1", server.port) as conn:
            create_function(conn, "on-demand", "python3.12", INIT, memory_mb=1024)
            create_function(
                conn, "snapstart", "python3.12", INIT, memory_mb=1024, extra={"SnapStart": {"ApplyOn": "PublishedVersions"}}
            )
            paths = {
                "on demand": invoke_path(f"on-demand:{publish_version(conn, 'on-demand')}"),
                "SnapStart": invoke_path(f"snapstart:{publish_version(conn, 'snapstart')}"),
            }
        rows = []
        for label, path in paths.items():
            latencies, reported, errors = cold_starts(server.port, path, args.samples)
            time.sleep(IDLE_TIMEOUT_S * 3)
            rate = burst(server.port, path, args.burst)
            rows.append((label, latencies, reported, errors, rate))
    base_p50 = percentile(rows[0][1], 50)
    print(f"cold starts, init importing boto3 and making a client (python3.12, 1024 MB), {args.samples} of each")
    header = ("mode", "p50 ms", "p99 ms", "vs on demand", "REPORT Init/Restore p50", "errors", f"burst of {args.burst}")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for label, latencies, reported, errors, rate in rows:
        p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
        median = statistics.median(reported) if reported else float("nan")
        cells = (
            label,
            f"{p50:.1f}",
            f"{p99:.1f}",
            f"{p50 / base_p50:.2f}x",
            f"{median:.1f} ms",
            str(errors),
            f"{rate[0]:.0f}/s, {rate[1]} ok" if rate[0] else f"-, {rate[1]} ok",
        )
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
