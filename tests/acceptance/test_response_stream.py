"""InvokeWithResponseStream against a real server, read by botocore's own event stream parser: a
function that does not stream answers with its whole payload as one PayloadChunk, then
InvokeComplete (with the log tail for LogType Tail, the error for a function error); one that
streams (a Python generator, Node's streamifyResponse, a custom runtime over the Runtime API)
has each chunk in the client's hands while it still runs, and an error after the first chunk
in InvokeComplete."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from tests.fixtures.server import ROLE, create, make_zip

CODE = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("broken on purpose")
    print("streamed log line")
    return {"echo": event}
"""


def _events(response: dict[str, Any]) -> list[dict[str, Any]]:
    return list(response["EventStream"])


def test_a_buffered_function_answers_through_the_stream_api(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    response = lam.invoke_with_response_stream(FunctionName=fn_name, Payload=b'{"a": 1}', LogType="Tail")
    assert response["StatusCode"] == 200 and response["ExecutedVersion"] == "$LATEST"
    assert response["ResponseStreamContentType"] == "application/vnd.amazon.eventstream"
    chunk, complete = _events(response)
    assert json.loads(chunk["PayloadChunk"]["Payload"]) == {"echo": {"a": 1}}
    done = complete["InvokeComplete"]
    assert "ErrorCode" not in done and "streamed log line" in base64.b64decode(done["LogResult"]).decode()


def test_a_function_error_ends_the_stream_with_its_type(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    response = lam.invoke_with_response_stream(FunctionName=fn_name, Payload=b'{"fail": true}')
    chunk, complete = _events(response)
    assert json.loads(chunk["PayloadChunk"]["Payload"])["errorType"] == "ValueError"
    assert complete["InvokeComplete"] == {"ErrorCode": "ValueError", "ErrorDetails": "broken on purpose"}


def test_refusals_come_before_the_stream(lam: Any) -> None:
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as missing:
        lam.invoke_with_response_stream(FunctionName="no-such-function", Payload=b"{}")
    assert missing.value.response["Error"]["Message"].startswith("Function not found: arn:aws:lambda:")


# -- functions that stream ---------------------------------------------------------------------

GENERATORS = """
import asyncio, time

def handler(event, context):
    if event.get("kind") == "async":
        return agen(event)
    return gen(event)

def gen(event):
    print("generator log line")
    yield b"one "
    time.sleep(event.get("pause", 0))
    yield "two "
    if event.get("fail"):
        raise ValueError("broke mid-stream")
    yield {"three": 3}
    for _ in range(event.get("megabytes", 0)):
        yield b"x" * (1024 * 1024)

async def agen(event):
    yield "async one "
    await asyncio.sleep(event.get("pause", 0))
    yield b"async two"
"""

NODE_STREAMING = """
export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  if (event.failFirst) throw new TypeError("failed before writing");
  responseStream.setContentType("text/plain");
  responseStream.write("alpha ");
  await new Promise((resolve) => setTimeout(resolve, event.pause ?? 0));
  responseStream.write(Buffer.from("beta "));
  if (event.fail) throw new RangeError("failed after writing");
  responseStream.write(context.awsRequestId);
  responseStream.end();
});
"""

# A custom runtime that streams over the Runtime API itself, as AWS documents for `provided`
# runtimes: a chunked POST with Lambda-Runtime-Function-Response-Mode: streaming, and the error
# in trailers. Raw HTTP over a socket, so the trailers are exactly what goes on the wire.
STREAMING_BOOTSTRAP = r"""#!/usr/bin/python3.11
import base64, http.client, json, os, socket, time
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
while True:
    connection = http.client.HTTPConnection(host, int(port))
    connection.request("GET", "/2018-06-01/runtime/invocation/next")
    response = connection.getresponse()
    event = json.loads(response.read())
    request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
    connection.close()
    sock = socket.create_connection((host, int(port)))
    sock.sendall((f"POST /2018-06-01/runtime/invocation/{request_id}/response HTTP/1.1\r\nHost: runtime\r\n"
                  "Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n"
                  "Content-Type: text/csv\r\n"
                  "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n").encode())
    for part in (b"a,b\n", b"1,2\n"):
        sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        time.sleep(event.get("pause", 0))
    trailers = b""
    if event.get("fail"):
        document = json.dumps({"errorType": "CsvError", "errorMessage": "row 3 is bad"}).encode()
        trailers = (b"Lambda-Runtime-Function-Error-Type: CsvError\r\n"
                    b"Lambda-Runtime-Function-Error-Body: " + base64.b64encode(document) + b"\r\n")
    sock.sendall(b"0\r\n" + trailers + b"\r\n")
    sock.recv(4096)
    sock.close()
"""


def _timed(response: dict[str, Any]) -> list[tuple[float, dict[str, Any]]]:
    """The stream's events, each with when it arrived."""
    return [(time.monotonic(), event) for event in response["EventStream"]]


def _payload(events: list[tuple[float, dict[str, Any]]]) -> bytes:
    return b"".join(event["PayloadChunk"]["Payload"] for _, event in events if "PayloadChunk" in event)


def _node(lam: Any, name: str, code: str) -> None:
    lam.create_function(
        FunctionName=name,
        Runtime="nodejs20.x",
        Handler="index.handler",
        Role=ROLE,
        Code={"ZipFile": make_zip({"index.mjs": code})},
        MemorySize=512,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})


def test_a_python_generator_streams_each_chunk_as_it_is_yielded(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, GENERATORS)
    sent = time.monotonic()
    response = lam.invoke_with_response_stream(FunctionName=fn_name, Payload=b'{"pause": 1.0}', LogType="Tail")
    events = _timed(response)
    chunks = [(at, event["PayloadChunk"]["Payload"]) for at, event in events if "PayloadChunk" in event]
    assert [data for _, data in chunks] == [b"one ", b"two ", b'{"three": 3}']
    # the first chunk was in the client's hands while the function still slept
    assert chunks[1][0] - chunks[0][0] > 0.7 and chunks[0][0] - sent < chunks[1][0] - sent - 0.7
    done = events[-1][1]["InvokeComplete"]
    assert "ErrorCode" not in done and "generator log line" in base64.b64decode(done["LogResult"]).decode()


def test_an_async_generator_streams_too(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, GENERATORS)
    response = lam.invoke_with_response_stream(FunctionName=fn_name, Payload=b'{"kind": "async", "pause": 0.8}')
    events = _timed(response)
    chunks = [(at, event["PayloadChunk"]["Payload"]) for at, event in events if "PayloadChunk" in event]
    assert [data for _, data in chunks] == [b"async one ", b"async two"]
    assert chunks[1][0] - chunks[0][0] > 0.5
    assert events[-1][1] == {"InvokeComplete": {}}


def test_an_error_mid_stream_ends_it_with_the_error(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, GENERATORS)
    events = _timed(lam.invoke_with_response_stream(FunctionName=fn_name, Payload=b'{"fail": true}'))
    assert _payload(events) == b"one two "
    assert events[-1][1]["InvokeComplete"] == {"ErrorCode": "ValueError", "ErrorDetails": "broke mid-stream"}


def test_invoke_gathers_a_streamed_response_whole(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, GENERATORS)
    response = lam.invoke(FunctionName=fn_name, Payload=b"{}")
    assert response["Payload"].read() == b'one two {"three": 3}' and "FunctionError" not in response


def test_past_6_mb_the_stream_keeps_to_2_mb_a_second(lam: Any, fn_name: str) -> None:
    """10 MB: the first 6 at full speed, the other 4 at 2 MB/s, so at least ~2 s in all."""
    create(lam, fn_name, GENERATORS, MemorySize=512, Timeout=30)
    started = time.monotonic()
    events = _timed(lam.invoke_with_response_stream(FunctionName=fn_name, Payload=b'{"megabytes": 10}'))
    elapsed = time.monotonic() - started
    assert len(_payload(events)) == len(b'one two {"three": 3}') + 10 * 1024 * 1024
    assert elapsed > 1.9 and events[-1][1] == {"InvokeComplete": {}}


def test_node_streamify_response_streams_each_write(lam: Any, fn_name: str) -> None:
    _node(lam, fn_name, NODE_STREAMING)
    response = lam.invoke_with_response_stream(FunctionName=fn_name, Payload=b'{"pause": 1000}')
    events = _timed(response)
    chunks = [(at, event["PayloadChunk"]["Payload"]) for at, event in events if "PayloadChunk" in event]
    assert b"".join(data for _, data in chunks) == b"alpha beta " + response["ResponseMetadata"]["RequestId"].encode()
    assert chunks[0][1] == b"alpha " and chunks[-1][0] - chunks[0][0] > 0.7
    assert events[-1][1] == {"InvokeComplete": {}}


def test_node_errors_before_and_after_the_first_write(lam: Any, fn_name: str) -> None:
    _node(lam, fn_name, NODE_STREAMING)
    after = _timed(lam.invoke_with_response_stream(FunctionName=fn_name, Payload=b'{"fail": true}'))
    assert _payload(after) == b"alpha beta "
    assert after[-1][1]["InvokeComplete"] == {"ErrorCode": "RangeError", "ErrorDetails": "failed after writing"}
    before = _timed(lam.invoke_with_response_stream(FunctionName=fn_name, Payload=b'{"failFirst": true}'))
    assert json.loads(_payload(before))["errorType"] == "TypeError"
    assert before[-1][1]["InvokeComplete"] == {"ErrorCode": "TypeError", "ErrorDetails": "failed before writing"}


def test_a_custom_runtime_streams_over_the_runtime_api_with_error_trailers(lam: Any, fn_name: str) -> None:
    lam.create_function(
        FunctionName=fn_name,
        Runtime="provided.al2023",
        Handler="function.handler",
        Role=ROLE,
        Code={"ZipFile": make_zip({"bootstrap": STREAMING_BOOTSTRAP}, modes={"bootstrap": 0o755})},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=fn_name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    events = _timed(lam.invoke_with_response_stream(FunctionName=fn_name, Payload=b'{"pause": 0.8}'))
    chunks = [(at, event["PayloadChunk"]["Payload"]) for at, event in events if "PayloadChunk" in event]
    assert b"".join(data for _, data in chunks) == b"a,b\n1,2\n" and chunks[-1][0] - chunks[0][0] > 0.5
    assert events[-1][1] == {"InvokeComplete": {}}
    failed = _timed(lam.invoke_with_response_stream(FunctionName=fn_name, Payload=b'{"fail": true}'))
    assert _payload(failed) == b"a,b\n1,2\n"
    assert failed[-1][1]["InvokeComplete"] == {"ErrorCode": "CsvError", "ErrorDetails": "row 3 is bad"}
    # the environment lives on: the next invocation streams again
    assert _payload(_timed(lam.invoke_with_response_stream(FunctionName=fn_name, Payload=b"{}"))) == b"a,b\n1,2\n"
