"""The one place errors become HTTP responses, and the helpers every endpoint answers with.

Three shapes, one renderer each:

- restJson1, as AWS Lambda answers: the status, ``Content-Type: application/json``,
  ``x-amzn-RequestId``, ``x-amzn-ErrorType: <Code>``, and a body
  ``{"Type": "User", "Message": ..., "message": ..., "__type": <Code>}`` so every SDK finds the
  code in the header and the message in the body (``error_response``); no ``Type`` where AWS
  sends none (ValidationException).
- JSON 1.1, as CloudWatch Logs answers: ``Content-Type: application/x-amz-json-1.1``, the same
  two headers, and ``{"__type": <Code>, "message": ...}`` (``json11_error``).

- restJson as API Gateway's control plane answers (``/v2/...``, apigatewayv2): the status,
  ``x-amzn-ErrorType: <Code>``, ``x-amzn-RequestId``, and ``{"message": ...}``
  (``apigateway_error_response``), whatever error the request met.

The Runtime API has its own shape, rendered in ``lambent.runtime_api.render``.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from lambent.errors import ApiError, ServiceException

#: The path prefix of API Gateway's control plane: its errors have API Gateway's shape.
APIGATEWAY_PREFIX = "/v2/"
#: EventBridge Scheduler's paths (rest-json, errors as ``{"Message"}``).
SCHEDULER_PREFIXES = ("/schedules", "/schedule-groups")

log = logging.getLogger(__name__)
_encode = msgspec.json.Encoder()


def request_id() -> str:
    return str(uuid.uuid4())


def json_response(document: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    all_headers = {"x-amzn-RequestId": request_id()}
    if headers:
        all_headers.update(headers)
    return Response(_encode.encode(document), status_code=status, headers=all_headers, media_type="application/json")


def empty_response(status: int = 204) -> Response:
    return Response(b"", status_code=status, headers={"x-amzn-RequestId": request_id()})


def error_response(error: ApiError) -> Response:
    body: dict[str, Any] = {} if error.fault is None else {"Type": error.fault}
    body.update({"Message": error.message, "message": error.message, "__type": error.error_type, **error.fields})
    headers = {"x-amzn-ErrorType": error.error_type, "x-amzn-RequestId": request_id()}
    if error.status == 429 and "retryAfterSeconds" in error.fields:
        headers["Retry-After"] = str(error.fields["retryAfterSeconds"])
    return Response(_encode.encode(body), status_code=error.status, headers=headers, media_type="application/json")


def apigateway_error_response(error: ApiError) -> Response:
    headers = {"x-amzn-ErrorType": error.error_type, "x-amzn-RequestId": request_id()}
    body = _encode.encode({"message": error.message})
    return Response(body, status_code=error.status, headers=headers, media_type="application/json")


def scheduler_error_response(error: ApiError) -> Response:
    headers = {"x-amzn-ErrorType": error.error_type, "x-amzn-RequestId": request_id()}
    body = _encode.encode({"Message": error.message})
    return Response(body, status_code=error.status, headers=headers, media_type="application/json")


def rendered(path: str, error: ApiError) -> Response:
    """*error* in the shape of the service whose path *path* is."""
    if path.startswith(APIGATEWAY_PREFIX):
        return apigateway_error_response(error)
    if path.startswith(SCHEDULER_PREFIXES):
        return scheduler_error_response(error)
    return error_response(error)


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return rendered(request.url.path, exc)


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error serving %s %s", request.method, request.url.path, exc_info=exc)
    return rendered(request.url.path, ServiceException("An internal error occurred; the server log has the details."))


_JSON11 = "application/x-amz-json-1.1"


def json11_response(document: Any) -> Response:
    return Response(_encode.encode(document), media_type=_JSON11, headers={"x-amzn-RequestId": request_id()})


def json11_error(code: str, message: str, status: int = 400) -> Response:
    return Response(
        _encode.encode({"__type": code, "message": message}),
        status_code=status,
        media_type=_JSON11,
        headers={"x-amzn-RequestId": request_id(), "x-amzn-ErrorType": code},
    )
