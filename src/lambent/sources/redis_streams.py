"""Redis Streams as a queue source: a consumer group per mapping, read with redis-py's asyncio
client (decision 0031).

The mapping names its server in ``SelfManagedEventSource.Endpoints.REDIS_URLS`` and its stream
key in ``Topics``. Its group, ``lambent-<mapping UUID>``, is created (``MKSTREAM``) when the
mapping is made, at ``$``: it reads what is added from then on, as ``LATEST`` would; it is
destroyed when the mapping is deleted, and kept while it is disabled, so a mapping enabled again
goes on where it stopped. The consumer is the server's node id, which a restart keeps.

Each receive first takes back what is pending and ready: once after start, this consumer's own
pending entries (what a killed server read and never acknowledged), then, each time, any
consumer's entries idle for ``redelivery.wait_s`` (``XAUTOCLAIM``: failed entries, and those of
a node that died); then it reads new entries (``XREADGROUP ... >`` with ``BLOCK``, in slices of
at most ``wait_s`` so that pending entries are claimed while the stream is idle). While entries
are being invoked their idle time is reset every third of ``wait_s`` (``XCLAIM ... JUSTID``), so
a long invocation is not taken from under its poller.

A success acknowledges (``XACK``; the entry stays in the stream: trimming is the stream's
owner's). A failure leaves the entry pending, to be claimed again after ``wait_s``. An entry
delivered ``max_deliveries`` times that fails again, or found pending beyond that count, is
moved to the stream ``<key>:dead-letter`` (its fields, and ``lambent-source-id``,
``lambent-deliveries``, ``lambent-group``) and acknowledged, in one transaction. An entry taken
and not invoked (a stop) is handed back: its delivery count is put back and it is made idle, so
the next claim takes it at once.

Records are Lambent's (``lambent:redis``, the ``aws:kafka`` event's outline): ``stream``,
``id`` (the ``itemIdentifier`` of batch item failures), ``timestamp`` (milliseconds, from the
id), ``deliveryCount`` and ``fields`` (names and values as UTF-8 text; invalid bytes become
U+FFFD). Filters see each field's value parsed when it is a JSON object or array, else its text.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from lambent.sources.queue_poller import Message, Redelivery

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 3.0
RECORD_OVERHEAD = 256
DEAD_LETTER_SUFFIX = ":dead-letter"


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def record(stream: str, entry_id: str, fields: dict[bytes, bytes], deliveries: int) -> dict[str, Any]:
    return {
        "stream": stream,
        "id": entry_id,
        "timestamp": int(entry_id.split("-", 1)[0]),
        "deliveryCount": deliveries,
        "fields": {_text(name): _text(value) for name, value in fields.items()},
    }


def filter_view(shaped: dict[str, Any]) -> dict[str, Any]:
    """The record with each field's value parsed when it is a JSON object or array: a value
    like ``42`` stays the text ``"42"``, as it was written."""
    fields: dict[str, Any] = {}
    for name, value in shaped["fields"].items():
        try:
            parsed = json.loads(value) if value[:1] in ("{", "[") else value
        except ValueError:
            parsed = value
        fields[name] = parsed
    return {**shaped, "fields": fields}


def event(servers: str, stream: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"eventSource": "lambent:redis", "bootstrapServers": servers, "records": {stream: records}}


def _client(url: str, timeout_s: float | None = None) -> Any:
    import redis.asyncio

    return redis.asyncio.Redis.from_url(url, socket_connect_timeout=timeout_s or 10.0, socket_timeout=timeout_s)


async def ensure_group(url: str, stream: str, group: str) -> str | None:
    """Make the mapping's group at ``$`` (and the stream), unless it exists; why that failed, or None."""
    import redis.exceptions

    client = _client(url, PROBE_TIMEOUT_S)
    try:
        await client.xgroup_create(stream, group, id="$", mkstream=True)
    except redis.exceptions.ResponseError as refused:
        if not str(refused).startswith("BUSYGROUP"):
            return str(refused)
    except (redis.exceptions.RedisError, OSError) as unreachable:
        return str(unreachable) or type(unreachable).__name__
    finally:
        await client.aclose()
    return None


