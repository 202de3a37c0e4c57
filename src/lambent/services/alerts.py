"""Budget alerts, between the meter that raises them and the service that delivers them.

The meter must not depend on invocations (every invoke asks the meter whether a budget stops
it), yet an alert may go to a function as well as to an SQS queue or a webhook. So the meter
puts each alert in this outbox and returns; the invocation service, which reaches all three
kinds of target, drains it. Alerts are recorded in the store before they are queued, so a full
outbox (a thousand undelivered alerts) drops a delivery, never the record of the alert.
"""

from __future__ import annotations

import asyncio
import logging

import msgspec

log = logging.getLogger(__name__)
CAPACITY = 1000


class Alert(msgspec.Struct, frozen=True, kw_only=True):
    #: The budget's account, whose functions a function target is among.
    account: str
    budget: str
    #: A function or SQS queue ARN, or a webhook URL (``model.event_invoke.destination_kind``).
    target: str
    body: bytes


class AlertOutbox:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._queue: asyncio.Queue[Alert] = asyncio.Queue(capacity)

    def put(self, alert: Alert) -> None:
        """Queue *alert* for delivery without waiting; log and drop it when the outbox is full."""
        try:
            self._queue.put_nowait(alert)
        except asyncio.QueueFull:
            log.error("budget %s: alert to %s dropped: %d alerts wait for delivery", alert.budget, alert.target, CAPACITY)

    async def get(self) -> Alert:
        """The next alert to deliver, once there is one."""
        return await self._queue.get()
