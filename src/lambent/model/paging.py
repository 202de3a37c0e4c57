"""Marker paging as the Lambda list operations page: pure."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from lambent.model.limits import LIST_PAGE_LIMIT

T = TypeVar("T")


def page(items: list[T], key: Callable[[T], str], marker: str | None, max_items: int | None) -> tuple[list[T], str | None]:
    """Items after *marker* (a key), at most 50 or *max_items*, and the marker of the next page."""
    start = 0
    if marker:
        start = next((i for i, item in enumerate(items) if key(item) == marker), len(items) - 1) + 1
    size = min(max_items or LIST_PAGE_LIMIT, LIST_PAGE_LIMIT)
    chosen = items[start : start + size]
    return chosen, key(chosen[-1]) if start + size < len(items) and chosen else None


def offset_page(items: list[T], token: object, size: object, limit: int) -> tuple[list[T], str | None]:
    """Items from the offset *token* names (the start when it names none), *size* of them (at
    most *limit*, the operation's page), and the next page's token: EventBridge's and
    Scheduler's NextToken, which the client passes back as it was given."""
    start = int(token) if isinstance(token, str) and token.isdigit() else 0
    count = int(size) if isinstance(size, int) or (isinstance(size, str) and size.isdigit()) else limit
    chosen = items[start : start + count]
    return chosen, str(start + count) if start + count < len(items) else None
