"""Concurrency endpoints: reserved (2017-10-31, read at 2019-09-30), provisioned
(2019-09-30), and the recursive-loop setting (2024-08-31)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.cells import RequestCells
from lambent.api.render import empty_response, json_response
from lambent.errors import InvalidParameterValueException
from lambent.model import constraints
from lambent.model.arns import parse_function_ref
from lambent.model.concurrency import PutConcurrencyInput
from lambent.model.limits import SYNC_PAYLOAD_LIMIT_BYTES
from lambent.services.cells import Cell
from lambent.settings import Settings


class ConcurrencyApi:
    def __init__(self, settings: Settings, cells: RequestCells) -> None:
        self._settings = settings
        self._cells = cells

    # -- reserved --------------------------------------------------------------------------

    async def put_reserved(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        document = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "PutFunctionConcurrency")
        ref = inputs.function_ref(request, cell, "PutFunctionConcurrency")
        constraints.validate("PutFunctionConcurrency", {**document, "FunctionName": request.path_params["name"]})
        reserved = inputs.decode(document, PutConcurrencyInput).reserved
        await cell.function_settings.put_reserved_concurrency(ref.name, reserved, self._settings.concurrency_limit)
        return json_response({"ReservedConcurrentExecutions": reserved})

    async def get_reserved(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        reserved = cell.functions.reserved(inputs.function_ref(request, cell, "GetFunctionConcurrency").name)
        return json_response({} if reserved is None else {"ReservedConcurrentExecutions": reserved})

    async def delete_reserved(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        ref = inputs.function_ref(request, cell, "DeleteFunctionConcurrency")
        await cell.function_settings.put_reserved_concurrency(ref.name, None, self._settings.concurrency_limit)
        return empty_response(204)

    # -- provisioned -----------------------------------------------------------------------

    def _provisioned_target(self, cell: Cell, request: Request, operation: str) -> tuple[str, str | None]:
        ref = inputs.function_ref(request, cell, operation, request.query_params.get("Qualifier"))
        return ref.name, ref.qualifier

    async def put_provisioned(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        document = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "PutProvisionedConcurrencyConfig")
        name, qualifier = self._provisioned_target(cell, request, "PutProvisionedConcurrencyConfig")
        constraints.validate(
            "PutProvisionedConcurrencyConfig",
            {**document, "FunctionName": request.path_params["name"], "Qualifier": request.query_params.get("Qualifier")},
        )
        count = document.get("ProvisionedConcurrentExecutions")
        if not isinstance(count, int) or isinstance(count, bool):
            raise InvalidParameterValueException("ProvisionedConcurrentExecutions must be an integer.")
        return json_response(await cell.provisioned.put(name, qualifier, count, self._settings.concurrency_limit), 202)

    async def get_provisioned(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        if request.query_params.get("List") == "ALL":
            name = parse_function_ref(request.path_params["name"], self._settings.region, cell.account_id).name
            return json_response({"ProvisionedConcurrencyConfigs": cell.provisioned.list(name)})
        name, qualifier = self._provisioned_target(cell, request, "GetProvisionedConcurrencyConfig")
        return json_response(cell.provisioned.status(name, qualifier))

    async def delete_provisioned(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        name, qualifier = self._provisioned_target(cell, request, "DeleteProvisionedConcurrencyConfig")
        await cell.provisioned.delete(name, qualifier)
        return empty_response(204)

    # -- recursion -------------------------------------------------------------------------

    async def put_recursion(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        document = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "PutFunctionRecursionConfig")
        ref = inputs.function_ref(request, cell, "PutFunctionRecursionConfig")
        constraints.validate("PutFunctionRecursionConfig", {**document, "FunctionName": request.path_params["name"]})
        value = document.get("RecursiveLoop")
        if value not in ("Allow", "Terminate"):
            raise InvalidParameterValueException("RecursiveLoop must be Allow or Terminate.")
        await cell.function_settings.put_recursive_loop(ref.name, value)
        return json_response({"RecursiveLoop": value})

    async def get_recursion(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        ref = inputs.function_ref(request, cell, "GetFunctionRecursionConfig")
        return json_response({"RecursiveLoop": cell.functions.recursive_loop(ref.name)})
