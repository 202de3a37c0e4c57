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
from lambent.api.render import empty_response, json_response
from lambent.model import constraints
from lambent.model.arns import FunctionRef
from lambent.model.function_policy import AddPermissionInput
from lambent.model.limits import SYNC_PAYLOAD_LIMIT_BYTES
from lambent.services.permissions import PermissionService
from lambent.settings import Settings


class PermissionsApi:
    def __init__(self, settings: Settings, permissions: PermissionService) -> None:
        self._settings = settings
        self._permissions = permissions

    def _ref(self, request: Request, operation: str, extra: dict[str, Any] | None = None) -> FunctionRef:
        params: dict[str, Any] = {"FunctionName": request.path_params["name"], **(extra or {})}
        if "Qualifier" in request.query_params:
            params["Qualifier"] = request.query_params["Qualifier"]
        constraints.validate(operation, params, partial=extra is None)
        return inputs.function_ref(request, self._settings, operation, params.get("Qualifier"))

    async def add(self, request: Request) -> Response:
        document = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "AddPermission")
        ref = self._ref(request, "AddPermission", document)
        body = inputs.decode(document, AddPermissionInput)
        statement = await self._permissions.add_permission(ref, body)
        return json_response({"Statement": json.dumps(statement, separators=(",", ":"))}, 201)

    async def get(self, request: Request) -> Response:
        policy, revision_id = self._permissions.get_policy(self._ref(request, "GetPolicy"))
        return json_response({"Policy": policy, "RevisionId": revision_id})

    async def remove(self, request: Request) -> Response:
        statement_id = request.path_params["statement"]
        ref = self._ref(request, "RemovePermission", {"StatementId": statement_id})
        await self._permissions.remove_permission(ref, statement_id, request.query_params.get("RevisionId"))
        return empty_response(204)
