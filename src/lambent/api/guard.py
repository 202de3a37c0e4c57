"""Authorization before every Lambda operation: the route table wraps each endpoint in a Guard.

A guarded route names its AWS operation; the guard maps it to its IAM action and resource
(``model.lambda_actions``), builds the resource ARN from the path (the function, qualified where
the request names a version or alias; the layer or layer version; a tagged ARN as given), and
asks ``services.access`` before the handler runs, so a caller who may not act learns nothing,
not even whether the resource exists (as on AWS). A request with no principal attached (a body
too large to verify) goes on: its handler refuses it first, and nothing that asks who called can
run. Function resource policies are consulted on the operations AWS evaluates them for (Invoke,
and the others a policy's Action may name).

The guard also decides which account the request acts in (``api.cells``), with authentication
on or off: the account of the ARN the request names, else the caller's.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import parse_qsl

import msgspec
from starlette.routing import request_response
from starlette.types import ASGIApp, Receive, Scope, Send

from lambent.api.auth import BODY_SCOPE_KEY, PRINCIPAL_SCOPE_KEY, Principal
from lambent.api.cells import ACCOUNT_SCOPE_KEY
from lambent.errors import ApiError
from lambent.model.arns import function_resource
from lambent.model.iam_policy import Caller
from lambent.model.identity import session_role_arn
from lambent.model.lambda_actions import OPERATIONS
from lambent.model.layer import layer_arn, layer_version_of
from lambent.services.access import Access
from lambent.settings import Settings


class ResourcePolicies(Protocol):
    async def function_policy(self, account: str, name: str, qualifier: str | None) -> str | None:
        """The resource policy (JSON text) of *account*'s function *name* at *qualifier*, if any."""
        ...

    async def layer_policy(self, account: str, name: str, version: int) -> str | None:
        """The resource policy (JSON text) of *account*'s layer *name* version *version*, if any."""
        ...


class Target(msgspec.Struct, frozen=True, kw_only=True):
    """What a request acts on: the IAM action, the resource's ARN (``*`` for none) and its
    account, and whose resource policy to consult."""

    action: str
    resource: str
    account: str
    function: tuple[str, str | None] | None = None  # (name, qualifier)
    layer_version: tuple[str, int] | None = None


def caller(principal: Principal) -> Caller:
    """The IAM caller a verified principal is: a role session also answers to its role's ARN."""
    return Caller(arn=principal.arn, account_id=principal.account_id, role_arn=session_role_arn(principal.arn))


def request_context(scope: Scope) -> dict[str, str]:
    """The global condition keys a request brings: ``aws:SourceIp`` (the peer's address; Lambent
    is not behind a proxy it trusts, so no X-Forwarded-For), and ``aws:SecureTransport``."""
    client = scope.get("client")
    context = {"aws:SecureTransport": "true" if scope.get("scheme") == "https" else "false"}
    if client:
        context["aws:SourceIp"] = str(client[0])
    return context


def _query(scope: Scope) -> dict[str, str]:
    raw = scope.get("query_string", b"")
    return dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True)) if raw else {}


#: Operations AWS tells apart on one method and path by a query parameter.
_BY_QUERY: dict[str, tuple[str, str, str]] = {
    "ListLayers": ("find", "LayerVersion", "GetLayerVersionByArn"),
    "GetProvisionedConcurrencyConfig": ("List", "ALL", "ListProvisionedConcurrencyConfigs"),
}


