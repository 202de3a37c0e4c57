"""The tag endpoints (2017-03-31): TagResource, UntagResource, ListTags on a function's ARN."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.cells import RequestCells
from lambent.api.render import empty_response, json_response
from lambent.model import constraints
from lambent.model.arns import parse_function_resource_arn
from lambent.model.limits import SYNC_PAYLOAD_LIMIT_BYTES
from lambent.services.cells import Cell
from lambent.settings import Settings


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
        name = self._target(cell, request, "TagResource", document)
        await cell.function_settings.tag(name, inputs.decode(document.get("Tags") or {}, dict[str, str]))
        return empty_response(204)

    async def untag(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        keys = request.query_params.getlist("tagKeys")
        name = self._target(cell, request, "UntagResource", {"TagKeys": keys})
        await cell.function_settings.untag(name, keys)
        return empty_response(204)

    async def list(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        name = self._target(cell, request, "ListTags")
        return json_response({"Tags": cell.functions.tags(name)})
