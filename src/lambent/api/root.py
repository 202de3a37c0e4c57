"""``/``: the one path three protocols share, told apart as AWS's endpoints would.

- A request naming an ``X-Amz-Target`` is JSON: EventBridge (``AWSEvents.*``, ``EventsApi``),
  CloudWatch's metrics (``GraniteServiceVersion20100801.*``, awsJson1_0, ``CloudWatchApi``) or
  CloudWatch Logs (``LogsApi``).
- Otherwise it is the query protocol (``Action=...&Version=...``, a form body or, for a GET, the
  query string), of the service its signature is scoped to: ``iam``, ``sts`` or ``monitoring``
  (CloudWatch, authorized here as ``cloudwatch:<Op>`` on ``*``; a gzipped body is inflated). With
  ``auth = off`` the scope is read from the Authorization header the same way; a request with
  none goes to the service that has its ``Action`` (STS's few, else IAM).

Every error of a query request is answered here, in its service's XML.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from lambent.api import cloudwatch_wire, inputs
from lambent.api.auth import Principal, principal
from lambent.api.cloudwatch import CloudWatchApi
from lambent.api.events import EventsApi
from lambent.api.guard import Guard
from lambent.api.iam import Handler, IamApi
from lambent.api.logs import LogsApi
from lambent.api.query import QueryCodec, query_error
from lambent.api.sts import StsApi
from lambent.errors import ApiError, InvalidAction
from lambent.model.identity import role_arn, user_arn
from lambent.model.limits import QUERY_REQUEST_LIMIT_BYTES

_OWN_USER = frozenset({"GetUser", "CreateAccessKey", "ListAccessKeys", "DeleteAccessKey", "UpdateAccessKey"})


def iam_resource(action: str, params: dict[str, Any], caller: Principal) -> str:
    """The resource an IAM action is authorized on, as IAM names it: the role or user the request
    names (the one a policy is attached to), else the policy; the caller itself for a user's own
    GetUser and access-key actions; else ``*``."""
    account = caller.account_id
    if isinstance(params.get("RoleName"), str):
        return role_arn(account, params["RoleName"])
    if isinstance(params.get("UserName"), str):
        return user_arn(account, params["UserName"])
    if isinstance(params.get("PolicyArn"), str):
        return str(params["PolicyArn"])
    if isinstance(params.get("PolicyName"), str) and "PolicyDocument" in params:  # CreatePolicy
        return f"arn:aws:iam::{account}:policy{params.get('Path') or '/'}{params['PolicyName']}"
    return caller.arn if action in _OWN_USER else "*"


class RootApi:
    def __init__(
        self, logs: LogsApi, events: EventsApi, iam: IamApi, sts: StsApi, guard: Guard, cloudwatch: CloudWatchApi
    ) -> None:
        self._logs = logs
        self._events = events
        self._cloudwatch = cloudwatch
        self._guard = guard
        self._services: dict[str, tuple[QueryCodec, dict[str, Handler]]] = {
            "iam": (QueryCodec("iam"), iam.actions),
            "sts": (QueryCodec("sts"), sts.actions),
            "monitoring": (QueryCodec("cloudwatch"), cloudwatch.actions),
        }

    async def dispatch(self, request: Request) -> Response:
        if request.method == "POST" and "x-amz-target" in request.headers:
            if request.headers["x-amz-target"].startswith("AWSEvents."):
                return await self._events.dispatch(request)
            if request.headers["x-amz-target"].startswith(f"{cloudwatch_wire.SERVICE}."):
                return await self._cloudwatch.json(request)
            return await self._logs.dispatch(request)
        caller = principal(request)
        form = dict(urllib.parse.parse_qsl(request.url.query, keep_blank_values=True))
        service = caller.service if caller.service in self._services else None
        try:
            if request.method == "POST":
                body = await inputs.body(request, QUERY_REQUEST_LIMIT_BYTES, form.get("Action") or "this")
                body = cloudwatch_wire.inflate(body, request.headers.get("content-encoding"))
                form.update(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            action = form.get("Action")
            service = service or ("sts" if action in self._services["sts"][1] else "iam")
            codec, actions = self._services[service]
            operation = codec.operation(action)
            if operation.name not in actions:
                raise InvalidAction(f"Could not find operation {action} for version {codec.model.api_version}")
            params = codec.parse(operation, form)
            if service == "iam":  # STS decides its own: GetCallerIdentity is always allowed, AssumeRole by trust
                await self._guard.check(
                    caller, f"iam:{operation.name}", iam_resource(operation.name, params, caller), request.scope
                )
            if service == "monitoring":  # CloudWatch's metric actions have no resource ARNs
                await self._guard.check(caller, f"cloudwatch:{operation.name}", "*", request.scope)
            result = await actions[operation.name](params, caller)
            if service == "iam" and not operation.name.startswith(("Get", "List")):
                self._guard.access.forget()  # a change of policies counts on this node at once
            return codec.render(operation, result)
        except ApiError as error:
            return query_error(error, service or "iam")
