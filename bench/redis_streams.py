"""Line 19: a Redis Streams mapping's throughput end to end: the queue loop every queue source
shares (``sources/queue_poller.py``), against a queue server fast enough not to be the limit
(line 17's moto is).

A real ``redis-server`` (Debian's) on loopback, started for the measure and stopped by PID. A
mapping with BatchSize 10 onto ``noop`` is made on a fresh stream; once it is Enabled,
``redis_messages`` entries are added in pipelines, and the rate is entries over the time from the
first add until the mapping's group has acknowledged every one (read, invoked, XACKed).
Baseline, same round, same server: one plain consumer in this process (XREADGROUP of 10, XACK)
draining as many entries from a group of its own: what Redis and redis-py allow, with no
invocation.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import harness
from httpclient import Connection

ESM_PATH = "/2015-03-31/event-source-mappings"


@contextlib.contextmanager
def redis_server(work_dir: Path) -> Iterator[str]:
    port = harness.free_port()
    data = work_dir / "redis"
    data.mkdir(exist_ok=True)
    argv = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(data)]
    with harness.started_tcp("redis", argv, port, work_dir / "redis.log"):
        yield f"redis://127.0.0.1:{port}"


def _fill(client: Any, stream: str, count: int) -> None:
    for start in range(0, count, 500):
        with client.pipeline(transaction=False) as pipe:
            for n in range(start, min(start + 500, count)):
                pipe.xadd(stream, {"n": str(n)})
            pipe.execute()


def _drain(client: Any, stream: str, group: str) -> None:
    while True:
        answer = client.xreadgroup(group, "bench", {stream: ">"}, count=10)
        if not answer or not answer[0][1]:
            return
        client.xack(stream, group, *[entry for entry, _ in answer[0][1]])


def _done(client: Any, stream: str, group: str) -> bool:
    for found in client.xinfo_groups(stream):
        if found["name"].decode() == group:
            return int(found.get("lag") or 0) == 0 and int(found["pending"]) == 0
    return False


def throughput(ctx: Any, plan: Any, round_no: int) -> dict[str, Any]:
    if shutil.which("redis-server") is None:
        return {"skipped": "no redis-server (make system installs it)"}
    import redis

    count = plan.redis_messages
    with redis_server(ctx.work_dir) as url:
        client = redis.Redis.from_url(url)
        client.xgroup_create("baseline", "plain", id="$", mkstream=True)
        _fill(client, "baseline", count)
        started = time.perf_counter()
        _drain(client, "baseline", "plain")
        baseline_s = time.perf_counter() - started
        body = {
            "FunctionName": "noop",
            "SelfManagedEventSource": {"Endpoints": {"REDIS_URLS": [url]}},
            "Topics": ["load"],
            "BatchSize": 10,
        }
        with Connection("127.0.0.1", ctx.lambent.port) as conn:
            response = conn.request("POST", ESM_PATH, json.dumps(body).encode())
        if response.status != 202:
            raise harness.BenchError(f"CreateEventSourceMapping: {response.status} {response.body[:300]!r}")
        uuid = json.loads(response.body)["UUID"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with Connection("127.0.0.1", ctx.lambent.port) as conn:
                if json.loads(conn.request("GET", f"{ESM_PATH}/{uuid}").body)["State"] == "Enabled":
                    break
            time.sleep(0.05)
        time.sleep(0.5)  # its group exists: what is added now is read
        group = f"lambent-{uuid}"
        started = time.perf_counter()
        _fill(client, "load", count)
        deadline = time.monotonic() + plan.redis_max_s
        while not _done(client, "load", group) and time.monotonic() < deadline:
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        left = sum(int(g.get("lag") or 0) + int(g["pending"]) for g in client.xinfo_groups("load") if g["name"].decode() == group)
        with Connection("127.0.0.1", ctx.lambent.port) as conn:
            conn.request("DELETE", f"{ESM_PATH}/{uuid}")
        client.close()
    return {"messages": count, "left": left, "esm_per_s": (count - left) / elapsed, "plain_per_s": count / baseline_s}
