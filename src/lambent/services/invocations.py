"""Invocations: synchronous, asynchronous (``Event``) and dry runs of a resolved version.

Event invocations are accepted with 202 and run in the background on this process; they are
not yet durable (a crash loses what was queued): the durable queue with retries and
destinations replaces this in M1-5.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
from typing import Any

import msgspec

from lambent.errors import (
    InvalidRequestContentException,
    RequestEntityTooLargeException,
    ResourceConflictException,
    ResponseSizeTooLarge,
)
from lambent.invoker.invoker import Invocation, Invoker, InvokeRequest
from lambent.model.arns import FunctionRef
from lambent.model.function import SYNC_PAYLOAD_LIMIT_BYTES, SYNC_RESPONSE_LIMIT_BYTES
from lambent.services.functions import FunctionService

log = logging.getLogger(__name__)
ASYNC_PAYLOAD_LIMIT_BYTES = 1024 * 1024


class InvokeOutcome(msgspec.Struct, kw_only=True):
    status: int
    executed_version: str
    request_id: str
    invocation: Invocation | None = None


def _check_json(payload: bytes) -> None:
    if not payload:
        return
    try:
        json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
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


class InvocationService:
    def __init__(self, functions: FunctionService, invoker: Invoker) -> None:
        self._functions = functions
        self._invoker = invoker
        self._background: set[asyncio.Task[Any]] = set()

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
            task = asyncio.create_task(self._run_event(version, request))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return InvokeOutcome(status=202, executed_version=version.version, request_id=request_id)
        invocation = await self._invoker.invoke(version, request)
        if invocation.failure is None and len(invocation.payload) > SYNC_RESPONSE_LIMIT_BYTES:
            invocation.failure = ResponseSizeTooLarge(
                f"Response payload size ({len(invocation.payload)} bytes) exceeded maximum allowed payload "
                f"size ({SYNC_RESPONSE_LIMIT_BYTES} bytes)."
            )
        if invocation.failure is not None:
            invocation.payload = json.dumps(invocation.failure.document()).encode()
        return InvokeOutcome(status=200, executed_version=version.version, request_id=request_id, invocation=invocation)

    async def _run_event(self, version: Any, request: InvokeRequest) -> None:
        try:
            await self._invoker.invoke(version, request)
        except Exception:
            log.exception("asynchronous invocation %s of %s failed", request.request_id, version.name)

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