async def forget(url: str, stream: str, group: str) -> str | None:
    """Destroy the mapping's group and its pending entries list; why that failed, or None."""
    import redis.exceptions

    client = _client(url, PROBE_TIMEOUT_S)
    try:
        await client.xgroup_destroy(stream, group)
    except (redis.exceptions.RedisError, OSError) as failed:
        return str(failed) or type(failed).__name__
    finally:
        await client.aclose()
    return None


class RedisStream:
    """The queue source of one mapping (``QueueSource``)."""

    def __init__(
        self, url: str, servers: str, stream: str, group: str, consumer: str, redelivery: Redelivery, batch_size: int
    ) -> None:
        self.per_receive = batch_size
        self._url = url
        self._servers = servers
        self._stream = stream
        self._group = group
        self._consumer = consumer
        self._wait_ms = max(1, int(redelivery.wait_s * 1000))
        self._max = redelivery.max_deliveries
        self._redis: Any = None
        #: Entries received and not yet settled, kept fresh while they are invoked.
        self._held: set[str] = set()
        self._heartbeat: asyncio.Task[None] | None = None
        self._claiming = asyncio.Lock()
        #: Where this consumer's own pending entries are read from after start; None: done.
        self._history: str | None = "0"
        self._cursor = "0-0"
        self._closed = False

    def _client(self) -> Any:
        if self._redis is None:
            self._redis = _client(self._url)
        if self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._keep_fresh())
        return self._redis

    # -- receiving --------------------------------------------------------------------------------

    async def receive(self, limit: int, wait_s: float) -> list[Message]:
        import redis.exceptions

        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, wait_s)
        client = self._client()
        try:
            while not self._closed:
                messages = await self._take_back(client, limit)
                if messages:
                    return messages
                remaining = deadline - loop.time()
                block_ms = int(min(remaining * 1000, self._wait_ms))
                read = await client.xreadgroup(
                    self._group, self._consumer, {self._stream: ">"}, count=limit, block=block_ms if block_ms > 0 else None
                )
                entries = read[0][1] if read else []
                if entries:
                    return self._messages([(entry_id, fields, 1) for entry_id, fields in entries])
                if loop.time() >= deadline:
                    return []
        except redis.exceptions.ResponseError as refused:
            if not str(refused).startswith("NOGROUP"):
                raise
            # the stream or the group went (a Redis restarted without persistence): begin again at $
            log.warning("group %s of stream %s is gone; it is made again, reading new entries", self._group, self._stream)
            await client.xgroup_create(self._stream, self._group, id="$", mkstream=True)
            self._history, self._cursor = "0", "0-0"
        return []

    async def _take_back(self, client: Any, limit: int) -> list[Message]:
        """Pending entries ready to be invoked again: this consumer's own after start, then any
        consumer's idle ones. Entries past the delivery limit are dead-lettered here."""
        async with self._claiming:
            entries: list[tuple[Any, Any]] = []
            if self._history is not None:
                read = await client.xreadgroup(self._group, self._consumer, {self._stream: self._history}, count=limit)
                entries = read[0][1] if read else []
                self._history = _text(entries[-1][0]) if entries else None
            if not entries:
                cursor, entries, *_ = await client.xautoclaim(
                    self._stream, self._group, self._consumer, self._wait_ms, start_id=self._cursor, count=limit
                )
                self._cursor = _text(cursor)
            gone = [entry_id for entry_id, fields in entries if not fields]  # deleted from the stream while pending
            if gone:
                await client.xack(self._stream, self._group, *gone)
            entries = [(entry_id, fields) for entry_id, fields in entries if fields]
            if not entries:
                return []
            counted = await self._counted(client, entries)
            dead = [entry for entry in counted if entry[2] > self._max]
            for entry_id, fields, deliveries in dead:
                await self._dead_letter(client, _text(entry_id), fields, deliveries)
            return self._messages([entry for entry in counted if entry[2] <= self._max])

    async def _counted(self, client: Any, entries: list[tuple[Any, Any]]) -> list[tuple[Any, Any, int]]:
        pipe = client.pipeline(transaction=False)
        for entry_id, _ in entries:
            pipe.xpending_range(self._stream, self._group, min=entry_id, max=entry_id, count=1)
        answers = await pipe.execute()
        return [
            (entry_id, fields, int(answer[0]["times_delivered"]) if answer else 1)
            for (entry_id, fields), answer in zip(entries, answers, strict=True)
        ]

    def _messages(self, entries: list[tuple[Any, Any, int]]) -> list[Message]:
        messages = []
        for entry_id, fields, deliveries in entries:
            shaped = record(self._stream, _text(entry_id), fields, deliveries)
            size = sum(len(k) + len(v) for k, v in fields.items()) + RECORD_OVERHEAD
            messages.append(Message(id=shaped["id"], record=shaped, view=filter_view(shaped), size=size, handle=fields))
            self._held.add(shaped["id"])
        return messages

    # -- settling ---------------------------------------------------------------------------------

    async def ack(self, messages: list[Message]) -> None:
        ids = [m.id for m in messages]
        self._held.difference_update(ids)
        if ids:
            await self._settle("acknowledge", self._client().xack(self._stream, self._group, *ids))

    async def release(self, messages: list[Message], failed: bool) -> None:
        self._held.difference_update(m.id for m in messages)
        if self._closed:  # a receive the stop abandoned: its entries are claimed again once idle
            return
        client = self._client()
        if failed:  # left pending: claimed again once idle for wait_s, or dead when past the limit
            for message in messages:
                if message.record["deliveryCount"] >= self._max:
                    await self._settle("dead-letter", self._dead_letter(client, message.id, message.handle, self._max))
            return
        pipe = client.pipeline(transaction=False)
        for message in messages:  # never invoked: the count it took is given back, and it is ready at once
            retries = max(0, message.record["deliveryCount"] - 1)
            pipe.xclaim(
                self._stream,
                self._group,
                self._consumer,
                0,
                [message.id],
                idle=self._wait_ms * 2,
                retrycount=retries,
                justid=True,
            )
        await self._settle("hand back", pipe.execute())

    async def _dead_letter(self, client: Any, entry_id: str, fields: dict[bytes, bytes], deliveries: int) -> None:
        dead = self._stream + DEAD_LETTER_SUFFIX
        log.warning(
            "entry %s of stream %s failed %d deliveries: moved to %s (group %s)",
            entry_id,
            self._stream,
            deliveries,
            dead,
            self._group,
        )
        moved: dict[bytes | str, bytes | str] = dict(fields.items())
        moved.update({"lambent-source-id": entry_id, "lambent-deliveries": str(deliveries), "lambent-group": self._group})
        pipe = client.pipeline(transaction=True)
        pipe.xadd(dead, moved)
        pipe.xack(self._stream, self._group, entry_id)
        await pipe.execute()

    async def _settle(self, what: str, work: Any) -> None:
        """Settling that fails leaves the entries pending: they are claimed again (at least once)."""
        import redis.exceptions

        try:
            await work
        except (redis.exceptions.RedisError, OSError) as failed:
            log.warning("could not %s entries of stream %s (%s): they stay pending", what, self._stream, failed)

    async def _keep_fresh(self) -> None:
        import redis.exceptions

        while not self._closed:
            await asyncio.sleep(self._wait_ms / 3000)
            held = list(self._held)
            if not held or self._redis is None:
                continue
            try:
                await self._redis.xclaim(self._stream, self._group, self._consumer, 0, held, justid=True)
            except (redis.exceptions.RedisError, OSError) as failed:
                log.warning("could not keep entries of stream %s fresh (%s)", self._stream, failed)

    def event(self, messages: list[Message]) -> bytes:
        return json.dumps(event(self._servers, self._stream, [m.record for m in messages])).encode()

    async def depth(self) -> int | None:
        for group in await self._client().xinfo_groups(self._stream):
            if _text(group["name"]) == self._group:
                lag = group.get("lag")
                return int(lag) + int(group["pending"]) if lag is not None else int(group["pending"])
        return None

    async def close(self) -> None:
        """Closing the connections aborts a blocked read on the server's side: nothing more is
        delivered to this consumer."""
        self._closed = True
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self._redis is not None:
            await self._redis.aclose()
