"""When EventBridge tries a target again, and what a dead letter says. Pure.

A delivery is an asynchronous invoke of the target function. When that call is refused (no
permission, no such function, throttled, the event refused), EventBridge tries again, with
exponential backoff and jitter, until the target's ``RetryPolicy`` runs out: at most
``MaximumRetryAttempts`` retries (default 185) within ``MaximumEventAgeInSeconds`` of the event's
first try (default 86400). Then the event goes to the target's dead-letter queue, if it has one,
with the message attributes AWS's guide lists ("Using dead-letter queues to process undelivered
events"). A function that runs and fails is not EventBridge's to retry: Lambda's own asynchronous
retries and destinations handle it, as on AWS.
"""

from __future__ import annotations

from lambent.model.event_bus import EventTarget

DEFAULT_RETRY_ATTEMPTS = 185
DEFAULT_EVENT_AGE_S = 86400
FIRST_BACKOFF_S = 1.0
MAXIMUM_BACKOFF_S = 300.0


def limits(target: EventTarget) -> tuple[int, int]:
    """(retries, seconds) the target allows."""
    policy = target.retry_policy
    attempts = policy.maximum_retry_attempts if policy and policy.maximum_retry_attempts is not None else DEFAULT_RETRY_ATTEMPTS
    age = (
        policy.maximum_event_age_in_seconds if policy and policy.maximum_event_age_in_seconds is not None else DEFAULT_EVENT_AGE_S
    )
    return attempts, age


def next_retry(target: EventTarget, retries_done: int, first_try_at: float, now: float, jitter: float) -> float | None:
    """Seconds until the next try after *retries_done* retries failed (the first try is not a
    retry), or None when the policy is spent. *jitter* in [0, 1) spreads the wait over its upper
    half, so retries of many events do not arrive together."""
    attempts, age = limits(target)
    if retries_done >= attempts:
        return None
    # The doubling stops long before the cap is passed: 2.0 ** 1024 overflows, and a policy
    # can ask for that many retries (PutTargets' nested limits are not checked yet).
    backoff: float = min(FIRST_BACKOFF_S * 2.0 ** min(retries_done, 64), MAXIMUM_BACKOFF_S)
    delay = backoff / 2 + backoff / 2 * jitter
    if now + delay - first_try_at > age:
        return None
    return delay


def exhausted(target: EventTarget, retries_done: int) -> str:
    """Which limit ended the retries (the ``EXHAUSTED_RETRY_CONDITION`` attribute)."""
    attempts, _ = limits(target)
    return "MaximumRetryAttemptsExhausted" if retries_done >= attempts else "MaximumEventAgeExhausted"


def dead_letter_attributes(
    target: EventTarget, rule_arn: str, error_code: str, error_message: str, retries_done: int
) -> dict[str, str]:
    return {
        "RULE_ARN": rule_arn,
        "TARGET_ARN": target.arn,
        "ERROR_CODE": error_code,
        "ERROR_MESSAGE": error_message,
        "EXHAUSTED_RETRY_CONDITION": exhausted(target, retries_done),
        "RETRY_ATTEMPTS": str(retries_done),
    }
