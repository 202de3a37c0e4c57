"""Admission: reserved and unreserved concurrency, and the scale-out rate in its 10 s window,
moved by the fake clock. A throttle names AWS's Reason and changes no count."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lambent.clock import FakeClock
from lambent.errors import TooManyRequestsException
from lambent.invoker.admission import Admission
from lambent.model.limits import SCALE_OUT_WINDOW_S
from lambent.sandbox.fake import FakeCall


def reason(refused: pytest.ExceptionInfo[TooManyRequestsException]) -> Any:
    return refused.value.fields["Reason"]


def test_reserved_concurrency_caps_the_function_and_only_it() -> None:
    admission = Admission(FakeClock(), concurrency_limit=10, scale_out_limit=1000)
    admission.admit("fn", 2, 2, new_environment=True)
    admission.admit("fn", 2, 2, new_environment=True)
    with pytest.raises(TooManyRequestsException) as refused:
        admission.admit("fn", 2, 2, new_environment=False)
    assert reason(refused) == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert admission.running("fn") == 2 and admission.busy == 2  # the refusal counted nothing
    admission.admit("other", None, 2, new_environment=True)  # the unreserved pool is apart
    admission.release("fn", 2)
    admission.admit("fn", 2, 2, new_environment=False)
    assert admission.running("fn") == 2


def test_the_unreserved_pool_is_the_account_limit_less_every_reservation() -> None:
    admission = Admission(FakeClock(), concurrency_limit=5, scale_out_limit=1000)
    for name in ("a", "b", "c"):
        admission.admit(name, None, 2, new_environment=True)
    with pytest.raises(TooManyRequestsException) as refused:
        admission.admit("d", None, 2, new_environment=True)
    assert reason(refused) == "ConcurrentInvocationLimitExceeded"
    admission.admit("reserved", 2, 2, new_environment=True)  # its reservation is its own
    admission.release("a", None)
    admission.admit("d", None, 2, new_environment=True)
    assert admission.busy == 4


def test_the_scale_out_rate_counts_new_environments_in_a_window_the_clock_moves() -> None:
    clock = FakeClock()

    async def scenario() -> None:
        admission = Admission(clock, concurrency_limit=100, scale_out_limit=2)
        admission.admit("fn", None, 0, new_environment=True)
        await clock.advance(4)
        admission.admit("fn", None, 0, new_environment=True)
        admission.admit("fn", None, 0, new_environment=False)  # a warm environment: not a start
        with pytest.raises(TooManyRequestsException) as refused:
            admission.admit("fn", None, 0, new_environment=True)
        assert reason(refused) == "FunctionInvocationRateLimitExceeded"
        with pytest.raises(TooManyRequestsException) as reserved:
            admission.admit("fn", 50, 50, new_environment=True)
        assert reason(reserved) == "ReservedFunctionInvocationRateLimitExceeded"
        admission.admit("other", None, 0, new_environment=True)  # per function
        await clock.advance(SCALE_OUT_WINDOW_S - 4)  # the first start leaves the window
        admission.admit("fn", None, 0, new_environment=True)
        with pytest.raises(TooManyRequestsException):
            admission.admit("fn", None, 0, new_environment=True)
        assert admission.running("fn") == 4

    asyncio.run(scenario())


def test_the_invoker_throttles_before_starting_anything(harness: Any, version: Any, make_request: Any, gate: Any) -> None:
    async def scenario() -> None:
        held = gate()

        async def handler(call: FakeCall) -> int:
            await held.wait()
            return call.process.pid

        h = harness(handler, scale_out_limit=1)
        fn = version()
        running = asyncio.create_task(h.invoker.invoke(fn, make_request(1), reserved=1, reserved_total=1))
        await held.until_entered(1)
        with pytest.raises(TooManyRequestsException) as refused:
            await h.invoker.invoke(fn, make_request(2), reserved=1, reserved_total=1)
        assert reason(refused) == "ReservedFunctionConcurrentInvocationLimitExceeded"
        with pytest.raises(TooManyRequestsException) as rate:
            await h.invoker.invoke(fn, make_request(3))  # would need a second new environment
        assert reason(rate) == "FunctionInvocationRateLimitExceeded"
        assert len(h.sandbox.processes) == 1 and h.invoker.statistics().busy == 1
        held.open()
        await running
        await h.invoker.invoke(fn, make_request(4))  # warm: within the rate
        assert h.invoker.statistics().busy == 0 and len(h.sandbox.processes) == 1
        await h.invoker.shutdown()

    asyncio.run(scenario())
