"""The function URL config endpoints (2021-10-31): a function's, or an alias's, dedicated HTTP
endpoint, its auth type, CORS and invoke mode. Serving the URLs is the ingress's, not these."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.cells import RequestCells
from lambent.api.render import empty_response, json_response
from lambent.model import constraints
from lambent.model.arns import FunctionRef
from lambent.model.function_url import CreateFunctionUrlInput, FunctionUrlConfig, UpdateFunctionUrlInput, config_document
from lambent.model.limits import SYNC_PAYLOAD_LIMIT_BYTES
from lambent.services.cells import Cell


class FunctionUrlsApi:
    def __init__(self, cells: RequestCells) -> None:
        self._cells = cells

    def _ref(self, cell: Cell, request: Request, operation: str) -> FunctionRef:
        return inputs.function_ref(request, cell, operation, request.query_params.get("Qualifier"))

    def _document(self, cell: Cell, config: FunctionUrlConfig, modified: bool = True) -> dict[str, Any]:
        urls = cell.function_urls
        return config_document(config, urls.arn(config), urls.url(config), modified=modified)

    async def _body(self, request: Request, operation: str) -> dict[str, Any]:
        document = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, operation)
        constraints.validate(operation, {**document, "FunctionName": request.path_params["name"]})
        return document

    async def create(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        operation = "CreateFunctionUrlConfig"
        ref = self._ref(cell, request, operation)
        document = await self._body(request, operation)
        config = await cell.function_urls.create(ref, inputs.decode(document, CreateFunctionUrlInput))
        return json_response(self._document(cell, config, modified=False), status=201)

    async def get(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        config = cell.function_urls.get(self._ref(cell, request, "GetFunctionUrlConfig"))
        return json_response(self._document(cell, config))

    async def update(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        operation = "UpdateFunctionUrlConfig"
        ref = self._ref(cell, request, operation)
        document = await self._body(request, operation)
        config = await cell.function_urls.update(ref, inputs.decode(document, UpdateFunctionUrlInput))
        return json_response(self._document(cell, config))

    async def delete(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        await cell.function_urls.delete(self._ref(cell, request, "DeleteFunctionUrlConfig"))
        return empty_response(204)

    async def list(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        operation = "ListFunctionUrlConfigs"
        ref = inputs.function_ref(request, cell, operation)
        params = inputs.paging(request)
        constraints.validate(operation, {**params, "FunctionName": request.path_params["name"]})
        configs, marker = cell.function_urls.list(ref.name, params.get("Marker"), params.get("MaxItems"))
        body: dict[str, Any] = {"FunctionUrlConfigs": [self._document(cell, c) for c in configs]}
        if marker is not None:
            body["NextMarker"] = marker
        return json_response(body)
