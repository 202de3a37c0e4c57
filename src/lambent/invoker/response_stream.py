"""A streamed response on its way from an execution environment to the client that asked for it.

The environment ``open``s it when the runtime starts streaming (with the content type the
runtime named), ``write``s each chunk as it arrives and ``end``s it; the edge that serves the
client (InvokeWithResponseStream, a ``RESPONSE_STREAM`` function URL) reads ``chunks()`` as they
come. Guarantees: chunks arrive in order, none is held back (each is readable the moment it is
written); at most ``IN_FLIGHT_BYTES`` wait for the client, past which ``write`` waits, so a slow
client slows the function (whose timeout still runs) and never grows the server's memory; a
stream past AWS's 200 MB takes no more (``write`` answers False); past the first 6 MB, ``write``
keeps to 2 MB/s, as AWS's bandwidth cap does. A client that went away ``abandon``s the stream:
the rest is dropped, and the function runs to its end as on AWS.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator
from typing import Any

from lambent.clock import Clock
from lambent.model.response_stream import DEFAULT_TYPE, IN_FLIGHT_BYTES, STREAM_LIMIT_BYTES, UNCAPPED_BYTES, release_at


class ResponseStream:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._chunks: deque[bytes] = deque()
        self._held = 0
        self._readable = asyncio.Event()
        self._writable = asyncio.Event()
        self._writable.set()
        self._capped_since: float | None = None
        self._abandoned = False
        #: The runtime streams (set by ``open``); a function that answered whole leaves it False.
        self.opened = False
        self.ended = False
        self.content_type = DEFAULT_TYPE
        #: Bytes written so far (the stream's size, as metered and limited).
        self.total = 0
        #: What the invocation resolved to, set before the function runs (for the edge's headers).
        self.executed_version = ""
        self.request_id = ""

    def open(self, content_type: str | None) -> None:
        self.opened = True
        if content_type:
            self.content_type = content_type
        self._readable.set()

    async def write(self, chunk: bytes) -> bool:
        """Pass *chunk* on, waiting while the client is behind or the bandwidth cap holds it;
        False (and nothing passed) once the stream would pass its limit."""
        if self.total + len(chunk) > STREAM_LIMIT_BYTES:
            return False
        while self._held >= IN_FLIGHT_BYTES and not self._abandoned:
            self._writable.clear()
            await self._writable.wait()
        self.total += len(chunk)
        if not self._abandoned:
            self._chunks.append(chunk)
            self._held += len(chunk)
            self._readable.set()
        if self.total > UNCAPPED_BYTES:
            now = self._clock.monotonic()
            if self._capped_since is None:
                self._capped_since = now
            await self._clock.sleep(release_at(self.total, self._capped_since) - now)
        return True

    def end(self) -> None:
        self.ended = True
        self._readable.set()

    def abandon(self) -> None:
        """The client is gone: drop what waits and what comes."""
        self._abandoned = True
        self._chunks.clear()
        self._held = 0
        self._writable.set()

    async def started(self) -> None:
        """Return once the runtime opened the stream, wrote to it, or it ended."""
        await self._readable.wait()

    async def started_or_done(self, invocation: asyncio.Future[Any]) -> None:
        """Return once the stream started (``started``) or *invocation*, which writes it, is
        done, whichever comes first: what an edge waits for before it answers."""
        started = asyncio.ensure_future(self.started())
        try:
            await asyncio.wait((invocation, started), return_when=asyncio.FIRST_COMPLETED)
        finally:
            started.cancel()

    async def chunks(self) -> AsyncGenerator[bytes, None]:
        """Every chunk, as soon as it is written, until the stream ends."""
        while True:
            while self._chunks:
                chunk = self._chunks.popleft()
                self._held -= len(chunk)
                if self._held < IN_FLIGHT_BYTES:
                    self._writable.set()
                yield chunk
            if self.ended:
                return
            self._readable.clear()
            await self._readable.wait()
