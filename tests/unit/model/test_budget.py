"""Budget rules (model.budget): thresholds fire once, THROTTLE holds at the cap, months end."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.errors import InvalidParameterValueException
from lambent.model.budget import Budget, check, crossed, exhausted, seconds_to_month_end


def test_thresholds_are_sorted_and_fire_once_each() -> None:
    budget = check(Budget(name="b", limit="10", thresholds=[100, 50, 80, 50]))
    assert budget.thresholds == [50, 80, 100]
    assert crossed(budget, Decimal("4.99"), set()) == []
    assert crossed(budget, Decimal("8"), set()) == [50, 80]
    assert crossed(budget, Decimal("12"), {50, 80}) == [100]


@given(st.decimals(min_value=0, max_value=1000, allow_nan=False, places=4))
def test_throttle_holds_exactly_at_the_cap(spent: Decimal) -> None:
    throttling = Budget(name="t", limit="12.5", action="THROTTLE")
    alerting = Budget(name="a", limit="12.5", action="ALERT")
    assert exhausted(throttling, spent) == (spent >= Decimal("12.5"))
    assert not exhausted(alerting, spent)


def test_retry_after_runs_to_the_end_of_the_month() -> None:
    last_second = datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC).timestamp()
    assert seconds_to_month_end(last_second) == 2
    december = datetime(2026, 12, 31, 12, 0, tzinfo=UTC).timestamp()
    assert seconds_to_month_end(december) == 12 * 3600 + 1


@pytest.mark.parametrize(
    "budget",
    [
        Budget(name="has space", limit="1"),
        Budget(name="b", limit="NaN"),
        Budget(name="b", limit="0"),
        Budget(name="b", limit="1", unit="EUR"),
        Budget(name="b", limit="1", thresholds=[]),
        Budget(name="b", limit="1", notify="https://example.com"),
    ],
)
def test_malformed_budgets_are_refused(budget: Budget) -> None:
    with pytest.raises(InvalidParameterValueException):
        check(budget)
