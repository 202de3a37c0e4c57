"""The measurements: each function runs one round of one measurement and returns plain numbers.

Every measurement that has a baseline measures it in the same round with the same client and
the same request shape; ``run.py`` takes medians over rounds and compares them with targets.
Nothing here asserts a timing: a slow or failing server shows up as numbers and error counts.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.metadata
import json
import math
import os
import re
import shutil
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import eventbridge
import harness
import kinesis
import loadgen
import redis_streams
import schedules
import sqs
import streaming
from harness import Server
from httpclient import AsyncConnection, Connection, Response, build_request
from latency import BODY, HOST, ok, one_connection, percentile, summary_ms

_INIT_DURATION = re.compile(r"Init Duration: ([\d.]+) ms")


@dataclass(frozen=True)
class Plan:
    mode: str
    runs: int
    latency_warmup: int
    latency_count: int
    throughput_s: float
    throughput_warmup_s: float
    cold_n: int
    burst_sizes: tuple[int, ...]
    async_count: int
    async_max_s: float
    connections: tuple[int, ...] = (32, 64)
    density_k: int = 20
    async_connections: int = 32
    # Line 8, per runtime: warm-up and measured warm invokes, cold starts; each phase (warm-up,
    # warm, cold) of each runtime also stops after runtimes_phase_max_s (the slow ones hit it).
    runtimes_warmup: int = 200
    runtimes_warm_count: int = 2000
    runtimes_cold_n: int = 20
    runtimes_phase_max_s: float = 4.0
    # Line 17: messages waiting for the SQS mapping, its time limit, and idle-queue samples.
    sqs_messages: int = 500
    sqs_max_s: float = 60.0
    sqs_latency_count: int = 20
    # Line 19: entries added for the Redis Streams mapping, and its time limit.
    redis_messages: int = 10000
    redis_max_s: float = 60.0
    # Line 9: SigV4 verifications per batch (five batches, in process).
    sigv4_count: int = 20_000
    # Line 15b: passes over (100 rules x 10 events) per batch (five batches, in process).
    matching_passes: int = 20
    # Line 16: one-time schedules per round, their slots spread over this many seconds.
    schedules_count: int = 20
    schedules_spread_s: int = 10
    # Line 18: seconds of Kinesis load at kinesis.RATE records/s.
    kinesis_s: float = 3.0


PLANS = {
    "quick": Plan(
        mode="quick",
        runs=1,
        latency_warmup=500,
        latency_count=2000,
        throughput_s=2.0,
        throughput_warmup_s=1.0,
        cold_n=20,
        burst_sizes=(50,),
        async_count=2000,
        async_max_s=15.0,
        runtimes_warmup=200,
        runtimes_warm_count=2000,
        runtimes_cold_n=20,
        runtimes_phase_max_s=4.0,
    ),
    "full": Plan(
        mode="full",
        runs=5,
        latency_warmup=500,
        latency_count=10000,
        throughput_s=10.0,
        throughput_warmup_s=2.0,
        cold_n=200,
        burst_sizes=(50, 200),
        async_count=20000,
        async_max_s=60.0,
        runtimes_warmup=500,
        runtimes_warm_count=5000,
        runtimes_cold_n=50,
        runtimes_phase_max_s=8.0,
        sigv4_count=50_000,
        matching_passes=100,
        sqs_messages=2000,
        schedules_count=40,
        schedules_spread_s=20,
        kinesis_s=10.0,
    ),
}


@dataclass
class Context:
    lambent: Server
    bare: Server
    #: The same server with ``LAMBENT_AUTH=off`` (nothing signed, nothing verified): line 10's baseline.
    unsigned: Server
    runtime: str
    runtime_executable: str
    use_wrk: bool
    #: Line 8: the runtimes whose function is deployed, and those that broke (skipped in later rounds).
    runtimes_deployed: set[str] = field(default_factory=set)
    #: Lines 11 and 12: the URL id of ``noop``'s public function URL on ``lambent``.
    url_id: str = ""
    #: Line 13: the id of the quick-created HTTP API whose $default route invokes ``noop``.
    api_id: str = ""
    #: Line 14: the URL id of ``stream``'s public RESPONSE_STREAM function URL.
    stream_url_id: str = ""
    #: Line 17: moto's SQS server, which ``lambent`` sends to and polls.
    sqs_endpoint: str = ""
    #: Where a measure may start servers of its own (line 19's Redis).
    work_dir: Path = Path()
    #: Line 18: the Kinesalite ``lambent``'s Kinesis mappings read ("": none could run here).
    kinesis_endpoint: str = ""
    runtimes_broken: dict[str, str] = field(default_factory=dict)


# -- 1 and 7: warm latency on one connection, and the server's CPU per 1,000 invokes --------------


def warm_latency(ctx: Context, plan: Plan, round_no: int) -> dict[str, Any]:
    sides: list[tuple[str, Callable[[], dict[str, float]]]] = [
        ("lambent", lambda: one_connection(ctx.lambent, harness.invoke_path("noop"), plan)),
        ("bare", lambda: one_connection(ctx.bare, harness.invoke_path("noop"), plan)),
    ]
    if round_no % 2:  # alternate which side goes first, so drift hits both
        sides.reverse()
    return {name: run() for name, run in sides}


def signed_vs_unsigned(ctx: Context, plan: Plan, round_no: int) -> dict[str, Any]:
    """Line 10: the warm invoke of line 1 with SigV4 verified (the default) and with auth off, alternating."""
    sides: list[tuple[str, Callable[[], dict[str, float]]]] = [
        ("signed", lambda: one_connection(ctx.lambent, harness.invoke_path("noop"), plan)),
        ("unsigned", lambda: one_connection(ctx.unsigned, harness.invoke_path("noop"), plan)),
    ]
    if round_no % 2:
        sides.reverse()
    return {name: run() for name, run in sides}


def _get_by_host_vs_invoke(ctx: Context, plan: Plan, round_no: int, name: str, host: str) -> dict[str, Any]:
    """A GET of ``/`` with *host* as its Host, against line 1's signed Invoke, alternating which
    goes first."""
    get = build_request("GET", host, "/")
    sides: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        (name, lambda: one_connection(ctx.lambent, "/", plan, get)),
        ("invoke", lambda: one_connection(ctx.lambent, harness.invoke_path("noop"), plan)),
    ]
    if round_no % 2:
        sides.reverse()
    return {side: run() for side, run in sides}


def http_api_vs_invoke(ctx: Context, plan: Plan, round_no: int) -> dict[str, Any]:
    """Line 13: a GET through ``noop``'s quick-created HTTP API (its host name, ``$default`` stage
    and route, payload 2.0) against line 1's signed Invoke, alternating."""
    host = f"{ctx.api_id}.execute-api.us-east-1.localhost:{ctx.lambent.port}"
    return _get_by_host_vs_invoke(ctx, plan, round_no, "api", host)


