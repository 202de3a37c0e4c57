"""model/runtime_api.py: every transition of the Runtime API's state machine, and every refusal."""

from __future__ import annotations

import pytest

from lambent.model.runtime_api import Refusal, State, on_answer, on_init_error, on_next


@pytest.mark.parametrize("state", [State.INITIALIZING, State.IDLE, State.RESPONDED])
def test_next_from_initializing_idle_or_responded_is_idle(state: State) -> None:
    assert on_next(state) is State.IDLE


def test_next_with_an_unanswered_invocation_is_refused() -> None:
    assert on_next(State.INVOKED) == Refusal(
        403, "InvalidStateTransition", "State transition from Invoked to Ready failed: the invocation has not been answered"
    )


def test_next_after_a_failed_init_is_refused() -> None:
    assert on_next(State.FAILED) == Refusal(403, "InvalidStateTransition", "State transition from failed to Ready failed")


def test_answering_the_invocation_in_flight_is_responded() -> None:
    assert on_answer(State.INVOKED, "req", "req") is State.RESPONDED


def test_a_second_answer_is_refused() -> None:
    assert on_answer(State.RESPONDED, "req", "req") == Refusal(
        403, "InvalidStateTransition", "State transition from RuntimeResponseSent to InvocationResponse failed"
    )


@pytest.mark.parametrize("state", list(State))
def test_an_answer_for_another_request_id_is_invalid_request_id(state: State) -> None:
    assert on_answer(state, "req", "other") == Refusal(400, "InvalidRequestID", "Invalid request ID: other")


def test_an_answer_with_nothing_in_flight_names_the_state() -> None:
    assert on_answer(State.IDLE, None, "req") == Refusal(400, "InvalidRequestID", "Invalid request ID: req")
    for state in (State.IDLE, State.INITIALIZING, State.FAILED):
        assert on_answer(state, "req", "req") == Refusal(
            403, "InvalidStateTransition", f"State transition from {state.value} to InvocationResponse failed"
        )


def test_init_error_only_before_the_first_next() -> None:
    assert on_init_error(State.INITIALIZING) is State.FAILED
    for state in (State.IDLE, State.INVOKED, State.RESPONDED, State.FAILED):
        assert on_init_error(state) == Refusal(
            403, "InvalidStateTransition", f"State transition from {state.value} to InitError failed"
        )


def test_a_whole_life_next_answer_next_answer() -> None:
    state = on_next(State.INITIALIZING)
    assert state is State.IDLE
    for request_id in ("a", "b"):
        state = State.INVOKED  # the platform hands the runtime an invocation
        assert on_next(state) == on_next(State.INVOKED)  # refused while it is unanswered
        state = on_answer(state, request_id, request_id)
        assert state is State.RESPONDED
        state = on_next(state)
        assert state is State.IDLE
