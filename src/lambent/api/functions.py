"""The function endpoints (2015-03-31): create, read, list, update, delete."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.cells import RequestCells
from lambent.api.code_urls import CodeUrls
from lambent.api.render import empty_response, json_response
from lambent.model import constraints
from lambent.model.arns import check_creatable_name
from lambent.model.function import (
    CreateFunctionInput,
    FunctionVersion,
    UpdateFunctionCodeInput,
    UpdateFunctionConfigurationInput,
    configuration_document,
    listed_document,
)
from lambent.model.limits import CREATE_REQUEST_LIMIT_BYTES, SYNC_PAYLOAD_LIMIT_BYTES
from lambent.services.cells import Cell
from lambent.settings import Settings


class FunctionsApi:
    def __init__(self, settings: Settings, cells: RequestCells, code_urls: CodeUrls) -> None:
        self._settings = settings
        self._cells = cells
        self._code_urls = code_urls

    def _configuration(self, cell: Cell, version: FunctionVersion) -> dict[str, Any]:
        return configuration_document(version, self._settings.region, cell.account_id)

    async def create(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        document = await inputs.json_body(request, CREATE_REQUEST_LIMIT_BYTES, "CreateFunction")
        constraints.validate("CreateFunction", document)
        if isinstance(document["FunctionName"], str):
            check_creatable_name(document["FunctionName"])
        version = await cell.functions.create(inputs.decode(document, CreateFunctionInput))
        return json_response(self._configuration(cell, version), 201)

    async def list(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        params = inputs.paging(request, "MasterRegion")
        constraints.validate("ListFunctions", params)
        versions, marker = cell.functions.page(params.get("Marker"), params.get("MaxItems"))
        region, account = self._settings.region, cell.account_id
        body: dict[str, Any] = {"Functions": [listed_document(v, region, account) for v in versions]}
        if marker is not None:
            body["NextMarker"] = marker
        return json_response(body)

    async def get(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        ref = inputs.function_ref(request, cell, "GetFunction", request.query_params.get("Qualifier"))
        described = cell.functions.describe(ref)
        body: dict[str, Any] = {
            "Configuration": self._configuration(cell, described.version),
            "Code": {"RepositoryType": "S3", "Location": self._code_urls.sign(described.version.code_sha256_hex)},
        }
        if described.tags:
            body["Tags"] = described.tags
        if described.reserved is not None:
            body["Concurrency"] = {"ReservedConcurrentExecutions": described.reserved}
        return json_response(body)

    async def get_configuration(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        ref = inputs.function_ref(request, cell, "GetFunctionConfiguration", request.query_params.get("Qualifier"))
        return json_response(self._configuration(cell, cell.functions.resolve(ref)))

    async def update_configuration(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        document = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "UpdateFunctionConfiguration")
        ref = inputs.function_ref(request, cell, "UpdateFunctionConfiguration")
        constraints.validate("UpdateFunctionConfiguration", {**document, "FunctionName": request.path_params["name"]})
        name = inputs.unqualified(ref)
        update = inputs.decode(document, UpdateFunctionConfigurationInput)
        return json_response(self._configuration(cell, await cell.functions.update_configuration(name, update)))

    async def update_code(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        document = await inputs.json_body(request, CREATE_REQUEST_LIMIT_BYTES, "UpdateFunctionCode")
        ref = inputs.function_ref(request, cell, "UpdateFunctionCode")
        constraints.validate("UpdateFunctionCode", {**document, "FunctionName": request.path_params["name"]})
        name = inputs.unqualified(ref)
        update = inputs.decode(document, UpdateFunctionCodeInput)
        return json_response(self._configuration(cell, await cell.functions.update_code(name, update)))

    async def delete(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        ref = inputs.function_ref(request, cell, "DeleteFunction", request.query_params.get("Qualifier"))
        await cell.functions.delete(ref)
        return empty_response(204)
