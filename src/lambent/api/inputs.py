"""A request's inputs, read as the Lambda API model names them.

The order every restJson handler follows: read the body within its operation's limit
(``api.body``); check the input against the API model (``ValidationException``); decode it into
the typed record, refusing unknown members (``InvalidRequestContentException``); then the
service applies AWS's semantic rules. Authentication happened before, in the middleware.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

import msgspec
from starlette.requests import Request

from lambent.api.body import read_body
from lambent.errors import InvalidParameterValueException, InvalidRequestContentException
from lambent.model import constraints
from lambent.model.arns import FunctionRef, parse_function_ref

T = TypeVar("T")


async def body(request: Request, limit: int, operation: str) -> bytes:
    return await read_body(request.receive, limit, operation, request.headers.get("content-length"))


async def json_body(request: Request, limit: int, operation: str) -> dict[str, Any]:
    return json_object(await body(request, limit, operation))


def json_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise InvalidRequestContentException(f"Could not parse request body into json: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidRequestContentException("Could not parse request body into json: the body must be a JSON object")
    return value


def decode(document: Any, kind: type[T]) -> T:
    try:
        return msgspec.convert(document, kind)
    except msgspec.ValidationError as exc:
        raise InvalidRequestContentException(f"Could not parse request body into json: {exc}") from None


def paging(request: Request, *extra: str) -> dict[str, Any]:
    """Marker, MaxItems and FunctionVersion (and *extra*) from the query, as the model names them."""
    query = request.query_params
    params: dict[str, Any] = {key: query[key] for key in ("Marker", "FunctionVersion", *extra) if key in query}
    if "MaxItems" in query:
        if not query["MaxItems"].lstrip("-").isdigit():
            raise InvalidParameterValueException("MaxItems must be an integer.")
        params["MaxItems"] = int(query["MaxItems"])
    return params


class Place(Protocol):
    """Where names resolve: a region and an account (a ``Cell``)."""

    @property
    def region(self) -> str: ...

    @property
    def account_id(self) -> str: ...


def function_ref(request: Request, place: Place, operation: str, qualifier: str | None = None) -> FunctionRef:
    """The function the path names (a name, an ARN or a partial ARN) in *place*, with *qualifier*."""
    identifier = request.path_params["name"]
    params: dict[str, Any] = {"FunctionName": identifier}
    if qualifier is not None:
        params["Qualifier"] = qualifier
    constraints.validate(operation, params, partial=True)
    return parse_function_ref(identifier, place.region, place.account_id, qualifier)


def unqualified(ref: FunctionRef) -> str:
    """*ref*'s name, refusing a qualifier: only $LATEST can be updated."""
    if ref.qualifier is not None:
        raise InvalidParameterValueException("Only the $LATEST version of a function can be updated.")
    return ref.name
