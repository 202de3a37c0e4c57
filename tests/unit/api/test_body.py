"""The bounded body reader: 413 with AWS's message before reading past the limit."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.requests import ClientDisconnect

from lambent.api.body import read_body
from lambent.errors import RequestEntityTooLargeException


class Messages:
    """An ASGI receive that hands out the given messages and counts how many were taken."""

    def __init__(self, *messages: dict[str, Any]) -> None:
        self._messages = list(messages)
        self.taken = 0

    async def __call__(self) -> dict[str, Any]:
        self.taken += 1
        return self._messages.pop(0)


def chunk(body: bytes, more: bool) -> dict[str, Any]:
    return {"type": "http.request", "body": body, "more_body": more}


def read(receive: Messages, limit: int, declared: str | None = None) -> bytes:
    return asyncio.run(read_body(receive, limit, "Invoke", declared))


def test_joins_the_chunks_up_to_the_limit() -> None:
    receive = Messages(chunk(b"ab", True), chunk(b"cd", True), chunk(b"", False))
    assert read(receive, 4) == b"abcd"


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    receive = Messages(chunk(b"x" * 10, False))
    with pytest.raises(RequestEntityTooLargeException) as refused:
        read(receive, 4, declared="10")
    assert refused.value.message == "Request must be smaller than 4 bytes for the Invoke operation"
    assert refused.value.status == 413
    assert receive.taken == 0


def test_an_undeclared_body_is_refused_at_the_first_chunk_past_the_limit() -> None:
    receive = Messages(chunk(b"abc", True), chunk(b"de", True), chunk(b"never read", False))
    with pytest.raises(RequestEntityTooLargeException):
        read(receive, 4)
    assert receive.taken == 2


def test_a_declared_length_that_is_not_a_number_is_ignored() -> None:
    assert read(Messages(chunk(b"ok", False)), 4, declared="lots") == b"ok"


def test_a_client_gone_mid_body_is_a_disconnect_not_a_short_body() -> None:
    with pytest.raises(ClientDisconnect):
        read(Messages(chunk(b"ab", True), {"type": "http.disconnect"}), 4)
