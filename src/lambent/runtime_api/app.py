"""The Runtime API's HTTP surface, as AWS's OpenAPI description defines it.

Each environment's listener carries its ``RuntimeApiChannel`` in the ASGI scope
(``lambent.environment``); every handler is parse → one channel call → render. Answers: 200 with
the event for ``next``; 202 ``{"status":"OK"}`` for answers; 400 ``InvalidRequestID``, 403
``InvalidStateTransition``, 413 ``RequestEntityTooLarge`` as the state machine and limits say;
404 and 405 for wrong paths and methods.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import msgspec
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from lambent.api.body import read_body
from lambent.errors import RequestEntityTooLargeException, RuntimeApiRefusal
from lambent.invoker.extensions import Extensions
from lambent.invoker.runtime_channel import EnvironmentApi, RuntimeApiChannel
from lambent.model.limits import EXTENSION_ERROR_LIMIT_BYTES, EXTENSION_REQUEST_LIMIT_BYTES, SYNC_RESPONSE_LIMIT_BYTES
from lambent.runtime_api.render import accepted_response, error_response, not_served, refusal_response, too_large

PREFIX = "/2018-06-01"
#: Every path prefix this app answers inside an environment.
PREFIXES = ("/2018-06-01/", "/2020-01-01/", "/2022-07-01/")
#: The scope key under which each request finds its environment's ``EnvironmentApi``.
ENVIRONMENT_SCOPE_KEY = "lambent.environment"


def _environment(request: Request) -> EnvironmentApi:
    api = request.scope.get(ENVIRONMENT_SCOPE_KEY)
    if not isinstance(api, EnvironmentApi):
        raise not_served()
    return api


def _channel(request: Request) -> RuntimeApiChannel:
    runtime = _environment(request).runtime
    if runtime is None:
        raise not_served()
    return runtime


def _extensions(request: Request) -> Extensions:
    extensions: Extensions | None = _environment(request).extensions
    if extensions is None:
        raise not_served()
    return extensions


async def _body(request: Request, limit: int) -> bytes | Response:
    """The body, or the Runtime API's 413 once it is past *limit* (the rest is left unread)."""
    try:
        return await read_body(request.receive, limit, "")
    except RequestEntityTooLargeException:
        return too_large(limit)


async def next_invocation(request: Request) -> Response:
    try:
        headers, body = await _channel(request).next()
    except RuntimeApiRefusal as refused:
        return refusal_response(refused)
    except ConnectionError:
        return error_response(410, "EnvironmentGone", "This execution environment has been shut down")
    # uvicorn writes header names in lower case; HTTP names are case-insensitive, and AWS's
    # clients (awslambdaric, aws-lambda-ric, the tutorial's grep -i) read them so.
    return Response(body, status_code=200, headers=headers, media_type="application/json")


async def _answer(request: Request, call: Any) -> Response:
    body = await _body(request, SYNC_RESPONSE_LIMIT_BYTES + 1)
    if isinstance(body, Response):
        body = b"x" * (SYNC_RESPONSE_LIMIT_BYTES + 1)  # still an answer: the function's result was too large
    try:
        call(body)
    except RuntimeApiRefusal as refused:
        return refusal_response(refused)
    return accepted_response()


async def invocation_response(request: Request) -> Response:
    channel, request_id = _channel(request), request.path_params["id"]
    # uvicorn's own list, taken before Starlette's ``request.headers`` swaps in a copy of it
    headers: list[tuple[bytes, bytes]] = request.scope["headers"]
    if any(name == b"lambda-runtime-function-response-mode" and value.lower() == b"streaming" for name, value in headers):
        return await _streamed_answer(request, headers, channel, request_id)
    return await _answer(request, lambda body: channel.respond(request_id, body))


async def _streamed_answer(
    request: Request, headers: list[tuple[bytes, bytes]], channel: RuntimeApiChannel, request_id: str
) -> Response:
    """A streamed response: each chunk of the body passed on as it arrives, and the error the
    runtime reports in the trailers ``Lambda-Runtime-Function-Error-Type`` and
    ``Lambda-Runtime-Function-Error-Body`` (base64 of the error document), as AWS's runtime
    interface clients send a failure that comes after the stream began. uvicorn's httptools
    protocol (which the environment listener always uses) appends trailer fields to the
    header list it put in the scope, as they arrive after the body; they are read from there
    (*headers*: that list, which Starlette's ``Request.headers`` would replace by a copy)."""
    content_type = next((value.decode("latin-1") for name, value in headers if name == b"content-type"), None)
    try:
        channel.open_stream(request_id, content_type)
    except RuntimeApiRefusal as refused:
        return refusal_response(refused)
    try:
        async for chunk in request.stream():
            if chunk:
                await channel.stream_chunk(chunk)
    except ClientDisconnect:
        channel.end_stream("Runtime.StreamInterrupted", b'{"errorMessage":"The runtime closed its response stream early"}')
        return accepted_response()
    fields = {name: value for name, value in headers}  # the trailers, last, override headers of their name
    error_type = fields.get(b"lambda-runtime-function-error-type")
    if error_type is None:
        channel.end_stream(None, b"")
    else:
        try:
            body = base64.b64decode(fields.get(b"lambda-runtime-function-error-body", b""), validate=False)
        except binascii.Error:
            body = b""
        channel.end_stream(error_type.decode("latin-1"), body)
    return accepted_response()


