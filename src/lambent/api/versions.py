"""The version endpoints (2015-03-31): PublishVersion and ListVersionsByFunction."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.cells import RequestCells
from lambent.api.render import json_response
from lambent.model import constraints
from lambent.model.arns import LATEST
from lambent.model.function import FunctionVersion, PublishVersionInput, configuration_document, listed_document
from lambent.model.limits import SYNC_PAYLOAD_LIMIT_BYTES
from lambent.settings import Settings


def _listed_version(version: FunctionVersion, region: str, account_id: str) -> dict[str, Any]:
    """A version as ListVersionsByFunction lists it: ``$LATEST``'s ARN qualified (AWS's quirk,
    as the AWS CLI's list-versions-by-function example shows it)."""
    doc = listed_document(version, region, account_id)
    if version.version == LATEST:
        doc["FunctionArn"] = f"{doc['FunctionArn']}:{LATEST}"
    return doc


class VersionsApi:
    def __init__(self, settings: Settings, cells: RequestCells) -> None:
        self._settings = settings
        self._cells = cells

    async def publish(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        document = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "PublishVersion")
        ref = inputs.function_ref(request, cell, "PublishVersion")
        constraints.validate("PublishVersion", {**document, "FunctionName": request.path_params["name"]})
        body = inputs.decode(document, PublishVersionInput)
        version = await cell.functions.publish_version(ref.name, body.code_sha256, body.description, body.revision_id)
        return json_response(configuration_document(version, self._settings.region, cell.account_id), 201)

    async def list(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        params = {"FunctionName": request.path_params["name"], **inputs.paging(request)}
        ref = inputs.function_ref(request, cell, "ListVersionsByFunction")
        constraints.validate("ListVersionsByFunction", params)
        versions, marker = cell.functions.versions_page(ref.name, params.get("Marker"), params.get("MaxItems"))
        region, account = self._settings.region, cell.account_id
        body: dict[str, Any] = {"Versions": [_listed_version(v, region, account) for v in versions]}
        if marker is not None:
            body["NextMarker"] = marker
        return json_response(body)
