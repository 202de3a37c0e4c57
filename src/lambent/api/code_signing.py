"""The code signing endpoints: configs (2020-04-22), the config a function uses (2020-06-30),
and Lambent's signing profiles and jobs, its stand-in for AWS Signer (decision 0022):

    POST /lambent/2026-11-27/signing-profiles/{name}   a new profile version (a key pair)
    POST /lambent/2026-11-27/signing-jobs              {"ProfileVersionArn", "ZipFile": base64}
                                                       -> {"JobArn", "ProfileVersionArn", "ZipFile"}
"""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.cells import RequestCells
from lambent.api.render import empty_response, json_response
from lambent.errors import InvalidParameterValueException
from lambent.model import constraints
from lambent.model.code_signing import CreateCodeSigningConfigInput, UpdateCodeSigningConfigInput, config_document
from lambent.model.limits import CREATE_REQUEST_LIMIT_BYTES, SYNC_PAYLOAD_LIMIT_BYTES
from lambent.model.signing_profile import profile_document
from lambent.services.cells import Cell
from lambent.settings import Settings


def _arn(request: Request, operation: str) -> str:
    arn = urllib.parse.unquote(request.path_params["arn"])
    constraints.validate(operation, {"CodeSigningConfigArn": arn}, partial=True)
    return arn


class CodeSigningApi:
    def __init__(self, settings: Settings, cells: RequestCells) -> None:
        self._settings = settings
        self._cells = cells

    def _function(self, cell: Cell, request: Request, operation: str) -> str:
        return inputs.unqualified(inputs.function_ref(request, cell, operation))

    # -- configs ----------------------------------------------------------------------------------

    async def create(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        document = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "CreateCodeSigningConfig")
        constraints.validate("CreateCodeSigningConfig", document)
        config = await cell.signing.create(inputs.decode(document, CreateCodeSigningConfigInput))
        return json_response({"CodeSigningConfig": config_document(config)}, 201)

    async def get(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        config = cell.signing.get(_arn(request, "GetCodeSigningConfig"))
        return json_response({"CodeSigningConfig": config_document(config)})

    async def update(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        document = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "UpdateCodeSigningConfig")
        arn = _arn(request, "UpdateCodeSigningConfig")
        constraints.validate("UpdateCodeSigningConfig", {**document, "CodeSigningConfigArn": arn})
        config = await cell.signing.update(arn, inputs.decode(document, UpdateCodeSigningConfigInput))
        return json_response({"CodeSigningConfig": config_document(config)})

    async def delete(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        await cell.signing.delete(_arn(request, "DeleteCodeSigningConfig"))
        return empty_response(204)

    async def list(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        params = inputs.paging(request)
        constraints.validate("ListCodeSigningConfigs", params)
        configs, marker = cell.signing.page(params.get("Marker"), params.get("MaxItems"))
        body: dict[str, Any] = {"CodeSigningConfigs": [config_document(c) for c in configs]}
        if marker is not None:
            body["NextMarker"] = marker
        return json_response(body)

    async def list_functions(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        arn = _arn(request, "ListFunctionsByCodeSigningConfig")
        params = inputs.paging(request)
        constraints.validate("ListFunctionsByCodeSigningConfig", {**params, "CodeSigningConfigArn": arn})
        arns, marker = cell.signing.functions_page(arn, params.get("Marker"), params.get("MaxItems"))
        body: dict[str, Any] = {"FunctionArns": arns}
        if marker is not None:
            body["NextMarker"] = marker
        return json_response(body)

    # -- the config a function uses ---------------------------------------------------------------

    async def put_function(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        document = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "PutFunctionCodeSigningConfig")
        name = self._function(cell, request, "PutFunctionCodeSigningConfig")
        constraints.validate("PutFunctionCodeSigningConfig", {**document, "FunctionName": request.path_params["name"]})
        arn = document["CodeSigningConfigArn"]
        await cell.signing.put_function(name, arn)
        return json_response({"CodeSigningConfigArn": arn, "FunctionName": name})

    async def get_function(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        name = self._function(cell, request, "GetFunctionCodeSigningConfig")
        arn = cell.signing.of_function(name)
        return json_response({"CodeSigningConfigArn": arn, "FunctionName": name} if arn is not None else {})

    async def delete_function(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        await cell.signing.put_function(self._function(cell, request, "DeleteFunctionCodeSigningConfig"), None)
        return empty_response(204)

    # -- signing profiles and jobs (Lambent's own) ------------------------------------------------

    async def create_profile(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        profile = await cell.signing.create_profile(request.path_params["name"])
        return json_response(profile_document(profile), 201)

    async def sign(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        document = await inputs.json_body(request, CREATE_REQUEST_LIMIT_BYTES, "StartSigningJob")
        arn, encoded = document.get("ProfileVersionArn"), document.get("ZipFile")
        if not isinstance(arn, str) or not isinstance(encoded, str):
            raise InvalidParameterValueException("StartSigningJob takes ProfileVersionArn and ZipFile (base64).")
        try:
            package = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidParameterValueException("ZipFile is not base64.") from None
        job, signed = cell.signing.sign(arn, package)
        return json_response({"JobArn": job, "ProfileVersionArn": arn, "ZipFile": base64.b64encode(signed).decode()})
