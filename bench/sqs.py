"""Line 17: SQS event source mappings against moto's SQS server (a process of its own on loopback,
the SQS server these machines have): end-to-end throughput, and the time from a new message to
the handler's start.

- 17a ``sqs_throughput``: ``sqs_messages`` messages waiting in a queue, then a mapping with
  BatchSize 10 onto ``noop``: messages per second from the mapping's create until the queue is
  empty (every message invoked and deleted). Baseline, same round, same moto: the same number of
  messages drained by five plain boto3 consumers (ReceiveMessage of 10, DeleteMessageBatch, as a
  poller does, with no invocation): what moto's SQS allows this machine.
- 17b ``sqs_latency``: an idle queue whose mapping long-polls; one message at a time, its send
  time in its body; the handler (``handler_clock``'s ``CLOCK`` line, the mark from the record's
  body) logs its start. Baseline, same round: the same function's asynchronous Invoke, send to
  handler start (``handler_clock.async_invoke``).
"""

from __future__ import annotations

import concurrent.futures
import json
import time
from typing import Any

import handler_clock
import harness
from httpclient import Connection
from latency import summary_ms

ESM_PATH = "/2015-03-31/event-source-mappings"
#: Logs the record's body as the mark, at the handler's start.
SQS_CLOCK = """\
import json
import time


def handler(event, context):
    at = time.time()
    for record in event["Records"]:
        print("CLOCK " + json.dumps({"at": at, "mark": record["body"]}))
    return {}
"""
SQS_CLOCK_FUNCTION = "sqs-clock"


def _sqs(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(max_pool_connections=16),
    )


def _queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _fill(sqs: Any, url: str, count: int) -> None:
    batches = [
        [{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(min(10, count - start))] for start in range(0, count, 10)
    ]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda entries: sqs.send_message_batch(QueueUrl=url, Entries=entries), batches))


def _left(sqs: Any, url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attributes[n]) for n in names)


def _drain(sqs: Any, url: str, consumers: int = 5) -> None:
    """Plain consumers: receive 10, delete them, until the queue is empty."""

    def consume() -> None:
        while True:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            if not messages:
                return
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
            sqs.delete_message_batch(QueueUrl=url, Entries=entries)

    with concurrent.futures.ThreadPoolExecutor(consumers) as pool:
        list(pool.map(lambda _: consume(), range(consumers)))


def _mapping(port: int, arn: str, function: str, **settings: Any) -> str:
    body = json.dumps({"EventSourceArn": arn, "FunctionName": function, **settings}).encode()
    with Connection("127.0.0.1", port) as conn:
        response = conn.request("POST", ESM_PATH, body)
    if response.status != 202:
        raise harness.BenchError(f"CreateEventSourceMapping: {response.status} {response.body[:300]!r}")
    uuid: str = json.loads(response.body)["UUID"]
    return uuid


def _until_enabled(port: int, uuid: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with Connection("127.0.0.1", port) as conn:
            if json.loads(conn.request("GET", f"{ESM_PATH}/{uuid}").body)["State"] == "Enabled":
                return
        time.sleep(0.05)
    raise harness.BenchError(f"mapping {uuid} never Enabled")


def _delete(port: int, uuid: str) -> None:
    """A connection of its own: the caller's may have idled past the server's keep-alive."""
    with Connection("127.0.0.1", port) as conn:
        conn.request("DELETE", f"{ESM_PATH}/{uuid}")


def throughput(ctx: Any, plan: Any, round_no: int) -> dict[str, Any]:
    sqs = _sqs(ctx.sqs_endpoint)
    count = plan.sqs_messages
    base_url, _ = _queue(sqs, f"bench-drain-{round_no}")
    _fill(sqs, base_url, count)
    started = time.perf_counter()
    _drain(sqs, base_url)
    baseline_s = time.perf_counter() - started
    url, arn = _queue(sqs, f"bench-esm-{round_no}")
    _fill(sqs, url, count)
    started = time.perf_counter()
    uuid = _mapping(ctx.lambent.port, arn, "noop", BatchSize=10)
    deadline = started + plan.sqs_max_s
    while _left(sqs, url) and time.perf_counter() < deadline:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    left = _left(sqs, url)
    _delete(ctx.lambent.port, uuid)
    return {
        "messages": count,
        "left": left,
        "esm_per_s": (count - left) / elapsed,
        "drain_per_s": count / baseline_s,
    }


def latency(ctx: Any, plan: Any, round_no: int) -> dict[str, Any]:
    sqs = _sqs(ctx.sqs_endpoint)
    url, arn = _queue(sqs, f"bench-idle-{round_no}")
    port = ctx.lambent.port
    since = time.time()
    with Connection("127.0.0.1", port) as conn:
        handler_clock.warm(conn)
        invoked: dict[str, float] = {}
        for i in range(plan.sqs_latency_count):
            mark = f"invoke-{round_no}-{i}"
            sent, accepted = handler_clock.async_invoke(conn, mark)
            if accepted:
                invoked[mark] = sent
            time.sleep(handler_clock.GAP_S * 4)
    uuid = _mapping(port, arn, SQS_CLOCK_FUNCTION, BatchSize=1)
    _until_enabled(port, uuid)
    time.sleep(1.0)  # the workers are in their long polls: the queue is idle
    sent_at: dict[str, float] = {}
    for i in range(plan.sqs_latency_count):
        mark = f"sqs-{round_no}-{i}"
        sent_at[mark] = time.time()
        sqs.send_message(QueueUrl=url, MessageBody=mark)
        time.sleep(0.3)
    invoke_started = handler_clock.started_at(port, since, set(invoked))
    started = _started(port, since, set(sent_at))
    _delete(port, uuid)
    delays, lost = handler_clock.delays(sent_at, started)
    floor, floor_lost = handler_clock.delays(invoked, invoke_started)
    return {
        "message": {**summary_ms(delays), "lost": lost},
        "invoke": {**summary_ms(floor), "lost": floor_lost},
        "samples": len(sent_at),
    }


def _started(port: int, since: float, marks: set[str]) -> dict[str, float]:
    """As ``handler_clock.started_at``, from the ``sqs-clock`` function's log group."""
    found: dict[str, float] = {}
    deadline = time.monotonic() + 20
    while len(found) < len(marks) and time.monotonic() < deadline:
        params: dict[str, Any] = {"logGroupName": f"/aws/lambda/{SQS_CLOCK_FUNCTION}", "startTime": int(since * 1000) - 1000}
        while True:
            with Connection("127.0.0.1", port) as conn:
                answer = harness.json11(conn, "Logs_20140328.FilterLogEvents", params)
            for event in answer["events"]:
                if event["message"].startswith(handler_clock.PREFIX):
                    record = json.loads(event["message"][len(handler_clock.PREFIX) :])
                    if record["mark"] in marks:
                        found[record["mark"]] = float(record["at"])
            if "nextToken" not in answer:
                break
            params["nextToken"] = answer["nextToken"]
        time.sleep(0.2)
    return found
