"""Authorization before every apigatewayv2 operation, as API Gateway authorizes its management
API: ``apigateway:<METHOD>`` on the ARN of the path (``model.apigateway_actions``), asked of
``services.access`` before the handler runs. An API Gateway resource's ARN names no account, so
the request acts in the caller's own account (there is no cross-account management of APIs).
"""

from __future__ import annotations

from typing import Any

from starlette.routing import request_response
from starlette.types import Receive, Scope, Send

from lambent.api.auth import PRINCIPAL_SCOPE_KEY, Principal
from lambent.api.cells import ACCOUNT_SCOPE_KEY
from lambent.api.guard import Guard
from lambent.api.render import apigateway_error_response
from lambent.errors import ApiError
from lambent.model.apigateway_actions import management_action, management_resource


class ApiGatewayGuarded:
    """One apigatewayv2 route's endpoint behind its authorization check."""

    def __init__(self, guard: Guard, endpoint: Any) -> None:
        self._guard = guard
        self._app = request_response(endpoint)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guard = self._guard
        principal: Principal | None = scope.get(PRINCIPAL_SCOPE_KEY)
        scope[ACCOUNT_SCOPE_KEY] = principal.account_id if principal is not None else guard.settings.account_id
        if principal is not None:
            action = management_action(scope["method"])
            resource = management_resource(guard.settings.region, scope["path"])
            try:
                await guard.check(principal, action, resource, scope)
            except ApiError as refused:
                await apigateway_error_response(refused)(scope, receive, send)
                return
        await self._app(scope, receive, send)
