"""Deliveries to Lambda targets, as EventBridge and EventBridge Scheduler make them.

A delivery is an asynchronous invoke (``InvocationType=Event``) through the target account's
``InvocationService``, made as the delivery's caller and only where ``services.access`` allows
it ``lambda:InvokeFunction`` on the function: EventBridge calls as ``events.amazonaws.com``,
which the function's resource policy must allow with the rule's ARN as ``aws:SourceArn``;
Scheduler calls as a session of the target's execution role, whose policies must allow it. The
first try happens at once (for PutEvents, before it answers), so an accepted event that matched
is already in Lambda's durable queue when the caller hears of it: at least once from there, the
queue's own guarantee. A refused try (no permission, no such function, throttled, the payload
refused) is tried again with ``model.event_retry``'s backoff until the target's RetryPolicy is
spent, then sent to its dead-letter queue with AWS's attributes, or logged and dropped where it
has none.

Not durable yet: retries wait in this process (an asyncio task each), so a retry pending when
the server stops is lost; Lambda never accepted that event. Not shared between nodes (#21).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from lambent.clock import Clock
from lambent.errors import ApiError
from lambent.model import event_retry
from lambent.model.arns import FunctionRef
from lambent.model.event_retry import RetryLimits
from lambent.model.iam_policy import Caller
from lambent.model.lambda_target import LambdaTarget
from lambent.services.access import Access
from lambent.services.destinations import Destinations
from lambent.services.invocations import InvocationService
from lambent.services.permissions import PermissionService


class _Names(Protocol):
    def __contains__(self, name: str) -> bool: ...


class TargetCell(Protocol):
    """What a delivery uses of the target account's cell (``services.cells.Cell``, which holds
    the event buses that hand their deliveries here)."""

    @property
    def index(self) -> _Names: ...

    @property
    def permissions(self) -> PermissionService: ...

    @property
    def invocations(self) -> InvocationService: ...


log = logging.getLogger(__name__)
#: Refusals kept as (code, message).
Refusal = tuple[str, str]


class PayloadRefused(ValueError):
    """The payload of a delivery could not be made (``str()``: why, AWS's words)."""


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """One event for one target, and everything its tries need."""

    function: LambdaTarget
    caller: Caller
    #: The request context the authorization sees (``aws:SourceArn``, ``aws:SourceAccount``).
    context: dict[str, str]
    #: The payload of the try numbered so (1 for the first); ``PayloadRefused`` if none can be made.
    payload: Callable[[int], bytes]
    limits: RetryLimits
    dead_letter_arn: str | None
    dead_letter_body: bytes
    #: What a dead letter says it was for (``RULE_ARN``/``SCHEDULE_ARN`` and ``TARGET_ARN``).
    about: dict[str, str] = field(default_factory=dict)
    #: In log lines: the event's or the schedule's name.
    label: str = ""
    #: Checked before each try (a schedule's role must trust Scheduler): a refusal, or None.
    precondition: Callable[[], Awaitable[Refusal | None]] | None = None


class EventDelivery:
    def __init__(
        self,
        cell_of: Callable[[str], Awaitable[TargetCell | None]],
        access: Access,
        destinations: Destinations,
        clock: Clock,
    ) -> None:
        """*cell_of* finds the cell of the account a target function belongs to."""
        self._cell_of = cell_of
        self._access = access
        self._destinations = destinations
        self._clock = clock
        self._retries: set[asyncio.Task[None]] = set()

    async def deliver(self, delivery: Delivery) -> None:
        """Try now; if refused, go on trying in the background."""
        first_try_at = self._clock.time()
        refused = await self._try(delivery, 1)
        if refused is None:
            return
        task = asyncio.create_task(self._retry(delivery, first_try_at, refused))
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def close(self) -> None:
        for task in list(self._retries):
            task.cancel()
        await asyncio.gather(*self._retries, return_exceptions=True)

    async def _retry(self, delivery: Delivery, first_try_at: float, refused: Refusal) -> None:
        retries = 0
        while True:
            jitter = random.random()  # noqa: S311 - spreading retries, not a secret
            delay = event_retry.next_retry(delivery.limits, retries, first_try_at, self._clock.time(), jitter)
            if delay is None:
                await self._dead_letter(delivery, refused, retries)
                return
            await self._clock.sleep(delay)
            retries += 1
            again = await self._try(delivery, retries + 1)
            if again is None:
                return
            refused = again

    async def _try(self, delivery: Delivery, attempt: int) -> Refusal | None:
        function = delivery.function
        cell = await self._cell_of(function.account)
        if cell is None or function.name not in cell.index:
            return ("ResourceNotFoundException", f"Function not found: {function.arn}")
        if delivery.precondition is not None and (refused := await delivery.precondition()) is not None:
            return refused
        try:
            payload = delivery.payload(attempt)
        except PayloadRefused as refused:
            return ("ValidationException", str(refused))
        try:
            await self._access.authorize(
                delivery.caller,
                "lambda:InvokeFunction",
                function.arn,
                resource_account=function.account,
                resource_policy=await cell.permissions.policy_for(function.name, function.qualifier),
                context=delivery.context,
            )
            await cell.invocations.invoke(FunctionRef(name=function.name, qualifier=function.qualifier), payload, "Event")
        except ApiError as refused:  # denied, throttled, the function gone or not Active, the payload refused
            return (refused.error_type, refused.message)
        return None

    async def _dead_letter(self, delivery: Delivery, refused: Refusal, retries: int) -> None:
        code, message = refused
        queue = delivery.dead_letter_arn
        if not queue:
            log.warning(
                "%s for %s dropped after %d retries: %s %s", delivery.label, delivery.function.arn, retries, code, message
            )
            return
        attributes = event_retry.dead_letter_attributes(delivery.about, delivery.limits, code, message, retries)
        try:
            await self._destinations.deliver(queue, delivery.dead_letter_body, _no_function, attributes)
        except Exception:
            log.exception("%s for %s could not reach its dead-letter queue %s", delivery.label, delivery.function.arn, queue)


async def _no_function(target: str, body: bytes) -> None:
    raise ValueError(f"a dead-letter queue is an SQS queue, not {target}")
