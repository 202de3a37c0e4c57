"""The one protocol every poller keeps, and what a poller is given.

A ``Poller`` consumes one source for one mapping. ``start`` returns at once: connecting,
polling and invoking happen in its own tasks, and a source it cannot reach is retried with a
backoff and reported through ``report`` (the mapping's ``LastProcessingResult``), never raised.
``stop`` ends it within one poll interval: no new batch is taken; a batch being invoked is
finished and settled; what was received and not invoked is released back to the source (made
visible, requeued, left pending for the next consumer), and its leases are given up, so that a
mapping deleted or disabled leaves nothing held. ``checkpoint`` makes durable every position the
poller has finished with (queues settle per batch, so theirs returns at once).

Delivery is at least once: a record is settled (deleted, acknowledged, checkpointed past) only
after the invocation that carried it succeeded, or after it took the failure path its mapping
names. A crash between an invocation and its settling invokes the record again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec


class Invoked(msgspec.Struct, frozen=True, kw_only=True):
    """What a synchronous invocation of the mapping's function answered."""

    #: The function's error type (``X-Amz-Function-Error``'s errorType); None: it succeeded.
    function_error: str | None = None
    #: Why Lambda refused the invocation (throttled, the function gone or not Active); None: it ran.
    refused: str | None = None
    payload: bytes = b""
    executed_version: str = "$LATEST"
    request_id: str = ""
    #: The invocation's HTTP status: 200 when the function ran, the refusal's status otherwise.
    status_code: int = 200

    @property
    def ok(self) -> bool:
        return self.function_error is None and self.refused is None


#: Invokes the mapping's function with one batch's event (JSON).
InvokeBatch = Callable[[bytes], Awaitable[Invoked]]
#: Records what the last batch came to (``LastProcessingResult``).
Report = Callable[[str], None]
#: Sends a failure record (JSON) to the mapping's on-failure destination (its ARN).
SendFailure = Callable[[str, bytes], Awaitable[None]]


class PollerStatistics(msgspec.Struct, frozen=True, kw_only=True):
    #: Records received from the source (each time: a redelivery counts again).
    received: int = 0
    #: Records settled after a successful invocation.
    processed: int = 0
    #: Records dropped by the mapping's filters (settled without an invocation).
    filtered: int = 0
    #: Records that took the failure path (released, dead-lettered, sent to the destination).
    failed: int = 0
    invocations: int = 0
    #: Batches being received or invoked at once now (queues scale this up to MaximumConcurrency).
    concurrency: int = 0
    #: Messages waiting in the queue (None: unknown), or the age of the last record read from a
    #: stream, in milliseconds (``iterator_age_ms``).
    depth: int | None = None
    iterator_age_ms: float | None = None


@dataclass
class Counts:
    """What a poller counts as it goes, each field as ``PollerStatistics`` names it."""

    received: int = 0
    processed: int = 0
    filtered: int = 0
    failed: int = 0
    invocations: int = 0

    def statistics(self, **now: Any) -> PollerStatistics:
        """The counts so far, with what the poller tells of *now* (concurrency, depth, age)."""
        return PollerStatistics(
            received=self.received,
            processed=self.processed,
            filtered=self.filtered,
            failed=self.failed,
            invocations=self.invocations,
            **now,
        )


class Poller(Protocol):
    async def start(self) -> None:
        """Begin consuming in the background; returns at once."""
        ...

    async def stop(self) -> None:
        """Take no new batch, finish the one in flight, release what is held; returns when done."""
        ...

    async def checkpoint(self) -> None:
        """Make every finished position durable now (before a stop, or a lease handed over)."""
        ...

    def statistics(self) -> PollerStatistics: ...


def json_or_none(payload: bytes) -> Any:
    """A function's answer parsed, or None when it is not JSON."""
    try:
        return msgspec.json.decode(payload) if payload else None
    except msgspec.DecodeError:
        return None
