"""What a function's answer to an HTTP event means, and the ingress's own answers. Pure.

``response_v2`` reads a function's payload as a function URL or an HTTP API's format 2.0 reads
it; ``response_v1`` as format 1.0 does. Either returns an ``HttpResponse`` or raises
``MalformedHttpResponse`` (and nothing else, whatever the bytes); the ingress then answers with
its error (``URL_FUNCTION_ERROR`` for a URL). Sources: Lambda developer guide "Invoking Lambda
function URLs" (response payload format, cookies), API Gateway developer guide "Create AWS
Lambda proxy integrations for HTTP APIs" (response formats 1.0 and 2.0), and AWS's answers as
localstack recorded them against AWS (tests/aws/services/lambda_/test_lambda.py, TestLambdaURL,
recorded 2025-11-24), which settle what the guides leave open:

- Format 2.0 infers the response unless the payload is a JSON object with ``statusCode``: then
  200, ``content-type: application/json``, and the body is the payload re-encoded compactly
  (a function's ``{"hello": "world"}`` arrives as the 17 bytes ``{"hello":"world"}``), except
  that a JSON string is its text (``"hello"`` arrives as ``hello``).
- A structured response without a ``content-type`` header is ``application/json`` too.
- ``statusCode`` may be a number or a string of digits (``"418"`` answers 418).
- ``cookies`` become one ``set-cookie`` header each; ``isBase64Encoded`` true means the body is
  base64 to decode. Format 1.0 requires ``statusCode`` and merges ``headers`` into
  ``multiValueHeaders`` (a name in both keeps the ``multiValueHeaders`` values, as REST APIs
  document).

Choices where AWS says nothing: a payload that is not JSON, a status outside 100-599, a header
value that is an object or array, a body that is not a string (other than absent or null), and
base64 that does not decode are malformed; a number or boolean header value is its JSON text, a
null one is left out. ``multiValueHeaders`` is a format 1.0 member only.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from lambent.errors import MalformedHttpResponse

JSON_TYPE = "application/json"


@dataclass(frozen=True, kw_only=True)
class HttpResponse:
    """An answer to send: the status, the headers in order (repeats allowed), the body."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of header *name* (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def for_method(self, method: str) -> HttpResponse:
        """The answer to a request of *method*: a HEAD gets the headers (with the length the
        body would have) and no body."""
        if method.upper() != "HEAD":
            return self
        kept = tuple((key, value) for key, value in self.headers if key.lower() != "content-length")
        return HttpResponse(status=self.status, headers=(*kept, ("content-length", str(len(self.body)))), body=b"")


# -- the ingress's own answers -----------------------------------------------------------------

#: The function failed (an unhandled error, a timeout, a crash, an answer too large) or its
#: answer is malformed: 502 and these 21 bytes (localstack's AWS-recorded
#: test_lambda_url_invocation_exception).
URL_FUNCTION_ERROR = HttpResponse(status=502, headers=(("content-type", JSON_TYPE),), body=b"Internal Server Error")
#: No function URL has this id: 403 ``{"Message":null}`` (localstack's AWS-recorded
#: test_lambda_url_non_existing_url).
URL_NOT_FOUND = HttpResponse(
    status=403,
    headers=(("content-type", JSON_TYPE), ("x-amzn-ErrorType", "AccessDeniedException")),
    body=b'{"Message":null}',
)
#: The caller may not invoke the URL (no resource policy statement lets it): 403 with AWS's
#: pointer to the auth guide (localstack's AWS-recorded test_lambda_permission_url_invocation).
URL_FORBIDDEN = HttpResponse(
    status=403,
    headers=(("content-type", JSON_TYPE), ("x-amzn-ErrorType", "AccessDeniedException")),
    body=b'{"Message":"Forbidden. For troubleshooting Function URL authorization issues, see: '
    b'https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}',
)
#: Throttled (no concurrency left): 429. AWS documents neither this body nor the next; they
#: carry the URL's ``{"Message": ...}`` shape with the words Invoke answers the same refusal in.
URL_THROTTLED = HttpResponse(
    status=429,
    headers=(("content-type", JSON_TYPE), ("x-amzn-ErrorType", "TooManyRequestsException")),
    body=b'{"Message":"Rate Exceeded."}',
)
#: The request's event would exceed Invoke's 6 MB payload limit: 413.
URL_PAYLOAD_TOO_LARGE = HttpResponse(
    status=413,
    headers=(("content-type", JSON_TYPE), ("x-amzn-ErrorType", "RequestEntityTooLargeException")),
    body=b'{"Message":"Request must be smaller than 6291456 bytes for the InvokeFunction operation"}',
)
#: An HTTP API's answer to a failed or malformed Lambda integration (API Gateway developer
#: guide, "Troubleshooting issues with HTTP API Lambda integrations").
HTTP_API_INTERNAL_ERROR = HttpResponse(
    status=500, headers=(("content-type", JSON_TYPE),), body=b'{"message":"Internal Server Error"}'
)
#: An HTTP API whose integration ran past its TimeoutInMillis: 503 and these 33 bytes (a live
#: answer quoted in cortexlabs/cortex#1225; serverless/serverless#11222 saw the same 503).
HTTP_API_TIMEOUT = HttpResponse(status=503, headers=(("content-type", JSON_TYPE),), body=b'{"message":"Service Unavailable"}')
#: No API, stage, deployment or route serves the request (API Gateway's developer guide,
#: "Routing API requests": ``{"message":"Not Found"}``).
HTTP_API_NOT_FOUND = HttpResponse(status=404, headers=(("content-type", JSON_TYPE),), body=b'{"message":"Not Found"}')
#: A path HTTP APIs cannot decode (``model.http_routes.decode_path``): 400. The words are
#: Lambent's, in API Gateway's shape.
HTTP_API_BAD_REQUEST = HttpResponse(status=400, headers=(("content-type", JSON_TYPE),), body=b'{"message":"Bad Request"}')
#: A body past the 10 MB an HTTP API takes (its quota): 413, Lambent's words in API Gateway's shape.
HTTP_API_TOO_LARGE = HttpResponse(
    status=413, headers=(("content-type", JSON_TYPE),), body=b'{"message":"Request Entity Too Large"}'
)
#: A route's authorizer refused the request or had no identity to check: API Gateway's 401
#: and 403 for JWT and Lambda authorizers ("Troubleshooting JWT authorizers").
HTTP_API_UNAUTHORIZED = HttpResponse(status=401, headers=(("content-type", JSON_TYPE),), body=b'{"message":"Unauthorized"}')
HTTP_API_FORBIDDEN = HttpResponse(status=403, headers=(("content-type", JSON_TYPE),), body=b'{"message":"Forbidden"}')


