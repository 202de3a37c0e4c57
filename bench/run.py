"""Lambent's benchmark suite: ``python bench/run.py [--quick|--full] [--json PATH]``.

Starts its own lambent server and bare-ASGI baseline (fresh temp data dir, 127.0.0.1, free
ports), runs each measurement for a number of rounds, and prints a Markdown table of medians
over rounds beside their baselines and targets; the full record goes to a JSON file. It never
asserts a timing: a missed target is a "no" in the table, a failed measurement is a row that
says why. See bench/README.md for what each line means.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import eventbridge
import handler_clock
import harness
import kinesis
import loadgen
import measures
import sqs
import streaming
from httpclient import Connection

RESULTS_DIR = harness.BENCH_DIR / "results"


def pick_runtime() -> tuple[str, str]:
    """python3.12 if lambent finds it, else the newest pythonX.Y it finds: (name, real binary)."""
    from lambent.runtimes import discover_python

    found = discover_python(os.environ)
    if not found:
        raise harness.BenchError("lambent finds no Python runtime on this machine")
    name = "python3.12" if "python3.12" in found else max(found, key=lambda n: int(n.split(".")[1]))
    return name, found[name].executable


# -- medians over rounds ----------------------------------------------------------------------------


#: Counts of things that went wrong are summed over rounds, not medianed: one bad round shows.
SUMMED = {
    "errors",
    "non_2xx",
    "non_200",
    "non_202",
    "function_errors",
    "connection_errors",
    "failed_invokes",
    "background_failures_logged",
    "refused",
    "lost",
    "duplicates",
}


def median_tree(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The per-key median of nested dicts of numbers (NaN and missing values skipped; SUMMED keys summed)."""
    merged: dict[str, Any] = {}
    keys = {k for r in rounds for k in r}
    for key in sorted(keys):
        values = [r[key] for r in rounds if key in r]
        if all(isinstance(v, dict) for v in values):
            merged[key] = median_tree(values)
        elif all(isinstance(v, str) for v in values):
            merged[key] = next((v for v in values if v), "")  # e.g. the first error sample
        else:
            numbers = [v for v in values if isinstance(v, int | float) and not math.isnan(v)]
            if key in SUMMED:
                merged[key] = sum(numbers)
            else:
                merged[key] = statistics.median(numbers) if numbers else math.nan
    return merged


# -- the table ----------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else (f"{value:.3f} ms" if value < 1 else f"{value:.1f} ms")


def _ratio(a: float, b: float) -> float:
    return a / b if b and not (math.isnan(a) or math.isnan(b)) else math.nan


def _x(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}x"


def _met(ok: bool, value: float) -> str:
    return "n/a" if math.isnan(value) else ("yes" if ok else "**no**")


