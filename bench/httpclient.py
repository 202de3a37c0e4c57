"""A minimal HTTP/1.1 keep-alive client on raw sockets, so the client is never the bottleneck.

It speaks just enough HTTP for the benchmark: requests with a ``Content-Length`` body, responses
framed by ``Content-Length`` (both lambent and uvicorn send one for these endpoints). A response
without it, or chunked, is an error here rather than a silent misread. TCP_NODELAY is set on
every connection: with Nagle, small request/response pairs stall for tens of milliseconds.

Requests to a lambent server are SigV4-signed with its administrator's key (``sign_for``
registers it per ``host:port``), by botocore's signer as boto3 signs, for the service the request
is addressed to (``service_of``). A request built once and resent on a hot path keeps its
signature, valid for the server's 5-minute window. A body is ``application/json`` unless the
caller names another Content-Type (JSON 1.1's ``application/x-amz-json-1.1``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass, field

_HEADER_END = b"\r\n\r\n"
#: host:port -> (access key id, secret): the servers whose requests are signed.
_KEYS: dict[str, tuple[str, str]] = {}


def sign_for(host: str, key: tuple[str, str] | None) -> None:
    """Sign requests to *host* (``host:port``) with *key* from now on (None: stop signing)."""
    if key is None:
        _KEYS.pop(host, None)
    else:
        _KEYS[host] = key


#: X-Amz-Target prefixes (JSON 1.1, at the root path) and the service whose scope signs them.
_TARGET_SERVICES = {"AWSEvents.": "events", "Logs_20140328.": "logs"}
#: Path prefixes of rest-json services other than Lambda.
_PATH_SERVICES = {"/schedules": "scheduler", "/schedule-groups": "scheduler"}


def _header(headers: dict[str, str] | None, name: str) -> str | None:
    return next((value for key, value in (headers or {}).items() if key.lower() == name), None)


def service_of(path: str, headers: dict[str, str] | None = None) -> str:
    """The service a request is signed for, as boto3's client for it would sign it: by its
    X-Amz-Target, else by its path; ``lambda`` for everything else the benchmark sends."""
    target = _header(headers, "x-amz-target") or ""
    for prefix, service in _TARGET_SERVICES.items():
        if target.startswith(prefix):
            return service
    return next((service for prefix, service in _PATH_SERVICES.items() if path.startswith(prefix)), "lambda")


def signature_headers(method: str, host: str, path: str, body: bytes, headers: dict[str, str] | None = None) -> dict[str, str]:
    """The Authorization and X-Amz-Date headers for a request to *host*, or none if it is not signed."""
    key = _KEYS.get(host)
    if key is None:
        return {}
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    signed_headers = {**(headers or {})}
    if body and _header(headers, "content-type") is None:
        signed_headers["Content-Type"] = "application/json"
    request = AWSRequest(method=method, url=f"http://{host}{path}", data=body, headers=signed_headers)
    SigV4Auth(Credentials(*key), service_of(path, headers), "us-east-1").add_auth(request)
    return {name: request.headers[name] for name in ("Authorization", "X-Amz-Date")}


class ProtocolError(Exception):
    """The server answered something this client does not parse."""


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def build_request(method: str, host: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    """The bytes of one keep-alive request; build once and resend on the hot path."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    if body and _header(headers, "content-type") is None:
        lines.append("Content-Type: application/json")
    headers = {**(headers or {}), **signature_headers(method, host, path, body, headers)}
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ProtocolError(f"bad status line {lines[0]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    status = int(parts[1])
    if status in (204, 304) or status < 200:
        headers["content-length"] = "0"  # no body by definition (RFC 9110 6.4.1)
    elif headers.get("transfer-encoding", "").lower() == "chunked" or "content-length" not in headers:
        raise ProtocolError("response is not framed by Content-Length")
    return status, headers


class Connection:
    """One blocking keep-alive connection."""

    def __init__(self, host: str, port: int, timeout_s: float = 30.0) -> None:
        self.host = host
        self.port = port
        self._sock = socket.create_connection((host, port), timeout=timeout_s)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = b""

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def send_raw(self, data: bytes) -> Response:
        """Send one pre-built request and read its response."""
        self._sock.sendall(data)
        return self._read_response()

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Response:
        return self.send_raw(build_request(method, f"{self.host}:{self.port}", path, body, headers))

    def _read_response(self) -> Response:
        buffer = self._buffer
        while True:
            end = buffer.find(_HEADER_END)
            if end >= 0:
                break
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            buffer += chunk
        status, headers = _parse_head(buffer[:end])
        start = end + 4
        stop = start + int(headers["content-length"])
        while len(buffer) < stop:
            chunk = self._sock.recv(max(65536, stop - len(buffer)))
            if not chunk:
                raise ConnectionError("server closed the connection mid-body")
            buffer += chunk
        self._buffer = buffer[stop:]
        return Response(status, headers, buffer[start:stop])


class AsyncConnection:
    """One asyncio keep-alive connection (for many concurrent callers in one process)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> AsyncConnection:
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def send_raw(self, data: bytes) -> Response:
        self._writer.write(data)
        head = await self._reader.readuntil(_HEADER_END)
        status, headers = _parse_head(head[:-4])
        length = int(headers["content-length"])
        body = await self._reader.readexactly(length) if length else b""
        return Response(status, headers, body)

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()
