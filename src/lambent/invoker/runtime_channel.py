"""The platform's side of the Runtime API for one environment.

It offers the environment the same two calls as the built-in runtime's framed channel
(``send`` an invocation, ``receive`` what the runtime reported), so ``Environment`` drives both
alike, and it offers the HTTP edge the runtime's calls (``next``, ``respond``, ``fail``,
``init_failed``), each checked against the state machine of ``model.runtime_api``. The
socketpair the sandbox hands the runtime serves only to learn that it exited (end of file).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from typing import Any

import msgspec

from lambent.errors import RuntimeApiRefusal
from lambent.model.channel import InvokeMessage
from lambent.model.limits import SYNC_RESPONSE_LIMIT_BYTES
from lambent.model.response_stream import IN_FLIGHT_BYTES
from lambent.model.runtime_api import Refusal, State, on_answer, on_init_error, on_next

Frame = tuple[dict[str, Any], bytes]


def _checked(outcome: State | Refusal) -> State:
    if isinstance(outcome, Refusal):
        raise RuntimeApiRefusal(outcome.status, outcome.error_type, outcome.message)
    return outcome


def _error_document(body: bytes, error_type: str | None) -> dict[str, Any]:
    try:
        document = json.loads(body) if body else {}
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    return {
        "errorMessage": str(document.get("errorMessage", "")),
        "errorType": error_type or str(document.get("errorType", "Runtime.Unknown")),
        **({"stackTrace": document["stackTrace"]} if "stackTrace" in document else {}),
        **({"trace": document["trace"]} if "trace" in document else {}),
    }


class Inbox:
    """What an environment reported, handed to one waiter at a time; once closed, every
    ``get`` fails with ConnectionError (the runtime is gone).

    A streamed response's chunks count against ``IN_FLIGHT_BYTES``: past it the inbox calls
    *pause* (the framed channel stops reading its socket, so the runtime's writes block) and
    ``room()`` waits (the Runtime API's reader stops reading the runtime's body); once the
    environment took enough, *resume* is called and ``room()`` returns."""

    def __init__(self, pause: Callable[[], None] | None = None, resume: Callable[[], None] | None = None) -> None:
        self._frames: deque[Frame] = deque()
        self._waiter: asyncio.Future[Frame] | None = None
        self.closed: BaseException | None = None
        self._pause, self._resume = pause, resume
        self._held = 0
        self._paused = False
        self._room: asyncio.Future[None] | None = None

    def put(self, frame: Frame) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(frame)
            return
        self._frames.append(frame)
        if frame[0].get("t") == "chunk":
            self._held += len(frame[1])
            if self._held > IN_FLIGHT_BYTES and not self._paused:
                self._paused = True
                if self._pause is not None:
                    self._pause()

    def _taken(self, frame: Frame) -> Frame:
        if frame[0].get("t") == "chunk":
            self._held -= len(frame[1])
            if self._paused and self._held <= IN_FLIGHT_BYTES:
                self._paused = False
                if self._resume is not None:
                    self._resume()
                if self._room is not None and not self._room.done():
                    self._room.set_result(None)
        return frame

    async def room(self) -> None:
        """Return once the chunks waiting are within bounds (or the inbox closed)."""
        while self._paused and self.closed is None:
            self._room = asyncio.get_running_loop().create_future()
            try:
                await self._room
            finally:
                self._room = None

    def close(self, reason: BaseException) -> None:
        self.closed = reason
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(reason)
        if self._room is not None and not self._room.done():
            self._room.set_result(None)

    async def get(self) -> Frame:
        if self._frames:
            return self._taken(self._frames.popleft())
        if self.closed is not None:
            raise ConnectionError(str(self.closed))
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            return await self._waiter
        finally:
            self._waiter = None


class RuntimeApiChannel(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.BaseTransport | None = None
        self.state = State.INITIALIZING
        self.in_flight: str | None = None
        self._events: deque[tuple[InvokeMessage, bytes]] = deque()
        self._event_waiter: asyncio.Future[None] | None = None
        self._inbox = Inbox()

    # -- liveness: the runtime's end of the socketpair ---------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        return None  # nothing is spoken on it

    def connection_lost(self, exc: Exception | None) -> None:
        self._inbox.close(exc or ConnectionError("the runtime exited"))
        if self._event_waiter is not None and not self._event_waiter.done():
            self._event_waiter.set_exception(ConnectionError("the environment is gone"))

    # -- the platform's side (Environment) ---------------------------------------------------

    def send(self, message: InvokeMessage, body: bytes) -> None:
        self._events.append((message, body))
        if self._event_waiter is not None and not self._event_waiter.done():
            self._event_waiter.set_result(None)

    async def receive(self) -> Frame:
        return await self._inbox.get()

    def _report(self, frame: Frame) -> None:
        self._inbox.put(frame)

    # -- the runtime's side (the HTTP edge) --------------------------------------------------

    async def next(self) -> tuple[dict[str, str], bytes]:
        """Block until there is an invocation; its headers (AWS's names) and event."""
        first = self.state is State.INITIALIZING
        self.state = _checked(on_next(self.state))
        self.in_flight = None
        if first:
            self._report(({"t": "ready"}, b""))
        while not self._events:
            if self._inbox.closed is not None:
                raise ConnectionError("the environment is gone")
            self._event_waiter = asyncio.get_running_loop().create_future()
            try:
                await self._event_waiter
            finally:
                self._event_waiter = None
        message, body = self._events.popleft()
        self.state, self.in_flight = State.INVOKED, message.id
        headers = {
            "Lambda-Runtime-Aws-Request-Id": message.id,
            "Lambda-Runtime-Deadline-Ms": str(message.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": message.arn,
        }
        if message.trace_id:
            headers["Lambda-Runtime-Trace-Id"] = message.trace_id
        if message.client_context:
            headers["Lambda-Runtime-Client-Context"] = json.dumps(message.client_context)
        if message.identity:
            headers["Lambda-Runtime-Cognito-Identity"] = json.dumps(message.identity)
        return headers, body

    def respond(self, request_id: str, body: bytes) -> None:
        self.state = _checked(on_answer(self.state, self.in_flight, request_id))
        if len(body) > SYNC_RESPONSE_LIMIT_BYTES:
            document = {
                "errorMessage": f"Response payload size ({len(body)} bytes) exceeded maximum allowed payload size "
                f"({SYNC_RESPONSE_LIMIT_BYTES} bytes).",
                "errorType": "Function.ResponseSizeTooLarge",
            }
            self._report(({"t": "result", "ok": False}, msgspec.json.encode(document)))
            raise RuntimeApiRefusal(413, "RequestEntityTooLarge", document["errorMessage"])
        self._report(({"t": "result", "ok": True}, body))

    def open_stream(self, request_id: str, content_type: str | None) -> None:
        """The runtime began a streamed response (``Lambda-Runtime-Function-Response-Mode:
        streaming``): it is the invocation's answer, whose chunks follow."""
        self.state = _checked(on_answer(self.state, self.in_flight, request_id))
        self._report(({"t": "open", "ct": content_type}, b""))

    async def stream_chunk(self, chunk: bytes) -> None:
        """One chunk of the streamed response; returns once there is room for more."""
        self._report(({"t": "chunk"}, chunk))
        await self._inbox.room()

    def end_stream(self, error_type: str | None, body: bytes) -> None:
        """The streamed response ended, well or (*error_type* given) with the error document *body*."""
        if error_type is None:
            self._report(({"t": "result", "ok": True, "streamed": True}, b""))
        else:
            self._report(({"t": "result", "ok": False, "streamed": True}, msgspec.json.encode(_error_document(body, error_type))))

    def fail(self, request_id: str, error_type: str | None, body: bytes) -> None:
        self.state = _checked(on_answer(self.state, self.in_flight, request_id))
        self._report(({"t": "result", "ok": False}, msgspec.json.encode(_error_document(body, error_type))))

    def init_failed(self, error_type: str | None, body: bytes) -> None:
        self.state = _checked(on_init_error(self.state))
        self._report(({"t": "init_error"}, msgspec.json.encode(_error_document(body, error_type))))


class EnvironmentApi(msgspec.Struct, kw_only=True):
    """What an environment's listener serves beside the platform API: its Runtime API (when the
    runtime speaks it) and its Extensions API (when it has extensions)."""

    runtime: RuntimeApiChannel | None = None
    extensions: Any = None  # lambent.invoker.extensions.Extensions
    telemetry: Any = None  # lambent.invoker.telemetry.Telemetry