class Guarded:
    """One route's endpoint behind its authorization check."""

    def __init__(self, guard: Guard, operation: str, endpoint: Callable[..., Any]) -> None:
        self._guard = guard
        if operation not in OPERATIONS:  # the table is built at start: an unmapped name fails there
            raise KeyError(f"no IAM action is mapped for operation {operation}")
        self.operation = operation
        self._app: ASGIApp = endpoint if _is_asgi(endpoint) else request_response(endpoint)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guard = self._guard
        principal: Principal | None = scope.get(PRINCIPAL_SCOPE_KEY)
        own = principal.account_id if principal is not None else guard.settings.account_id
        target = self._target(scope, own)
        scope[ACCOUNT_SCOPE_KEY] = target.account if target is not None else own
        if target is not None and principal is not None and principal.authenticated and guard.access.enabled:
            await self._authorize(scope, principal, target)
        await self._app(scope, receive, send)

    def _target(self, scope: Scope, own: str) -> Target | None:
        """What the request acts on, *own* being the caller's account; None when the path or
        body names nothing the guard can parse (the handler refuses it in the operation's words)."""
        region = self._guard.settings.region
        query = _query(scope)
        name = self.operation
        if name in _BY_QUERY and query.get(_BY_QUERY[name][0]) == _BY_QUERY[name][1]:
            name = _BY_QUERY[name][2]
        operation = OPERATIONS[name]
        params = scope.get("path_params", {})
        if operation.resource == "function" and "arn" not in params:
            identifier = params.get("name") or self._created_name(scope)
            qualifier = query.get("Qualifier") if operation.qualifiable else None
            found = function_resource(identifier, region, own, qualifier) if identifier else None
            if found is None:
                return None
            return Target(
                action=operation.action, resource=found.arn, account=found.account, function=(found.name, found.qualifier)
            )
        if operation.resource in ("layer", "layer_version"):
            layer = query.get("Arn") or params.get("layer", "")
            resource = layer if layer.startswith("arn:") else layer_arn(region, own, layer)
            if operation.resource == "layer_version" and "version" in params:
                resource = f"{resource}:{params['version']}"
            parts = resource.split(":")
            account = parts[4] if len(parts) > 4 and parts[4] else own
            versioned = operation.resource == "layer_version" and len(parts) == 8 and parts[7].isdigit()
            layer_version = (parts[6], int(parts[7])) if versioned else None
            return Target(action=operation.action, resource=resource, account=account, layer_version=layer_version)
        if operation.resource == "event_source_mapping" and params.get("UUID"):
            resource = f"arn:aws:lambda:{region}:{own}:event-source-mapping:{params['UUID']}"
            return Target(action=operation.action, resource=resource, account=own)
        if operation.resource == "bucket" and params.get("bucket"):
            return Target(action=operation.action, resource=f"arn:aws:s3:::{params['bucket']}", account=own)
        if "arn" in params:  # TagResource, UntagResource, ListTags: the ARN the path names
            parts = params["arn"].split(":")
            account = parts[4] if len(parts) > 4 and parts[4] else own
            return Target(action=operation.action, resource=params["arn"], account=account)
        return Target(action=operation.action, resource="*", account=self._guard.settings.account_id if operation.server else own)

    async def _authorize(self, scope: Scope, principal: Principal, target: Target) -> None:
        policies = self._guard.policies
        policy = None
        if policies is not None and target.function is not None:
            policy = await policies.function_policy(target.account, *target.function)
        elif policies is not None and target.layer_version is not None:
            policy = await policies.layer_policy(target.account, *target.layer_version)
        who, context = caller(principal), request_context(scope)
        await self._guard.access.authorize(
            who, target.action, target.resource, resource_account=target.account, resource_policy=policy, context=context
        )
        if self.operation in _TAKES_LAYERS:
            # Adding a layer version to a function takes lambda:GetLayerVersion on it, as AWS
            # asks; another account's needs its layer policy's grant as well.
            for arn, (owner, name, version) in self._listed_layers(scope):
                layer_policy = await policies.layer_policy(owner, name, version) if policies is not None else None
                await self._guard.access.authorize(
                    who, "lambda:GetLayerVersion", arn, resource_account=owner, resource_policy=layer_policy, context=context
                )

    def _listed_layers(self, scope: Scope) -> list[tuple[str, tuple[str, str, int]]]:
        """The layer version ARNs the body lists, each with its (account, name, version); one
        the guard cannot parse is the handler's to refuse."""
        document = _body_document(scope)
        listed = document.get("Layers") if document is not None else None
        found = []
        for arn in listed if isinstance(listed, list) else []:
            if isinstance(arn, str):
                with contextlib.suppress(ApiError):
                    found.append((arn, layer_version_of(arn, self._guard.settings.region)))
        return found

    @staticmethod
    def _created_name(scope: Scope) -> str | None:
        """CreateFunction names its function in the body (which authentication read)."""
        document = _body_document(scope)
        name = document.get("FunctionName") if document is not None else None
        return name if isinstance(name, str) else None


#: The operations whose body may list layer versions for the function.
_TAKES_LAYERS = frozenset({"CreateFunction", "UpdateFunctionConfiguration"})


def _body_document(scope: Scope) -> dict[str, Any] | None:
    """The JSON object of the body authentication read, if it is one."""
    body = scope.get(BODY_SCOPE_KEY)
    if not body:
        return None
    try:
        document = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None
    return document if isinstance(document, dict) else None


def _is_asgi(endpoint: Callable[..., Any]) -> bool:
    """As Starlette's Route tells them apart: functions and methods take a Request."""
    return not (inspect.isfunction(endpoint) or inspect.ismethod(endpoint))


class Guard:
    """Makes guarded endpoints; ``guard("GetFunction", handler)`` in the route table."""

    def __init__(
        self,
        settings: Settings,
        access: Access,
        policies: ResourcePolicies | None = None,
    ) -> None:
        self.settings = settings
        self.access = access
        self.policies = policies

    def __call__(self, operation: str, endpoint: Callable[..., Awaitable[Any]] | Any) -> Guarded:
        return Guarded(self, operation, endpoint)

    async def check(self, principal: Principal, action: str, resource: str, scope: Scope) -> None:
        """For an edge that dispatches by what the body names (IAM's Action, Logs' target):
        *principal* may perform *action* on *resource* (an ARN of its account, or ``*``)."""
        if principal.authenticated and self.access.enabled:
            parts = resource.split(":")
            # an ARN of no account (``*``) or of AWS's own (``arn:aws:iam::aws:policy/...``) is
            # read within the caller's account
            account = parts[4] if len(parts) > 4 and parts[4].isdigit() else principal.account_id
            await self.access.authorize(
                caller(principal), action, resource, resource_account=account, context=request_context(scope)
            )
