"""The one bounded body reader, for the Lambda API and the Runtime API alike.

Guarantees: never holds more than *limit* bytes of a body; refuses with AWS's 413
(``RequestEntityTooLargeException``, "Request must be smaller than N bytes for the Op
operation") as soon as the body is known to exceed the limit: before reading anything when a
``Content-Length`` says so, else at the first chunk past it, leaving the rest unread. A client
that disconnects mid-body raises Starlette's ``ClientDisconnect``, as ``Request.stream`` does.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect
from starlette.types import Receive

from lambent.errors import RequestEntityTooLargeException


def too_large(limit: int, operation: str) -> RequestEntityTooLargeException:
    return RequestEntityTooLargeException(f"Request must be smaller than {limit} bytes for the {operation} operation")


async def read_body(receive: Receive, limit: int, operation: str, declared: str | None = None) -> bytes:
    """The body from the ASGI messages of *receive*; *declared* is the Content-Length header."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit, operation)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit, operation)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