def build_rows(med: dict[str, Any], failures: dict[str, str], plan: measures.Plan) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []

    def row(
        key: str, what: str, lambent: str, baseline: str = "", ratio: str = "", target: str = "", met: str = "", notes: str = ""
    ) -> None:
        rows.append(
            {
                "id": key,
                "measurement": what,
                "lambent": lambent,
                "baseline": baseline,
                "ratio": ratio,
                "target": target,
                "met": met,
                "notes": notes,
            }
        )

    def failed(key: str, what: str) -> bool:
        if key in failures:
            row(key, what, "FAILED", notes=failures[key].splitlines()[-1][:120])
            return True
        return key not in med

    def get_vs_invoke(key: str, what: str, get: dict[str, Any]) -> None:
        """Lines 11 and 13: a GET's p50 against the Invoke measured beside it (target 1.3x)."""
        invoke = med[key]["invoke"]
        r = _ratio(get["p50_ms"], invoke["p50_ms"])
        row(
            key,
            what,
            _ms(get["p50_ms"]),
            f"Invoke {_ms(invoke['p50_ms'])}",
            _x(r),
            "≤ 1.3x",
            _met(r <= 1.3, r),
            f"p99 {_ms(get['p99_ms'])} vs {_ms(invoke['p99_ms'])}; errors {get['errors']:.0f}/{invoke['errors']:.0f}",
        )

    if not failed("warm", "1. warm invoke, 1 connection"):
        lam, bare = med["warm"]["lambent"], med["warm"]["bare"]
        r50 = _ratio(lam["p50_ms"], bare["p50_ms"])
        row(
            "warm",
            "1. warm invoke p50, 1 keep-alive connection",
            _ms(lam["p50_ms"]),
            f"bare ASGI {_ms(bare['p50_ms'])}",
            _x(r50),
            "≤ 2x (M1-1: ≤ 3x)",
            f"{_met(r50 <= 2, r50)} (M1-1: {_met(r50 <= 3, r50)})",
            f"errors {lam['errors']:.0f}/{bare['errors']:.0f}",
        )
        r99 = _ratio(lam["p99_ms"], bare["p99_ms"])
        row(
            "warm", "1. warm invoke p99, 1 keep-alive connection", _ms(lam["p99_ms"]), f"bare ASGI {_ms(bare['p99_ms'])}", _x(r99)
        )
    if not failed("auth", "10. warm invoke, SigV4 verified vs auth off"):
        signed, unsigned = med["auth"]["signed"], med["auth"]["unsigned"]
        r = _ratio(signed["p50_ms"], unsigned["p50_ms"])
        row(
            "auth",
            "10. warm invoke p50, SigV4 verified (default) vs LAMBENT_AUTH=off",
            _ms(signed["p50_ms"]),
            f"auth off {_ms(unsigned['p50_ms'])}",
            _x(r),
            "≤ 1.05x",
            _met(r <= 1.05, r),
            f"p99 {_ms(signed['p99_ms'])} vs {_ms(unsigned['p99_ms'])}; errors {signed['errors']:.0f}/{unsigned['errors']:.0f}",
        )
    if not failed("url", "11. function URL vs Invoke"):
        get_vs_invoke("url", "11. function URL GET p50 (host form, NONE) vs Invoke, 1 connection", med["url"]["url"])
        url_rps, invoke_rps = med["url"]["url_rps"], med["url"]["invoke_rps"]
        r = _ratio(url_rps["rps"], invoke_rps["rps"])
        row(
            "url",
            f"12. function URL throughput (path form, POST) vs Invoke, c={url_rps['connections']:.0f}",
            f"{url_rps['rps']:.0f} rps",
            f"Invoke {invoke_rps['rps']:.0f} rps",
            _x(r),
            "≥ 0.8x",
            _met(r >= 0.8, r),
            f"non-2xx {url_rps['non_2xx']:.0f}/{invoke_rps['non_2xx']:.0f}",
        )
    if not failed("http_api", "13. HTTP API vs Invoke"):
        get_vs_invoke(
            "http_api", "13. HTTP API GET p50 (host form, $default, payload 2.0) vs Invoke, 1 connection", med["http_api"]["api"]
        )
    if not failed("stream", "14. streamed first chunk"):
        invoke = med["stream"]["invoke"]
        for prefix, what in (
            ("", "InvokeWithResponseStream's first PayloadChunk"),
            ("url_", "a RESPONSE_STREAM URL's first body bytes"),
        ):
            stream, ttfb = med["stream"][f"{prefix}write_to_client"], med["stream"][f"{prefix}ttfb"]
            row(
                "stream",
                f"14. streamed response: handler's first write to {what}, p50",
                _ms(stream["p50_ms"]),
                f"TTFB {_ms(ttfb['p50_ms'])}; Invoke {_ms(invoke['p50_ms'])}",
                _x(_ratio(ttfb["p50_ms"], invoke["p50_ms"])) + " (TTFB/Invoke)",
                "≤ 5 ms",
                _met(stream["p50_ms"] <= 5, stream["p50_ms"] / 5),
                f"p99 {_ms(stream['p99_ms'])}; errors {med['stream']['errors']:.0f}",
            )
    if not failed("throughput", "2. throughput"):
        thr = med["throughput"]
        for c in plan.connections:
            lam, bare = thr[f"lambent_c{c}"], thr[f"bare_c{c}"]
            r = _ratio(lam["rps"], bare["rps"])
            row(
                "throughput",
                f"2. throughput, {c} connections",
                f"{lam['rps']:,.0f}/s",
                f"bare ASGI {bare['rps']:,.0f}/s",
                _x(r),
                "≥ 0.5x",
                _met(r >= 0.5, r),
                f"non-2xx {lam['non_2xx']:.0f}/{bare['non_2xx']:.0f}, socket errors {lam['errors']:.0f}/{bare['errors']:.0f}",
            )
    if not failed("cold", "3. cold start"):
        cold = med["cold"]
        lam, init, plain, iso = cold["lambent"], cold["init_duration"], cold["python_c_pass"], cold["python_I_S_c_pass"]
        for p, limit in (("p50", 10.0), ("p99", 30.0)):
            value = lam[f"{p}_ms"]
            row(
                "cold",
                f"3. cold start {p}, end to end (invoke after UpdateFunctionConfiguration)",
                _ms(value),
                f"`-c pass` {_ms(plain[f'{p}_ms'])}; `-I -S -c pass` {_ms(iso[f'{p}_ms'])}",
                _x(_ratio(value, iso[f"{p}_ms"])) + " of -I -S",
                f"≤ {limit:.0f} ms",
                _met(value <= limit, value),
                f"errors {lam['errors']:.0f} of {lam['samples']:.0f}" if p == "p50" else "",
            )
        for p in ("p50", "p99"):
            row(
                "cold",
                f"3. Init Duration {p} (REPORT line)",
                _ms(init[f"{p}_ms"]),
                notes=(f"reported in {init['reported']:.0f} of {lam['samples']:.0f} REPORT lines" if p == "p50" else ""),
            )
    if not failed("burst", "4. burst from zero"):
        for n in plan.burst_sizes:
            b = med["burst"][f"n{n}"]
            row(
                "burst",
                f"4. burst 0 → {n} callers (handler sleeps 100 ms)",
                f"first {_ms(b['first_ms'])}, last {_ms(b['last_ms'])}",
                notes=(
                    f"p50 {_ms(b['p50_ms'])}; non-200 {b['non_200']:.0f}, function errors {b['function_errors']:.0f}, "
                    f"connection errors {b['connection_errors']:.0f}; {b['environments']:.0f} environments"
                    + (f"; first error: {b['error_sample'][:100]}" if b["error_sample"] else "")
                ),
            )
        n = max(plan.burst_sizes)
        b = med["burst"][f"n{n}"]
        rate = b["environments"] / max(1e-3, (b["last_ms"] - 100) / 1000)
        row(
            "burst",
            f"4. sandbox creations per second (burst of {n}: environments made / time to the last answer less its 100 ms)",
            f"{rate:,.0f}/s",
            target="≥ 200/s",
            met=_met(rate >= 200, rate),
            notes="each with namespaces, cgroups, an ext4 /tmp and (a route out being the default) a slirp4netns stack",
        )
    if not failed("density", "5. density"):
        d = med["density"]
        uss = d["uss_mb_per_env"]
        stack = d.get("stack_uss_mb", 0.0)
        row(
            "density",
            "5. idle warm environment, private memory (USS), with its network stack",
            f"{uss + stack:.2f} MB",
            ratio="",
            target="≤ 2 MB",
            met=_met(uss + stack <= 2, uss + stack),
            notes=(
                f"environment {uss:.2f} MB + network stack {stack:.2f} MB ({d.get('stacks', 0):.0f} stacks seen); "
                f"{d['fit_in_2gb']:.0f} fit in 2 GB; {d['environments']:.0f} of {plan.density_k} environments found "
                f"({d['processes_per_env']:.1f} processes each); failed invokes {d['failed_invokes']:.0f}; "
                f"PSS {d['pss_mb_per_env']:.1f} MB, RSS {d['rss_mb_per_env']:.1f} MB; server USS {d['server_uss_mb']:.0f} MB"
            ),
        )
    if not failed("async", "6. async accept"):
        a = med["async"]
        rate = a["accept_per_s"]
        stopped = (
            f"stopped at {plan.async_max_s:.0f} s cap after {a['sent']:.0f} of {a['planned']:.0f}; "
            if (a["sent"] < a["planned"])
            else ""
        )
        row(
            "async",
            f"6. async (Event) accept rate, {plan.async_connections} connections",
            f"{rate:,.0f}/s",
            target="≥ 5,000/s",
            met=_met(rate >= 5000, rate),
            notes=(
                f"202 once committed to the durable queue (SQLite, accepts batched per transaction); {stopped}"
                f"non-202 {a['non_202']:.0f}; environments {a['environments_warm_before']:.0f} warm before → "
                f"{a['environments_after_accept']:.0f} after; drained {a['drain_s']:.1f} s later; "
                f"background failures logged {a['background_failures_logged']:.0f}"
            ),
        )
    if "warm" in med and "warm" not in failures:
        lam, bare = med["warm"]["lambent"], med["warm"]["bare"]
        row(
            "cpu",
            "7. server CPU per 1,000 warm invokes (1 connection, children excluded)",
            f"{lam['cpu_s_per_1000']:.3f} s",
            f"bare ASGI {bare['cpu_s_per_1000']:.3f} s",
            _x(_ratio(lam["cpu_s_per_1000"], bare["cpu_s_per_1000"])),
        )
    if not failed("runtimes", "8. warm and cold per runtime"):
        runtime_rows(med["runtimes"], row)
    if not failed("sigv4", "9. SigV4 verification"):
        s = med["sigv4"]
        us = s["verify_us"]
        row(
            "sigv4",
            "9. SigV4 verification per request, warm key cache (a boto3 Invoke, in process)",
            f"{us:.1f} µs",
            f"parse only {s['parse_us']:.2f} µs",
            _x(_ratio(us, s["parse_us"])),
            "≤ 30 µs",
            _met(us <= 30, us),
            f"botocore signing the same request {s['botocore_sign_us']:.1f} µs; signed headers {s['signed_headers']}; "
            f"median of 5 batches of {s['count']:,.0f}",
        )
    event_rows(med, failed, row)
    return rows


