"""RESPONSE_STREAM function URLs against a real server, read with httpx as a stream: the status
and headers of the function's HTTP prelude (Node's ``HttpResponseStream.from``, a Python
generator's first dict), the body in the client's hands while the function still runs, 200 and
the stream's content type without a prelude, CORS on the streamed head, and a function that does
not stream read as a buffered URL reads it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fixtures.server import ROLE, Server, create, make_zip
from tests.fixtures.urls import make_public

NODE = """
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  if (event.rawPath === "/plain") {
    responseStream.write("no prelude");
    responseStream.end();
    return;
  }
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201,
    headers: { "content-type": "text/event-stream", "x-streamed": "yes" },
    cookies: ["session=abc; Path=/"],
  });
  stream.write("data: first\\n\\n");
  await new Promise((resolve) => setTimeout(resolve, 1000));
  stream.write("data: second\\n\\n");
  stream.end();
});
"""

PYTHON = """
import time

def handler(event, context):
    if event["rawPath"] == "/buffered":
        return {"statusCode": 202, "headers": {"content-type": "text/plain"}, "body": "whole"}
    if event["rawPath"] == "/bad-prelude":
        return bad()
    return chunks()

def chunks():
    yield {"statusCode": 200, "headers": {"content-type": "text/plain"}}
    yield "one\\n"
    time.sleep(0.8)
    yield "two\\n"

def bad():
    yield {"statusCode": "teapot"}
    yield "never seen"
"""


def _stream_url(lam: Any, name: str, cors: dict[str, Any] | None = None) -> str:
    params: dict[str, Any] = {"FunctionName": name, "AuthType": "NONE", "InvokeMode": "RESPONSE_STREAM"}
    if cors is not None:
        params["Cors"] = cors
    url = str(lam.create_function_url_config(**params)["FunctionUrl"])
    make_public(lam, name)
    return url


def _timed_lines(response: httpx.Response) -> Iterator[tuple[float, bytes]]:
    for chunk in response.iter_raw():
        yield time.monotonic(), chunk


def _get(url: str, path: str, **kwargs: Any) -> Any:
    """A streaming GET of *path* on the URL (its host name sent as Host, to loopback)."""
    parsed = httpx.URL(url)
    headers = {"host": f"{parsed.host}:{parsed.port}", **kwargs.pop("headers", {})}
    return httpx.stream("GET", str(parsed.copy_with(host="127.0.0.1", path=path)), headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def node_url(server: Server) -> str:
    lam = server.client()
    lam.create_function(
        FunctionName="url-stream-node",
        Runtime="nodejs20.x",
        Handler="index.handler",
        Role=ROLE,
        Code={"ZipFile": make_zip({"index.mjs": NODE})},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName="url-stream-node", WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    return _stream_url(lam, "url-stream-node", cors={"AllowOrigins": ["https://app.example"], "ExposeHeaders": ["x-streamed"]})


@pytest.fixture(scope="module")
def python_url(server: Server) -> str:
    lam = server.client()
    create(lam, "url-stream-python", PYTHON)
    return _stream_url(lam, "url-stream-python")


def test_the_prelude_sets_status_headers_and_cookies_and_the_body_streams(node_url: str) -> None:
    with _get(node_url, "/events", headers={"origin": "https://app.example"}) as response:
        assert response.status_code == 201
        assert response.headers["content-type"] == "text/event-stream" and response.headers["x-streamed"] == "yes"
        assert response.headers["set-cookie"] == "session=abc; Path=/"
        assert response.headers["access-control-allow-origin"] == "https://app.example"
        assert "content-length" not in response.headers  # sent as it is written, chunked
        arrived = list(_timed_lines(response))
    body = b"".join(chunk for _, chunk in arrived)
    assert body == b"data: first\n\ndata: second\n\n"
    first_at = next(at for at, chunk in arrived if b"first" in chunk)
    second_at = next(at for at, chunk in arrived if b"second" in chunk)
    assert second_at - first_at > 0.7  # the first event was read while the function still waited


def test_without_a_prelude_the_answer_is_200_with_the_stream_s_type(node_url: str) -> None:
    with _get(node_url, "/plain") as response:
        assert response.status_code == 200 and response.headers["content-type"] == "application/octet-stream"
        assert response.read() == b"no prelude"


def test_a_python_generator_streams_through_its_url(python_url: str) -> None:
    with _get(python_url, "/lines") as response:
        assert response.status_code == 200 and response.headers["content-type"] == "text/plain"
        arrived = list(_timed_lines(response))
    assert b"".join(chunk for _, chunk in arrived) == b"one\ntwo\n"
    assert arrived[-1][0] - arrived[0][0] > 0.5


def test_a_function_that_answers_whole_is_read_as_a_buffered_url(python_url: str) -> None:
    with _get(python_url, "/buffered") as response:
        assert response.status_code == 202 and response.read() == b"whole"


def test_a_malformed_prelude_is_the_url_s_function_error(python_url: str) -> None:
    with _get(python_url, "/bad-prelude") as response:
        assert response.status_code == 502 and response.read() == b"Internal Server Error"
