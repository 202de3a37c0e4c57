"""The Runtime API's state machine for one execution environment. Pure.

    INITIALIZING ──next──▶ IDLE ──(platform sends an event)──▶ INVOKED ──response/error──▶ RESPONDED
         │                  ▲                                                              │
         └──init/error──▶ FAILED                     └────────────next────────────────────┘

A runtime answers each invocation once: a second answer, or an answer out of turn, is
``InvalidStateTransition`` (403); an id that is not the invocation in flight is
``InvalidRequestID`` (400). ``init/error`` is allowed only before the first ``next``.
"""

from __future__ import annotations

import enum

import msgspec


class State(enum.Enum):
    INITIALIZING = "initializing"
    IDLE = "idle"
    INVOKED = "invoked"
    RESPONDED = "responded"
    FAILED = "failed"


class Refusal(msgspec.Struct, frozen=True):
    status: int
    error_type: str
    message: str


def on_next(state: State) -> State | Refusal:
    """The runtime asks for work: it is initialised, or done with the previous invocation."""
    if state in (State.INITIALIZING, State.RESPONDED, State.IDLE):
        return State.IDLE
    if state is State.INVOKED:
        return Refusal(
            403, "InvalidStateTransition", "State transition from Invoked to Ready failed: the invocation has not been answered"
        )
    return Refusal(403, "InvalidStateTransition", f"State transition from {state.value} to Ready failed")


def on_answer(state: State, in_flight: str | None, request_id: str) -> State | Refusal:
    """The runtime answers (response or error) invocation *request_id*."""
    if state is State.INVOKED and request_id == in_flight:
        return State.RESPONDED
    if state is State.RESPONDED and request_id == in_flight:
        return Refusal(403, "InvalidStateTransition", "State transition from RuntimeResponseSent to InvocationResponse failed")
    if request_id != in_flight:
        return Refusal(400, "InvalidRequestID", f"Invalid request ID: {request_id}")
    return Refusal(403, "InvalidStateTransition", f"State transition from {state.value} to InvocationResponse failed")


def on_init_error(state: State) -> State | Refusal:
    if state is State.INITIALIZING:
        return State.FAILED
    return Refusal(403, "InvalidStateTransition", f"State transition from {state.value} to InitError failed")
