"""EventBridge's deliveries: a matched event sent to a rule's Lambda target, as EventBridge sends it.

A delivery is an asynchronous invoke (``InvocationType=Event``) through the target account's
``InvocationService``, made as ``events.amazonaws.com`` and only where the function's resource
policy allows that principal with the rule's ARN as ``aws:SourceArn`` (AWS's add-permission for
a rule). The first try happens before PutEvents answers, so an accepted event that matched is
already in Lambda's durable queue when the caller hears of it (at least once from there: the
queue's own guarantee). A refused try (no permission, no such function, throttled, the payload
refused) is tried again with ``model.event_retry``'s backoff until the target's RetryPolicy is
spent, then sent to its DeadLetterConfig queue with AWS's attributes, or logged and dropped
where it has none.

Not durable yet: retries wait in this process (an asyncio task each), so a retry pending when
the server stops is lost; the event was never accepted by Lambda. Not shared between nodes (#21).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from lambent.clock import Clock
from lambent.errors import AccessDeniedException, ApiError
from lambent.model import event_retry
from lambent.model.arns import FunctionRef
from lambent.model.event_bus import EventRule, EventTarget
from lambent.model.event_input import TargetInput, TargetInputError, render_input
from lambent.model.iam_policy import Caller
from lambent.model.lambda_target import lambda_target
from lambent.services.access import Access
from lambent.services.cells import Cell
from lambent.services.destinations import Destinations

log = logging.getLogger(__name__)
EVENTS = Caller(arn="events.amazonaws.com", account_id=None)
#: Refusals kept as (code, message).
Refusal = tuple[str, str]


class EventDelivery:
    def __init__(
        self,
        cell_of: Callable[[str], Awaitable[Cell | None]],
        access: Access,
        destinations: Destinations,
        clock: Clock,
        region: str,
    ) -> None:
        """*cell_of* finds the cell of the account a target function belongs to."""
        self._cell_of = cell_of
        self._access = access
        self._destinations = destinations
        self._clock = clock
        self._region = region
        self._retries: set[asyncio.Task[None]] = set()
        self.delivered = 0
        self.dead_lettered = 0

    async def deliver(self, account: str, rule: EventRule, target: EventTarget, event: dict[str, Any]) -> None:
        """Try now; if refused, go on trying in the background."""
        first_try_at = self._clock.time()
        refused = await self._try(account, rule, target, event, first_try_at)
        if refused is None:
            return
        task = asyncio.create_task(self._retry(account, rule, target, event, first_try_at, refused))
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def close(self) -> None:
        for task in list(self._retries):
            task.cancel()
        await asyncio.gather(*self._retries, return_exceptions=True)

    def pending(self) -> int:
        """Deliveries waiting for a retry."""
        return len(self._retries)

    async def _retry(
        self, account: str, rule: EventRule, target: EventTarget, event: dict[str, Any], first_try_at: float, refused: Refusal
    ) -> None:
        retries = 0
        while True:
            delay = event_retry.next_retry(target, retries, first_try_at, self._clock.time(), random.random())  # noqa: S311
            if delay is None:
                await self._dead_letter(rule, target, event, refused, retries)
                return
            await self._clock.sleep(delay)
            retries += 1
            again = await self._try(account, rule, target, event, first_try_at)
            if again is None:
                return
            refused = again

    async def _try(
        self, account: str, rule: EventRule, target: EventTarget, event: dict[str, Any], first_try_at: float
    ) -> Refusal | None:
        function = lambda_target(target.arn)
        if function is None:  # PutTargets takes Lambda functions only
            return ("ResourceNotFoundException", f"Target {target.arn} is not a Lambda function.")
        cell = await self._cell_of(function.account)
        if cell is None or function.name not in cell.index:
            return ("ResourceNotFoundException", f"Function not found: {function.arn}")
        try:
            payload = render_input(
                TargetInput.from_target(msgspec.to_builtins(target)),
                event,
                rule_arn=rule.arn,
                rule_name=rule.name,
                ingestion_time=datetime.fromtimestamp(first_try_at, UTC),
            )
        except TargetInputError as refused:  # checked at PutTargets; a template can still fail
            return ("ValidationException", str(refused))
        try:
            await self._access.authorize(
                EVENTS,
                "lambda:InvokeFunction",
                function.arn,
                resource_account=function.account,
                resource_policy=await cell.permissions.policy_for(function.name, function.qualifier),
                context={"aws:SourceArn": rule.arn, "aws:SourceAccount": account},
            )
            await cell.invocations.invoke(FunctionRef(name=function.name, qualifier=function.qualifier), payload, "Event")
        except AccessDeniedException as denied:
            return (denied.error_type, denied.message)
        except ApiError as refused:
            return (refused.error_type, refused.message)
        self.delivered += 1
        return None

    async def _dead_letter(
        self, rule: EventRule, target: EventTarget, event: dict[str, Any], refused: Refusal, retries: int
    ) -> None:
        queue = target.dead_letter_config.arn if target.dead_letter_config else None
        code, message = refused
        if not queue:
            log.warning("event %s for %s dropped after %d retries: %s %s", event.get("id"), target.arn, retries, code, message)
            return
        attributes = event_retry.dead_letter_attributes(target, rule.arn, code, message, retries)
        body = json.dumps(event, separators=(",", ":")).encode()
        try:
            await self._destinations.deliver(queue, body, _no_function, attributes)
        except Exception:
            log.exception("event %s for %s could not reach its dead-letter queue %s", event.get("id"), target.arn, queue)
            return
        self.dead_lettered += 1


async def _no_function(target: str, body: bytes) -> None:
    raise ValueError(f"a dead-letter queue is an SQS queue, not {target}")