def event_rows(med: dict[str, Any], failed: Callable[[str, str], bool], row: Callable[..., None]) -> None:
    """Lines 15 (EventBridge), 16 (Scheduler), 17 (SQS) and 18 (Kinesis)."""
    if not failed("events_put", "15. PutEvents throughput"):
        e = med["events_put"]
        put, empty, describe = e["put_events"], e["put_events_no_rules"], e["describe_bus"]
        per_call = e["entries_per_call"]
        entries = put["rps"] * per_call
        row(
            "events_put",
            f"15. PutEvents, {per_call:.0f} entries per call, 100 rules on the bus (1 matches, no target), "
            f"c={e['connections']:.0f}",
            f"{entries:,.0f} entries/s ({put['rps']:,.0f} calls/s)",
            f"DescribeEventBus {describe['rps']:,.0f} calls/s",
            _x(_ratio(put["rps"], describe["rps"])) + " (calls)",
            "≥ 5,000 entries/s",
            _met(entries >= 5000, entries),
            f"same PutEvents on a bus with no rules {empty['rps'] * per_call:,.0f} entries/s; "
            f"non-2xx {put['non_2xx']:.0f}/{empty['non_2xx']:.0f}/{describe['non_2xx']:.0f}, "
            f"socket errors {put['errors']:.0f}/{empty['errors']:.0f}/{describe['errors']:.0f}",
        )
    if not failed("events_match", "15. rule matching cost"):
        m = med["events_match"]
        us = m["pattern_us"]
        row(
            "events_match",
            f"15. event-pattern matching per rule per event ({m['rules']:.0f} compiled rule patterns, in process)",
            f"{us:.2f} µs",
            f"dict-lookup call {m['lookup_us']:.3f} µs",
            _x(_ratio(us, m["lookup_us"])),
            "≤ 5 µs",
            _met(us <= 5, us),
            f"EventBusService.matching (PutEvents' own loop) {m['service_us']:.2f} µs per rule per event; "
            f"{m['events']:.0f} events x {m['passes']:.0f} passes, median of 5 batches",
        )
    if not failed("events_delivery", "15. PutEvents to handler start"):
        d = med["events_delivery"]
        put, invoke = d["put_events"], d["invoke"]
        row(
            "events_delivery",
            "15. PutEvents (1 entry, rule → Lambda) to handler start, p50",
            _ms(put["p50_ms"]),
            f"async Invoke {_ms(invoke['p50_ms'])}",
            _x(_ratio(put["p50_ms"], invoke["p50_ms"])),
            "≤ 20 ms",
            _met(put["p50_ms"] <= 20, put["p50_ms"]),
            f"p99 {_ms(put['p99_ms'])} vs {_ms(invoke['p99_ms'])}; {d['samples']:.0f} each; "
            f"refused {d['refused']:.0f}, never started {put['lost']:.0f}/{invoke['lost']:.0f}",
        )
    if not failed("sqs_throughput", "17a. SQS mapping throughput"):
        t = med["sqs_throughput"]
        row(
            "sqs_throughput",
            "17a. SQS → function, BatchSize 10: messages/s end to end (invoked and deleted)",
            f"{t['esm_per_s']:.0f}/s",
            f"plain consumers drain {t['drain_per_s']:.0f}/s",
            _x(_ratio(t["esm_per_s"], t["drain_per_s"])),
            "≥ 2,000/s",
            _met(t["esm_per_s"] >= 2000, t["esm_per_s"]),
            f"{t['messages']:.0f} messages, moto's SQS server; left {t['left']:.0f}",
        )
    if not failed("sqs_latency", "17b. SQS new message to handler start"):
        s17 = med["sqs_latency"]
        message, invoke = s17["message"], s17["invoke"]
        row(
            "sqs_latency",
            "17b. SQS new message (idle queue, long polling) to handler start, p50 / p99",
            f"{_ms(message['p50_ms'])} / {_ms(message['p99_ms'])}",
            f"async Invoke → start {_ms(invoke['p50_ms'])}",
            _x(_ratio(message["p50_ms"], invoke["p50_ms"])),
            "p50 ≤ 50 ms",
            _met(message["p50_ms"] <= 50, message["p50_ms"]),
            f"{s17['samples']:.0f} messages; never started {message['lost']:.0f}/{invoke['lost']:.0f}",
        )
    if not failed("kinesis", "18. Kinesis PutRecords to handler start"):
        kinesis_rows(med["kinesis"], row)
    if not failed("redis_throughput", "19. Redis Streams mapping throughput"):
        r19 = med["redis_throughput"]
        if "esm_per_s" in r19:
            row(
                "redis_throughput",
                "19. Redis Streams → function, BatchSize 10: entries/s end to end (invoked and acknowledged)",
                f"{r19['esm_per_s']:.0f}/s",
                f"plain consumer drains {r19['plain_per_s']:.0f}/s",
                _x(_ratio(r19["esm_per_s"], r19["plain_per_s"])),
                "≥ 2,000/s (the issue's SQS figure, on a server that is not the limit)",
                _met(r19["esm_per_s"] >= 2000, r19["esm_per_s"]),
                f"{r19['messages']:.0f} entries; left {r19['left']:.0f}",
            )
    if not failed("schedules", "16. schedule lateness"):
        s = med["schedules"]
        late, invoke = s["schedule"], s["invoke"]
        for p in ("p99", "p50"):
            row(
                "schedules",
                f"16. scheduled invocation (at(), whole seconds) start minus slot, {p}",
                _ms(late[f"{p}_ms"]),
                f"async Invoke → start {_ms(invoke[f'{p}_ms'])}",
                _x(_ratio(late[f"{p}_ms"], invoke[f"{p}_ms"])),
                "p99 ≤ 1 s" if p == "p99" else "",
                _met(late["p99_ms"] <= 1000, late["p99_ms"]) if p == "p99" else "",
                (
                    f"{s['samples']:.0f} schedules; earliest {_ms(late['min_ms'])}; never started {late['lost']:.0f}/"
                    f"{invoke['lost']:.0f}; refused invokes {s['refused']:.0f}"
                    if p == "p99"
                    else ""
                ),
            )


