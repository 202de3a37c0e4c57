"""API Gateway's control plane for HTTP APIs (apigatewayv2, ``/v2/...``): parse -> one service
call -> render, as the Lambda endpoints are.

APIs have their own handlers (quick create, the endpoint they answer with). Routes,
integrations, authorizers, stages and deployments are alike: each is a ``Kind`` (its path
parameter, its map in the API's state, the rules that create, update and delete one), and the
five handlers of a kind are made from it. Every body is checked against the API model before it
is decoded (``model.http_api_inputs``); a refusal is BadRequestException. Authorization happened
before (``api.apigateway_guard``). Serving the APIs is the ingress's, not these.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.cells import RequestCells
from lambent.api.render import empty_response, json_response
from lambent.errors import BadRequestException
from lambent.model import http_api_resources as resources
from lambent.model import http_api_rules as rules
from lambent.model.http_api import HttpApiState, api_document, document
from lambent.model.http_api_inputs import (
    AuthorizerInput,
    CreateApiInput,
    DeploymentInput,
    IntegrationInput,
    RouteInput,
    StageInput,
    UpdateApiInput,
    check,
    decode,
)
from lambent.services.cells import Cell

#: The largest body an apigatewayv2 operation here takes (Lambent's bound).
BODY_LIMIT_BYTES = 1 << 20
Endpoint = Callable[[Request], Awaitable[Response]]


async def _body(request: Request, operation: str, path: Mapping[str, str]) -> dict[str, Any]:
    raw = await inputs.body(request, BODY_LIMIT_BYTES, operation)
    document_: Any = {}
    if raw.strip():
        try:
            document_ = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            raise BadRequestException("Could not parse request body into json: the body is not JSON") from None
    if not isinstance(document_, dict):
        raise BadRequestException("Could not parse request body into json: the body must be a JSON object")
    check(operation, document_, path)
    return document_


def _page(request: Request, items: list[Any]) -> dict[str, Any]:
    query = request.query_params
    chosen, token = rules.page(items, query.get("maxResults"), query.get("nextToken"))
    answer: dict[str, Any] = {"items": chosen}
    if token is not None:
        answer["nextToken"] = token
    return answer


class Kind(msgspec.Struct, frozen=True, kw_only=True):
    """A resource of an API: how its five operations read and change the API's state."""

    #: The operations' noun (``Route`` -> CreateRoute, GetRoute, GetRoutes ...).
    noun: str
    #: The path parameter naming one (``routeId``) and its model name (``RouteId``).
    param: str
    input: type[Any]
    items: Callable[[HttpApiState], Mapping[str, Any]]
    of: Callable[[HttpApiState, str], Any]
    #: (state, input, new id, now) -> (state, created)
    create: Callable[[HttpApiState, Any, rules.NewId, float], tuple[HttpApiState, Any]]
    #: (state, key, input, new id, now) -> (state, updated)
    update: Callable[[HttpApiState, str, Any, rules.NewId, float], tuple[HttpApiState, Any]]
    delete: Callable[[HttpApiState, str], HttpApiState]

    @property
    def model_param(self) -> str:
        return self.param[:1].upper() + self.param[1:]


ROUTES = Kind(
    noun="Route",
    param="routeId",
    input=RouteInput,
    items=lambda s: s.routes,
    of=resources.route_of,
    create=lambda s, r, new_id, _now: resources.create_route(s, r, new_id(rules.ROUTE_ID_LENGTH)),
    update=lambda s, key, r, _new_id, _now: resources.update_route(s, key, r),
    delete=resources.delete_route,
)
INTEGRATIONS = Kind(
    noun="Integration",
    param="integrationId",
    input=IntegrationInput,
    items=lambda s: s.integrations,
    of=resources.integration_of,
    create=lambda s, r, new_id, _now: resources.create_integration(s, r, new_id(rules.INTEGRATION_ID_LENGTH)),
    update=lambda s, key, r, _new_id, _now: resources.update_integration(s, key, r),
    delete=resources.delete_integration,
)
AUTHORIZERS = Kind(
    noun="Authorizer",
    param="authorizerId",
    input=AuthorizerInput,
    items=lambda s: s.authorizers,
    of=resources.authorizer_of,
    create=lambda s, r, new_id, _now: resources.create_authorizer(s, r, new_id(rules.AUTHORIZER_ID_LENGTH)),
    update=lambda s, key, r, _new_id, _now: resources.update_authorizer(s, key, r),
    delete=resources.delete_authorizer,
)
STAGES = Kind(
    noun="Stage",
    param="stageName",
    input=StageInput,
    items=lambda s: s.stages,
    of=rules.stage_of,
    create=lambda s, r, new_id, now: rules.create_stage(s, r, now, new_id),
    update=lambda s, key, r, new_id, now: rules.update_stage(s, key, r, now, new_id),
    delete=rules.delete_stage,
)
DEPLOYMENTS = Kind(
    noun="Deployment",
    param="deploymentId",
    input=DeploymentInput,
    items=lambda s: s.deployments,
    of=rules.deployment_of,
    create=lambda s, r, new_id, now: rules.create_deployment(s, r, new_id(rules.DEPLOYMENT_ID_LENGTH), now),
    update=lambda s, key, r, _new_id, _now: rules.update_deployment(s, key, r.description),
    delete=rules.delete_deployment,
)


