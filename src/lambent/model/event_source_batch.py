"""The decisions a poller makes about a batch, as AWS makes them. Pure.

- ``failed_items``: which records a function that reports batch item failures
  (``FunctionResponseTypes: ReportBatchItemFailures``) says failed. An empty or null answer,
  ``{}``, or a null or empty ``batchItemFailures`` is a complete success; an answer that is not
  JSON, or an ``itemIdentifier`` that is missing, null, empty or names no record of the batch,
  fails the whole batch (the developer guide's "Reporting batch item failures").
- ``filters`` and ``matches``: ``FilterCriteria`` as event patterns; a record is kept when any
  filter matches it, and a mapping with no filters keeps every record.
- ``next_workers``: the queue pollers' scaling, AWS's for SQS: it starts with five concurrent
  batches (fewer when ``MaximumConcurrency`` is lower), adds one each time a batch comes back
  full, and gives one up each time a receive comes back empty, never below the start.
"""

from __future__ import annotations

import json
from typing import Any

from lambent.model import event_pattern
from lambent.model.event_pattern import EventPattern
from lambent.model.event_source_mapping import MappingInput

START_WORKERS = 5
#: The most a Lambda invocation takes as a synchronous payload: a batch is cut before it.
PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024


def failed_items(answer: Any, parsed: bool, identifiers: list[str]) -> set[str] | None:
    """The identifiers of the failed records, or None: the whole batch failed. *answer* is the
    function's answer parsed (*parsed*: it was JSON, or empty)."""
    if not parsed:
        return None
    if answer is None or answer == {} or not isinstance(answer, dict):
        return set()
    failures = answer.get("batchItemFailures")
    if failures is None or failures == []:
        return set()
    if not isinstance(failures, list):
        return None
    known, failed = set(identifiers), set()
    for item in failures:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or not identifier or identifier not in known:
            return None
        failed.add(identifier)
    return failed


def filters(settings: MappingInput) -> list[EventPattern]:
    """The mapping's filter patterns, compiled (checked at create and update)."""
    specs = settings.filter_criteria.filters if settings.filter_criteria else None
    return [event_pattern.parse(spec.pattern or "") for spec in specs or []]


def matches(patterns: list[EventPattern], view: dict[str, Any]) -> bool:
    return not patterns or any(pattern.matches(view) for pattern in patterns)


def decoded(payload: bytes) -> Any:
    """A record's payload as filters see it: JSON when it parses, else its text (bytes that are
    not UTF-8 replaced), so a pattern on a field of plain text matches nothing."""
    text = payload.decode(errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def start_workers(maximum: int) -> int:
    return min(START_WORKERS, maximum)


def next_workers(current: int, full_batch: bool, empty: bool, maximum: int) -> int:
    """How many batches to poll for at once after one receive."""
    if full_batch:
        return min(current + 1, maximum)
    if empty:
        return max(current - 1, start_workers(maximum))
    return current


def processing_result(function_error: str | None, refused: str | None) -> str:
    """``LastProcessingResult`` after a batch: ``OK``, or AWS's ``PROBLEM: ...`` words."""
    if refused is not None:
        return f"PROBLEM: Function call failed. {refused}"
    if function_error is not None:
        return "PROBLEM: Function call failed"
    return "OK"
