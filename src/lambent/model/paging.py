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
