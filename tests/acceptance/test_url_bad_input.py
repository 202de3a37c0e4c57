"""Bad input at a function URL, sent byte for byte over a raw socket: each gets a 4xx (AWS's
where AWS records one) or reaches the function as the bytes it was given, never a 5xx, and the
server keeps answering after all of them."""

from __future__ import annotations

import base64
import contextlib
import json
import socket

import pytest

from tests.fixtures.server import Server, create
from tests.fixtures.urls import make_public

ECHO = r"""
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps({"rawPath": event["rawPath"], "rawQueryString": event["rawQueryString"],
                                "body": event.get("body"), "isBase64Encoded": event["isBase64Encoded"]})}
"""


@pytest.fixture(scope="module")
def host(server: Server) -> str:
    lam = server.client()
    create(lam, "url-bad-input", ECHO)
    made = lam.create_function_url_config(FunctionName="url-bad-input", AuthType="NONE")
    make_public(lam, "url-bad-input")
    return str(made["FunctionUrl"]).split("//", 1)[1].rstrip("/")


def _raw(server: Server, data: bytes) -> tuple[int, bytes]:
    """*data* sent as it is; the status and body of the answer (the server may answer and close
    before it has read all of a refused body)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.sendall(data)
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := connection.recv(65536):
                answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def _request(server: Server, line: bytes, host: str, headers: bytes = b"", body: bytes = b"") -> tuple[int, bytes]:
    return _raw(
        server,
        line + b"\r\nHost: " + host.encode() + b"\r\nConnection: close\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n" + headers + b"\r\n" + body,
    )


def test_unknown_url_ids_get_aws_403_by_host_and_by_path(server: Server, host: str) -> None:
    unknown = "z" * 32 + host[32:]
    assert _request(server, b"GET / HTTP/1.1", unknown) == (403, b'{"Message":null}')
    assert _request(server, b"GET /lambent/urls/nope/ HTTP/1.1", f"127.0.0.1:{server.port}") == (403, b'{"Message":null}')


def test_malformed_http_is_refused_by_the_http_parser_with_400(server: Server, host: str) -> None:
    assert _raw(server, b"HELLO\r\n\r\n")[0] == 400
    assert _request(server, b"FOO / HTTP/1.1", host)[0] == 400
    assert _raw(server, b"GET /\xff\xfe HTTP/1.1\r\nHost: " + host.encode() + b"\r\nConnection: close\r\n\r\n")[0] == 400


def test_odd_paths_and_queries_reach_the_function_as_sent(server: Server, host: str) -> None:
    for path in (b"/../../etc/passwd", b"/%ff%fe", b"/a%2F..%2Fb", b"//double//slash"):
        status, body = _request(server, b"GET " + path + b"?q=%00&r=%ZZ HTTP/1.1", host)
        assert status == 200, body
        assert json.loads(body)["rawPath"] == path.decode()
        assert json.loads(body)["rawQueryString"] == "q=%00&r=%ZZ"


def test_a_body_that_is_not_utf8_arrives_base64_encoded(server: Server, host: str) -> None:
    sent = b"\xff\xfe\x00abc"
    status, body = _request(server, b"POST / HTTP/1.1", host, b"Content-Type: text/plain\r\n", sent)
    assert status == 200, body
    event = json.loads(body)
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == sent


def test_a_body_over_the_payload_limit_gets_413_and_the_server_goes_on(server: Server, host: str) -> None:
    status, body = _request(server, b"POST / HTTP/1.1", host, body=b"x" * (6 * 1024 * 1024 + 1))
    assert status == 413
    assert json.loads(body) == {"Message": "Request must be smaller than 6291456 bytes for the InvokeFunction operation"}
    assert _request(server, b"GET /after HTTP/1.1", host)[0] == 200
