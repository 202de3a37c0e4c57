"""When EventBridge tries a refused delivery again, pure: exponential backoff from 1 s to 300 s
with jitter over its upper half, until the target's RetryPolicy (185 retries, 24 hours by
default) is spent; and the attributes of the dead letter that follows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.model.event_bus import RetryPolicy
from lambent.model.event_retry import (
    DEFAULT_EVENT_AGE_S,
    DEFAULT_RETRY_ATTEMPTS,
    RetryLimits,
    dead_letter_attributes,
    exhausted,
    limits,
    next_retry,
)

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:orders"
RULE = "arn:aws:events:us-east-1:123456789012:rule/r"
#: As close to 1 as random.random() comes.
ALMOST_ONE = 1 - 2**-53


def policy(retries: int | None = None, age: int | None = None) -> RetryPolicy | None:
    if retries is None and age is None:
        return None
    return RetryPolicy(maximum_retry_attempts=retries, maximum_event_age_in_seconds=age)


def target(retries: int | None = None, age: int | None = None) -> RetryLimits:
    """What a target with such a RetryPolicy allows."""
    return limits(policy(retries, age))


def test_the_defaults_are_awss() -> None:
    assert (DEFAULT_RETRY_ATTEMPTS, DEFAULT_EVENT_AGE_S) == (185, 86400)
    assert target() == RetryLimits(attempts=185, age_s=86400)
    assert limits(RetryPolicy()) == RetryLimits(attempts=185, age_s=86400)
    assert target(retries=3) == RetryLimits(attempts=3, age_s=86400)
    assert target(age=60) == RetryLimits(attempts=185, age_s=60)
    assert target(retries=0, age=0) == RetryLimits(attempts=0, age_s=0)  # zero is a limit, not "unset"


@pytest.mark.parametrize(
    ("retries_done", "backoff"),
    [(0, 1.0), (1, 2.0), (2, 4.0), (5, 32.0), (8, 256.0), (9, 300.0), (20, 300.0), (184, 300.0)],
)
def test_the_wait_doubles_from_one_second_to_five_minutes_and_jitter_spreads_its_upper_half(
    retries_done: int, backoff: float
) -> None:
    assert next_retry(target(), retries_done, 0.0, 0.0, 0.0) == backoff / 2
    assert next_retry(target(), retries_done, 0.0, 0.0, 0.5) == backoff * 3 / 4
    # jitter just under 1 waits the whole backoff (floating point rounds it up to it), never more
    assert next_retry(target(), retries_done, 0.0, 0.0, ALMOST_ONE) == backoff


@given(st.integers(0, 184), st.floats(0, 1, exclude_max=True))
def test_every_wait_is_within_its_backoffs_upper_half(retries_done: int, jitter: float) -> None:
    backoff = min(2.0**retries_done, 300.0)
    delay = next_retry(target(), retries_done, 0.0, 0.0, jitter)
    assert delay is not None and backoff / 2 <= delay <= backoff


def test_retries_stop_after_the_attempts_the_policy_allows() -> None:
    assert next_retry(target(retries=2), 1, 0.0, 0.0, 0.0) == 1.0
    assert next_retry(target(retries=2), 2, 0.0, 0.0, 0.0) is None
    assert next_retry(target(retries=0), 0, 0.0, 0.0, 0.0) is None
    assert next_retry(target(), 184, 0.0, 0.0, 0.0) == 150.0
    assert next_retry(target(), 185, 0.0, 0.0, 0.0) is None


def test_retries_stop_when_the_next_try_would_be_older_than_the_policy_allows() -> None:
    # First tried at t=1000; the third retry waits 2 s (jitter 0) of the 60 allowed.
    assert next_retry(target(age=60), 2, 1000.0, 1058.0, 0.0) == 2.0  # tried at 1060: exactly 60 s old
    assert next_retry(target(age=60), 2, 1000.0, 1058.5, 0.0) is None  # 60.5 s
    assert next_retry(target(age=60), 0, 1000.0, 1000.0, 0.0) == 0.5


def test_the_age_limit_counts_the_jittered_wait() -> None:
    assert next_retry(target(age=60), 2, 1000.0, 1057.0, 0.0) == 2.0  # 1059
    assert next_retry(target(age=60), 2, 1000.0, 1057.0, 0.75) is None  # 1057 + 3.5 = 1060.5


def test_a_policy_beyond_awss_ranges_still_gets_an_answer() -> None:
    endless = target(retries=5000, age=10**9)
    assert next_retry(endless, 1024, 0.0, 0.0, 0.0) == 150.0  # 2.0 ** 1024 would overflow
    assert next_retry(endless, 4999, 0.0, 0.0, ALMOST_ONE) == 300.0
    assert next_retry(endless, 5000, 0.0, 0.0, 0.0) is None


def test_exhausted_names_the_limit_that_ended_the_retries() -> None:
    assert exhausted(target(retries=2), 2) == "MaximumRetryAttemptsExhausted"
    assert exhausted(target(retries=2), 3) == "MaximumRetryAttemptsExhausted"
    assert exhausted(target(retries=2, age=60), 1) == "MaximumEventAgeExhausted"
    assert exhausted(target(), 185) == "MaximumRetryAttemptsExhausted"
    assert exhausted(target(), 100) == "MaximumEventAgeExhausted"


def test_next_retry_and_exhausted_agree() -> None:
    spent = target(retries=3, age=10)
    retries, now = 0, 0.0
    while (delay := next_retry(spent, retries, 0.0, now, 0.0)) is not None:
        now += delay
        retries += 1
    assert (retries, now) == (3, 3.5)  # waits of 0.5, 1 and 2 s
    assert exhausted(spent, retries) == "MaximumRetryAttemptsExhausted"
    aged = target(retries=10, age=10)
    retries, now = 0, 0.0
    while (delay := next_retry(aged, retries, 0.0, now, 0.0)) is not None:
        now += delay
        retries += 1
    assert (retries, now) == (4, 7.5)  # a fifth wait of 8 s would end at 15.5
    assert exhausted(aged, retries) == "MaximumEventAgeExhausted"


def test_dead_letter_attributes_are_awss() -> None:
    about = {"RULE_ARN": RULE, "TARGET_ARN": FUNCTION + ":live"}
    attributes = dead_letter_attributes(about, target(retries=2), "ResourceNotFoundException", "Function not found: f", 2)
    assert attributes == {
        "RULE_ARN": RULE,
        "TARGET_ARN": FUNCTION + ":live",
        "ERROR_CODE": "ResourceNotFoundException",
        "ERROR_MESSAGE": "Function not found: f",
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttemptsExhausted",
        "RETRY_ATTEMPTS": "2",
    }
    aged = dead_letter_attributes(about, target(age=60), "AccessDeniedException", "denied", 5)
    assert (aged["EXHAUSTED_RETRY_CONDITION"], aged["RETRY_ATTEMPTS"]) == ("MaximumEventAgeExhausted", "5")