async def invocation_error(request: Request) -> Response:
    channel, request_id = _channel(request), request.path_params["id"]
    error_type = request.headers.get("lambda-runtime-function-error-type")
    return await _answer(request, lambda body: channel.fail(request_id, error_type, body))


async def init_error(request: Request) -> Response:
    channel = _channel(request)
    error_type = request.headers.get("lambda-runtime-function-error-type")
    return await _answer(request, lambda body: channel.init_failed(error_type, body))


EXTENSION = "/2020-01-01/extension"


async def extension_register(request: Request) -> Response:
    document = await _body(request, EXTENSION_REQUEST_LIMIT_BYTES)
    if isinstance(document, Response):
        return document
    try:
        events = msgspec.json.decode(document or b"{}").get("events", [])
        identifier, identity = _extensions(request).register(request.headers.get("lambda-extension-name"), events)
    except RuntimeApiRefusal as refused:
        return refusal_response(refused)
    except (msgspec.DecodeError, AttributeError):
        return error_response(400, "InvalidRequest", "The body must be a JSON object with an events list")
    return Response(
        msgspec.json.encode(identity), headers={"Lambda-Extension-Identifier": identifier}, media_type="application/json"
    )


async def extension_next(request: Request) -> Response:
    try:
        event = await _extensions(request).next(request.headers.get("lambda-extension-identifier"))
    except RuntimeApiRefusal as refused:
        return refusal_response(refused)
    except ConnectionError:
        return error_response(410, "EnvironmentGone", "This execution environment has been shut down")
    event_id = event.get("requestId", "")
    return Response(
        msgspec.json.encode(event), headers={"Lambda-Extension-Event-Identifier": event_id}, media_type="application/json"
    )


async def _extension_report(request: Request, phase: str) -> Response:
    await _body(request, EXTENSION_ERROR_LIMIT_BYTES)
    try:
        _extensions(request).report_error(
            request.headers.get("lambda-extension-identifier"), request.headers.get("lambda-extension-function-error-type"), phase
        )
    except RuntimeApiRefusal as refused:
        return refusal_response(refused)
    return accepted_response()


async def extension_init_error(request: Request) -> Response:
    return await _extension_report(request, "init")


async def extension_exit_error(request: Request) -> Response:
    return await _extension_report(request, "exit")


async def telemetry_subscribe(request: Request) -> Response:
    telemetry = _environment(request).telemetry
    if telemetry is None:
        raise not_served()
    document = await _body(request, EXTENSION_REQUEST_LIMIT_BYTES)
    if isinstance(document, Response):
        return document
    try:
        identifier = request.headers.get("lambda-extension-identifier")
        _extensions(request).check(identifier)
        telemetry.subscribe(identifier, msgspec.json.decode(document or b"{}"))
    except RuntimeApiRefusal as refused:
        return refusal_response(refused)
    except msgspec.DecodeError:
        return error_response(400, "ValidationError", "The body is not JSON")
    return Response(b"OK", status_code=200, media_type="text/plain")


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    await refusal_response(not_served())(scope, receive, send)


router = Router(
    routes=[
        Route(f"{PREFIX}/runtime/invocation/next", next_invocation, methods=["GET"]),
        Route(f"{PREFIX}/runtime/invocation/{{id}}/response", invocation_response, methods=["POST"]),
        Route(f"{PREFIX}/runtime/invocation/{{id}}/error", invocation_error, methods=["POST"]),
        Route(f"{PREFIX}/runtime/init/error", init_error, methods=["POST"]),
        Route(f"{EXTENSION}/register", extension_register, methods=["POST"]),
        Route(f"{EXTENSION}/event/next", extension_next, methods=["GET"]),
        Route(f"{EXTENSION}/init/error", extension_init_error, methods=["POST"]),
        Route(f"{EXTENSION}/exit/error", extension_exit_error, methods=["POST"]),
        Route("/2022-07-01/telemetry", telemetry_subscribe, methods=["PUT"]),
    ],
    default=_not_found,
)


async def runtime_api(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI app of the Runtime API; wrong methods get AWS's JSON 405."""
    if scope["type"] == "http":
        for route in router.routes:
            match, _child = route.matches(scope)
            if match.name == "PARTIAL":
                await error_response(405, "MethodNotAllowed", f"{scope['method']} is not allowed here")(scope, receive, send)
                return
    try:
        await router(scope, receive, send)
    except RuntimeApiRefusal as refused:  # raised before a handler could answer: not_served()
        await refusal_response(refused)(scope, receive, send)
