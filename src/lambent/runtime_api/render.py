"""The one renderer of the Runtime API's answers (runtime, Extensions and Telemetry APIs).

Errors are AWS's Runtime API shape: the status, ``Content-Type: application/json`` and
``{"errorMessage": ..., "errorType": ...}``. An accepted answer is 202 ``{"status":"OK"}``.
"""

from __future__ import annotations

import msgspec
from starlette.responses import Response

from lambent.errors import RuntimeApiRefusal

_ACCEPTED = b'{"status":"OK"}'


def error_response(status: int, error_type: str, message: str) -> Response:
    body = msgspec.json.encode({"errorMessage": message, "errorType": error_type})
    return Response(body, status_code=status, media_type="application/json")


def refusal_response(refused: RuntimeApiRefusal) -> Response:
    return error_response(refused.status, refused.error_type, refused.message)


def accepted_response() -> Response:
    return Response(_ACCEPTED, status_code=202, media_type="application/json")


def not_served() -> RuntimeApiRefusal:
    """No such path here, or this environment has no such API (a built-in runtime has none)."""
    return RuntimeApiRefusal(404, "NotFound", "No such Runtime API path")


def too_large(limit: int) -> Response:
    return error_response(413, "RequestEntityTooLarge", f"Payload size exceeded the limit of {limit} bytes")
