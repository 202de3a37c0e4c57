"""The event-invoke-config endpoints (2019-09-25): retries, event age and destinations of
asynchronous invocations, per function or per qualifier."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.cells import RequestCells
from lambent.api.render import empty_response, json_response
from lambent.model import constraints
from lambent.model.arns import FunctionRef, function_arn
from lambent.model.event_invoke import EventInvokeConfig, EventInvokeConfigInput, config_document
from lambent.model.limits import SYNC_PAYLOAD_LIMIT_BYTES
from lambent.services.cells import Cell
from lambent.settings import Settings


class EventConfigsApi:
    def __init__(self, settings: Settings, cells: RequestCells) -> None:
        self._settings = settings
        self._cells = cells

    def _ref(self, cell: Cell, request: Request, operation: str) -> FunctionRef:
        return inputs.function_ref(request, cell, operation, request.query_params.get("Qualifier"))

    def _document(self, cell: Cell, config: EventInvokeConfig) -> dict[str, Any]:
        return config_document(
            config, function_arn(self._settings.region, cell.account_id, config.function_name, config.qualifier)
        )

    async def _write(self, request: Request, operation: str, merge: bool) -> Response:
        cell = await self._cells.of(request.scope)
        document = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, operation)
        ref = self._ref(cell, request, operation)
        constraints.validate(operation, {**document, "FunctionName": request.path_params["name"]})
        config = await cell.event_configs.put(ref, inputs.decode(document, EventInvokeConfigInput), merge)
        return json_response(self._document(cell, config))

    async def put(self, request: Request) -> Response:
        return await self._write(request, "PutFunctionEventInvokeConfig", merge=False)

    async def update(self, request: Request) -> Response:
        return await self._write(request, "UpdateFunctionEventInvokeConfig", merge=True)

    async def get(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        config = cell.event_configs.get(self._ref(cell, request, "GetFunctionEventInvokeConfig"))
        return json_response(self._document(cell, config))

    async def delete(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        await cell.event_configs.delete(self._ref(cell, request, "DeleteFunctionEventInvokeConfig"))
        return empty_response(204)

    async def list(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        ref = inputs.function_ref(request, cell, "ListFunctionEventInvokeConfigs")
        configs = cell.event_configs.list(ref)
        return json_response({"FunctionEventInvokeConfigs": [self._document(cell, c) for c in configs]})