def url_vs_invoke(ctx: Context, plan: Plan, round_no: int) -> dict[str, Any]:
    """Lines 11 and 12: a GET through ``noop``'s function URL (its host name, unsigned: AuthType
    NONE) against line 1's signed Invoke, alternating; then throughput of POSTs through the URL's
    path form against Invoke's, at the highest connection count."""
    host = f"{ctx.url_id}.lambda-url.us-east-1.localhost:{ctx.lambent.port}"
    result = _get_by_host_vs_invoke(ctx, plan, round_no, "url", host)
    connections = max(plan.connections)
    paths = [("url_rps", f"/lambent/urls/{ctx.url_id}/"), ("invoke_rps", harness.invoke_path("noop"))]
    if round_no % 2:
        paths.reverse()
    for name, path in paths:
        loadgen.run_duration(HOST, ctx.lambent.port, path, connections, plan.throughput_warmup_s, BODY, use_wrk=ctx.use_wrk)
        measured = loadgen.run_duration(HOST, ctx.lambent.port, path, connections, plan.throughput_s, BODY, use_wrk=ctx.use_wrk)
        result[name] = {
            "rps": measured["rps"],
            "non_2xx": measured["non_2xx"],
            "errors": measured["errors"],
            "connections": connections,
        }
    return result


