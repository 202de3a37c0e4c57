"""The pure decisions behind aliases and concurrency: routing draws, reservations, throttles."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.errors import InvalidParameterValueException
from lambent.model.alias import Alias, alias_document, check_routing, route
from lambent.model.concurrency import (
    ACCOUNT_LIMIT_EXCEEDED,
    RESERVED_LIMIT_EXCEEDED,
    check_provisioned,
    check_reservation,
    throttle_reason,
)

OVER_RESERVED = "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function"
OVER_ACCOUNT = "Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [1000]."
BELOW_MINIMUM = (
    "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
    "below its minimum value of [100]."
)


def alias(version: str = "1", weights: dict[str, float] | None = None) -> Alias:
    return Alias(function_name="f", name="live", function_version=version, additional_weights=weights or {}, revision_id="r")


@given(st.floats(min_value=0.0, max_value=1.0), st.floats(min_value=0.0, max_value=0.999999))
def test_route_sends_exactly_the_weight_to_the_additional_version(weight: float, draw: float) -> None:
    chosen = route(alias("1", {"2": weight}), draw)
    assert chosen == ("2" if draw < weight else "1")


def test_route_without_weights_is_the_primary_version() -> None:
    assert route(alias("3"), 0.0) == "3"


@pytest.mark.parametrize(
    ("version", "weights", "message"),
    [
        ("9", {}, "Function version 9 does not exist."),
        ("$LATEST", {"1": 0.5}, "$LATEST is not supported for an alias pointing to more than 1 version"),
        ("1", {"1": 0.5}, "Invalid function version: the primary version and the additional version must be different."),
        ("1", {"2": 0.1, "3": 0.1}, "Only one additional version is supported in the alias routing configuration."),
        ("1", {"9": 0.1}, "Function version 9 does not exist."),
    ],
)
def test_check_routing_refuses_what_aws_refuses(version: str, weights: dict[str, float], message: str) -> None:
    with pytest.raises(InvalidParameterValueException) as error:
        check_routing(version, weights, {"1", "2", "3"})
    assert error.value.message == message


def test_check_routing_accepts_latest_alone_and_a_split_of_published_versions() -> None:
    check_routing("$LATEST", {}, set())
    check_routing("1", {"2": 0.25}, {"1", "2"})


def test_alias_document() -> None:
    assert alias_document(alias("1", {"2": 0.1}), "us-east-1", "123456789012") == {
        "AliasArn": "arn:aws:lambda:us-east-1:123456789012:function:f:live",
        "Name": "live",
        "FunctionVersion": "1",
        "Description": "",
        "RevisionId": "r",
        "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.1}},
    }
    assert "RoutingConfig" not in alias_document(alias("1"), "us-east-1", "123456789012")


@given(
    reserved=st.one_of(st.none(), st.integers(0, 50)),
    running=st.integers(0, 60),
    unreserved_running=st.integers(0, 1000),
    reserved_total=st.integers(0, 900),
)
def test_throttle_reason(reserved: int | None, running: int, unreserved_running: int, reserved_total: int) -> None:
    reason = throttle_reason(reserved, running, unreserved_running, 1000, reserved_total)
    if reserved is not None:
        assert reason == (RESERVED_LIMIT_EXCEEDED if running >= reserved else None)
    else:
        assert reason == (ACCOUNT_LIMIT_EXCEEDED if unreserved_running >= 1000 - reserved_total else None)


def test_reservations_keep_100_unreserved() -> None:
    check_reservation(900, 1000, 0)
    check_reservation(400, 1000, 500)
    with pytest.raises(InvalidParameterValueException) as error:
        check_reservation(401, 1000, 500)
    assert error.value.message == (
        "Specified ReservedConcurrentExecutions for function decreases account's "
        "UnreservedConcurrentExecution below its minimum value of [100]."
    )


def _refusal(requested: int, reserved: int | None, elsewhere: int, pool: int) -> str | None:
    try:
        check_provisioned(requested, reserved, elsewhere, 1000, pool)
    except InvalidParameterValueException as error:
        return error.message
    return None


@given(st.integers(1, 1000), st.integers(0, 1000), st.integers(1, 1000))
def test_provisioned_within_the_reservation(reserved: int, elsewhere: int, requested: int) -> None:
    # A reserved function's provisioned concurrency comes out of its reservation, not the pool.
    expected = OVER_RESERVED if elsewhere + requested > reserved else None
    assert _refusal(requested, reserved, elsewhere, 100) == expected


@given(st.integers(1, 3000), st.integers(100, 1000), st.integers(0, 900))
def test_provisioned_without_a_reservation_keeps_100_unreserved(requested: int, pool: int, elsewhere: int) -> None:
    if requested > 1000:
        expected: str | None = OVER_ACCOUNT
    elif pool - elsewhere - requested < 100:
        expected = BELOW_MINIMUM
    else:
        expected = None
    assert _refusal(requested, None, elsewhere, pool) == expected


def test_provisioned_boundaries() -> None:
    assert _refusal(5, 5, 0, 100) is None
    assert _refusal(6, 5, 0, 100) == OVER_RESERVED
    assert _refusal(3, 5, 2, 100) is None
    assert _refusal(4, 5, 2, 100) == OVER_RESERVED
    assert _refusal(900, None, 0, 1000) is None
    assert _refusal(901, None, 0, 1000) == BELOW_MINIMUM
    assert _refusal(1000, None, 0, 1000) == BELOW_MINIMUM
    assert _refusal(1001, None, 0, 1000) == OVER_ACCOUNT
    # The reservation is checked first, then the account's limit.
    assert _refusal(1001, 1000, 0, 1000) == OVER_RESERVED


def test_scale_out_counts_starts_in_the_last_ten_seconds() -> None:
    from lambent.model.concurrency import SCALE_OUT_EXCEEDED, scale_out_reason

    assert scale_out_reason([0.0, 1.0], 5.0, 3, None) is None
    assert scale_out_reason([0.0, 1.0, 2.0], 5.0, 3, None) == SCALE_OUT_EXCEEDED
    assert scale_out_reason([0.0, 1.0, 2.0], 10.5, 3, None) is None  # the first start left the window
    assert scale_out_reason([1.0, 2.0], 5.0, 2, 5) == "ReservedFunctionInvocationRateLimitExceeded"


def test_request_rate_is_a_token_bucket() -> None:
    from lambent.model.concurrency import CALLER_RATE_EXCEEDED, RequestRate

    rate = RequestRate(2)
    assert [rate.admit(0.0), rate.admit(0.0), rate.admit(0.0)] == [None, None, CALLER_RATE_EXCEEDED]
    assert rate.admit(0.5) is None  # half a second refills one
    assert rate.admit(0.5) == CALLER_RATE_EXCEEDED
