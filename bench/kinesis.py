"""Line 18: a Kinesis event source mapping under load, from a record's PutRecords to the start
of the handler that gets it.

``kinesalite`` runs a Kinesalite (the Kinesis API the acceptance tests use, from ``make peers``)
on a free loopback port beside the lambent server, which reads it
(``LAMBENT_KINESIS_ENDPOINT_URL``). Where node or Kinesalite is missing, the line says so and
measures nothing.

Each round makes a 2-shard stream and a mapping (TRIM_HORIZON, BatchSize 100, no batching
window) to ``kinesis-clock``, which runs as ``harness.BENCH_ROLE`` (it may read Kinesis). Its
handler reads the wall clock as its first statement and logs it with, per record, the
producer's send time carried in the record's data and the record's
``approximateArrivalTimestamp``. An environment is warmed first by a synchronous invoke. The
producer then sends ``RATE`` records/s for ``kinesis_s`` seconds, PutRecords of ten every
10 ms, with partition keys spread over both shards. Afterwards the handler's lines are read back
through FilterLogEvents. Per record, at its first delivery:

- send → handler start (one machine, one clock): the headline;
- arrival → handler start: the iterator age the function sees, with Kinesalite's clock at
  millisecond precision.

Also counted: records never delivered, and records delivered twice. Baseline, same round,
before the load: the raw GetRecords round trip from this process to the same Kinesalite, on an
idle shard (``GETS`` calls). An idle shard is polled every 250 ms, so about half of that is
expected on top of it.
"""

from __future__ import annotations

import configparser
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import harness
from httpclient import Connection
from latency import summary_ms

FUNCTION = "kinesis-clock"
RATE = 1000
PER_PUT = 10
GETS = 200
SHARDS = 2
MODULE = Path(sys.prefix) / "share" / "lambent" / "peers" / "node_modules" / "kinesalite" / "index.js"
_LAUNCH = """const [module, options, port] = process.argv.slice(1);
const server = require(module)(JSON.parse(options));
server.listen(Number(port), "127.0.0.1", () => console.log("Listening at http://127.0.0.1:" + port));"""
CLOCK_HANDLER = """\
import base64
import json
import time


def handler(event, context):
    at = time.time()
    marks = []
    for record in event["Records"]:
        data = json.loads(base64.b64decode(record["kinesis"]["data"]))
        marks.append([data["n"], data["t"], record["kinesis"]["approximateArrivalTimestamp"]])
    print("KCLOCK " + json.dumps({"at": at, "marks": marks}))
    return {}
"""
PREFIX = "KCLOCK "


def missing() -> str:
    """Why line 18 cannot run here ("": it can)."""
    if not shutil.which("node"):
        return "node is not installed"
    if not MODULE.is_file():
        return f"Kinesalite is not installed ({MODULE}; `make peers` installs it)"
    return ""


def kinesis_client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "kinesis",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 1}, read_timeout=10),
    )


@contextlib.contextmanager
def kinesalite(work_dir: Path) -> Iterator[str]:
    """A Kinesalite on 127.0.0.1 (its LevelDB in *work_dir*), stopped by PID after; its
    endpoint, or "" where it cannot run (``missing``)."""
    if missing():
        yield ""
        return
    port = harness.free_port()
    store = work_dir / "kinesalite"
    store.mkdir(parents=True, exist_ok=True)
    options = {"path": str(store), "createStreamMs": 0, "deleteStreamMs": 0, "updateStreamMs": 0, "shardLimit": 100}
    argv = ["node", "-e", _LAUNCH, str(MODULE), json.dumps(options), str(port)]
    with (work_dir / "kinesalite.log").open("wb") as log_file:
        process = subprocess.Popen(argv, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = harness.Server("kinesalite", process, port, work_dir / "kinesalite.log")
    endpoint = f"http://127.0.0.1:{port}"
    try:
        client, deadline = kinesis_client(endpoint), time.monotonic() + 30
        while True:
            try:
                client.list_streams()
                break
            except Exception:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise harness.BenchError(f"kinesalite did not start:\n{server.log_tail()}") from None
                time.sleep(0.05)
        yield endpoint
    finally:
        harness.stop(server)


def _admin(ctx: Any, service: str) -> Any:
    """A boto3 client of the lambent server, signed with the key it wrote on its first start."""
    import boto3

    parser = configparser.ConfigParser()
    parser.read(ctx.lambent.log_path.parent / "aws" / "credentials")
    key = parser["lambent"]
    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{ctx.lambent.port}",
        region_name="us-east-1",
        aws_access_key_id=key["aws_access_key_id"],
        aws_secret_access_key=key["aws_secret_access_key"],
    )


