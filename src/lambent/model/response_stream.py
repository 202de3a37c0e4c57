"""Response streaming's rules: AWS's limits, the pace past the uncapped burst, the HTTP prelude. Pure.

Sources: the Lambda developer guide, "Response streaming for Lambda functions" (up to 200 MB a
response; the first 6 MB at full speed, the rest at most 2 MB/s) and "Tutorial: Creating a
response streaming Lambda function with a function URL" (``HttpResponseStream.from``: the
metadata JSON, then eight null bytes, then the body, under the content type
``application/vnd.awslambda.http-integration-response``, as the Node.js runtime interface client
writes it). The 1 MB in flight between a function and its client is Lambent's choice: enough to
keep a socket busy, small enough that a slow client holds the function back rather than the
server's memory.
"""

from __future__ import annotations

from typing import Any

from lambent.errors import MalformedHttpResponse
from lambent.model.http_response import HttpResponse, decode, header_value, status_of

MB = 1024 * 1024
#: The most a streamed response may carry.
STREAM_LIMIT_BYTES = 200 * MB
#: The first bytes go at full speed; the rest at ``CAPPED_RATE_BYTES_S``.
UNCAPPED_BYTES = 6 * MB
CAPPED_RATE_BYTES_S = 2 * MB
#: Bytes written by the function and not yet taken by its client before the function waits.
IN_FLIGHT_BYTES = 1 * MB

#: The content type of a stream that opens with an HTTP prelude (``HttpResponseStream.from``).
HTTP_INTEGRATION_TYPE = "application/vnd.awslambda.http-integration-response"
#: What ends the prelude.
PRELUDE_END = b"\0" * 8
#: A prelude longer than this is malformed (Lambent's bound; AWS documents none).
PRELUDE_LIMIT_BYTES = 64 * 1024
#: A stream's content type when the function names none (the Node.js client's default).
DEFAULT_TYPE = "application/octet-stream"


def too_large_message(size: int) -> str:
    """The error a stream past the limit ends with (Invoke's words for its 6 MB)."""
    return f"Response payload size ({size} bytes) exceeded maximum allowed payload size ({STREAM_LIMIT_BYTES} bytes)."


def release_at(total: int, capped_since: float) -> float:
    """When a stream that has now carried *total* bytes may go on: at once within the uncapped
    burst, else *capped_since* (when it passed the burst) plus the capped bytes' time."""
    if total <= UNCAPPED_BYTES:
        return 0.0
    return capped_since + (total - UNCAPPED_BYTES) / CAPPED_RATE_BYTES_S


def split_prelude(buffer: bytes) -> tuple[HttpResponse, bytes] | None:
    """The status and headers a stream's prelude sets, and the body bytes after it; None while
    *buffer* has not reached the prelude's end. Raises ``MalformedHttpResponse`` for a prelude
    that is not an object of ``statusCode``, ``headers`` and ``cookies``, or that is too long."""
    end = buffer.find(PRELUDE_END)
    if end < 0:
        if len(buffer) > PRELUDE_LIMIT_BYTES:
            raise MalformedHttpResponse("the stream's prelude has no end")
        return None
    document = decode(buffer[:end]) if end else {}
    if not isinstance(document, dict):
        raise MalformedHttpResponse("the stream's prelude is not a JSON object")
    return stream_head(document), buffer[end + len(PRELUDE_END) :]


def stream_head(document: dict[str, Any]) -> HttpResponse:
    """A prelude's status (200 by default) and headers, cookies as ``set-cookie``; no body."""
    status = status_of(document["statusCode"]) if document.get("statusCode") is not None else 200
    headers: list[tuple[str, str]] = []
    members = document.get("headers")
    members = {} if members is None else members
    if not isinstance(members, dict):
        raise MalformedHttpResponse("headers is not an object")
    for name, value in members.items():
        text = header_value(name, value)
        if text is not None:
            headers.append((name, text))
    cookies = document.get("cookies")
    cookies = [] if cookies is None else cookies
    if not isinstance(cookies, list) or not all(isinstance(cookie, str) for cookie in cookies):
        raise MalformedHttpResponse("cookies is not a list of strings")
    headers.extend(("set-cookie", cookie) for cookie in cookies)
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("content-type", DEFAULT_TYPE))
    return HttpResponse(status=status, headers=tuple(headers))
