"""Invocations: synchronous, asynchronous (``Event``) and dry runs of a resolved version.

Event invocations are answered 202 once queued, and a fixed number of workers drain the queue,
so accepting does not wait for running. Throttles and platform errors are retried with
backoff (1 s doubling to 5 min) until the event is six hours old, as AWS does; function errors
are not retried yet. The queue is in memory: a crash of the server loses what it held. The
durable queue with retries and destinations (M1-5) replaces it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from typing import Any

import msgspec

from lambent.errors import (
    InvalidRequestContentException,
    RequestEntityTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
    ResponseSizeTooLarge,
    SandboxSetupError,
    TooManyRequestsException,
)
from lambent.invoker.invoker import Invocation, Invoker, InvokeRequest
from lambent.model.arns import FunctionRef
from lambent.model.function import SYNC_PAYLOAD_LIMIT_BYTES, SYNC_RESPONSE_LIMIT_BYTES, FunctionVersion
from lambent.services.functions import FunctionService

log = logging.getLogger(__name__)
ASYNC_PAYLOAD_LIMIT_BYTES = 1024 * 1024
MAXIMUM_EVENT_AGE_S = 6 * 3600
MAXIMUM_BACKOFF_S = 300.0


class InvokeOutcome(msgspec.Struct, kw_only=True):
    status: int
    executed_version: str
    request_id: str
    invocation: Invocation | None = None


def _check_json(payload: bytes) -> None:
    if not payload:
        return
    try:
        msgspec.json.decode(payload)
    except msgspec.DecodeError as exc:
        raise InvalidRequestContentException(
            f"Could not parse request body into json: Could not parse payload into json: {exc}"
        ) from None


def _client_context(encoded: str | None) -> dict[str, Any] | None:
    if not encoded:
        return None
    try:
        import base64

        value = json.loads(base64.b64decode(encoded, validate=True))
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequestContentException("Client context must be a valid Base64-encoded JSON object.") from None
    if not isinstance(value, dict):
        raise InvalidRequestContentException("Client context must be a valid Base64-encoded JSON object.")
    return value


class _Event(msgspec.Struct, kw_only=True):
    version: FunctionVersion
    request: InvokeRequest
    accepted: float
    attempt: int = 0


class InvocationService:
    def __init__(self, functions: FunctionService, invoker: Invoker, workers: int = 32, max_queued: int = 100_000) -> None:
        self._functions = functions
        self._invoker = invoker
        self._queue: asyncio.Queue[_Event] = asyncio.Queue(max_queued)
        self._workers = workers
        self._background: set[asyncio.Task[Any]] = set()

    def start(self) -> None:
        for _ in range(self._workers):
            self._spawn(self._work())

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def invoke(
        self,
        ref: FunctionRef,
        payload: bytes,
        invocation_type: str,
        client_context: str | None = None,
        trace_id: str | None = None,
    ) -> InvokeOutcome:
        version = self._functions.resolve(ref, random.random())  # noqa: S311 - traffic split, not crypto
        if version.state != "Active":
            raise ResourceConflictException(
                "The operation cannot be performed at this time. "
                f"The function is currently in the following state: {version.state}"
            )
        limit = ASYNC_PAYLOAD_LIMIT_BYTES if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT_BYTES
        if len(payload) > limit:
            raise RequestEntityTooLargeException(f"Request must be smaller than {limit} bytes for the InvokeFunction operation")
        _check_json(payload)
        context = _client_context(client_context)
        request_id = str(uuid.uuid4())
        if invocation_type == "DryRun":
            return InvokeOutcome(status=204, executed_version=version.version, request_id=request_id)
        request = InvokeRequest(
            request_id=request_id,
            payload=payload,
            client_context=context,
            trace_id=trace_id,
            invoked_arn=self._functions.arn(ref.name, ref.qualifier),
        )
        if invocation_type == "Event":
            try:
                self._queue.put_nowait(_Event(version=version, request=request, accepted=time.monotonic()))
            except asyncio.QueueFull:
                raise TooManyRequestsException("Rate Exceeded.", Reason="CallerRateLimitExceeded") from None
            return InvokeOutcome(status=202, executed_version=version.version, request_id=request_id)
        invocation = await self._invoker.invoke(
            version, request, self._functions.reserved(ref.name), self._functions.reserved_total()
        )
        if invocation.failure is None and len(invocation.payload) > SYNC_RESPONSE_LIMIT_BYTES:
            invocation.failure = ResponseSizeTooLarge(
                f"Response payload size ({len(invocation.payload)} bytes) exceeded maximum allowed payload "
                f"size ({SYNC_RESPONSE_LIMIT_BYTES} bytes)."
            )
        if invocation.failure is not None:
            invocation.payload = json.dumps(invocation.failure.document()).encode()
        return InvokeOutcome(status=200, executed_version=version.version, request_id=request_id, invocation=invocation)

    async def _work(self) -> None:
        while True:
            event = await self._queue.get()
            name = event.version.name
            try:
                reserved = self._functions.reserved(name)
                await self._invoker.invoke(event.version, event.request, reserved, self._functions.reserved_total())
            except ResourceNotFoundException:
                log.warning("asynchronous invocation %s dropped: function %s was deleted", event.request.request_id, name)
            except TooManyRequestsException as exc:
                if reserved == 0:  # AWS: a function stopped by reservation 0 gets no retries
                    log.warning(
                        "asynchronous invocation %s of %s dropped: reserved concurrency is 0", event.request.request_id, name
                    )
                else:
                    self._retry_later(event, exc)
            except SandboxSetupError as exc:
                self._retry_later(event, exc)
            except Exception:
                log.exception("asynchronous invocation %s of %s failed", event.request.request_id, event.version.name)

    def _retry_later(self, event: _Event, reason: Exception) -> None:
        """Back off and queue the event again, unless it is past the maximum event age."""
        if time.monotonic() - event.accepted > MAXIMUM_EVENT_AGE_S:
            log.error(
                "asynchronous invocation %s of %s dropped after %d attempts: %s",
                event.request.request_id,
                event.version.name,
                event.attempt + 1,
                reason,
            )
            return
        delay = min(MAXIMUM_BACKOFF_S, 2.0**event.attempt)
        event.attempt += 1

        async def requeue() -> None:
            await asyncio.sleep(delay)
            await self._queue.put(event)

        self._spawn(requeue())

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
