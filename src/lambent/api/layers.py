"""The Lambda layer endpoints (2018-10-31): parse → one LayerService call → render."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.cells import RequestCells
from lambent.api.code_urls import CodeUrls
from lambent.api.render import empty_response, json_response
from lambent.errors import InvalidParameterValueException, ResourceNotFoundException
from lambent.model import constraints
from lambent.model.layer import (
    AddPermissionInput,
    LayerVersion,
    PublishLayerVersionInput,
    layer_name_of,
    layer_version_document,
    policy_document,
    statement_document,
)
from lambent.model.limits import CREATE_REQUEST_LIMIT_BYTES, SYNC_PAYLOAD_LIMIT_BYTES
from lambent.services.cells import Cell
from lambent.settings import Settings


class LayersApi:
    def __init__(self, settings: Settings, cells: RequestCells, code_urls: CodeUrls) -> None:
        self._settings = settings
        self._cells = cells
        self._code_urls = code_urls

    def _document(self, cell: Cell, layer: LayerVersion) -> dict[str, Any]:
        location = self._code_urls.sign(layer.code_sha256_hex)
        return layer_version_document(layer, self._settings.region, cell.account_id, location)

    def _target(self, cell: Cell, request: Request, operation: str) -> tuple[str, int]:
        name, version = request.path_params["layer"], request.path_params.get("version", "1")
        params: dict[str, Any] = {"LayerName": name}
        if "version" in request.path_params:
            if not version.lstrip("-").isdigit():
                raise InvalidParameterValueException(f"Invalid version number: {version}")
            params["VersionNumber"] = int(version)
        constraints.validate(operation, params, partial=True)
        return layer_name_of(name, self._settings.region, cell.account_id), int(version)

    async def publish(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        document = await inputs.json_body(request, CREATE_REQUEST_LIMIT_BYTES, "PublishLayerVersion")
        name, _ = self._target(cell, request, "PublishLayerVersion")
        constraints.validate("PublishLayerVersion", {**document, "LayerName": name})
        layer = await cell.layers.publish(name, inputs.decode(document, PublishLayerVersionInput))
        return json_response(self._document(cell, layer), 201)

    async def get(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        return json_response(self._document(cell, cell.layers.get(*self._target(cell, request, "GetLayerVersion"))))

    async def get_by_arn(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        if request.query_params.get("find") != "LayerVersion" or "Arn" not in request.query_params:
            raise InvalidParameterValueException("Use find=LayerVersion and Arn=<layer version ARN>.")
        arn = request.query_params["Arn"]
        constraints.validate("GetLayerVersionByArn", {"Arn": arn})
        return json_response(self._document(cell, cell.layers.by_arn(arn)))

    async def list_layers(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        if request.query_params.get("find") == "LayerVersion":
            return await self.get_by_arn(request)
        runtime = request.query_params.get("CompatibleRuntime")
        layers = [layer for layer in cell.layers.latest() if runtime is None or runtime in layer.compatible_runtimes]
        return json_response(
            {
                "Layers": [
                    {
                        "LayerName": layer.name,
                        "LayerArn": self._document(cell, layer)["LayerArn"],
                        "LatestMatchingVersion": {
                            k: v for k, v in self._document(cell, layer).items() if k not in ("Content", "LayerArn")
                        },
                    }
                    for layer in layers
                ]
            }
        )

    async def list_versions(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        name, _ = self._target(cell, request, "ListLayerVersions")
        runtime = request.query_params.get("CompatibleRuntime")
        versions = [v for v in cell.layers.versions(name) if runtime is None or runtime in v.compatible_runtimes]
        return json_response(
            {"LayerVersions": [{k: v for k, v in self._document(cell, layer).items() if k != "Content"} for layer in versions]}
        )

    async def delete(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        await cell.layers.delete(*self._target(cell, request, "DeleteLayerVersion"))
        return empty_response(204)

    async def add_permission(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        document = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "AddLayerVersionPermission")
        name, version = self._target(cell, request, "AddLayerVersionPermission")
        constraints.validate("AddLayerVersionPermission", {**document, "LayerName": name, "VersionNumber": version})
        body = inputs.decode(document, AddPermissionInput)
        layer = await cell.layers.add_permission(name, version, body, request.query_params.get("RevisionId"))
        statement = statement_document(layer, body.statement_id, self._settings.region, cell.account_id)
        return json_response({"Statement": json.dumps(statement), "RevisionId": layer.policy_revision}, 201)

    async def remove_permission(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        name, version = self._target(cell, request, "RemoveLayerVersionPermission")
        statement_id = request.path_params["statement"]
        await cell.layers.remove_permission(name, version, statement_id, request.query_params.get("RevisionId"))
        return empty_response(204)

    async def get_policy(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        layer = cell.layers.get(*self._target(cell, request, "GetLayerVersionPolicy"))
        if not layer.statements:
            raise ResourceNotFoundException("No policy is associated with the given resource.")
        policy = policy_document(layer, self._settings.region, cell.account_id)
        return json_response({"Policy": policy, "RevisionId": layer.policy_revision})
