"""NATS JetStream as a queue source: a durable pull consumer per mapping, read with nats-py
(decision 0031).

The mapping names its servers in ``SelfManagedEventSource.Endpoints.NATS_URLS`` (any of a
cluster's) and a JetStream stream in ``Topics`` (every subject of it: a mapping that wants some
subjects filters on ``subject``). Its consumer, durable ``lambent-<mapping UUID>``, is created
when the mapping is made with ``DeliverPolicy.NEW`` (what is published from then on, as
``LATEST``), explicit acks, ``AckWait`` = ``redelivery.wait_s`` and ``MaxDeliver`` =
``redelivery.max_deliveries``; it is deleted with the mapping and kept while it is disabled.

Receives are pull fetches, one at a time per mapping, of at most one second each until
``wait_s`` is up, so a stop is seen within a second and what a last fetch brings is handed back
(nak) before the connection closes. While messages are invoked they are kept from redelivery (``+WPI``, every third of
``AckWait``); a killed server's messages are redelivered when their ``AckWait`` ends.

A success acks. A failure naks with ``wait_s`` as its delay (the message comes back then, as a
failed SQS message does after its visibility timeout); a failure of the last delivery allowed
terminates it (``+TERM``: JetStream sends its ``MSG_TERMINATED`` advisory, and the message is
delivered no more). A message fetched and not invoked (a stop) is nak'ed at once.

Records are Lambent's (``lambent:nats``, the ``aws:kafka`` event's outline): ``subject``,
``sequence`` (the stream's; as text, the ``itemIdentifier`` of batch item failures),
``timestamp`` (milliseconds), ``deliveryCount``, ``headers`` and ``value`` (base64). Filters
see ``value`` decoded: JSON when it parses, else text.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from typing import Any

from lambent.model.event_source_batch import decoded
from lambent.sources.queue_poller import Message, Redelivery

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 3.0
CONNECT_TIMEOUT_S = 5.0
#: The longest pull request: how soon a receive sees a stop.
FETCH_SLICE_S = 1.0
#: How long a pull for the rest of a batch waits, once its first message came.
REST_S = 0.05
RECORD_OVERHEAD = 256
#: Unacknowledged messages the consumer allows, at least (or five batches).
MIN_ACK_PENDING = 1000


def record(message: Any) -> dict[str, Any]:
    """Lambent's record of one JetStream message (nats-py's ``Msg``)."""
    metadata = message.metadata
    return {
        "subject": message.subject,
        "sequence": int(metadata.sequence.stream),
        "timestamp": int(metadata.timestamp.timestamp() * 1000),
        "deliveryCount": int(metadata.num_delivered),
        "headers": dict(message.headers or {}),
        "value": base64.b64encode(message.data).decode(),
    }


def filter_view(shaped: dict[str, Any], data: bytes) -> dict[str, Any]:
    return {**shaped, "value": decoded(data)}


def event(servers: str, stream: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"eventSource": "lambent:nats", "bootstrapServers": servers, "records": {stream: records}}


def consumer_config(durable: str, redelivery: Redelivery, batch_size: int) -> Any:
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    return ConsumerConfig(
        durable_name=durable,
        deliver_policy=DeliverPolicy.NEW,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=redelivery.wait_s,
        max_deliver=redelivery.max_deliveries,
        max_ack_pending=max(MIN_ACK_PENDING, 5 * batch_size),
    )


async def _quiet(error: Exception) -> None:
    """nats-py's error callback: a poller reports its source's errors through its receives."""
    log.debug("nats: %s", error)


async def _connect(servers: list[str], probe: bool = False) -> Any:
    """A connection; a probe's tries each server once. nats-py retries the first connection as
    it reconnects later (for ever, for a poller's), hence the bound on the whole."""
    import nats

    if probe:
        connecting = nats.connect(
            servers=servers,
            connect_timeout=PROBE_TIMEOUT_S,
            allow_reconnect=False,
            max_reconnect_attempts=1,
            reconnect_time_wait=0.1,
            error_cb=_quiet,
        )
        return await asyncio.wait_for(connecting, PROBE_TIMEOUT_S * 2)
    connecting = nats.connect(
        servers=servers, connect_timeout=CONNECT_TIMEOUT_S, max_reconnect_attempts=-1, reconnect_time_wait=1, error_cb=_quiet
    )
    return await asyncio.wait_for(connecting, CONNECT_TIMEOUT_S * 2)


def _failures() -> tuple[type[BaseException], ...]:
    import nats.errors

    return (nats.errors.Error, OSError, TimeoutError)


async def ensure_consumer(servers: list[str], stream: str, durable: str, redelivery: Redelivery, batch_size: int) -> str | None:
    """Make the mapping's durable consumer on *stream*, unless it exists; why that failed, or None."""
    from nats.js.errors import NotFoundError

    try:
        connection = await _connect(servers, probe=True)
    except _failures() as unreachable:
        return f"cannot connect: {unreachable or type(unreachable).__name__}"
    try:
        jetstream = connection.jetstream(timeout=PROBE_TIMEOUT_S)
        await jetstream.stream_info(stream)
        try:
            await jetstream.consumer_info(stream, durable)
        except NotFoundError:
            await jetstream.add_consumer(stream, consumer_config(durable, redelivery, batch_size))
    except NotFoundError:
        return f"there is no JetStream stream {stream}"
    except _failures() as refused:
        return str(refused) or type(refused).__name__
    finally:
        await connection.close()
    return None


async def forget(servers: list[str], stream: str, durable: str) -> str | None:
    """Delete the mapping's durable consumer; why that failed, or None."""
    from nats.js.errors import NotFoundError

    try:
        connection = await _connect(servers, probe=True)
    except _failures() as unreachable:
        return str(unreachable) or type(unreachable).__name__
    try:
        await connection.jetstream(timeout=PROBE_TIMEOUT_S).delete_consumer(stream, durable)
    except NotFoundError:
        return None
    except _failures() as failed:
        return str(failed) or type(failed).__name__
    finally:
        await connection.close()
    return None


class NatsStream:
    """The queue source of one mapping (``QueueSource``)."""

    def __init__(self, servers: list[str], label: str, stream: str, durable: str, redelivery: Redelivery, batch_size: int):
        self.per_receive = batch_size
        self._servers = servers
        self._label = label
        self._stream = stream
        self._durable = durable
        self._redelivery = redelivery
        self._connection: Any = None
        self._subscription: Any = None
        self._connecting = asyncio.Lock()
        self._turn: asyncio.Future[None] | None = None
        #: Messages received and not yet settled (by sequence), kept from redelivery while invoked.
        self._held: dict[str, Any] = {}
        self._heartbeat: asyncio.Task[None] | None = None
        self._receiving = 0
        self._received = asyncio.Event()
        self._closed = False

    async def _pull(self) -> Any:
        if self._subscription is not None and not self._connection.is_closed:
            return self._subscription
        async with self._connecting:
            if self._subscription is None or self._connection.is_closed:
                self._connection = await _connect(self._servers)
                jetstream = self._connection.jetstream()
                self._subscription = await jetstream.pull_subscribe_bind(self._durable, self._stream)
            if self._heartbeat is None:
                self._heartbeat = asyncio.create_task(self._keep_fresh())
            return self._subscription

    async def receive(self, limit: int, wait_s: float) -> list[Message]:
        self._receiving += 1
        try:
            subscription = await self._pull()
            deadline = asyncio.get_running_loop().time() + max(0.0, wait_s)
            while not self._closed:
                fetched = await self._fetch(subscription, limit, deadline)
                if fetched is None:
                    return []
                if not fetched:
                    continue
                if self._closed:  # stopping: back at once, before the connection closes
                    await asyncio.gather(*(message.nak() for message in fetched), return_exceptions=True)
                    return []
                return [self._message(message) for message in fetched]
            return []
        finally:
            self._receiving -= 1
            self._received.set()

    async def _fetch(self, subscription: Any, limit: int, deadline: float) -> list[Any] | None:
        """One pull at a time, each at most a slice: the first message as soon as it is there,
        then what else is there already; None: *deadline* passed. Fetches share the
        subscription's inbox, and nats-py's pull for many waits for all of them, so workers take
        turns (``_turn``: a future the holder resolves, so a waiter never overstays its deadline)."""
        import nats.errors

        loop = asyncio.get_running_loop()
        while self._turn is not None:
            if deadline - loop.time() <= 0:
                return None
            await asyncio.wait({self._turn}, timeout=deadline - loop.time())
        if self._closed:
            return None
        self._turn = turn = loop.create_future()
        try:
            slice_s = min(FETCH_SLICE_S, deadline - loop.time())
            if slice_s <= 0.01:
                return None
            try:
                fetched = list(await subscription.fetch(1, timeout=slice_s))
            except nats.errors.TimeoutError:
                return []
            if limit > 1:
                with contextlib.suppress(nats.errors.TimeoutError):
                    fetched += await subscription.fetch(limit - 1, timeout=REST_S)
            return fetched
        finally:
            self._turn = None
            turn.set_result(None)

    def _message(self, message: Any) -> Message:
        shaped = record(message)
        identifier = str(shaped["sequence"])
        self._held[identifier] = message
        return Message(
            id=identifier,
            record=shaped,
            view=filter_view(shaped, message.data),
            size=len(shaped["value"]) + RECORD_OVERHEAD,
            handle=message,
        )

    async def ack(self, messages: list[Message]) -> None:
        await self._settle("acknowledge", messages, lambda message: message.ack())

    async def release(self, messages: list[Message], failed: bool) -> None:
        if not failed:
            await self._settle("hand back", messages, lambda message: message.nak())
            return
        last = [m for m in messages if m.record["deliveryCount"] >= self._redelivery.max_deliveries]
        again = [m for m in messages if m.record["deliveryCount"] < self._redelivery.max_deliveries]
        for message in last:
            log.warning(
                "message %s of stream %s failed its %d deliveries: terminated (consumer %s)",
                message.id,
                self._stream,
                message.record["deliveryCount"],
                self._durable,
            )
        await self._settle("terminate", last, lambda message: message.term())
        await self._settle("nak", again, lambda message: message.nak(delay=self._redelivery.wait_s))

    async def _settle(self, what: str, messages: list[Message], settle: Any) -> None:
        """A settling that fails leaves the message to JetStream: delivered again after AckWait."""
        for message in messages:
            self._held.pop(message.id, None)
        try:
            for message in messages:
                await settle(message.handle)
        except _failures() as failed:
            log.warning("could not %s messages of stream %s (%s): AckWait brings them back", what, self._stream, failed)

    async def _keep_fresh(self) -> None:
        while not self._closed:
            await asyncio.sleep(self._redelivery.wait_s / 3)
            held = list(self._held.values())
            if held:
                await asyncio.gather(*(message.in_progress() for message in held), return_exceptions=True)

    def event(self, messages: list[Message]) -> bytes:
        return json.dumps(event(self._label, self._stream, [m.record for m in messages])).encode()

    async def depth(self) -> int | None:
        await self._pull()
        info = await self._connection.jetstream().consumer_info(self._stream, self._durable)
        return int(info.num_pending)

    async def close(self) -> None:
        """Receives end within a slice (handing back what their last fetch brought), then the
        connection closes, flushing the acks written."""
        self._closed = True
        while self._receiving:
            self._received.clear()
            try:
                await asyncio.wait_for(self._received.wait(), FETCH_SLICE_S * 2)
            except TimeoutError:
                break
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self._connection is not None and not self._connection.is_closed:
            await self._connection.close()