def kinesis_rows(k: dict[str, Any], row: Callable[..., None]) -> None:
    """Line 18: records at 1,000/s through a Kinesis mapping, against the raw GetRecords round trip."""
    if k.get("skipped"):
        row("kinesis", "18. Kinesis PutRecords to handler start", "skipped", notes=k["skipped"])
        return
    delivery, age, gets = k["delivery"], k["iterator_age"], k["get_records"]
    for p in ("p50", "p99"):
        row(
            "kinesis",
            f"18. Kinesis, {kinesis.RATE:,} records/s into {kinesis.SHARDS} shards: PutRecords to handler start, {p}",
            _ms(delivery[f"{p}_ms"]),
            f"GetRecords round trip {_ms(gets[f'{p}_ms'])}",
            _x(_ratio(delivery[f"{p}_ms"], gets[f"{p}_ms"])),
            "iterator age p99 ≤ 1 s" if p == "p99" else "",
            _met(age["p99_ms"] <= 1000, age["p99_ms"]) if p == "p99" else "",
            notes=(
                f"arrival to handler start (the iterator age the function sees) {_ms(age['p50_ms'])} / {_ms(age['p99_ms'])}; "
                f"{k['sent']:.0f} records at {k['rate']:,.0f}/s in {k['invocations']:.0f} invocations; "
                f"never delivered {delivery['lost']:.0f}, delivered twice {k['duplicates']:.0f}; "
                "an idle shard is polled every 250 ms"
                if p == "p50"
                else ""
            ),
        )


