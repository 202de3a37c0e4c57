"""Load generators: wrk when installed, else an asyncio raw-socket client in its own process.

Both keep N keep-alive connections busy, each sending its next request when the previous answer
arrives (closed loop). ``run_fixed_count`` always uses the asyncio client (wrk has no fixed
request count). Results are plain dicts: requests, elapsed_s, rps, statuses, errors.

Run as a process: ``python bench/loadgen.py HOST PORT PATH --connections 32 (--duration S | --count N)
[--header NAME:VALUE] [--body JSON]``; prints one JSON document.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from httpclient import AsyncConnection, build_request, signature_headers

WRK = shutil.which("wrk")


def generator_name(use_wrk: bool = True) -> str:
    return "wrk (1 thread, Lua POST script)" if WRK and use_wrk else "asyncio raw-socket client (separate process)"


# -- wrk -----------------------------------------------------------------------------------------


def _wrk_script(body: bytes, headers: dict[str, str]) -> str:
    if not any(name.lower() == "content-type" for name in headers):
        headers = {"Content-Type": "application/json", **headers}
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body.decode())}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    return "\n".join(lines) + "\n"


def _parse_wrk(output: str) -> dict[str, Any]:
    def number(pattern: str) -> float:
        match = re.search(pattern, output)
        return float(match.group(1)) if match else 0.0

    requests = int(number(r"(\d+) requests in"))
    non_2xx = int(number(r"Non-2xx or 3xx responses: (\d+)"))
    socket_errors = 0
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if match:
        socket_errors = sum(int(x) for x in match.groups())
    return {"requests": requests, "rps": number(r"Requests/sec:\s+([\d.]+)"), "non_2xx": non_2xx, "errors": socket_errors}


def _run_wrk(url: str, connections: int, duration_s: float, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    assert WRK is not None
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_wrk_script(body, headers))
    try:
        # Timeout well above any expected latency, so slow answers count as slow, not as errors.
        argv = [WRK, "-t1", f"-c{connections}", f"-d{max(1, round(duration_s))}s", "--timeout", "30s", "-s", script.name, url]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=duration_s + 60, check=False)
    finally:
        Path(script.name).unlink(missing_ok=True)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr.strip()[:300]}")
    parsed = _parse_wrk(result.stdout)
    parsed["generator"] = "wrk"
    return parsed


# -- the asyncio client ----------------------------------------------------------------------


async def _load(
    host: str, port: int, request: bytes, connections: int, duration_s: float | None, count: int | None
) -> dict[str, Any]:
    """Closed loop until *count* requests were sent, or for *duration_s* (whichever comes first)."""
    statuses: Counter[int] = Counter()
    errors = 0
    remaining = count if count is not None else -1
    conns = await asyncio.gather(*(AsyncConnection.open(host, port) for _ in range(connections)))
    started = time.perf_counter()
    stop_at = started + duration_s if duration_s is not None else float("inf")
    last_answer = started

    async def worker(conn: AsyncConnection) -> None:
        nonlocal remaining, errors, last_answer
        while True:
            if time.perf_counter() >= stop_at:
                return
            if count is not None:
                if remaining <= 0:
                    return
                remaining -= 1
            try:
                response = await conn.send_raw(request)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                errors += 1
                return
            statuses[response.status] += 1
            last_answer = time.perf_counter()

    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = last_answer - started
    await asyncio.gather(*(c.close() for c in conns))
    done = sum(statuses.values())
    return {
        "requests": done,
        "elapsed_s": elapsed,
        "rps": done / elapsed if elapsed > 0 else 0.0,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": errors,
    }


def _run_async_process(
    host: str,
    port: int,
    path: str,
    connections: int,
    body: bytes,
    headers: dict[str, str],
    duration_s: float | None = None,
    count: int | None = None,
) -> dict[str, Any]:
    argv = [
        sys.executable,
        str(Path(__file__).resolve()),
        host,
        str(port),
        path,
        "--connections",
        str(connections),
        "--body",
        body.decode(),
    ]
    if duration_s is not None:
        argv += ["--duration", str(duration_s)]
    if count is not None:
        argv += ["--count", str(count)]
    for name, value in headers.items():
        argv += ["--header", f"{name}:{value}"]
    limit = (duration_s or 0) + 120
    result = subprocess.run(argv, capture_output=True, text=True, timeout=limit, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"load generator failed ({result.returncode}): {result.stderr.strip()[-500:]}")
    parsed: dict[str, Any] = json.loads(result.stdout)
    parsed["generator"] = "asyncio"
    return parsed


def run_duration(
    host: str,
    port: int,
    path: str,
    connections: int,
    duration_s: float,
    body: bytes,
    expect: int = 200,
    headers: dict[str, str] | None = None,
    use_wrk: bool = True,
) -> dict[str, Any]:
    """Closed-loop load for *duration_s*: rps, requests, non-2xx (or non-*expect*) and socket errors."""
    headers = {**(headers or {}), **signature_headers("POST", f"{host}:{port}", path, body, headers)}
    if WRK and use_wrk:
        return _run_wrk(f"http://{host}:{port}{path}", connections, duration_s, body, headers)
    result = _run_async_process(host, port, path, connections, body, headers, duration_s=duration_s)
    statuses = result["statuses"]
    result["non_2xx"] = sum(v for k, v in statuses.items() if int(k) != expect)
    return result


def run_fixed_count(
    host: str,
    port: int,
    path: str,
    connections: int,
    count: int,
    body: bytes,
    headers: dict[str, str] | None = None,
    max_duration_s: float | None = None,
) -> dict[str, Any]:
    """*count* requests, or fewer if *max_duration_s* passes first (``requests`` says how many)."""
    headers = {**(headers or {}), **signature_headers("POST", f"{host}:{port}", path, body, headers)}
    return _run_async_process(host, port, path, connections, body, headers, duration_s=max_duration_s, count=count)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("path")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float)
    parser.add_argument("--count", type=int)
    parser.add_argument("--body", default="{}")
    parser.add_argument("--header", action="append", default=[])
    args = parser.parse_args()
    headers = dict(item.split(":", 1) for item in args.header)
    request = build_request("POST", f"{args.host}:{args.port}", args.path, args.body.encode(), headers)
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    result = runner(_load(args.host, args.port, request, args.connections, args.duration, args.count))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
