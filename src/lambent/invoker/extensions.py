"""The Extensions API (2020-01-01) for one environment: registration, events, and the phases
they gate.

External extensions (executables in /opt/extensions) start before the runtime. Init is done
once every one of them has registered and asked for its first event; an invocation is done
once the runtime answered and every extension subscribed to INVOKE has asked for its next event;
shutdown sends SHUTDOWN to the subscribed and waits for their next request, within a budget.
The platform knows how many to expect (it listed /opt/extensions), so a missing one is noticed.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import msgspec

from lambent.clock import Clock
from lambent.errors import RuntimeApiRefusal
from lambent.invoker.timeouts import within
from lambent.model.channel import InvokeMessage

SHUTDOWN_BUDGET_S = 2.0
_CLOSED: dict[str, Any] = {"eventType": "__closed__"}
EVENT_TYPES = ("INVOKE", "SHUTDOWN")


class _Extension(msgspec.Struct, kw_only=True):
    name: str
    events: tuple[str, ...]
    queue: asyncio.Queue[dict[str, Any]]
    waiting: bool = False  # inside event/next, i.e. done with what it was given


class Extensions:
    def __init__(self, expected: int, function_name: str, function_version: str, handler: str, clock: Clock) -> None:
        self._clock = clock
        self.expected = expected
        self._identity = {"functionName": function_name, "functionVersion": function_version, "handler": handler}
        self._extensions: dict[str, _Extension] = {}
        self._changed = asyncio.Event()
        self.error: dict[str, Any] | None = None
        self.initialised = False

    # -- the extensions' side (HTTP edge) -----------------------------------------------------

    def register(self, name: str | None, events: Any) -> tuple[str, dict[str, Any]]:
        if not name:
            raise RuntimeApiRefusal(403, "Extension.InvalidExtensionName", "Lambda-Extension-Name is required")
        if self.initialised:
            raise RuntimeApiRefusal(403, "Extension.InvalidStateTransition", "Extensions register during init only")
        if any(extension.name == name for extension in self._extensions.values()):
            raise RuntimeApiRefusal(409, "Extension.AlreadyRegistered", f"Extension {name} is already registered")
        chosen = tuple(events or ())
        if any(event not in EVENT_TYPES for event in chosen):
            raise RuntimeApiRefusal(400, "InvalidEventType", f"Events must be among {', '.join(EVENT_TYPES)}")
        identifier = str(uuid.uuid4())
        self._extensions[identifier] = _Extension(name=name, events=chosen, queue=asyncio.Queue())
        self._notify()
        return identifier, dict(self._identity)

    async def next(self, identifier: str | None) -> dict[str, Any]:
        extension = self._find(identifier)
        extension.waiting = True
        self._notify()
        try:
            event = await extension.queue.get()
        finally:
            extension.waiting = False
        if event is _CLOSED:
            raise ConnectionError("the environment is gone")
        return event

    def close(self) -> None:
        """The environment is gone: release every extension still waiting for an event."""
        for extension in self._extensions.values():
            extension.queue.put_nowait(_CLOSED)

    def report_error(self, identifier: str | None, error_type: str | None, phase: str) -> None:
        extension = self._find(identifier)
        self.error = {
            "errorType": error_type or "Extension.Unknown",
            "errorMessage": f"Extension {extension.name} reported an {phase} error",
        }
        self._notify()

    def check(self, identifier: str | None) -> None:
        """Refuse an identifier that no registered extension holds."""
        self._find(identifier)

    def _find(self, identifier: str | None) -> _Extension:
        extension = self._extensions.get(identifier or "")
        if extension is None:
            raise RuntimeApiRefusal(403, "Extension.UnknownExtensionIdentifier", "Unknown extension identifier")
        return extension

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # -- the platform's side (Environment) ---------------------------------------------------

    async def _until(self, condition: Any, deadline: float) -> bool:
        while not condition():
            if self.error is not None:
                return False
            remaining = deadline - self._clock.monotonic()
            if remaining <= 0:
                return False
            changed = self._changed
            try:
                async with within(self._clock, remaining):
                    await changed.wait()
            except TimeoutError:
                return False
        return True

    async def init_done(self, timeout_s: float) -> bool:
        """Every expected extension registered and waiting for its first event."""
        ready = await self._until(
            lambda: len(self._extensions) >= self.expected and all(e.waiting for e in self._extensions.values()),
            self._clock.monotonic() + timeout_s,
        )
        self.initialised = True
        return ready

    def invoke(self, message: InvokeMessage) -> None:
        event = {
            "eventType": "INVOKE",
            "deadlineMs": message.deadline_ms,
            "requestId": message.id,
            "invokedFunctionArn": message.arn,
            "tracing": {"type": "X-Amzn-Trace-Id", "value": message.trace_id or ""},
        }
        for extension in self._extensions.values():
            if "INVOKE" in extension.events:
                extension.waiting = False
                extension.queue.put_nowait(event)

    async def invoke_done(self, timeout_s: float) -> bool:
        """Every extension given the INVOKE event is waiting for the next one."""
        return await self._until(
            lambda: all(e.waiting for e in self._extensions.values() if "INVOKE" in e.events),
            self._clock.monotonic() + timeout_s,
        )

    async def shutdown(self, reason: str) -> None:
        subscribed = [e for e in self._extensions.values() if "SHUTDOWN" in e.events]
        if not subscribed:
            return
        deadline_ms = int((self._clock.time() + SHUTDOWN_BUDGET_S) * 1000)
        for extension in subscribed:
            extension.waiting = False
            extension.queue.put_nowait({"eventType": "SHUTDOWN", "shutdownReason": reason, "deadlineMs": deadline_ms})
        await self._until(lambda: all(e.waiting for e in subscribed), self._clock.monotonic() + SHUTDOWN_BUDGET_S)
