"""Tumbling windows over a Kinesis shard, as AWS keeps them. Pure: time is an argument.

With ``TumblingWindowInSeconds`` W, a record belongs to the window of its
``approximateArrivalTimestamp`` t, which runs from ``floor(t / W) * W`` for W seconds. A batch
holds the records of one window (``stream_batch.batch_cut``). The function's event carries AWS's
members beside ``Records``: ``window`` {start, end}, ``state``, ``shardId``, ``eventSourceARN``,
``isFinalInvokeForWindow`` and ``isWindowTerminatedEarly`` (``fields``).

The function answers ``{"state": ...}``, with ``batchItemFailures`` if it reports them. An answer
without ``state`` is a failed invocation (the developer guide: "If the response does not contain
a state property, Lambda considers this a failed invocation"). The state it answers is the state
of the next invocation in the window; a new window starts from ``{}``. A window is over when a
record of a later window is next, or when its end has passed and the shard has been read up to
now (``final_due``). Its last invocation then has ``isFinalInvokeForWindow`` true and no
records, and afterwards its state is dropped. A state over 1 MB ends the window early: the next
invocation is the window's final one, with ``isWindowTerminatedEarly`` true, and the window's
later records start again from an empty state.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import msgspec

STATE_LIMIT_BYTES = 1024 * 1024


class Window(msgspec.Struct, frozen=True, kw_only=True):
    start_s: int
    end_s: int


def window_of(arrival_s: float, tumbling_s: int) -> Window:
    start = math.floor(arrival_s / tumbling_s) * tumbling_s
    return Window(start_s=start, end_s=start + tumbling_s)


class OpenWindow(msgspec.Struct, frozen=True, kw_only=True):
    """A lane's window in progress: which window, and the state the function last answered."""

    window: Window
    state: Any = msgspec.field(default_factory=dict)
    terminated_early: bool = False


def opened(arrival_s: float, tumbling_s: int) -> OpenWindow:
    """The window a batch whose first record arrived at *arrival_s* opens, from an empty state."""
    return OpenWindow(window=window_of(arrival_s, tumbling_s))


def _instant(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fields(current: OpenWindow, shard_id: str, stream_arn: str, final: bool) -> dict[str, Any]:
    """The event's members beside ``Records`` for an invocation in *current*."""
    return {
        "window": {"start": _instant(current.window.start_s), "end": _instant(current.window.end_s)},
        "state": current.state,
        "shardId": shard_id,
        "eventSourceARN": stream_arn,
        "isFinalInvokeForWindow": final,
        "isWindowTerminatedEarly": final and current.terminated_early,
    }


def answered_state(answer: Any) -> tuple[bool, Any]:
    """(whether the function's parsed answer has a ``state``, that state)."""
    if isinstance(answer, dict) and "state" in answer:
        return True, answer["state"]
    return False, None


def after_success(current: OpenWindow, state: Any) -> OpenWindow:
    """*current* carrying the state the function answered. A state over the limit ends the
    window early."""
    size = len(msgspec.json.encode(state))
    return msgspec.structs.replace(current, state=state, terminated_early=size > STATE_LIMIT_BYTES)


def final_due(current: OpenWindow | None, next_arrival_s: float | None, now: float, caught_up: bool, tumbling_s: int) -> bool:
    """Whether the lane's next invocation is *current*'s final one. *next_arrival_s* is the
    arrival of the lane's next waiting record (None: none waits); *caught_up*: the shard has been
    read up to its end, so no record of the window can still come."""
    if current is None:
        return False
    if current.terminated_early:
        return True
    if next_arrival_s is not None:
        return window_of(next_arrival_s, tumbling_s) != current.window
    return caught_up and now >= current.window.end_s
