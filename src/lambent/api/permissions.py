"""The function policy endpoints (2015-03-31): AddPermission, GetPolicy, RemovePermission.

Qualifier (all three) and RevisionId (RemovePermission) are query parameters, where botocore's
model puts them; AddPermission's RevisionId is in its body. Parse -> one PermissionService call
-> render.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.cells import RequestCells
from lambent.api.render import empty_response, json_response
from lambent.model import constraints
from lambent.model.arns import FunctionRef
from lambent.model.function_policy import AddPermissionInput
from lambent.model.limits import SYNC_PAYLOAD_LIMIT_BYTES
from lambent.services.cells import Cell
from lambent.settings import Settings


class PermissionsApi:
    def __init__(self, settings: Settings, cells: RequestCells) -> None:
        self._settings = settings
        self._cells = cells

    def _ref(self, cell: Cell, request: Request, operation: str, extra: dict[str, Any] | None = None) -> FunctionRef:
        params: dict[str, Any] = {"FunctionName": request.path_params["name"], **(extra or {})}
        if "Qualifier" in request.query_params:
            params["Qualifier"] = request.query_params["Qualifier"]
        constraints.validate(operation, params, partial=extra is None)
        return inputs.function_ref(request, cell, operation, params.get("Qualifier"))

    async def add(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        document = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "AddPermission")
        ref = self._ref(cell, request, "AddPermission", document)
        body = inputs.decode(document, AddPermissionInput)
        statement = await cell.permissions.add_permission(ref, body)
        return json_response({"Statement": json.dumps(statement, separators=(",", ":"))}, 201)

    async def get(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        policy, revision_id = cell.permissions.get_policy(self._ref(cell, request, "GetPolicy"))
        return json_response({"Policy": policy, "RevisionId": revision_id})

    async def remove(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        statement_id = request.path_params["statement"]
        ref = self._ref(cell, request, "RemovePermission", {"StatementId": statement_id})
        await cell.permissions.remove_permission(ref, statement_id, request.query_params.get("RevisionId"))
        return empty_response(204)
