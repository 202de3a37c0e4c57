"""Billing arithmetic (model.billing): rounding, volume tiers, the free tier across months."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambent.model.billing import (
    MB_MS_PER_GB_S,
    MonthState,
    Totals,
    charge,
    cost,
    period_of,
    price_table,
)
from lambent.model.logs import billed_duration_ms
from lambent.services.metering import DEFAULT_PRICES, load_prices
from tests.fixtures.usage import NOV, record

PRICES = load_prices(None)


def test_default_prices_are_aws_us_east_1() -> None:
    x86, arm = PRICES.architecture("x86_64"), PRICES.architecture("arm64")
    assert PRICES.requests_per_million == Decimal("0.20")
    assert x86.duration == (Decimal("0.0000166667"), Decimal("0.000015"), Decimal("0.0000133334"))
    assert x86.tier_starts_gb_s == (6_000_000_000, 15_000_000_000)
    assert arm.duration[0] == Decimal("0.0000133334")
    assert (PRICES.free_requests, PRICES.free_gb_s) == (1_000_000, 400_000)
    assert DEFAULT_PRICES.name == "prices.toml"


def test_a_malformed_price_table_is_refused() -> None:
    with pytest.raises(ValueError, match="price table"):
        price_table({"requests_per_million": "0.2"})
    with pytest.raises(ValueError, match="increasing tier starts"):
        price_table(
            {
                "requests_per_million": "0.2",
                "ephemeral_storage_per_gb_s": "0",
                "free_tier": {"requests": 0, "gb_seconds": 0},
                "architectures": {
                    "x86_64": {
                        "duration_per_gb_s": ["1", "1", "1"],
                        "tier_starts_gb_s": [5, 2],
                        "provisioned_concurrency_per_gb_s": "0",
                        "provisioned_duration_per_gb_s": "0",
                    }
                },
            }
        )


def test_a_price_file_can_replace_the_defaults(tmp_path: Path) -> None:
    text = DEFAULT_PRICES.read_text().replace('requests_per_million = "0.20"', 'requests_per_million = "0.25"')
    (tmp_path / "p.toml").write_text(text)
    assert load_prices(tmp_path / "p.toml").requests_per_million == Decimal("0.25")


@given(duration=st.floats(0, 900_000, allow_nan=False), init=st.none() | st.floats(0, 10_000, allow_nan=False))
def test_billed_duration_is_duration_plus_init_rounded_up(duration: float, init: float | None) -> None:
    billed = billed_duration_ms(duration, init)
    total = duration + (init or 0.0)
    assert billed >= 1 and billed - total < 1 + 1e-6 and billed >= total - 1e-6
    assert billed == max(1, math.ceil(round(total, 6)))


def test_one_millisecond_at_128_mb_costs_what_aws_says() -> None:
    one = record(1)
    made, _ = charge(one, MonthState(free_requests=PRICES.free_requests, free_mb_ms=400_000 * MB_MS_PER_GB_S), PRICES)
    totals = Totals()
    totals.add_charge(one, made)
    before, after = cost(totals, "x86_64", PRICES)
    # $0.0000166667 per GB-s x 0.000125 GB-s (1 ms at 128 MB) + $0.20 per million requests.
    assert before == after == Decimal("0.0000166667") * Decimal("0.000125") + Decimal("0.0000002")


records_strategy = st.lists(
    st.tuples(
        st.integers(1, 900_000),  # billed ms
        st.sampled_from([128, 512, 1769, 10240]),
        st.sampled_from(["x86_64", "arm64"]),
        st.integers(0, 3),  # day offset: crosses the month boundary
        st.booleans(),  # on provisioned concurrency
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(records_strategy, st.integers(0, 999_999), st.integers(0, 400_000 * MB_MS_PER_GB_S))
def test_charges_conserve_usage_and_free_tier_is_first_use_per_month(
    items: list[tuple[int, int, str, int, bool]], used_requests: int, used_free_mb_ms: int
) -> None:
    """Every MB-ms lands in exactly one tier; the free tier goes to the month's first use and
    restarts with the month; nothing is free twice."""
    boundary = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp() * 1000)
    states: dict[str, MonthState] = {"2026-11": MonthState(free_requests=used_requests, free_mb_ms=used_free_mb_ms)}
    free_left = {
        "2026-11": (PRICES.free_requests - used_requests, 400_000 * MB_MS_PER_GB_S - used_free_mb_ms),
        "2026-12": (PRICES.free_requests, 400_000 * MB_MS_PER_GB_S),
    }
    for billed, memory, arch, day, provisioned in items:
        end = boundary - 2 * 86_400_000 + day * 86_400_000 - 1
        month, _ = period_of(end)
        state = states.get(month, MonthState())
        made, states[month] = charge(record(billed, memory, end, arch, provisioned=provisioned), state, PRICES)
        assert made.month == month and made.requests == 1
        requests_left, mb_ms_left = free_left[month]
        assert made.free_requests == (1 if requests_left > 0 else 0)
        if provisioned:
            assert made.pc_duration_mb_ms == billed * memory and made.mb_ms == 0 and made.free_mb_ms == 0
        else:
            assert made.mb_ms == billed * memory and made.pc_duration_mb_ms == 0
            assert made.free_mb_ms == min(billed * memory, mb_ms_left)
            assert made.free_mb_ms <= made.tier_mb_ms[0]
        free_left[month] = (requests_left - made.free_requests, mb_ms_left - made.free_mb_ms)
    for state in states.values():
        assert state.free_requests <= PRICES.free_requests
        assert state.free_mb_ms <= 400_000 * MB_MS_PER_GB_S


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 20_000_000_000 * MB_MS_PER_GB_S), st.integers(1, 900_000 * 10240))
def test_volume_tiers_split_exactly_at_their_starts(before: int, amount: int) -> None:
    starts = (6_000_000_000 * MB_MS_PER_GB_S, 15_000_000_000 * MB_MS_PER_GB_S)
    state = MonthState(
        free_requests=PRICES.free_requests, free_mb_ms=400_000 * MB_MS_PER_GB_S, on_demand_mb_ms={"x86_64": before}
    )
    made, after = charge(record(amount, 1), state, PRICES)
    t1, t2, t3 = made.tier_mb_ms
    assert t1 + t2 + t3 == amount and after.on_demand_mb_ms["x86_64"] == before + amount
    assert t1 == max(0, min(before + amount, starts[0]) - before)
    assert t3 == max(0, before + amount - max(before, starts[1]))


@settings(max_examples=100, deadline=None)
@given(records_strategy)
def test_cost_of_a_sum_is_the_sum_of_costs(items: list[tuple[int, int, str, int, bool]]) -> None:
    """Reports group records freely: money computed from summed integers must not drift."""
    state = MonthState()
    whole = {"x86_64": Totals(), "arm64": Totals()}
    parts: list[tuple[Decimal, Decimal]] = []
    for billed, memory, arch, _day, provisioned in items:
        used = record(billed, memory, NOV, arch, provisioned=provisioned)
        made, state = charge(used, state, PRICES)
        one = Totals()
        one.add_charge(used, made)
        whole[arch].add_charge(used, made)
        parts.append(cost(one, arch, PRICES))
    total_before = sum((cost(t, a, PRICES)[0] for a, t in whole.items()), Decimal(0))
    total_after = sum((cost(t, a, PRICES)[1] for a, t in whole.items()), Decimal(0))
    assert total_before == sum((p[0] for p in parts), Decimal(0))
    assert total_after == sum((p[1] for p in parts), Decimal(0))
    assert Decimal(0) <= total_after <= total_before


def test_provisioned_allocation_is_never_free_and_not_a_request() -> None:
    allocation = record(60_000, 1024, kind="provisioned", provisioned=True)
    made, state = charge(allocation, MonthState(), PRICES)
    assert made.requests == 0 and made.free_requests == 0 and made.pc_allocated_mb_ms == 60_000 * 1024
    assert state == MonthState()
    totals = Totals()
    totals.add_charge(allocation, made)
    assert totals.billed_ms == 0 and totals.records == 1  # an allocation is not an invocation
    before, after = cost(totals, "x86_64", PRICES)
    assert before == after == Decimal(60) * Decimal("0.0000041667")


def test_a_snapshot_init_is_billed_duration_but_not_a_request() -> None:
    # SnapStart: the init run once for the snapshot is billed as on-demand duration (and may use
    # the free tier's GB-s), but it is no invocation: no request, not the free tier's requests.
    init = record(812, 1024, kind="snapshot")
    made, state = charge(init, MonthState(), PRICES)
    assert made.requests == 0 and made.free_requests == 0
    assert sum(made.tier_mb_ms) == 812 * 1024 and made.free_mb_ms == 812 * 1024
    assert state.requests == 0 and state.on_demand_mb_ms == {"x86_64": 812 * 1024}
    totals = Totals()
    totals.add_charge(init, made)
    assert totals.billed_ms == 812 and totals.requests == 0


def test_periods_change_at_midnight_utc() -> None:
    start = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp() * 1000)
    end = int(datetime(2027, 1, 1, tzinfo=UTC).timestamp() * 1000)
    assert period_of(start) == ("2026-12", "2026-12-01") and period_of(end - 1) == ("2026-12", "2026-12-31")
    assert period_of(end) == ("2027-01", "2027-01-01")
