"""Budgets (Lambent's, beyond AWS): a monthly cap on an account's or a function's spend. Pure.

A budget caps cost after the free tier (``USD``) or duration (``GB-s``, on-demand and
provisioned-concurrency duration) within each calendar month (UTC). Crossing a threshold
(percentages of the cap) raises one alert per threshold per month; at 100 % a ``THROTTLE``
budget refuses new invocations with a 429 whose Reason is ``BudgetExceeded`` until the month
ends or the budget is raised. Invocations already running finish (and are billed): a cap holds
to within what was in flight when it was reached.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import msgspec

from lambent.errors import InvalidParameterValueException
from lambent.model.event_invoke import destination_kind

UNITS = ("USD", "GB-s")
ACTIONS = ("ALERT", "THROTTLE")
NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
REASON = "BudgetExceeded"


class Budget(msgspec.Struct, frozen=True, kw_only=True, rename="pascal", forbid_unknown_fields=True):
    #: From the URL: ``PUT .../budgets/{name}``.
    name: str = ""
    limit: str
    unit: str = "USD"
    action: str = "ALERT"
    function_name: str | None = None
    thresholds: list[int] = msgspec.field(default_factory=lambda: [50, 80, 100])
    #: Where alerts go: a function, SQS queue or webhook ARN, as destinations take.
    notify: str | None = None

    @property
    def cap(self) -> Decimal:
        return Decimal(self.limit)


def check(budget: Budget) -> Budget:
    """*budget* if it is well formed, else InvalidParameterValueException naming the field."""
    if not NAME.fullmatch(budget.name):
        raise InvalidParameterValueException("Budget Name must be 1-64 characters of letters, digits, '_', '.' or '-'.")
    try:
        cap = Decimal(budget.limit)
    except InvalidOperation:
        raise InvalidParameterValueException(f"Budget Limit {budget.limit!r} is not a number.") from None
    if not cap.is_finite() or cap <= 0:
        raise InvalidParameterValueException("Budget Limit must be greater than 0.")
    if budget.unit not in UNITS:
        raise InvalidParameterValueException(f"Budget Unit must be one of {', '.join(UNITS)}.")
    if budget.action not in ACTIONS:
        raise InvalidParameterValueException(f"Budget Action must be one of {', '.join(ACTIONS)}.")
    if not budget.thresholds or any(not 1 <= t <= 1000 for t in budget.thresholds):
        raise InvalidParameterValueException("Budget Thresholds must be percentages from 1 to 1000.")
    if budget.notify is not None and destination_kind(budget.notify) == "unsupported":
        raise InvalidParameterValueException("Budget Notify must be a function, SQS queue or lambent-webhook ARN.")
    return msgspec.structs.replace(budget, thresholds=sorted(set(budget.thresholds)))


def crossed(budget: Budget, spent: Decimal, fired: set[int]) -> list[int]:
    """Thresholds that *spent* has reached and that have not raised an alert yet this month."""
    return [t for t in budget.thresholds if t not in fired and spent * 100 >= budget.cap * t]


def exhausted(budget: Budget, spent: Decimal) -> bool:
    return budget.action == "THROTTLE" and spent >= budget.cap


def seconds_to_month_end(now: float) -> int:
    moment = datetime.fromtimestamp(now, UTC)
    following = datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=UTC)
    return max(1, int(following.timestamp() - now) + 1)