class ApiGatewayApi:
    def __init__(self, cells: RequestCells) -> None:
        self._cells = cells

    async def _cell(self, request: Request) -> Cell:
        return await self._cells.of(request.scope)

    def _api(self, cell: Cell, state: HttpApiState) -> dict[str, Any]:
        return api_document(state.api, cell.http_apis.endpoint(state.api_id))

    # -- APIs -----------------------------------------------------------------------------------

    async def create_api(self, request: Request) -> Response:
        cell = await self._cell(request)
        body = await _body(request, "CreateApi", {})
        state = await cell.http_apis.create(decode(body, CreateApiInput))
        return json_response(self._api(cell, state), status=201)

    async def get_api(self, request: Request) -> Response:
        cell = await self._cell(request)
        return json_response(self._api(cell, cell.http_apis.get(request.path_params["apiId"])))

    async def get_apis(self, request: Request) -> Response:
        cell = await self._cell(request)
        return json_response(_page(request, [self._api(cell, state) for state in cell.http_apis.all()]))

    async def update_api(self, request: Request) -> Response:
        cell = await self._cell(request)
        api_id = request.path_params["apiId"]
        cell.http_apis.get(api_id)
        update = decode(await _body(request, "UpdateApi", {"ApiId": api_id}), UpdateApiInput)
        state = await cell.http_apis.change(api_id, lambda s, _new_id, _now: (resources.update_api(s, update),) * 2)
        return json_response(self._api(cell, state))

    async def delete_api(self, request: Request) -> Response:
        cell = await self._cell(request)
        await cell.http_apis.delete(request.path_params["apiId"])
        return empty_response(204)

    async def delete_cors(self, request: Request) -> Response:
        cell = await self._cell(request)
        await cell.http_apis.change(request.path_params["apiId"], lambda s, _new_id, _now: (resources.delete_cors(s), None))
        return empty_response(204)

    # -- the resources of an API ----------------------------------------------------------------

    def create(self, kind: Kind) -> Endpoint:
        async def create(request: Request) -> Response:
            cell = await self._cell(request)
            api_id = request.path_params["apiId"]
            cell.http_apis.get(api_id)
            given = decode(await _body(request, f"Create{kind.noun}", {"ApiId": api_id}), kind.input)
            made = await cell.http_apis.change(api_id, lambda s, new_id, now: kind.create(s, given, new_id, now))
            return json_response(document(made), status=201)

        return create

    def get(self, kind: Kind) -> Endpoint:
        async def get(request: Request) -> Response:
            cell = await self._cell(request)
            state = cell.http_apis.get(request.path_params["apiId"])
            return json_response(document(kind.of(state, request.path_params[kind.param])))

        return get

    def list(self, kind: Kind) -> Endpoint:
        async def list_(request: Request) -> Response:
            cell = await self._cell(request)
            state = cell.http_apis.get(request.path_params["apiId"])
            return json_response(_page(request, [document(item) for item in kind.items(state).values()]))

        return list_

    def update(self, kind: Kind) -> Endpoint:
        async def update(request: Request) -> Response:
            cell = await self._cell(request)
            api_id, key = request.path_params["apiId"], request.path_params[kind.param]
            kind.of(cell.http_apis.get(api_id), key)
            path = {"ApiId": api_id, kind.model_param: key}
            given = decode(await _body(request, f"Update{kind.noun}", path), kind.input)
            changed = await cell.http_apis.change(api_id, lambda s, new_id, now: kind.update(s, key, given, new_id, now))
            return json_response(document(changed))

        return update

    def delete(self, kind: Kind) -> Endpoint:
        async def delete(request: Request) -> Response:
            cell = await self._cell(request)
            api_id, key = request.path_params["apiId"], request.path_params[kind.param]
            await cell.http_apis.change(api_id, lambda s, _new_id, _now: (kind.delete(s, key), None))
            return empty_response(204)

        return delete