#: Line 8's runtimes in table order; the first is the reference for the ratios.
RUNTIME_KEYS = ("python", "awslambdaric", "nodejs", "bash")
#: The issue's target: warm invoke through the Runtime API with awslambdaric within 1.5x of the
#: built-in Python runtime (p50, same run).
RIC_WARM_TARGET = 1.5


def runtime_rows(rt: dict[str, Any], row: Callable[..., None]) -> None:
    """Line 8: a warm row for each runtime (ratios against the built-in Python), then a cold row for each."""
    keys = [k for k in RUNTIME_KEYS if k in rt] + sorted(set(rt) - set(RUNTIME_KEYS))
    ref = rt.get("python", {}).get("warm", {})
    ref_label = rt.get("python", {}).get("label", "built-in")
    ok = [k for k in keys if "warm" in rt[k] or "cold" in rt[k]]
    for key in keys:
        r = rt[key]
        if r.get("error"):
            row("runtimes", f"8. {r['label']}", "FAILED", notes=r["error"].splitlines()[-1][:200])
        elif r.get("skipped") and key not in ok:
            row("runtimes", f"8. {r['label']}", "skipped", notes=r["skipped"])
    for key in ok:
        r = rt[key]
        warm = r.get("warm")
        if not warm:
            continue
        r50 = _ratio(warm["p50_ms"], ref.get("p50_ms", math.nan))
        r99 = _ratio(warm["p99_ms"], ref.get("p99_ms", math.nan))
        is_ref, is_ric = key == "python", key == "awslambdaric"
        row(
            "runtimes",
            f"8. warm invoke p50 / p99, 1 connection: {r['label']}",
            f"{_ms(warm['p50_ms'])} / {_ms(warm['p99_ms'])}",
            "" if is_ref else f"{ref_label} {_ms(ref.get('p50_ms', math.nan))} / {_ms(ref.get('p99_ms', math.nan))}",
            "" if is_ref else f"{_x(r50)} / {_x(r99)}",
            f"p50 ≤ {RIC_WARM_TARGET}x built-in" if is_ric else "",
            _met(r50 <= RIC_WARM_TARGET, r50) if is_ric else "",
            f"{warm['samples']:.0f} invokes, errors {warm['errors']:.0f}; server CPU {warm['cpu_s_per_1000']:.3f} s per 1,000",
        )
    for key in ok:
        r = rt[key]
        cold, init = r.get("cold"), r.get("init_duration")
        if not cold or not init:
            continue
        row(
            "runtimes",
            f"8. cold start p50 / p99 (invoke after UpdateFunctionConfiguration): {r['label']}",
            f"{_ms(cold['p50_ms'])} / {_ms(cold['p99_ms'])}",
            notes=(
                f"Init Duration p50 {_ms(init['p50_ms'])} / p99 {_ms(init['p99_ms'])} "
                f"(in {init['reported']:.0f} of {cold['samples']:.0f} REPORT lines); errors {cold['errors']:.0f} "
                f"of {cold['samples']:.0f}"
            ),
        )


