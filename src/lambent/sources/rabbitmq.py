"""Amazon MQ for RabbitMQ as a queue source: one AMQP consumer per mapping (aio-pika), read
as AWS reads it (decision 0031).

The mapping's ``EventSourceArn`` is a broker's ARN, which the server's ``mq_brokers`` setting
turns into an AMQP URL (Lambent has no Amazon MQ); ``Queues`` names the queue, and a
``VIRTUAL_HOST`` access configuration its virtual host (``/`` by default). AWS runs one poller
per RabbitMQ mapping, so the composition root gives this source one worker; the consumer's
prefetch is the batch size, so the broker hands over at most one batch ahead, and what is
buffered here and not yet received stays unacknowledged on the broker: a stop, a crash or a
lost connection closes the channel and the broker requeues all of it.

Records have AWS's ``aws:rmq`` shape (``rmqMessagesByQueue`` keyed ``<queue>::<vhost>``, the
message's ``basicProperties`` with string headers as ``{"bytes": [...]}``, ``data`` base64).
A success acknowledges (``basic.ack``); a failure requeues (``basic.nack`` with requeue), as
AWS does: the message is delivered again at once, ``redelivered`` true. Lambda keeps no
redelivery count of its own for RabbitMQ; a message that always fails is the queue's to stop:
a quorum queue's ``x-delivery-limit`` dead-letters it through its ``x-dead-letter-exchange``
(or drops it). A classic queue has no limit and redelivers it for ever: each failure of a
redelivered message is logged as a warning so the loop is never silent. Filters see ``data``
decoded: JSON when it parses, else text.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from lambent.model.event_source_batch import decoded
from lambent.sources.queue_poller import Message

log = logging.getLogger(__name__)

#: How long a create's check waits for the broker.
PROBE_TIMEOUT_S = 3.0
CONNECT_TIMEOUT_S = 10.0
#: What a record costs beyond its data, in the 6 MB payload limit.
RECORD_OVERHEAD = 512
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def connection_url(broker_url: str, vhost: str) -> str:
    """The broker's AMQP URL pointed at *vhost* (the URL's path is the virtual host, quoted)."""
    parts = urllib.parse.urlsplit(broker_url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + urllib.parse.quote(vhost, safe=""), parts.query, ""))


def timestamp_text(when: datetime | None) -> str | None:
    """An AMQP timestamp as AWS's records show it (Java's medium date format, UTC):
    ``Jan 1, 1970, 12:33:41 AM``."""
    if when is None:
        return None
    when = when.astimezone(UTC) if when.tzinfo else when
    hour = when.hour % 12 or 12
    noon = "PM" if when.hour >= 12 else "AM"
    return f"{_MONTHS[when.month - 1]} {when.day}, {when.year}, {hour}:{when.minute:02}:{when.second:02} {noon}"


def header_value(value: Any) -> Any:
    """A header's value as AWS shows it: strings and bytes as ``{"bytes": [...]}``, tables and
    arrays each value so, numbers and booleans as they are."""
    if isinstance(value, str):
        return {"bytes": list(value.encode())}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"bytes": list(bytes(value))}
    if isinstance(value, dict):
        return {str(k): header_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [header_value(v) for v in value]
    if isinstance(value, datetime):
        return timestamp_text(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def record(message: Any) -> dict[str, Any]:
    """AWS's record of one delivered message (an aio-pika ``IncomingMessage``'s fields)."""
    expiration = message.expiration
    headers = message.headers
    properties = {
        "contentType": message.content_type,
        "contentEncoding": message.content_encoding,
        "headers": header_value(dict(headers)) if headers else None,
        "deliveryMode": int(message.delivery_mode) if message.delivery_mode is not None else None,
        "priority": message.priority,
        "correlationId": message.correlation_id,
        "replyTo": message.reply_to,
        # AMQP carries milliseconds as text; aio-pika gives seconds
        "expiration": str(round(expiration * 1000)) if expiration is not None else None,
        "messageId": message.message_id,
        "timestamp": timestamp_text(message.timestamp),
        "type": message.type,
        "userId": message.user_id,
        "appId": message.app_id,
        "clusterId": message.cluster_id or None,
        "bodySize": len(message.body),
    }
    return {
        "basicProperties": properties,
        "redelivered": bool(message.redelivered),
        "data": base64.b64encode(message.body).decode(),
    }


def filter_view(shaped: dict[str, Any], body: bytes) -> dict[str, Any]:
    """What filters match: the record with ``data`` decoded, JSON when it parses, else text."""
    return {**shaped, "data": decoded(body)}


def event(arn: str, queue: str, vhost: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"eventSource": "aws:rmq", "eventSourceArn": arn, "rmqMessagesByQueue": {f"{queue}::{vhost}": records}}


def _broken() -> tuple[type[BaseException], ...]:
    """What a closed channel or connection raises when a message is settled on it."""
    import aio_pika.exceptions
    import aiormq.exceptions

    return (aio_pika.exceptions.AMQPError, aiormq.exceptions.ChannelInvalidStateError, ConnectionError, TimeoutError)


async def probe(url: str) -> str | None:
    """Why the broker at *url* (with its virtual host) cannot be reached, or None: it answers."""
    import aio_pika

    failures: tuple[type[BaseException], ...] = (*_broken(), OSError)
    try:
        connection = await aio_pika.connect(url, timeout=PROBE_TIMEOUT_S)
    except failures as refused:
        return str(refused) or type(refused).__name__
    await connection.close()
    return None


@dataclass(eq=False)
class _Link:
    """One connection, its channel and consumer, and what the broker pushed ahead of receives."""

    connection: Any
    channel: Any
    buffer: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    broken: asyncio.Event = field(default_factory=asyncio.Event)


class RabbitQueue:
    """The queue source of one mapping (``QueueSource``)."""

    def __init__(self, url: str, queue: str, vhost: str, arn: str, batch_size: int) -> None:
        #: The consumer's prefetch: the broker pushes at most one batch ahead.
        self.per_receive = batch_size
        self._url = url
        self._queue = queue
        self._vhost = vhost
        self._arn = arn
        self._link: _Link | None = None
        self._connecting = asyncio.Lock()
        self._closed = asyncio.Event()

    async def _linked(self) -> _Link:
        link = self._link
        if link is not None and not link.broken.is_set():
            return link
        async with self._connecting:
            if self._link is not None and not self._link.broken.is_set():
                return self._link
            await self._unlink()
            self._link = await self._connect()
            return self._link

    async def _connect(self) -> _Link:
        import aio_pika

        connection = await aio_pika.connect(self._url, timeout=CONNECT_TIMEOUT_S)
        try:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=self.per_receive)
            queue = await channel.get_queue(self._queue, ensure=True)
            link = _Link(connection, channel)

            def lost(*_: Any) -> None:
                link.broken.set()

            connection.close_callbacks.add(lost)
            channel.close_callbacks.add(lost)
            await queue.consume(link.buffer.put, no_ack=False)
        except BaseException:
            await connection.close()
            raise
        return link

    async def _unlink(self) -> None:
        """Close the current connection: the broker requeues what it delivered and we did not settle."""
        link, self._link = self._link, None
        if link is not None:
            link.broken.set()
            try:
                await link.connection.close()
            except _broken():
                pass  # closed already: the broker requeued what it held for us

    async def receive(self, limit: int, wait_s: float) -> list[Message]:
        if self._closed.is_set():
            return []
        link = await self._linked()
        if link.buffer.empty():
            waits = [asyncio.ensure_future(w) for w in (link.buffer.get(), link.broken.wait(), self._closed.wait())]
            await asyncio.wait(waits, timeout=max(0.0, wait_s), return_when=asyncio.FIRST_COMPLETED)
            for waiting in waits[1:]:
                waiting.cancel()
            if not waits[0].done():
                waits[0].cancel()
                if link.broken.is_set() and not self._closed.is_set():
                    raise ConnectionError(f"the connection to {self._arn} was lost")
                return []
            delivered = [waits[0].result()]
        else:
            delivered = [link.buffer.get_nowait()]
        while len(delivered) < limit and not link.buffer.empty():
            delivered.append(link.buffer.get_nowait())
        if self._closed.is_set():
            return []  # the channel closes: the broker requeues them
        return [self._message(incoming) for incoming in delivered]

    def _message(self, incoming: Any) -> Message:
        shaped = record(incoming)
        return Message(
            id=str(incoming.delivery_tag),
            record=shaped,
            view=filter_view(shaped, incoming.body),
            size=len(shaped["data"]) + RECORD_OVERHEAD,
            handle=incoming,
        )

    async def ack(self, messages: list[Message]) -> None:
        try:
            for message in messages:
                await message.handle.ack()
        except _broken() as lost:  # the broker requeued them with the channel: they come again
            log.warning("could not acknowledge messages of %s (%s): they will be delivered again", self._arn, lost)

    async def release(self, messages: list[Message], failed: bool) -> None:
        try:
            for message in messages:
                if failed and message.handle.redelivered:
                    count = (message.handle.headers or {}).get("x-delivery-count")
                    log.warning(
                        "message %s of queue %s on %s failed again (x-delivery-count %s): it is requeued; "
                        "a quorum queue's x-delivery-limit dead-letters it",
                        message.handle.message_id or message.id,
                        self._queue,
                        self._arn,
                        count,
                    )
                await message.handle.nack(requeue=True)
        except _broken() as lost:
            log.warning("could not requeue messages of %s (%s): the broker requeued them with the channel", self._arn, lost)

    def event(self, messages: list[Message]) -> bytes:
        return json.dumps(event(self._arn, self._queue, self._vhost, [m.record for m in messages])).encode()

    async def depth(self) -> int | None:
        link = await self._linked()
        declared = await link.channel.declare_queue(self._queue, passive=True)
        return int(declared.declaration_result.message_count)

    async def close(self) -> None:
        self._closed.set()
        async with self._connecting:
            await self._unlink()
