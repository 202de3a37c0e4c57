"""10,000 invocations of mixed outcome with the server SIGKILLed twice: the usage records
reconcile exactly with the REPORT lines (0 unbilled, 0 double-billed)."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from tests.fixtures.server import Server, create
from tests.fixtures.usage import api, reconcile, usage_records

MIXED = """
import os, time

def handler(event, context):
    do = event["do"]
    if do == "error":
        raise ValueError("planned")
    if do == "timeout":
        time.sleep(5)
    if do == "oom":
        hog = b"x" * (600 << 20)
        return len(hog)
    if do == "crash":
        os._exit(3)
    return do
"""
OUTCOMES = {"ok": "success", "error": "error", "timeout": "timeout", "oom": "out_of_memory", "crash": "crash"}
SEEN = {"success": "success", "Sandbox.Timedout": "timeout", "Runtime.OutOfMemory": "out_of_memory", "Runtime.ExitError": "crash"}
PLAN = {"ok": 8_590, "error": 600, "crash": 150, "timeout": 20, "oom": 20, "async-ok": 500, "async-error": 120}


def test_ten_thousand_mixed_invocations_reconcile_after_kills(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", LAMBENT_ASYNC_RETRY_SCALE="0.005").start()
    items = [kind for kind, count in PLAN.items() for _ in range(count)]
    assert len(items) == 10_000
    random.Random(7).shuffle(items)
    lock = threading.Lock()
    next_item = [0]
    answered: list[tuple[str, str, str]] = []  # (kind, request id, outcome the caller saw)
    accepted: list[tuple[str, str]] = []  # (kind, request id) of Event invocations
    lost_calls = [0]
    try:
        create(
            server.client(), "mixed", MIXED, MemorySize=256, Timeout=2
        )  # 2 s: a hog at 14% of a busy core still fills 256 MB first

        def sender() -> None:
            client = server.client(connect_timeout=1)
            while True:
                with lock:
                    if next_item[0] == len(items):
                        return
                    kind = items[next_item[0]]
                    next_item[0] += 1
                payload = json.dumps({"do": kind.removeprefix("async-")})
                if kind.startswith("async-"):
                    while True:  # the same event until the server acknowledges it
                        try:
                            response = client.invoke(FunctionName="mixed", InvocationType="Event", Payload=payload)
                        except (BotoCoreError, ClientError, OSError):
                            time.sleep(0.05)
                            continue
                        with lock:
                            accepted.append((kind, response["ResponseMetadata"]["RequestId"]))
                        break
                    continue
                try:
                    response = client.invoke(FunctionName="mixed", Payload=payload)
                    body = json.loads(response["Payload"].read() or b"null")  # a kill may cut the body off too
                except (BotoCoreError, ClientError, OSError):
                    with lock:  # cut off by a kill: it may or may not have run
                        lost_calls[0] += 1
                    time.sleep(0.05)
                    continue
                seen = body.get("errorType", "") if isinstance(body, dict) else "success"
                with lock:
                    answered.append((kind, response["ResponseMetadata"]["RequestId"], seen))

        threads = [threading.Thread(target=sender) for _ in range(8)]
        for thread in threads:
            thread.start()
        kills = 0
        for fraction in (0.35, 0.7):
            while next_item[0] < fraction * len(items) and any(t.is_alive() for t in threads):
                time.sleep(0.05)
            server.kill_and_restart()
            kills += 1
        for thread in threads:
            thread.join()

        # Let the asynchronous invocations (and their retries) finish.
        failing = {rid for kind, rid in accepted if kind == "async-error"}
        passing = {rid for kind, rid in accepted if kind == "async-ok"}
        deadline = time.monotonic() + 120
        while True:
            records = [r for r in usage_records(server, function="mixed") if r["kind"] == "invoke"]
            events = [r for r in records if r["invocation_type"] == "Event"]
            attempts: dict[str, set[int]] = {}
            for r in events:
                attempts.setdefault(r["request_id"], set()).add(r["attempt"])
            done_ok = all(rid in attempts for rid in passing)
            done_error = all({1, 2, 3} <= attempts.get(rid, set()) for rid in failing)
            if (done_ok and done_error) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert done_ok and done_error, "asynchronous invocations did not finish"

        records = reconcile(server, "mixed")  # 0 unbilled, 0 double-billed
        by_request: dict[str, list[dict[str, Any]]] = {}
        for r in records:
            by_request.setdefault(r["request_id"], []).append(r)
        for kind, rid, seen in answered:
            (record,) = by_request.pop(rid)  # each answered call billed exactly once
            # The record says what the caller saw; a memory hog at 14% of a core may time out first.
            assert record["outcome"] == SEEN.get(seen, "error"), (kind, seen, record)
            assert record["outcome"] in ({"out_of_memory", "timeout"} if kind == "oom" else {OUTCOMES[kind]}), (kind, record)
            assert record["attempt"] == 1 and record["invocation_type"] == "RequestResponse"
        for _kind, rid in accepted:
            ran = by_request.pop(rid)
            assert all(r["invocation_type"] == "Event" for r in ran)
        # What remains ran for calls the kills cut off before they were answered.
        assert len(by_request) <= lost_calls[0]
        _, report = api(server, "GET", "/usage?group_by=function&function=mixed")
        (line,) = report["Usage"]
        assert line["requests"] == len(records)
        assert line["billed_ms"] == sum(r["billed_ms"] for r in records)
        outcomes = Counter(r["outcome"] for r in records)
        assert outcomes["timeout"] >= 1 and outcomes["out_of_memory"] >= 1 and outcomes["crash"] >= 1
        print(
            f"metering reconciliation: {len(items)} invocations ({len(answered)} answered, {len(accepted)} async, "
            f"{lost_calls[0]} cut off by {kills} kills) -> {len(records)} usage records = {len(records)} REPORT lines; "
            f"outcomes {dict(outcomes)}"
        )
        assert kills == 2
    finally:
        server.stop()
