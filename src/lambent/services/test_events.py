"""Saved test events (the console's "Test" tab): named JSON documents per function, per account.

A body is kept as the user wrote it, once it parses as JSON (what Invoke would take); names are
those the AWS console allows (letters, digits, ``-``, ``_``, ``.``; 1-25 characters), and a
function keeps at most ``MAX_EVENTS``, as AWS's does.
"""

from __future__ import annotations

import json
import re

from lambent.errors import InvalidParameterValueException
from lambent.store import TestEventStore

NAME = re.compile(r"[A-Za-z0-9_.-]{1,25}")
MAX_EVENTS = 10
MAX_BODY_BYTES = 256 * 1024


def check(name: str, body: str) -> None:
    """InvalidParameterValueException naming what is wrong with a test event."""
    if not NAME.fullmatch(name):
        raise InvalidParameterValueException("A test event's name is 1-25 letters, digits, '-', '_' or '.'.")
    if len(body.encode()) > MAX_BODY_BYTES:
        raise InvalidParameterValueException(f"A test event is at most {MAX_BODY_BYTES} bytes.")
    try:
        json.loads(body)
    except ValueError as bad:
        raise InvalidParameterValueException(f"The event is not JSON: {bad}") from None


class TestEventService:
    __test__ = False  # a service, not a pytest class

    def __init__(self, store: TestEventStore) -> None:
        """*store*: the store's view of one account; ``of`` gives another's."""
        self._store = store

    async def list(self, function: str) -> dict[str, str]:
        return await self._store.test_events(function)

    async def save(self, function: str, name: str, body: str) -> None:
        check(name, body)
        saved = await self._store.test_events(function)
        if name not in saved and len(saved) >= MAX_EVENTS:
            raise InvalidParameterValueException(f"A function keeps at most {MAX_EVENTS} test events; delete one first.")
        await self._store.put_test_event(function, name, body)

    async def delete(self, function: str, name: str) -> None:
        await self._store.delete_test_event(function, name)
