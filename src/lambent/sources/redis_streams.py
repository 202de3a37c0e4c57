"""Redis Streams as a queue source (beyond AWS; decision 0031): a consumer group per mapping,
read with redis-py's asyncio client.

- The mapping names the server in ``SelfManagedEventSource.Endpoints.REDIS_URLS`` (the first
  URL; Redis Cluster is not supported) and the stream in ``Topics``. Its group is
  ``lambent-<UUID>``, made at the first start at ``$`` (what is added from then on, as a
  ``LATEST`` start), or kept as it was: a disabled mapping resumes where it stopped.
- A receive long-polls with ``XREADGROUP ... BLOCK``; a success is ``XACK``ed. A failure stays in
  the group's pending entries and is claimed again (``XCLAIM``, which counts the delivery) after
  ``RETRY_AFTER_S``. The consumer is named after the node (its stable id), so a restarted server
  first reads its own pending entries back (``XREADGROUP ... 0``) and loses nothing; entries
  another consumer left idle past ``RECLAIM_IDLE_S`` (longer than any function runs, so never one
  still being invoked) are claimed too.
- A poison entry, delivered ``MaximumRetryAttempts`` + 1 times (Lambent lets Redis and NATS
  mappings set it; by default ``MAX_DELIVERIES``; -1: forever), is copied to the dead-letter
  stream ``<stream>:lambent-dead-letter`` with why, then acknowledged, so it never stalls.
- The record is in the ``aws:kafka`` style (decision 0031): ``{"eventSource": "lambent:redis",
  "bootstrapServers": URL, "records": {STREAM: [{"stream", "id", "timestamp", "fields",
  "binaryFields"}]}}``; fields that are not UTF-8 are given in ``binaryFields`` as base64.
  Filters see the record; ``itemIdentifier`` in batch item failures is the entry's id.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

from lambent.sources.queue_poller import Message

#: Longer than the longest function timeout (900 s): an entry idle so long is no one's.
RECLAIM_IDLE_S = 930.0
MAX_DELIVERIES = 10
RETRY_AFTER_S = 1.0
#: How often a receive looks for other consumers' abandoned entries.
RECLAIM_EVERY_S = 10.0
DEAD_LETTER_SUFFIX = ":lambent-dead-letter"


def group_name(uuid: str) -> str:
    return f"lambent-{uuid}"


def _text(raw: bytes) -> str | None:
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return None


def _id(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def record(stream: str, entry_id: str, fields: dict[bytes, bytes]) -> dict[str, Any]:
    """One entry as the function gets it."""
    text: dict[str, str] = {}
    binary: dict[str, str] = {}
    for name, value in fields.items():
        key, shown = _text(name), _text(value)
        if key is not None and shown is not None:
            text[key] = shown
        else:
            binary[key if key is not None else base64.b64encode(name).decode()] = base64.b64encode(value).decode()
    shaped: dict[str, Any] = {"stream": stream, "id": entry_id, "timestamp": int(entry_id.split("-", 1)[0]), "fields": text}
    if binary:
        shaped["binaryFields"] = binary
    return shaped


class RedisStream:
    """The queue source of one mapping (``QueueSource``)."""

    per_receive = 10000

    def __init__(self, url: str, stream: str, group: str, consumer: str, max_deliveries: int | None = MAX_DELIVERIES) -> None:
        """*max_deliveries*: after so many an entry is dead-lettered (None: never)."""
        self._url, self._stream, self._group, self._consumer = url, stream, group, consumer
        self._max_deliveries = max_deliveries
        self._client: Any = None
        #: Where reading this consumer's own pending entries goes on from (None: all read).
        self._own_cursor: str | None = "0"
        self._next_reclaim = 0.0
        self._in_flight: set[str] = set()
        #: Failed entries, each with when it is tried again (monotonic seconds).
        self._failed: dict[str, float] = {}
        #: The receives under way (a stop cancels them: see ``close``).
        self._receiving: set[asyncio.Task[Any]] = set()

    async def _redis(self) -> Any:
        if self._client is None:
            import redis.asyncio as redis
            from redis.exceptions import ResponseError

            client = redis.from_url(self._url, socket_connect_timeout=5)
            try:
                await client.xgroup_create(self._stream, self._group, id="$", mkstream=True)
            except ResponseError as exists:
                if "BUSYGROUP" not in str(exists):
                    await client.aclose()
                    raise
            self._client = client
        return self._client

    def _messages(self, entries: list[Any]) -> list[Message]:
        messages = []
        for raw_id, fields in entries:
            if fields is None:  # trimmed from the stream while pending: nothing to deliver
                continue
            entry_id = _id(raw_id)
            shaped = record(self._stream, entry_id, fields)
            size = sum(len(k) + len(v) for k, v in fields.items()) + 128
            self._in_flight.add(entry_id)
            messages.append(Message(id=entry_id, record=shaped, view=shaped, size=size, handle=entry_id))
        return messages

    async def receive(self, limit: int, wait_s: float) -> list[Message]:
        task = asyncio.current_task()
        if task is not None:
            self._receiving.add(task)
        try:
            return await self._receive(limit, wait_s)
        finally:
            if task is not None:
                self._receiving.discard(task)

    async def _receive(self, limit: int, wait_s: float) -> list[Message]:
        client = await self._redis()
        while self._own_cursor is not None:  # what this node read before a crash and never acknowledged
            answer = await client.xreadgroup(self._group, self._consumer, {self._stream: self._own_cursor}, count=limit)
            found = answer[0][1] if answer else []
            if not found:
                self._own_cursor = None
                break
            last = found[-1][0]
            self._own_cursor = _id(last)
            mine = self._messages([entry for entry in found if _id(entry[0]) not in self._in_flight])
            if mine:
                return mine
        now = time.monotonic()
        due = [entry for entry, at in self._failed.items() if at <= now][:limit]
        if due:
            for entry in due:
                del self._failed[entry]
            claimed = await self._claim(client, due, 0)
            if claimed:
                return claimed
        if now >= self._next_reclaim:
            self._next_reclaim = now + RECLAIM_EVERY_S
            pending = await client.xpending_range(
                self._stream, self._group, min="-", max="+", count=limit, idle=int(RECLAIM_IDLE_S * 1000)
            )
            stale = [p["message_id"].decode() for p in pending if p["message_id"].decode() not in self._in_flight]
            claimed = await self._claim(client, stale, int(RECLAIM_IDLE_S * 1000))
            if claimed:
                return claimed
        if self._failed:  # wake for the next retry rather than block past it
            wait_s = max(0.001, min(wait_s, min(self._failed.values()) - now))
        answer = await client.xreadgroup(
            self._group, self._consumer, {self._stream: ">"}, count=limit, block=max(1, int(wait_s * 1000))
        )
        return self._messages(answer[0][1] if answer else [])

    async def _claim(self, client: Any, ids: list[str], idle_ms: int) -> list[Message]:
        """Claim *ids* (idle at least *idle_ms*) for this consumer; those delivered as often as
        the mapping allows go to the dead-letter stream instead."""
        if not ids:
            return []
        counts = {}
        for entry in ids:
            for pending in await client.xpending_range(self._stream, self._group, min=entry, max=entry, count=1):
                counts[entry] = int(pending["times_delivered"])
        limit = self._max_deliveries
        poison = [entry for entry in ids if limit is not None and counts.get(entry, 0) >= limit]
        retry = [entry for entry in ids if entry in counts and entry not in poison]
        if poison:
            await self._dead_letter(client, poison)
        if not retry:
            return []
        return self._messages(await client.xclaim(self._stream, self._group, self._consumer, idle_ms, retry))

    async def _dead_letter(self, client: Any, ids: list[str]) -> None:
        for entry_id, fields in await client.xclaim(self._stream, self._group, self._consumer, 0, ids):
            if fields is not None:
                note = {b"lambent-reason": f"delivered {self._max_deliveries} times".encode(), b"lambent-id": entry_id}
                await client.xadd(self._stream + DEAD_LETTER_SUFFIX, {**fields, **note})
            await client.xack(self._stream, self._group, entry_id)

    async def ack(self, messages: list[Message]) -> None:
        client = await self._redis()
        ids = [m.handle for m in messages]
        await client.xack(self._stream, self._group, *ids)
        self._in_flight.difference_update(ids)

    async def release(self, messages: list[Message], failed: bool) -> None:
        """Left pending: a failure is claimed again after ``RETRY_AFTER_S``; what a stop gives
        back is read again by this node's next start."""
        self._in_flight.difference_update(m.handle for m in messages)
        if failed:
            again = time.monotonic() + RETRY_AFTER_S
            self._failed.update({m.handle: again for m in messages})

    def event(self, messages: list[Message]) -> bytes:
        return json.dumps(
            {
                "eventSource": "lambent:redis",
                "bootstrapServers": self._url,
                "records": {self._stream: [m.record for m in messages]},
            }
        ).encode()

    async def depth(self) -> int | None:
        client = await self._redis()
        for group in await client.xinfo_groups(self._stream):
            if group["name"].decode() == self._group:
                return int(group.get("lag") or 0) + int(group.get("pending") or 0)
        return None

    async def close(self) -> None:
        """Cancels the receives a stop abandoned and drops every connection, those blocked in a
        long poll too: a stopped mapping's XREADGROUP must not go on taking entries (Redis
        forgets a blocked client that hangs up; redis-py would retry one that failed)."""
        for task in list(self._receiving):
            task.cancel()
        await asyncio.gather(*self._receiving, return_exceptions=True)
        if self._client is not None:
            await self._client.connection_pool.disconnect(inuse_connections=True)
            await self._client.aclose()
            self._client = None
