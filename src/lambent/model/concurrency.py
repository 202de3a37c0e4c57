"""Concurrency: whether one more execution may start, and why not. Pure.

AWS's rules: an account has a limit (1,000 by default); a function with reserved concurrency N
runs at most N at once and never takes from the rest; all other functions share what is left
(the unreserved pool), which reservations may not shrink below 100. A throttle names its
reason.
"""

from __future__ import annotations

import msgspec

from lambent.errors import InvalidParameterValueException
from lambent.model.limits import MINIMUM_UNRESERVED, SCALE_OUT_WINDOW_S

RESERVED_LIMIT_EXCEEDED = "ReservedFunctionConcurrentInvocationLimitExceeded"
SCALE_OUT_EXCEEDED = "FunctionInvocationRateLimitExceeded"
RESERVED_SCALE_OUT_EXCEEDED = "ReservedFunctionInvocationRateLimitExceeded"
ACCOUNT_LIMIT_EXCEEDED = "ConcurrentInvocationLimitExceeded"


def throttle_reason(
    reserved: int | None, function_running: int, unreserved_running: int, account_limit: int, reserved_total: int
) -> str | None:
    """The reason one more execution of a function is refused, or None if it may run.

    *function_running*: this function's executions now; *unreserved_running*: executions now of
    every function without a reservation; *reserved_total*: the sum of all reservations.
    """
    if reserved is not None:
        return RESERVED_LIMIT_EXCEEDED if function_running >= reserved else None
    if unreserved_running >= account_limit - reserved_total:
        return ACCOUNT_LIMIT_EXCEEDED
    return None


def check_reservation(requested: int, account_limit: int, reserved_elsewhere: int) -> None:
    """Refuse a reservation that would leave fewer than 100 unreserved executions."""
    if account_limit - reserved_elsewhere - requested < MINIMUM_UNRESERVED:
        raise InvalidParameterValueException(
            "Specified ReservedConcurrentExecutions for function decreases account's "
            f"UnreservedConcurrentExecution below its minimum value of [{MINIMUM_UNRESERVED}]."
        )


def check_provisioned(
    requested: int, reserved: int | None, provisioned_elsewhere: int, account_limit: int, unreserved_available: int
) -> None:
    """Refuse a provisioned concurrency config AWS refuses, with AWS's words, in AWS's order.

    *reserved*: the function's reservation; *provisioned_elsewhere*: the function's other
    configs (this qualifier's own is being replaced); *unreserved_available*: the account's
    unreserved pool less what other unreserved functions keep provisioned.
    """
    if reserved is not None and provisioned_elsewhere + requested > reserved:
        raise InvalidParameterValueException(
            "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function"
        )
    if requested > account_limit:
        raise InvalidParameterValueException(
            f"Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [{account_limit}]."
        )
    # A reservation already set the function's share aside; only unreserved functions draw on the pool.
    if reserved is None and unreserved_available - provisioned_elsewhere - requested < MINIMUM_UNRESERVED:
        raise InvalidParameterValueException(
            "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
            f"below its minimum value of [{MINIMUM_UNRESERVED}]."
        )


def scale_out_reason(recent_starts: list[float], now: float, limit: int, reserved: int | None) -> str | None:
    """Whether one more environment may start now, given the start times of the last window
    (AWS: 1,000 new environments per 10 s per function); the throttle's Reason if not."""
    started = sum(1 for moment in recent_starts if now - moment < SCALE_OUT_WINDOW_S)
    if started < limit:
        return None
    return RESERVED_SCALE_OUT_EXCEEDED if reserved is not None else SCALE_OUT_EXCEEDED


CALLER_RATE_EXCEEDED = "CallerRateLimitExceeded"
#: AWS: invocation requests per second are limited to ten times the account's concurrency.
REQUESTS_PER_CONCURRENCY = 10


class RequestRate:
    """A token bucket of invocation requests per second (ten times the concurrency limit, as
    AWS's quota): pure, the clock is passed in."""

    def __init__(self, per_second: float) -> None:
        self.per_second = per_second
        self._tokens = per_second
        self._at: float | None = None

    def admit(self, now: float) -> str | None:
        if self._at is not None:
            self._tokens = min(self.per_second, self._tokens + (now - self._at) * self.per_second)
        self._at = now
        if self._tokens < 1:
            return CALLER_RATE_EXCEEDED
        self._tokens -= 1
        return None


class PutConcurrencyInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """PutFunctionConcurrency's body."""

    reserved: int = msgspec.field(name="ReservedConcurrentExecutions")
