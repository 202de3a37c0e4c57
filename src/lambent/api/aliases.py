"""The alias endpoints (2015-03-31): create, read, list, update, delete."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.cells import RequestCells
from lambent.api.render import empty_response, json_response
from lambent.model import constraints
from lambent.model.alias import Alias, CreateAliasInput, UpdateAliasInput, alias_document
from lambent.model.limits import SYNC_PAYLOAD_LIMIT_BYTES
from lambent.services.cells import Cell
from lambent.settings import Settings


class AliasesApi:
    def __init__(self, settings: Settings, cells: RequestCells) -> None:
        self._settings = settings
        self._cells = cells

    def _document(self, cell: Cell, alias: Alias) -> dict[str, Any]:
        return alias_document(alias, self._settings.region, cell.account_id)

    def _target(self, cell: Cell, request: Request, operation: str) -> tuple[str, str]:
        """The function's name and the alias's, as the path gives them."""
        params = {"FunctionName": request.path_params["name"], "Name": request.path_params["alias"]}
        constraints.validate(operation, params, partial=True)
        return inputs.function_ref(request, cell, operation).name, request.path_params["alias"]

    async def create(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        document = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "CreateAlias")
        ref = inputs.function_ref(request, cell, "CreateAlias")
        constraints.validate("CreateAlias", {**document, "FunctionName": request.path_params["name"]})
        alias = await cell.aliases.create_alias(ref.name, inputs.decode(document, CreateAliasInput))
        return json_response(self._document(cell, alias), 201)

    async def get(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        name, alias_name = self._target(cell, request, "GetAlias")
        return json_response(self._document(cell, cell.aliases.alias(name, alias_name)))

    async def update(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        document = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "UpdateAlias")
        name, alias_name = self._target(cell, request, "UpdateAlias")
        constraints.validate("UpdateAlias", {**document, "FunctionName": name, "Name": alias_name})
        alias = await cell.aliases.update_alias(name, alias_name, inputs.decode(document, UpdateAliasInput))
        return json_response(self._document(cell, alias))

    async def delete(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        name, alias_name = self._target(cell, request, "DeleteAlias")
        await cell.aliases.delete_alias(name, alias_name)
        return empty_response(204)

    async def list(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        params = {"FunctionName": request.path_params["name"], **inputs.paging(request)}
        constraints.validate("ListAliases", params)
        ref = inputs.function_ref(request, cell, "ListAliases")
        aliases, marker = cell.aliases.aliases_page(
            ref.name, params.get("FunctionVersion"), params.get("Marker"), params.get("MaxItems")
        )
        body: dict[str, Any] = {"Aliases": [self._document(cell, a) for a in aliases]}
        if marker is not None:
            body["NextMarker"] = marker
        return json_response(body)