def markdown(rows: list[dict[str, str]]) -> str:
    columns = ["measurement", "lambent", "baseline", "ratio", "target", "met", "notes"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(r[c].replace("|", "/").replace("\n", " ") for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def machine_line(machine: dict[str, Any]) -> str:
    return (
        f"machine: {machine['cores']} cores ({machine['usable_cores']} usable), {machine['cpu_model']}, "
        f"kernel {machine['kernel']}, python {machine['python']} (runtime {machine['runtime']} = "
        f"{machine['runtime_executable']}), {machine['date']}, loadavg {machine['loadavg_at_start']}, "
        f"lambent {machine['lambent_commit']} ({machine['lambent_package']})"
    )


def report(record: dict[str, Any], rows: list[dict[str, str]], json_path: Path) -> str:
    return "\n".join(
        [
            f"## lambent benchmark ({record['mode']}, {record['rounds_run']} round(s), medians; error counts summed)\n",
            machine_line(record["machine"]) + "\n",
            f"load generator: {record['load_generator']}; elapsed {record['elapsed_s']:.0f} s",
            f"JSON: {json_path}; server log: {json_path.with_suffix('.lambent.log')}\n",
            markdown(rows),
        ]
    )


def _clean(value: Any) -> Any:
    """JSON has no NaN: turn it into null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


# -- main ---------------------------------------------------------------------------------------


def _terminate(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # so the finally blocks stop the servers


def run(plan: measures.Plan, only: set[str], use_wrk: bool, log_copy: Path) -> dict[str, Any]:
    runtime, executable = pick_runtime()
    machine = harness.machine(runtime, executable)
    import lambent  # the package the server will run (PYTHONPATH can point elsewhere)

    package = Path(lambent.__file__).resolve().parent
    machine["lambent_package"] = str(package)
    if not package.is_relative_to(harness.PROJECT_DIR):
        machine["lambent_commit"] = "not this checkout"
    rounds: dict[str, list[dict[str, Any]]] = {}
    failures: dict[str, str] = {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lambent-bench-", ignore_cleanup_errors=True) as tmp:
        work = Path(tmp)
        (work / "unsigned").mkdir()
        with (
            harness.moto_server(work) as moto,
            kinesis.kinesalite(work) as kinesis_endpoint,
            harness.lambent_server(
                work,
                idle_timeout_s=3600,
                env={
                    "LAMBENT_SQS_ENDPOINT_URL": f"http://127.0.0.1:{moto.port}",
                    **({"LAMBENT_KINESIS_ENDPOINT_URL": kinesis_endpoint} if kinesis_endpoint else {}),
                },
            ) as lambent,
            harness.lambent_server(work / "unsigned", idle_timeout_s=3600, auth=False) as unsigned,
            harness.bare_server(work) as bare,
        ):
            with Connection("127.0.0.1", lambent.port) as conn:
                harness.create_function(conn, "noop", runtime, harness.NOOP_HANDLER)
                harness.create_function(conn, "cold", runtime, harness.NOOP_HANDLER)
                url_id = harness.public_url(conn, "noop")
                api_id = harness.public_http_api(conn, "noop")
                harness.create_function(conn, "stream", runtime, streaming.STREAM_HANDLER)
                stream_url_id = harness.public_url(conn, "stream", invoke_mode="RESPONSE_STREAM")
                harness.create_function(conn, handler_clock.FUNCTION, runtime, handler_clock.CLOCK_HANDLER)
                harness.create_function(conn, sqs.SQS_CLOCK_FUNCTION, runtime, sqs.SQS_CLOCK)
                harness.create_function(conn, kinesis.FUNCTION, runtime, kinesis.CLOCK_HANDLER)
                eventbridge.setup(conn)
            with Connection("127.0.0.1", unsigned.port) as conn:
                harness.create_function(conn, "noop", runtime, harness.NOOP_HANDLER)
            ctx = measures.Context(
                lambent=lambent,
                bare=bare,
                unsigned=unsigned,
                runtime=runtime,
                runtime_executable=executable,
                use_wrk=use_wrk,
                url_id=url_id,
                api_id=api_id,
                stream_url_id=stream_url_id,
                sqs_endpoint=f"http://127.0.0.1:{moto.port}",
                work_dir=work,
                kinesis_endpoint=kinesis_endpoint,
            )
            for round_no in range(plan.runs):
                for key, measure in measures.MEASURES:
                    if (only and key not in only) or key in failures:
                        continue
                    sys.stderr.write(f"[{time.monotonic() - started:6.1f} s] round {round_no + 1}/{plan.runs}: {key}\n")
                    try:
                        rounds.setdefault(key, []).append(measure(ctx, plan, round_no))
                    except Exception:
                        failures[key] = traceback.format_exc() + "\n--- lambent log tail ---\n" + lambent.log_tail()
                        sys.stderr.write(failures[key] + "\n")
                    harness.wait_quiet(lambent.pid, 30.0)
        log_copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(work / "lambent.log", log_copy)  # the server's own log, for whoever reads the numbers
    medians = {key: median_tree(values) for key, values in rounds.items()}
    rows = build_rows(medians, failures, plan)
    return {
        "machine": machine,
        "mode": plan.mode,
        "plan": dataclasses.asdict(plan),
        "rounds_run": plan.runs,
        "load_generator": loadgen.generator_name(use_wrk),
        "elapsed_s": time.monotonic() - started,
        "rounds": rounds,
        "medians": medians,
        "failures": failures,
        "rows": rows,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_const", const="quick", dest="mode", help="< 90 s, one round (default)")
    mode.add_argument("--full", action="store_const", const="full", dest="mode", help="~12 min, five rounds")
    parser.add_argument("--json", type=Path, default=RESULTS_DIR / "latest.json", help="where the JSON record goes")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=[k for k, _ in measures.MEASURES],
        help="run only this measurement (repeatable)",
    )
    parser.add_argument("--no-wrk", action="store_true", help="use the asyncio load generator even if wrk exists")
    parser.add_argument("--rounds", type=int, help="override the mode's number of rounds")
    parser.add_argument("--render", type=Path, help="print the table of an earlier JSON record; run nothing")
    args = parser.parse_args()
    if args.render:
        record = json.loads(args.render.read_text())
        plan = measures.Plan(**{k: tuple(v) if isinstance(v, list) else v for k, v in record["plan"].items()})
        medians = {key: median_tree(values) for key, values in record["rounds"].items()}
        print(report(record, build_rows(medians, record["failures"], plan), args.render))
        return 0
    plan = measures.PLANS[args.mode or "quick"]
    if args.rounds:
        plan = dataclasses.replace(plan, runs=args.rounds)
    signal.signal(signal.SIGTERM, _terminate)
    log_copy = args.json.with_suffix(".lambent.log")
    record = run(plan, set(args.only), use_wrk=not args.no_wrk, log_copy=log_copy)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(_clean(record), indent=2) + "\n")
    print(report(record, record["rows"], args.json))
    broken = any(r["lambent"] == "FAILED" for r in record["rows"])  # also one runtime of line 8
    return 1 if record["failures"] or broken else 0


if __name__ == "__main__":
    sys.exit(main())