# -- 2: throughput -------------------------------------------------------------------------------


def throughput(ctx: Context, plan: Plan, round_no: int) -> dict[str, Any]:
    path = harness.invoke_path("noop")
    servers = [("lambent", ctx.lambent), ("bare", ctx.bare)]
    if round_no % 2:
        servers.reverse()
    result: dict[str, Any] = {}
    for name, server in servers:
        # Warm-up at the highest concurrency: lambent starts the environments it needs here.
        loadgen.run_duration(HOST, server.port, path, max(plan.connections), plan.throughput_warmup_s, BODY, use_wrk=ctx.use_wrk)
        for connections in plan.connections:
            measured = loadgen.run_duration(HOST, server.port, path, connections, plan.throughput_s, BODY, use_wrk=ctx.use_wrk)
            result[f"{name}_c{connections}"] = {
                "rps": measured["rps"],
                "requests": measured["requests"],
                "non_2xx": measured["non_2xx"],
                "errors": measured["errors"],
            }
    return result


# -- 3: cold start -------------------------------------------------------------------------------


def _spawn_times(argv: list[str], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, os.environ)
        os.waitpid(pid, 0)
        samples.append(time.perf_counter() - started)
    return samples


def cold_start(ctx: Context, plan: Plan, round_no: int) -> dict[str, Any]:
    name = "cold"
    path = harness.invoke_path(name)
    samples: list[float] = []
    init_ms: list[float] = []
    errors = 0
    with Connection(HOST, ctx.lambent.port) as conn:
        request = build_request("POST", f"{HOST}:{ctx.lambent.port}", path, BODY, {"X-Amz-Log-Type": "Tail"})
        for i in range(plan.cold_n):
            # A changed configuration retires the idle environment: the next invoke starts a new one.
            harness.update_environment(conn, name, {"BENCH_GENERATION": f"{round_no}-{i}"})
            started = time.perf_counter()
            response = conn.send_raw(request)
            samples.append(time.perf_counter() - started)
            if response.status != 200 or "x-amz-function-error" in response.headers:
                errors += 1
            log = base64.b64decode(response.headers.get("x-amz-log-result", "")).decode(errors="replace")
            match = _INIT_DURATION.search(log)
            if match:
                init_ms.append(float(match.group(1)))
    exe = ctx.runtime_executable
    plain = _spawn_times([exe, "-c", "pass"], plan.cold_n)
    isolated = _spawn_times([exe, "-I", "-S", "-c", "pass"], plan.cold_n)
    return {
        "lambent": {**summary_ms(samples), "errors": errors, "samples": len(samples)},
        "init_duration": {"p50_ms": percentile(init_ms, 50), "p99_ms": percentile(init_ms, 99), "reported": len(init_ms)},
        "python_c_pass": summary_ms(plain),
        "python_I_S_c_pass": summary_ms(isolated),
    }


# -- 4: burst from zero ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    elapsed_s: float
    status: int | None  # None: the connection failed
    function_error: bool
    body: bytes

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.function_error


def _error_sample(answers: list[Answer]) -> str:
    """The first answer that was not a plain 200, for the record."""
    bad = next((a for a in answers if not a.ok), None)
    return "" if bad is None else f"{bad.status}: {bad.body[:200].decode(errors='replace')}"


