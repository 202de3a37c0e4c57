"""Tumbling windows, pure: the window of a record, the event members AWS adds, the state carried
from one answer to the next invocation, and when a window's final invocation is due."""

from __future__ import annotations

import pytest

from lambent.model.stream_window import (
    STATE_LIMIT_BYTES,
    OpenWindow,
    Window,
    after_success,
    answered_state,
    fields,
    final_due,
    opened,
    window_of,
)

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/s"


@pytest.mark.parametrize(
    ("arrival", "start"),
    [(T0, T0), (T0 + 0.001, T0), (T0 + 119.999, T0), (T0 + 120, T0 + 120), (T0 + 121.5, T0 + 120), (T0 - 0.5, T0 - 120)],
)
def test_a_record_belongs_to_the_window_of_its_arrival(arrival: float, start: int) -> None:
    assert window_of(arrival, 120) == Window(start_s=start, end_s=start + 120)


def test_a_window_opens_with_an_empty_state() -> None:
    assert opened(T0 + 5, 60) == OpenWindow(window=Window(start_s=T0, end_s=T0 + 60), state={}, terminated_early=False)


def test_the_event_members_are_awss() -> None:
    current = OpenWindow(window=Window(start_s=T0 + 240, end_s=T0 + 360), state={"1": 282, "2": 715})
    assert fields(current, "shardId-000000000006", ARN, final=False) == {
        "window": {"start": "2026-01-01T00:04:00Z", "end": "2026-01-01T00:06:00Z"},
        "state": {"1": 282, "2": 715},
        "shardId": "shardId-000000000006",
        "eventSourceARN": ARN,
        "isFinalInvokeForWindow": False,
        "isWindowTerminatedEarly": False,
    }
    assert fields(current, "s", ARN, final=True)["isFinalInvokeForWindow"] is True


def test_an_answer_without_state_has_none() -> None:
    assert answered_state({"state": {"n": 1}, "batchItemFailures": []}) == (True, {"n": 1})
    assert answered_state({"state": None}) == (True, None)
    answers: list[object] = [None, {}, {"batchItemFailures": []}, [1], "state"]
    for answer in answers:
        assert answered_state(answer) == (False, None)


def test_the_state_answered_is_carried_and_one_over_a_megabyte_ends_the_window_early() -> None:
    current = opened(T0, 60)
    carried = after_success(current, {"count": 3})
    assert carried == OpenWindow(window=current.window, state={"count": 3})
    big = after_success(carried, {"blob": "x" * STATE_LIMIT_BYTES})
    assert big.terminated_early
    final = fields(big, "s", ARN, final=True)
    assert (final["isFinalInvokeForWindow"], final["isWindowTerminatedEarly"]) == (True, True)
    assert fields(big, "s", ARN, final=False)["isWindowTerminatedEarly"] is False


def test_the_final_invocation_is_due_at_a_record_of_a_later_window() -> None:
    current = opened(T0, 60)
    assert not final_due(current, T0 + 59, T0 + 500, True, 60)  # records of the window still wait
    assert final_due(current, T0 + 60, T0 + 1, False, 60)


def test_the_final_invocation_is_due_when_the_window_ended_and_the_shard_is_read_up() -> None:
    current = opened(T0, 60)
    assert not final_due(current, None, T0 + 59.9, True, 60)
    assert final_due(current, None, T0 + 60, True, 60)
    assert not final_due(current, None, T0 + 600, False, 60)  # records of the window may still be unread


def test_no_window_no_final_and_an_early_end_is_final_at_once() -> None:
    assert not final_due(None, T0, T0 + 1000, True, 60)
    early = OpenWindow(window=Window(start_s=T0, end_s=T0 + 60), terminated_early=True)
    assert final_due(early, T0 + 1, T0 + 1, False, 60)
