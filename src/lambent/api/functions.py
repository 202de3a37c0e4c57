"""The function endpoints (2015-03-31): create, read, list, update, delete."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
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
from lambent.services.functions import FunctionService
from lambent.settings import Settings


class FunctionsApi:
    def __init__(self, settings: Settings, functions: FunctionService, code_urls: CodeUrls) -> None:
        self._settings = settings
        self._functions = functions
        self._code_urls = code_urls

    def _configuration(self, version: FunctionVersion) -> dict[str, Any]:
        return configuration_document(version, self._settings.region, self._settings.account_id)

    async def create(self, request: Request) -> Response:
        document = await inputs.json_body(request, CREATE_REQUEST_LIMIT_BYTES, "CreateFunction")
        constraints.validate("CreateFunction", document)
        if isinstance(document["FunctionName"], str):
            check_creatable_name(document["FunctionName"])
        version = await self._functions.create(inputs.decode(document, CreateFunctionInput))
        return json_response(self._configuration(version), 201)

    async def list(self, request: Request) -> Response:
        params = inputs.paging(request, "MasterRegion")
        constraints.validate("ListFunctions", params)
        versions, marker = self._functions.page(params.get("Marker"), params.get("MaxItems"))
        region, account = self._settings.region, self._settings.account_id
        body: dict[str, Any] = {"Functions": [listed_document(v, region, account) for v in versions]}
        if marker is not None:
            body["NextMarker"] = marker
        return json_response(body)

    async def get(self, request: Request) -> Response:
        ref = inputs.function_ref(request, self._settings, "GetFunction", request.query_params.get("Qualifier"))
        described = self._functions.describe(ref)
        body: dict[str, Any] = {
            "Configuration": self._configuration(described.version),
            "Code": {"RepositoryType": "S3", "Location": self._code_urls.sign(described.version.code_sha256_hex)},
        }
        if described.tags:
            body["Tags"] = described.tags
        if described.reserved is not None:
            body["Concurrency"] = {"ReservedConcurrentExecutions": described.reserved}
        return json_response(body)

    async def get_configuration(self, request: Request) -> Response:
        ref = inputs.function_ref(request, self._settings, "GetFunctionConfiguration", request.query_params.get("Qualifier"))
        return json_response(self._configuration(self._functions.resolve(ref)))

    async def update_configuration(self, request: Request) -> Response:
        document = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "UpdateFunctionConfiguration")
        ref = inputs.function_ref(request, self._settings, "UpdateFunctionConfiguration")
        constraints.validate("UpdateFunctionConfiguration", {**document, "FunctionName": request.path_params["name"]})
        name = inputs.unqualified(ref)
        update = inputs.decode(document, UpdateFunctionConfigurationInput)
        return json_response(self._configuration(await self._functions.update_configuration(name, update)))

    async def update_code(self, request: Request) -> Response:
        document = await inputs.json_body(request, CREATE_REQUEST_LIMIT_BYTES, "UpdateFunctionCode")
        ref = inputs.function_ref(request, self._settings, "UpdateFunctionCode")
        constraints.validate("UpdateFunctionCode", {**document, "FunctionName": request.path_params["name"]})
        name = inputs.unqualified(ref)
        update = inputs.decode(document, UpdateFunctionCodeInput)
        return json_response(self._configuration(await self._functions.update_code(name, update)))

    async def delete(self, request: Request) -> Response:
        ref = inputs.function_ref(request, self._settings, "DeleteFunction", request.query_params.get("Qualifier"))
        await self._functions.delete(ref)
        return empty_response(204)