def warm(ctx: Any) -> None:
    """Invoke ``kinesis-clock`` synchronously, so an environment is ready before anything is timed."""
    with Connection("127.0.0.1", ctx.lambent.port) as conn:
        answer = conn.request("POST", harness.invoke_path(FUNCTION), b'{"Records": []}')
    if answer.status != 200 or "x-amz-function-error" in answer.headers:
        raise harness.BenchError(f"Invoke {FUNCTION}: {answer.status} {answer.body[:300]!r}")


def _round_trips(kinesis: Any, stream: str) -> list[float]:
    """``GETS`` GetRecords on the stream's first shard (idle), each timed."""
    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    samples = []
    for _ in range(GETS):
        started = time.perf_counter()
        iterator = kinesis.get_records(ShardIterator=iterator, Limit=1000)["NextShardIterator"]
        samples.append(time.perf_counter() - started)
    return samples


def _produce(kinesis: Any, stream: str, seconds: float) -> tuple[int, float]:
    """``RATE`` records/s for *seconds*, PutRecords of ``PER_PUT`` on a fixed schedule: (sent, rate achieved)."""
    count, sent = int(RATE * seconds), 0
    began = time.monotonic()
    while sent < count:
        due = began + sent / RATE
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        at = time.time()
        entries = [
            {"Data": json.dumps({"n": n, "t": at}).encode(), "PartitionKey": f"key-{n % 64}"}
            for n in range(sent, min(sent + PER_PUT, count))
        ]
        answer = kinesis.put_records(StreamName=stream, Records=entries)
        if answer.get("FailedRecordCount"):
            raise harness.BenchError(f"PutRecords refused {answer['FailedRecordCount']} records")
        sent += len(entries)
    return sent, sent / (time.monotonic() - began)


#: Record number -> (send, arrival, handler start), at its first delivery.
Marks = dict[int, tuple[float, float, float]]


def _delivered(ctx: Any, since: float, count: int, timeout_s: float = 30.0) -> tuple[Marks, int, int]:
    """Record number -> (send, arrival, handler start) at its first delivery; deliveries in all;
    invocations. Read through FilterLogEvents once all *count* are there, or *timeout_s* passed."""
    deadline = time.monotonic() + timeout_s
    while True:
        first: Marks = {}
        deliveries = invocations = 0
        params: dict[str, Any] = {"logGroupName": f"/aws/lambda/{FUNCTION}", "startTime": int(since * 1000) - 1000}
        while True:
            with Connection("127.0.0.1", ctx.lambent.port) as conn:
                answer = harness.json11(conn, "Logs_20140328.FilterLogEvents", params)
            for event in answer["events"]:
                if not event["message"].startswith(PREFIX):
                    continue
                line = json.loads(event["message"][len(PREFIX) :])
                invocations += bool(line["marks"])
                for n, sent, arrival in line["marks"]:
                    deliveries += 1
                    if n not in first or line["at"] < first[n][2]:
                        first[n] = (sent, arrival, line["at"])
            if "nextToken" not in answer:
                break
            params["nextToken"] = answer["nextToken"]
        if len(first) >= count or time.monotonic() > deadline:
            return first, deliveries, invocations
        time.sleep(0.5)


def delivery_latency(ctx: Any, plan: Any, round_no: int) -> dict[str, Any]:
    if not ctx.kinesis_endpoint:
        return {"skipped": missing()}
    warm(ctx)
    kinesis = kinesis_client(ctx.kinesis_endpoint)
    stream = f"bench-{round_no}-{os.getpid()}"
    kinesis.create_stream(StreamName=stream, ShardCount=SHARDS)
    arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
    lam = _admin(ctx, "lambda")
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=FUNCTION, StartingPosition="TRIM_HORIZON", BatchSize=100
    )["UUID"]
    try:
        deadline = time.monotonic() + 30
        while lam.get_event_source_mapping(UUID=uuid)["State"] != "Enabled":
            if time.monotonic() > deadline:
                raise harness.BenchError(f"mapping {uuid} never became Enabled")
            time.sleep(0.1)
        gets = _round_trips(kinesis, stream)
        since = time.time()
        sent, rate = _produce(kinesis, stream, plan.kinesis_s)
        first, deliveries, invocations = _delivered(ctx, since, sent)
    finally:
        lam.delete_event_source_mapping(UUID=uuid)
        kinesis.delete_stream(StreamName=stream)
    send_to_start = [start - sent_at for sent_at, _, start in first.values()]
    arrival_to_start = [start - arrival for _, arrival, start in first.values()]
    return {
        "delivery": {**summary_ms(send_to_start), "lost": sent - len(first)},
        "iterator_age": summary_ms(arrival_to_start),
        "get_records": summary_ms(gets),
        "sent": sent,
        "rate": rate,
        "duplicates": deliveries - len(first),
        "invocations": invocations,
    }