# -- reading a function's answer ---------------------------------------------------------------


def _nan(word: str) -> Any:
    raise ValueError(f"{word} is not JSON")


def decode(payload: bytes) -> Any:
    """The one JSON value *payload* holds."""
    try:
        return json.loads(payload.decode("utf-8"), parse_constant=_nan)
    except (UnicodeDecodeError, ValueError, RecursionError) as failed:
        raise MalformedHttpResponse(f"the payload is not JSON: {failed}") from None


def compact(value: Any) -> bytes:
    """*value* as JSON without spaces, non-ASCII kept as UTF-8."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (ValueError, RecursionError) as failed:
        raise MalformedHttpResponse(f"the payload cannot be re-encoded: {failed}") from None
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate escape stays the bytes it names


def status_of(value: Any) -> int:
    """A ``statusCode`` member as a status: a number or a string of digits, 100-599."""
    if isinstance(value, bool):
        raise MalformedHttpResponse("statusCode is a boolean")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or not 100 <= value <= 599:
        raise MalformedHttpResponse(f"statusCode {value!r} is not an HTTP status")
    return value


def header_value(name: str, value: Any) -> str | None:
    """One header value as text (None to leave it out)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return compact(value).decode("utf-8")
    raise MalformedHttpResponse(f"header {name!r} has a {type(value).__name__} value")


def _object(document: dict[str, Any], member: str) -> dict[str, Any]:
    value = document.get(member)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedHttpResponse(f"{member} is not an object")
    return value


def _body(document: dict[str, Any]) -> bytes:
    body = document.get("body")
    encoded = document.get("isBase64Encoded", False)
    if encoded is None:
        encoded = False
    if not isinstance(encoded, bool):
        raise MalformedHttpResponse("isBase64Encoded is not a boolean")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedHttpResponse("body is not a string")
    if not encoded:
        return body.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(body.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise MalformedHttpResponse("body is not base64") from None


def _with_type(headers: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("content-type", JSON_TYPE))
    return tuple(headers)


def response_v2(payload: bytes) -> HttpResponse:
    """A function URL's (and format 2.0's) reading of *payload*."""
    document = decode(payload)
    if not (isinstance(document, dict) and "statusCode" in document):
        body = document.encode("utf-8", "surrogatepass") if isinstance(document, str) else compact(document)
        return HttpResponse(status=200, headers=(("content-type", JSON_TYPE),), body=body)
    status = status_of(document["statusCode"])
    headers: list[tuple[str, str]] = []
    for name, value in _object(document, "headers").items():
        text = header_value(name, value)
        if text is not None:
            headers.append((name, text))
    cookies = document.get("cookies")
    if cookies is not None:
        if not isinstance(cookies, list) or not all(isinstance(cookie, str) for cookie in cookies):
            raise MalformedHttpResponse("cookies is not a list of strings")
        headers.extend(("set-cookie", cookie) for cookie in cookies)
    return HttpResponse(status=status, headers=_with_type(headers), body=_body(document))


def response_v1(payload: bytes) -> HttpResponse:
    """Format 1.0's reading of *payload*: ``statusCode`` is required."""
    document = decode(payload)
    if not isinstance(document, dict) or "statusCode" not in document:
        raise MalformedHttpResponse("a format 1.0 response is an object with statusCode")
    status = status_of(document["statusCode"])
    merged: dict[str, list[str]] = {}
    for name, values in _object(document, "multiValueHeaders").items():
        if not isinstance(values, list):
            raise MalformedHttpResponse(f"multiValueHeaders {name!r} is not a list")
        merged[name] = [text for value in values if (text := header_value(name, value)) is not None]
    for name, value in _object(document, "headers").items():
        text = header_value(name, value)
        if text is not None and name not in merged:
            merged[name] = [text]
    headers = [(name, value) for name, values in merged.items() for value in values]
    return HttpResponse(status=status, headers=_with_type(headers), body=_body(document))