async def _burst(port: int, path: str, n: int, body: bytes) -> list[Answer]:
    """*n* callers on pre-opened connections send at once; each answer timed from the start."""
    conns = await asyncio.gather(*(AsyncConnection.open(HOST, port) for _ in range(n)))
    request = build_request("POST", f"{HOST}:{port}", path, body)
    started = time.perf_counter()

    async def one(conn: AsyncConnection) -> Answer:
        try:
            response = await conn.send_raw(request)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            return Answer(time.perf_counter() - started, None, False, repr(exc).encode())
        failed = "x-amz-function-error" in response.headers
        return Answer(time.perf_counter() - started, response.status, failed, response.body)

    try:
        return await asyncio.gather(*(one(c) for c in conns))
    finally:
        await asyncio.gather(*(c.close() for c in conns))


def _processes(server: Server) -> set[int]:
    return set(harness.descendants(server.pid))


#: The uids a spare's processes run as: root (waiting) and nobody (its PID 1, the reaper).
SANDBOX_UIDS = {0, 65534, None}


def _new_environments(server: Server, before: set[int]) -> dict[str, list[int]]:
    """Environments made of processes the server started since *before* was taken: not their
    network stacks (slirp4netns, counted apart) nor spares (in a cgroup, waiting as root for an
    environment to become: none of their processes runs as a function's uid yet)."""
    fresh = {pid for pid in _processes(server) - before if harness.command_name(pid) != "slirp4netns"}
    groups = harness.environments(server.pid, fresh)
    return {
        k: v for k, v in groups.items() if not k.startswith("cgroup") or any(harness.uid(pid) not in SANDBOX_UIDS for pid in v)
    }


