"""The event-invoke-config endpoints (2019-09-25): retries, event age and destinations of
asynchronous invocations, per function or per qualifier."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.render import empty_response, json_response
from lambent.model import constraints
from lambent.model.event_invoke import EventInvokeConfigInput, config_document
from lambent.model.limits import SYNC_PAYLOAD_LIMIT_BYTES
from lambent.services.event_configs import EventConfigService
from lambent.services.functions import FunctionService
from lambent.settings import Settings


class EventConfigsApi:
    def __init__(self, settings: Settings, functions: FunctionService, event_configs: EventConfigService) -> None:
        self._settings = settings
        self._functions = functions
        self._event_configs = event_configs

    def _target(self, request: Request, operation: str) -> tuple[str, str | None, str]:
        """Name, qualifier and ARN of the function version the config belongs to (404 if none)."""
        ref = inputs.function_ref(request, self._settings, operation, request.query_params.get("Qualifier"))
        self._functions.resolve(ref)
        return ref.name, ref.qualifier, self._functions.arn(ref.name, ref.qualifier or "$LATEST")

    async def _write(self, request: Request, operation: str, merge: bool) -> Response:
        document = await inputs.json_body(request, SYNC_PAYLOAD_LIMIT_BYTES, operation)
        name, qualifier, arn = self._target(request, operation)
        constraints.validate(operation, {**document, "FunctionName": request.path_params["name"]})
        config = await self._event_configs.put(name, qualifier, inputs.decode(document, EventInvokeConfigInput), merge)
        return json_response(config_document(config, arn))

    async def put(self, request: Request) -> Response:
        return await self._write(request, "PutFunctionEventInvokeConfig", merge=False)

    async def update(self, request: Request) -> Response:
        return await self._write(request, "UpdateFunctionEventInvokeConfig", merge=True)

    async def get(self, request: Request) -> Response:
        name, qualifier, arn = self._target(request, "GetFunctionEventInvokeConfig")
        return json_response(config_document(self._event_configs.get(name, qualifier, arn), arn))

    async def delete(self, request: Request) -> Response:
        name, qualifier, arn = self._target(request, "DeleteFunctionEventInvokeConfig")
        self._event_configs.get(name, qualifier, arn)  # 404 for a config that does not exist
        await self._event_configs.delete(name, qualifier)
        return empty_response(204)

    async def list(self, request: Request) -> Response:
        ref = inputs.function_ref(request, self._settings, "ListFunctionEventInvokeConfigs")
        self._functions.resolve(ref)
        configs = self._event_configs.list(ref.name)
        return json_response(
            {"FunctionEventInvokeConfigs": [config_document(c, self._functions.arn(ref.name, c.qualifier)) for c in configs]}
        )
