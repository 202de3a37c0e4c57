"""Line 14: how soon a streamed response's first chunk reaches the client.

The function (``STREAM_HANDLER``, a Python generator) yields the wall-clock time as its first
chunk, the moment it writes it, then sleeps 50 ms and yields one more. The client, one
keep-alive connection to InvokeWithResponseStream, notes the wall-clock time the first
PayloadChunk event is decoded (botocore's own event stream parser), so *write → client* is the
platform's whole path for a chunk: runtime, socket, environment, stream, edge, HTTP. Function
and client are on this machine and read the same realtime clock. Beside it, in the same round:
the time from sending the request to that first chunk (TTFB), and line 1's warm buffered Invoke
of ``noop`` on the same server (the baseline a streamed TTFB compares with).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import time
from typing import Any

from botocore.eventstream import EventStreamBuffer

import harness
from httpclient import signature_headers
from latency import one_connection, summary_ms

STREAM_HANDLER = """\
import time

def handler(event, context):
    yield repr(time.time())
    time.sleep(0.05)
    yield "end"
"""

STREAM_PATH = "/2021-11-15/functions/{name}/response-streaming-invocations"


def _streamed_invoke(conn: http.client.HTTPConnection, host: str, path: str) -> tuple[int, float, list[tuple[float, Any]]]:
    """One InvokeWithResponseStream: its status, when it was sent, and each PayloadChunk with the
    time it was decoded.

    ``read1`` hands over each chunk of the chunked body as it arrives, so an event's time is
    when its bytes reached this process, not when the response ended.
    """
    body = b"{}"
    headers = {"Host": host, "Content-Type": "application/json", **signature_headers("POST", host, path, body, None)}
    sent = time.time()
    conn.request("POST", path, body=body, headers=headers)  # signed afresh: a date in each
    response = conn.getresponse()
    decoder = EventStreamBuffer()
    chunks: list[tuple[float, Any]] = []
    while data := response.read1(65536):
        decoder.add_data(data)
        for message in decoder:
            event = message.to_response_dict()
            if event["headers"].get(":event-type") == "PayloadChunk":
                chunks.append((time.time(), event["body"]))
    return response.status, sent, chunks


def _streamed_url_get(conn: http.client.HTTPConnection, host: str) -> tuple[int, float, list[tuple[float, bytes]]]:
    """One GET of the RESPONSE_STREAM function URL by host name: its status, when it was sent,
    and each part of the body with the time it arrived (the function's two chunks come 50 ms
    apart, so the first read holds the first chunk alone)."""
    sent = time.time()
    conn.request("GET", "/", headers={"Host": host})
    response = conn.getresponse()
    parts: list[tuple[float, bytes]] = []
    while data := response.read1(65536):
        parts.append((time.time(), data))
    return response.status, sent, parts


def _connect(port: int) -> http.client.HTTPConnection:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.connect()
    assert conn.sock is not None
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def first_chunk(ctx: Any, plan: Any, round_no: int) -> dict[str, Any]:
    """One round: *latency_count* / 10 streamed invokes, as many GETs of the streaming URL,
    then the warm Invoke baseline."""
    host = f"127.0.0.1:{ctx.lambent.port}"
    url_host = f"{ctx.stream_url_id}.lambda-url.us-east-1.localhost:{ctx.lambent.port}"
    path = STREAM_PATH.format(name="stream")
    count = max(20, plan.latency_count // 10)
    samples: dict[str, list[float]] = {"write_to_client": [], "ttfb": [], "url_write_to_client": [], "url_ttfb": []}
    errors = 0
    with contextlib.closing(_connect(ctx.lambent.port)) as conn:
        for index in range(count + 5):  # the first five warm the environment
            status, sent, chunks = _streamed_invoke(conn, host, path)
            url_status, url_sent, parts = _streamed_url_get(conn, url_host)
            if status != 200 or len(chunks) != 2 or url_status != 200 or len(parts) < 2:
                errors += 1
                continue
            if index >= 5:
                arrived, first = chunks[0]
                samples["write_to_client"].append(arrived - float(first))
                samples["ttfb"].append(arrived - sent)
                arrived, first = parts[0]
                samples["url_write_to_client"].append(arrived - float(first))
                samples["url_ttfb"].append(arrived - url_sent)
    invoke = one_connection(ctx.lambent, harness.invoke_path("noop"), plan)
    summaries = {key: summary_ms(values) for key, values in samples.items()}
    return {**summaries, "errors": errors, "invoke": invoke, "round": round_no}