def burst(ctx: Context, plan: Plan, round_no: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for n in plan.burst_sizes:
        with harness.function(ctx.lambent.port, f"burst{n}-r{round_no}", ctx.runtime, harness.SLEEP_HANDLER) as name:
            before = _processes(ctx.lambent)
            answers = asyncio.run(_burst(ctx.lambent.port, harness.invoke_path(name), n, b'{"sleep_s": 0.1}'))
            times = [a.elapsed_s for a in answers]
            result[f"n{n}"] = {
                "first_ms": min(times) * 1000,
                "last_ms": max(times) * 1000,
                "p50_ms": percentile(times, 50) * 1000,
                "non_200": sum(1 for a in answers if a.status is not None and a.status != 200),
                "function_errors": sum(1 for a in answers if a.function_error),
                "connection_errors": sum(1 for a in answers if a.status is None),
                "error_sample": _error_sample(answers),
                "environments": len(_new_environments(ctx.lambent, before)),
            }
        harness.wait_quiet(ctx.lambent.pid, 30.0)
    return result


# -- 5: density -----------------------------------------------------------------------------------


def density(ctx: Context, plan: Plan, round_no: int) -> dict[str, Any]:
    # One invoke of another function first, so whatever the runtime shares between environments
    # (a zygote, say) exists already and is not counted as part of the new environments.
    with Connection(HOST, ctx.lambent.port) as conn:
        conn.request("POST", harness.invoke_path("noop"), BODY)
    with harness.function(ctx.lambent.port, f"density-r{round_no}", ctx.runtime, harness.SLEEP_HANDLER) as name:
        before = _processes(ctx.lambent)
        answers = asyncio.run(_burst(ctx.lambent.port, harness.invoke_path(name), plan.density_k, b'{"sleep_s": 0.2}'))
        failed = sum(1 for a in answers if not a.ok)
        harness.wait_quiet(ctx.lambent.pid, 10.0)
        stacks = [pid for pid in _processes(ctx.lambent) - before if harness.command_name(pid) == "slirp4netns"]
        groups = _new_environments(ctx.lambent, before)
        memory = [harness.memory_kb(pid) for pids in groups.values() for pid in pids]
        stack_memory = [harness.memory_kb(pid) for pid in stacks]
    count = len(groups)

    def per_env(kind: str) -> float:
        return sum(m[kind] for m in memory) / 1024 / count if count else math.nan

    # Each environment with outbound network has a network stack of its own, outside its cgroup
    # but part of its cost; spares' stacks are among the new ones, so the median is per stack.
    stack_uss = statistics.median(m["uss"] for m in stack_memory) / 1024 if stack_memory else 0.0
    uss_mb = per_env("uss")
    return {
        "environments": count,
        "processes_per_env": len(memory) / count if count else math.nan,
        "failed_invokes": failed,
        "error_sample": _error_sample(answers),
        "uss_mb_per_env": uss_mb,
        "stack_uss_mb": stack_uss,
        "stacks": len(stack_memory),
        "pss_mb_per_env": per_env("pss"),
        "rss_mb_per_env": per_env("rss"),
        "fit_in_2gb": math.floor(2048 / (uss_mb + stack_uss)) if count and uss_mb > 0 else 0,
        "server_uss_mb": harness.memory_kb(ctx.lambent.pid)["uss"] / 1024,
    }


# -- 6: async accept rate --------------------------------------------------------------------------


def _count_in_log(server: Server, needle: str) -> int:
    try:
        return server.log_path.read_text(errors="replace").count(needle)
    except OSError:
        return 0


def async_accept(ctx: Context, plan: Plan, round_no: int) -> dict[str, Any]:
    port = ctx.lambent.port
    with harness.function(port, f"async-r{round_no}", ctx.runtime, harness.SLEEP_HANDLER) as name:
        path = harness.invoke_path(name)
        base = _processes(ctx.lambent)
        # Warm as many environments as there are connections, so the figure is not all cold starts.
        asyncio.run(_burst(port, path, plan.async_connections, b'{"sleep_s": 0.2}'))
        harness.wait_quiet(ctx.lambent.pid, 10.0)
        warm = len(_new_environments(ctx.lambent, base))
        failures_before = _count_in_log(ctx.lambent, "asynchronous invocation")
        measured = loadgen.run_fixed_count(
            HOST,
            port,
            path,
            plan.async_connections,
            plan.async_count,
            b'{"sleep_s": 0}',
            {"X-Amz-Invocation-Type": "Event"},
            max_duration_s=plan.async_max_s,
        )
        statuses = {str(k): int(v) for k, v in measured["statuses"].items()}
        elapsed = float(measured["elapsed_s"])
        accepted = statuses.get("202", 0)
        after_accept = len(_new_environments(ctx.lambent, base))
        drain_s = harness.wait_quiet(ctx.lambent.pid, 300.0)
        after_drain = len(_new_environments(ctx.lambent, base))
    return {
        "sent": measured["requests"],
        "planned": plan.async_count,
        "accepted": accepted,
        "elapsed_s": elapsed,
        "accept_per_s": accepted / elapsed if elapsed else 0.0,
        "non_202": sum(v for k, v in statuses.items() if k != "202") + int(measured["errors"]),
        "environments_warm_before": warm,
        "environments_after_accept": after_accept,
        "environments_after_drain": after_drain,
        "drain_s": drain_s,
        "background_failures_logged": _count_in_log(ctx.lambent, "asynchronous invocation") - failures_before,
    }


# -- 8: warm and cold per runtime ---------------------------------------------------------------


@dataclass(frozen=True)
class RuntimeCase:
    """One runtime's no-op function, for line 8."""

    key: str
    label: str
    runtime: str
    handler: str
    files: Callable[[], harness.Files]
    #: Host programs the function runs (beyond what lambent's runtime discovery checks).
    programs: tuple[str, ...] = ()
    #: Distributions of this venv the package is made of.
    distributions: tuple[str, ...] = ()
    #: Needs bash as /bin/sh (AWS's tutorial uses ``source`` and ``pipefail``): the namespaces
    #: sandbox gives it, as Amazon Linux does; the process sandbox runs the host's /bin/sh.
    needs_bash: bool = False


def runtime_cases(ctx: Context) -> list[RuntimeCase]:
    """The built-in Python runtime first (the reference), then the runtimes over the Runtime API."""
    return [
        RuntimeCase("python", f"{ctx.runtime} built-in", ctx.runtime, "app.handler", lambda: {"app.py": harness.NOOP_HANDLER}),
        RuntimeCase(
            "awslambdaric",
            "awslambdaric (provided.al2023, python3.11)",
            "provided.al2023",
            "app.handler",
            harness.awslambdaric_package,
            programs=("/usr/bin/python3.11",),
            distributions=harness.RIC_DISTRIBUTIONS,
        ),
        RuntimeCase("nodejs", "nodejs20.x", "nodejs20.x", "index.handler", lambda: {"index.js": harness.NODE_NOOP}),
        RuntimeCase(
            "bash",
            "AWS bash tutorial (provided.al2023)",
            "provided.al2023",
            "function.handler",
            harness.bash_tutorial_package,
            programs=("curl",),
            needs_bash=True,
        ),
    ]


def _unavailable(case: RuntimeCase, sandbox: str) -> str:
    """Why *case* cannot run on this machine ("" if it can): a skipped row, not a failure."""
    from lambent.runtimes import discover_runtimes

    if case.runtime not in discover_runtimes(os.environ):
        return f"lambent finds no {case.runtime} on this machine"
    missing = [p for p in case.programs if not shutil.which(p)]
    if missing:
        return f"needs {', '.join(missing)} on this machine"
    for distribution in case.distributions:
        try:
            importlib.metadata.distribution(distribution)
        except importlib.metadata.PackageNotFoundError:
            return f"needs {distribution} installed in this venv (the package is built from it)"
    if case.needs_bash and sandbox != "namespaces":
        return f"needs bash as /bin/sh (the namespaces sandbox); this server's sandbox is {sandbox or 'unknown'}"
    return ""


def _runtime_function(key: str) -> str:
    return f"rt-{key}"


def _sandbox(server: Server) -> str:
    with Connection(HOST, server.port) as conn:
        response = conn.request("GET", "/lambent/health")
    return str(json.loads(response.body).get("sandbox", "")) if response.status == 200 else ""


def _describe(response: Response) -> str:
    log = base64.b64decode(response.headers.get("x-amz-log-result", "")).decode(errors="replace")
    return f"{response.status} {response.headers.get('x-amz-function-error', '')}: {response.body[:200]!r} log: {log[-300:]!r}"


def _runtime_cold(conn: Connection, ctx: Context, plan: Plan, name: str, generation: str) -> dict[str, Any]:
    path = harness.invoke_path(name)
    request = build_request("POST", f"{HOST}:{ctx.lambent.port}", path, BODY, {"X-Amz-Log-Type": "Tail"})
    samples: list[float] = []
    init_ms: list[float] = []
    errors = 0
    stop_at = time.monotonic() + plan.runtimes_phase_max_s
    for i in range(plan.runtimes_cold_n):
        if i and time.monotonic() > stop_at:
            break
        harness.update_environment(conn, name, {"BENCH_GENERATION": f"{generation}-{i}"})
        started = time.perf_counter()
        response = conn.send_raw(request)
        samples.append(time.perf_counter() - started)
        if not ok(response):
            if i == 0:  # a runtime that does not answer at all is a failure, not a figure
                raise harness.BenchError(f"first invoke of {name} failed: {_describe(response)}")
            errors += 1
        log = base64.b64decode(response.headers.get("x-amz-log-result", "")).decode(errors="replace")
        match = _INIT_DURATION.search(log)
        if match:
            init_ms.append(float(match.group(1)))
    return {
        "cold": {**summary_ms(samples), "errors": errors, "samples": len(samples)},
        "init_duration": {"p50_ms": percentile(init_ms, 50), "p99_ms": percentile(init_ms, 99), "reported": len(init_ms)},
    }


def _runtime_warm(ctx: Context, plan: Plan, name: str) -> dict[str, Any]:
    """Like line 1 (one keep-alive connection), with line 8's counts and time cap."""
    server = ctx.lambent
    with Connection(HOST, server.port) as conn:
        request = build_request("POST", f"{HOST}:{server.port}", harness.invoke_path(name), BODY)
        errors = 0
        stop_at = time.monotonic() + plan.runtimes_phase_max_s / 4
        for _ in range(plan.runtimes_warmup):
            errors += not ok(conn.send_raw(request))
            if time.monotonic() > stop_at:
                break
        samples: list[float] = []
        cpu_before = harness.cpu_seconds(server.pid)
        clock = time.perf_counter
        stop_at = time.monotonic() + plan.runtimes_phase_max_s
        for _ in range(plan.runtimes_warm_count):
            started = clock()
            response = conn.send_raw(request)
            samples.append(clock() - started)
            errors += not ok(response)
            if started > stop_at:
                break
        cpu = harness.cpu_seconds(server.pid) - cpu_before
    return {**summary_ms(samples), "cpu_s_per_1000": cpu / len(samples) * 1000, "errors": errors, "samples": len(samples)}


def runtimes(ctx: Context, plan: Plan, round_no: int) -> dict[str, Any]:
    """Line 8: for each runtime, cold starts (as line 3) then warm invokes (as line 1), same round.

    One runtime that breaks is recorded as its error (and skipped in later rounds); the others
    are still measured. Afterwards its idle environment is retired, so it does not linger.
    """
    cases = runtime_cases(ctx)
    sandbox = _sandbox(ctx.lambent)
    if round_no % 2:  # alternate the order, so drift hits all
        cases.reverse()
    result: dict[str, Any] = {}
    for case in cases:
        entry: dict[str, Any] = {"label": case.label}
        result[case.key] = entry
        skipped = _unavailable(case, sandbox)
        if skipped:
            entry["skipped"] = skipped
            continue
        if case.key in ctx.runtimes_broken:
            entry["error"] = ctx.runtimes_broken[case.key]
            continue
        name = _runtime_function(case.key)
        try:
            with Connection(HOST, ctx.lambent.port) as conn:
                if case.key not in ctx.runtimes_deployed:
                    harness.create_function(conn, name, case.runtime, case.files(), timeout_s=10, handler=case.handler)
                    ctx.runtimes_deployed.add(case.key)
                entry.update(_runtime_cold(conn, ctx, plan, name, f"r{round_no}"))
            entry["warm"] = _runtime_warm(ctx, plan, name)
            with Connection(HOST, ctx.lambent.port) as conn:
                harness.update_environment(conn, name, {"BENCH_GENERATION": f"r{round_no}-done"})
        except Exception as exc:
            ctx.runtimes_broken[case.key] = entry["error"] = f"{type(exc).__name__}: {exc}"[:400]
            sys.stderr.write(traceback.format_exc())
        harness.wait_quiet(ctx.lambent.pid, 10.0)
    return result


def sigv4_verify(_ctx: Context, plan: Plan, _round_no: int) -> dict[str, Any]:
    """Line 9: µs per SigV4 verification of a boto3 Invoke (warm key cache), in this process."""
    import sigv4

    return sigv4.measure(plan.sigv4_count)


MEASURES: list[tuple[str, Callable[[Context, Plan, int], dict[str, Any]]]] = [
    ("warm", warm_latency),
    ("throughput", throughput),
    ("cold", cold_start),
    ("burst", burst),
    ("density", density),
    ("async", async_accept),
    ("runtimes", runtimes),
    ("sigv4", sigv4_verify),
    ("auth", signed_vs_unsigned),
    ("url", url_vs_invoke),
    ("http_api", http_api_vs_invoke),
    ("stream", streaming.first_chunk),
    ("events_put", eventbridge.put_throughput),
    ("events_match", eventbridge.match_cost),
    ("events_delivery", eventbridge.delivery_latency),
    ("schedules", schedules.lateness),
    ("sqs_throughput", sqs.throughput),
    ("sqs_latency", sqs.latency),
    ("redis_throughput", redis_streams.throughput),
    ("kinesis", kinesis.delivery_latency),
]
