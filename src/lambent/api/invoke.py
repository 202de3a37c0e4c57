"""Invoke (2015-03-31), the hot path, and the legacy InvokeAsync (2014-11-13).

Invoke is plain ASGI (no Request or Response objects, ~30 µs of edge per call): it reads the
headers once, validates them against the model from a cache, and writes the answer's headers
itself. Its answer: the function's payload with ``X-Amz-Executed-Version``,
``x-amzn-RequestId``, ``X-Amz-Function-Error: Unhandled`` on a function error and
``X-Amz-Log-Result`` (the log's last 4 KB, base64) for ``LogType: Tail``.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from lambent.api import inputs
from lambent.api.body import read_body
from lambent.api.cells import RequestCells
from lambent.api.render import json_response
from lambent.clock import Clock, SystemClock
from lambent.errors import ApiError
from lambent.model import constraints, eventstream
from lambent.model import logs as loglines
from lambent.model.arns import parse_function_ref
from lambent.model.limits import INVOKE_ASYNC_LIMIT_BYTES, SYNC_PAYLOAD_LIMIT_BYTES
from lambent.services.invocations import Invocation, InvokeOutcome, ResponseStream
from lambent.settings import Settings


def _complete(invocation: Invocation | None, log_type: str) -> bytes:
    """InvokeComplete for *invocation*: its error, and its log's tail when LogType is Tail."""
    failure = invocation.failure if invocation is not None else None
    log = base64.b64encode(loglines.tail(invocation.log)).decode() if invocation is not None and log_type == "Tail" else None
    return eventstream.invoke_complete(
        failure.error_type if failure is not None else None, failure.message if failure is not None else None, log
    )


def _qualifier(query_string: bytes) -> str | None:
    if not query_string:
        return None
    values = [value for key, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True) if key == "Qualifier"]
    return values[-1] if values else None


class InvokeApi:
    def __init__(self, settings: Settings, cells: RequestCells, clock: Clock | None = None) -> None:
        self._settings = settings
        self._cells = cells
        self._clock = clock or SystemClock()

    async def _run(
        self, scope: Scope, receive: Receive, operation: str, body_operation: str, stream: ResponseStream | None = None
    ) -> tuple[InvokeOutcome, str]:
        """Invoke's and InvokeWithResponseStream's shared part: the headers, qualifier and path
        checked as *operation*'s, the body read within the limit (refused in *body_operation*'s
        words), the invocation (its streamed response into *stream*); its outcome and the
        LogType asked for."""
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        invocation_type = headers.get("x-amz-invocation-type", "RequestResponse")
        log_type = headers.get("x-amz-log-type", "None")
        qualifier = _qualifier(scope["query_string"])
        identifier = scope["path_params"]["name"]
        params: dict[str, Any] = {"FunctionName": identifier, "InvocationType": invocation_type, "LogType": log_type}
        if qualifier is not None:
            params["Qualifier"] = qualifier
        constraints.validate(operation, params)
        cell = await self._cells.of(scope)
        ref = parse_function_ref(identifier, cell.region, cell.account_id, qualifier)
        payload = await read_body(receive, SYNC_PAYLOAD_LIMIT_BYTES, body_operation, headers.get("content-length"))
        outcome = await cell.invocations.invoke(
            ref, payload, invocation_type, headers.get("x-amz-client-context"), headers.get("x-amzn-trace-id"), stream
        )
        return outcome, log_type

    async def invoke(self, scope: Scope, receive: Receive, send: Send) -> None:
        outcome, log_type = await self._run(scope, receive, "Invoke", "InvokeFunction")
        invocation = outcome.invocation
        body = invocation.payload if invocation is not None else b""
        response = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-amz-executed-version", outcome.executed_version.encode()),
            (b"x-amzn-requestid", outcome.request_id.encode()),
        ]
        if invocation is not None and invocation.failure is not None:
            response.append((b"x-amz-function-error", b"Unhandled"))
        if invocation is not None and log_type == "Tail":
            response.append((b"x-amz-log-result", base64.b64encode(loglines.tail(invocation.log))))
        await send({"type": "http.response.start", "status": outcome.status, "headers": response})
        await send({"type": "http.response.body", "body": body})

    async def invoke_stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        """InvokeWithResponseStream: the response as event stream ``PayloadChunk`` events, then
        ``InvokeComplete``. A function that streams has each chunk it writes sent at once (the
        headers go when its runtime opens the stream); one that answers whole has its payload
        sent as one chunk, as AWS sends such a function's. A function error is its type and
        message in InvokeComplete's ErrorCode and ErrorDetails (after the chunks already sent,
        or after the error document as the one chunk of an answer that was not streamed)."""
        stream = ResponseStream(self._clock)
        invocation = asyncio.ensure_future(
            self._run(scope, receive, "InvokeWithResponseStream", "InvokeWithResponseStream", stream)
        )
        await stream.started_or_done(invocation)
        if invocation.done() and not stream.opened:
            outcome, log_type = invocation.result()  # a refusal is raised here, as Invoke's
            await self._send_stream_head(send, outcome.status, outcome.executed_version, outcome.request_id)
            invoked = outcome.invocation
            if invoked is not None and invoked.payload:
                await send({"type": "http.response.body", "body": eventstream.payload_chunk(invoked.payload), "more_body": True})
            await send({"type": "http.response.body", "body": _complete(invoked, log_type)})
            return
        await self._send_stream_head(send, 200, stream.executed_version, stream.request_id)
        try:
            async for chunk in stream.chunks():
                await send({"type": "http.response.body", "body": eventstream.payload_chunk(chunk), "more_body": True})
        finally:
            stream.abandon()  # the client went away (or all was sent): nothing more is held for it
        try:
            outcome, log_type = await invocation
        except ApiError as refused:
            await send({"type": "http.response.body", "body": eventstream.invoke_complete(refused.error_type, refused.message)})
            return
        await send({"type": "http.response.body", "body": _complete(outcome.invocation, log_type)})

    @staticmethod
    async def _send_stream_head(send: Send, status: int, executed_version: str, request_id: str) -> None:
        headers = [
            (b"content-type", b"application/vnd.amazon.eventstream"),
            (b"x-amz-executed-version", executed_version.encode()),
            (b"x-amzn-requestid", request_id.encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})

    async def invoke_async(self, request: Request) -> Response:
        """The legacy InvokeAsync: an Event invoke with its own 256 KB limit and answer."""
        cell = await self._cells.of(request.scope)
        ref = inputs.function_ref(request, cell, "InvokeAsync")
        payload = await inputs.body(request, INVOKE_ASYNC_LIMIT_BYTES, "InvokeAsync")
        await cell.invocations.invoke(ref, payload, "Event", trace_id=request.headers.get("x-amzn-trace-id"))
        return json_response({"Status": 202}, 202)
