"""When EventBridge or EventBridge Scheduler tries a target again, and what a dead letter says.
Pure.

A delivery is an asynchronous invoke of the target function. When that call is refused (no
permission, no such function, throttled, the event refused), the service tries again, with
exponential backoff and jitter, until the target's ``RetryPolicy`` runs out: at most
``MaximumRetryAttempts`` retries (default 185) within ``MaximumEventAgeInSeconds`` of the first
try (default 86400), the same members and defaults for a rule's target and a schedule's. Then the
event goes to the target's dead-letter queue, if it has one, with the message attributes AWS's
guides list ("Using dead-letter queues to process undelivered events"; Scheduler's "Configuring a
dead-letter queue"). A function that runs and fails is not theirs to retry: Lambda's own
asynchronous retries and destinations handle it, as on AWS.
"""

from __future__ import annotations

import msgspec

from lambent.model.event_bus import RetryPolicy

DEFAULT_RETRY_ATTEMPTS = 185
DEFAULT_EVENT_AGE_S = 86400
FIRST_BACKOFF_S = 1.0
MAXIMUM_BACKOFF_S = 300.0


class RetryLimits(msgspec.Struct, frozen=True, kw_only=True):
    attempts: int = DEFAULT_RETRY_ATTEMPTS
    age_s: int = DEFAULT_EVENT_AGE_S


def limits(policy: RetryPolicy | None) -> RetryLimits:
    """What a target's RetryPolicy allows, AWS's defaults where it says nothing."""
    if policy is None:
        return RetryLimits()
    return RetryLimits(
        attempts=DEFAULT_RETRY_ATTEMPTS if policy.maximum_retry_attempts is None else policy.maximum_retry_attempts,
        age_s=DEFAULT_EVENT_AGE_S if policy.maximum_event_age_in_seconds is None else policy.maximum_event_age_in_seconds,
    )


def next_retry(allowed: RetryLimits, retries_done: int, first_try_at: float, now: float, jitter: float) -> float | None:
    """Seconds until the next try after *retries_done* retries failed (the first try is not a
    retry), or None when the policy is spent. *jitter* in [0, 1) spreads the wait over its upper
    half, so retries of many events do not arrive together."""
    if retries_done >= allowed.attempts:
        return None
    # The doubling stops long before the cap is passed: 2.0 ** 1024 overflows, and a policy
    # can ask for that many retries (PutTargets' nested limits are not checked yet).
    backoff: float = min(FIRST_BACKOFF_S * 2.0 ** min(retries_done, 64), MAXIMUM_BACKOFF_S)
    delay = backoff / 2 + backoff / 2 * jitter
    if now + delay - first_try_at > allowed.age_s:
        return None
    return delay


def exhausted(allowed: RetryLimits, retries_done: int) -> str:
    """Which limit ended the retries (the ``EXHAUSTED_RETRY_CONDITION`` attribute)."""
    return "MaximumRetryAttemptsExhausted" if retries_done >= allowed.attempts else "MaximumEventAgeExhausted"


def dead_letter_attributes(
    about: dict[str, str], allowed: RetryLimits, error_code: str, error_message: str, retries_done: int
) -> dict[str, str]:
    """The message attributes of a dead letter: *about* (``RULE_ARN`` and ``TARGET_ARN``, or
    ``SCHEDULE_ARN`` and ``TARGET_ARN``), the last error and why the retries ended."""
    return {
        **about,
        "ERROR_CODE": error_code,
        "ERROR_MESSAGE": error_message,
        "EXHAUSTED_RETRY_CONDITION": exhausted(allowed, retries_done),
        "RETRY_ATTEMPTS": str(retries_done),
    }
