"""The function endpoints (2015-03-31): create, read, list, update, delete."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.code_urls import CodeUrls
from lambent.api.render import empty_response, json_response
from lambent.model import constraints
from lambent.model.function import (
    CreateFunctionInput,
    FunctionVersion,
    UpdateFunctionCodeInput,
    UpdateFunctionConfigurationInput,
    configuration_document,
)
from lambent.model.limits import CREATE_REQUEST_LIMIT_BYTES, SYNC_PAYLOAD_LIMIT_BYTES
from lambent.services.event_configs import EventConfigService
from lambent.services.functions import FunctionService
from lambent.services.provisioned import ProvisionedService
from lambent.settings import Settings


class FunctionsApi:
    def __init__(
        self,
        settings: Settings,
        functions: FunctionService,
        code_urls: CodeUrls,
        event_configs: EventConfigService,
        provisioned: ProvisionedService,
    ) -> None:
        self._settings = settings
        self._functions = functions
        self._code_urls = code_urls
        self._event_configs = event_configs
        self._provisioned = provisioned

    def _configuration(self, version: FunctionVersion) -> dict[str, Any]:
        return configuration_document(version, self._settings.region, self._settings.account_id)

    async def create(self, request: Request) -> Response:
        document = await inputs.json_body(request, CREATE_REQUEST_LIMIT_BYTES, "CreateFunction")
        constraints.validate("CreateFunction", document)
        version = await self._functions.create(inputs.decode(document, CreateFunctionInput))
        return json_response(self._configuration(version), 201)

    async def list(self, request: Request) -> Response:
        params = inputs.paging(request, "MasterRegion")
        constraints.validate("ListFunctions", params)
        versions, marker = self._functions.page(params.get("Marker"), params.get("MaxItems"))
        body: dict[str, Any] = {"Functions": [self._configuration(v) for v in versions]}
        if marker is not None:
            body["NextMarker"] = marker
        return json_response(body)

    async def get(self, request: Request) -> Response:
        ref = inputs.function_ref(request, self._settings, "GetFunction", request.query_params.get("Qualifier"))
        version = self._functions.resolve(ref)
        body: dict[str, Any] = {
            "Configuration": self._configuration(version),
            "Code": {"RepositoryType": "S3", "Location": self._code_urls.sign(version.code_sha256_hex)},
        }
        tags = self._functions.tags(ref.name)
        if tags:
            body["Tags"] = tags
        reserved = self._functions.reserved(ref.name)
        if reserved is not None:
            body["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
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
        if ref.qualifier is None:  # TODO(services): one cascading call, when FunctionService offers it
            await self._event_configs.forget_function(ref.name)
            await self._provisioned.forget_function(ref.name)
        return empty_response(204)
