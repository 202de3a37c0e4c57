"""The tag endpoints (2017-03-31): TagResource, UntagResource, ListTags on a function's ARN or an
event source mapping's (``arn:aws:lambda:REGION:ACCOUNT:event-source-mapping:UUID``)."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.cells import RequestCells
from lambent.api.render import empty_response, json_response
from lambent.errors import ResourceNotFoundException
from lambent.model import constraints
from lambent.model.arns import parse_function_resource_arn
from lambent.model.limits import SYNC_PAYLOAD_LIMIT_BYTES
from lambent.services.cells import Cell
from lambent.services.event_sources import NOT_FOUND
from lambent.settings import Settings

_MAPPING = re.compile(
    r"arn:aws[a-zA-Z-]*:lambda:(?P<region>[^:]+):(?P<account>\d{12}):event-source-mapping:(?P<uuid>[0-9a-f-]{36})"
)


def _mapping(arn: str, region: str, account: str) -> str | None:
    """The UUID of the mapping *arn* names (None: it names no mapping)."""
    match = _MAPPING.fullmatch(arn)
    if match is None:
        return None
    if match["region"] != region or match["account"] != account:
        raise ResourceNotFoundException(NOT_FOUND)
    return match["uuid"]


class TagsApi:
    def __init__(self, settings: Settings, cells: RequestCells) -> None:
        self._settings = settings
        self._cells = cells

    def _target(self, cell: Cell, request: Request, operation: str, extra: dict[str, Any] | None = None) -> str:
        arn = request.path_params["arn"]
        constraints.validate(operation, {"Resource": arn, **(extra or {})})
        return parse_function_resource_arn(arn, self._settings.region, cell.account_id)

    async def tag(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        document = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "TagResource")
        constraints.validate("TagResource", {"Resource": request.path_params["arn"], **document})
        uuid = _mapping(request.path_params["arn"], self._settings.region, cell.account_id)
        if uuid is not None:
            await cell.event_sources.tag(uuid, inputs.decode(document.get("Tags") or {}, dict[str, str]))
            return empty_response(204)
        name = self._target(cell, request, "TagResource", document)
        await cell.function_settings.tag(name, inputs.decode(document.get("Tags") or {}, dict[str, str]))
        return empty_response(204)

    async def untag(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        keys = request.query_params.getlist("tagKeys")
        constraints.validate("UntagResource", {"Resource": request.path_params["arn"], "TagKeys": keys})
        uuid = _mapping(request.path_params["arn"], self._settings.region, cell.account_id)
        if uuid is not None:
            await cell.event_sources.untag(uuid, keys)
            return empty_response(204)
        name = self._target(cell, request, "UntagResource", {"TagKeys": keys})
        await cell.function_settings.untag(name, keys)
        return empty_response(204)

    async def list(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        constraints.validate("ListTags", {"Resource": request.path_params["arn"]})
        uuid = _mapping(request.path_params["arn"], self._settings.region, cell.account_id)
        if uuid is not None:
            return json_response({"Tags": cell.event_sources.tags(uuid)})
        name = self._target(cell, request, "ListTags")
        return json_response({"Tags": cell.functions.tags(name)})
