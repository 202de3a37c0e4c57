"""HTTP APIs served: a request to an API's invoke URL is routed over the stage's deployment and
becomes a payload 2.0 or 1.0 event to the route's Lambda integration; the function's answer
becomes the HTTP response, as API Gateway's HTTP APIs do it.

Per request, in order:

1. the API the host (or the path form) names (``model.api_address``): none is 404
   ``{"message":"Not Found"}``; the path is decoded as HTTP APIs decode it (400 when it cannot
   be), and its first part picks a named stage, else ``$default`` serves (404 when neither does,
   or the stage has no deployment);
2. with a CORS configuration in the deployment, a browser's preflight is answered here (204);
3. the route (``model.http_routes``: the most specific match, else ``$default``, else 404) and
   its integration (a route with none: 404);
4. the body, within the 10 MB an HTTP API takes (413 beyond);
5. the route's authorizer, through the ``RouteAuthorizer`` the server gives (below);
6. the function's resource policy must allow ``apigateway.amazonaws.com`` to invoke it with the
   request's ``aws:SourceArn`` (``arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH``), as
   on AWS; a refusal is API Gateway's 500 and nothing is invoked;
7. the invocation, through the function's account's ``InvocationService`` (the same throttles,
   budgets, metering and logs as Invoke), within the integration's ``TimeoutInMillis`` (past it:
   503 ``Service Unavailable``; the invocation runs on, as on AWS), its answer read with the
   payload version's rules (``model.http_response``); a function error, a malformed answer or
   anything else that stops the integration is 500 ``Internal Server Error``.

Every answer carries ``apigw-requestid``, as API Gateway's do; nothing here keeps state between
requests (the authorizers' result cache and issuers' keys are ``ingress.http_authorizers``').

Step 5 is ``ingress.http_authorizers``' (``RouteAuthorizer``, decision 0027): a Lambda REQUEST
authorizer is invoked as API Gateway invokes it (``call_function`` below: the same resource-policy
check, with the authorizer's ``.../authorizers/ID`` SourceArn) and its answer, or a verdict it
cached, lets the request through with a context for the event, or refuses it (401, 403, 500); a
JWT is checked against its issuer's keys (401, 403 for missing scopes). For an ``AWS_IAM``
route the request's SigV4 signature (service ``execute-api``) is verified here and its signer must
be allowed ``execute-api:Invoke`` on the route ARN (``_iam_caller``; 403 otherwise).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import secrets
from typing import Any, Protocol

from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from lambent.api.auth import Principal
from lambent.api.body import read_body
from lambent.api.guard import caller as iam_caller
from lambent.api.guard import request_context
from lambent.api.sigv4 import SignedRequest, Verifier
from lambent.clock import Clock
from lambent.errors import (
    AccessDeniedException,
    ApiError,
    MalformedHttpResponse,
    RequestEntityTooLargeException,
    SignatureRefusal,
)
from lambent.ingress.function_urls import send_response
from lambent.ingress.http_authorizers import Authorizers, RouteAuthorizer
from lambent.model import cors
from lambent.model.api_address import ApiAddress, stage_and_path
from lambent.model.apigateway_actions import execute_api_arn
from lambent.model.arns import FunctionRef
from lambent.model.http_api import Cors, Integration
from lambent.model.http_authorizer import route_arn
from lambent.model.http_event import HttpRequest, IamCaller, payload_v1, payload_v2
from lambent.model.http_response import (
    HTTP_API_BAD_REQUEST,
    HTTP_API_FORBIDDEN,
    HTTP_API_INTERNAL_ERROR,
    HTTP_API_NOT_FOUND,
    HTTP_API_TIMEOUT,
    HTTP_API_TOO_LARGE,
    HttpResponse,
    response_v1,
    response_v2,
)
from lambent.model.http_routes import decode_path
from lambent.model.iam_policy import Caller
from lambent.model.lambda_target import LambdaTarget, lambda_target
from lambent.services.access import Access
from lambent.services.cells import Cell

Header = tuple[str, str]
#: An HTTP API's payload quota.
BODY_LIMIT_BYTES = 10 * 1024 * 1024
#: The caller an API invokes its functions as.
APIGATEWAY = Caller(arn="apigateway.amazonaws.com", account_id=None)


class ApiDirectory(Protocol):
    def api_cell(self, api_id: str) -> Cell | None:
        """The cell of the account owning API *api_id*, from memory (every request asks)."""
        ...

    async def function_cell(self, account: str) -> Cell | None:
        """The cell of *account*, where an integration's function lives."""
        ...


def request_id() -> str:
    """An id of API Gateway's form (``RL2XYiwjPHcEMEQ=``: 11 random bytes in base64)."""
    return base64.b64encode(secrets.token_bytes(11)).decode("ascii")


def _cors_rules(config: Cors | None) -> cors.CorsRules | None:
    if config is None:
        return None
    return cors.CorsRules(
        allow_credentials=bool(config.allow_credentials),
        allow_headers=tuple(config.allow_headers or ()),
        allow_methods=tuple(config.allow_methods or ()),
        allow_origins=tuple(config.allow_origins or ()),
        expose_headers=tuple(config.expose_headers or ()),
        max_age_s=config.max_age or 0,
    )


class HttpApis:
    def __init__(
        self,
        directory: ApiDirectory,
        access: Access,
        clock: Clock,
        region: str,
        authorizers: RouteAuthorizer | None = None,
        verifier: Verifier | None = None,
    ) -> None:
        """*verifier*: None with authentication off, when an AWS_IAM route's caller is the API's
        account's root and nothing is checked."""
        self._directory = directory
        self._access = access
        self._clock = clock
        self._region = region
        self._verifier = verifier
        self._authorizers = authorizers or Authorizers(self, clock, region)

    async def __call__(self, scope: Scope, receive: Receive, send: Send, address: ApiAddress) -> None:
        ident = request_id()
        try:
            response = await self._answer(scope, receive, address, ident)
        except ClientDisconnect:
            return
        response = HttpResponse(
            status=response.status, headers=(*response.headers, ("apigw-requestid", ident)), body=response.body
        )
        await send_response(send, response.for_method(scope["method"]))

    async def _answer(self, scope: Scope, receive: Receive, address: ApiAddress, ident: str) -> HttpResponse:
        cell = self._directory.api_cell(address.api_id)
        state = cell.http_apis.by_id(address.api_id) if cell is not None else None
        if cell is None or state is None or state.api.disable_execute_api_endpoint:
            return HTTP_API_NOT_FOUND
        path = decode_path(address.raw_path)
        if path is None:
            return HTTP_API_BAD_REQUEST
        picked = stage_and_path(path, state.stages)
        served = cell.http_apis.served(address.api_id, picked[0]) if picked is not None else None
        if picked is None or served is None:
            return HTTP_API_NOT_FOUND
        stage, _prefix, within_stage = picked
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]]
        method = scope["method"]
        rules = _cors_rules(served.snapshot.cors)
        if rules is not None and cors.is_preflight(method, headers):
            return HttpResponse(status=204, headers=tuple(cors.preflight(rules, headers)), body=b"")
        match = served.table.match(method, within_stage)
        route = next((r for r in served.snapshot.routes if match is not None and r.route_key == match.route_key), None)
        integration = served.snapshot.integration_of(route) if route is not None else None
        if match is None or route is None or integration is None:
            return HTTP_API_NOT_FOUND
        try:
            body = await read_body(receive, BODY_LIMIT_BYTES, "Invoke", _get(headers, "content-length"))
        except RequestEntityTooLargeException:
            return HTTP_API_TOO_LARGE
        client = scope.get("client")
        request = HttpRequest(
            method=method,
            raw_path=path,  # a named stage's prefix included, as HTTP APIs deliver it
            raw_query=scope["query_string"].decode("latin-1"),
            headers=tuple(headers),
            body=body,
            source_ip=str(client[0]) if client else "",
            protocol=f"HTTP/{scope.get('http_version', '1.1')}",
            request_id=ident,
            time_ms=int(self._clock.time() * 1000),
            account_id=cell.account_id,
            api_id=address.api_id,
            domain_name=address.domain_name,
            domain_prefix=address.api_id,
            route_key=route.route_key,
            stage=stage,
            path_parameters=dict(match.path_parameters),
            stage_variables=served.stage_variables,
        )
        if route.authorization_type == "AWS_IAM":
            iam = await self._iam_caller(scope, body, request)
            if iam is None:
                return HTTP_API_FORBIDDEN
            request = dataclasses.replace(request, iam=iam)
        authorizer = served.snapshot.authorizers.get(route.authorizer_id) if route.authorizer_id else None
        decision = await self._authorizers.authorize(route, authorizer, request, served)
        if decision.refusal is not None:
            return decision.refusal
        if decision.context is not None:
            request = dataclasses.replace(request, authorized=decision.context)
        response = await self._integrate(cell, integration, request)
        if rules is not None:
            response = HttpResponse(
                status=response.status, headers=tuple(cors.on_response(rules, headers, response.headers)), body=response.body
            )
        return response

    async def _iam_caller(self, scope: Scope, body: bytes, request: HttpRequest) -> IamCaller | None:
        """The signer of an ``AWS_IAM`` route's request, if its SigV4 signature (service
        ``execute-api``) is good and its policies allow ``execute-api:Invoke`` on the route ARN;
        else None. Only the API's own account's principals can be allowed: an HTTP API has no
        resource policy (AWS's answer for another account is to assume a role in this one)."""
        account = request.account_id
        if self._verifier is None:
            root = f"arn:aws:iam::{account}:root"
            return IamCaller(access_key="", account_id=account, caller_id=account, user_arn=root, user_id=account)
        signed = SignedRequest(
            method=scope["method"],
            path=(scope.get("raw_path") or scope["path"].encode()).decode("latin-1"),
            query=scope["query_string"].decode("latin-1"),
            headers=scope["headers"],
            body=body,
        )
        try:
            credential = (await self._verifier.verify(signed, service="execute-api")).credential
            principal = Principal(
                account_id=credential.account_id,
                arn=credential.principal_arn,
                access_key_id=credential.access_key_id,
                service="execute-api",
                authenticated=True,
            )
            await self._access.authorize(
                iam_caller(principal),
                "execute-api:Invoke",
                route_arn(self._region, request),
                resource_account=account,
                context=request_context(scope),
            )
        except (SignatureRefusal, AccessDeniedException):
            return None
        name = credential.principal_arn.rsplit("/", 1)[-1]
        return IamCaller(
            access_key=credential.access_key_id,
            account_id=credential.account_id,
            caller_id=name,
            user_arn=credential.principal_arn,
            user_id=name,
        )

    async def _integrate(self, cell: Cell, integration: Integration, request: HttpRequest) -> HttpResponse:
        target = lambda_target(integration.integration_uri or "")
        owner = await self._directory.function_cell(target.account) if target is not None else None
        if target is None or owner is None or target.region != self._region:
            return HTTP_API_INTERNAL_ERROR
        source_arn = execute_api_arn(
            self._region, cell.account_id, request.api_id, request.stage, request.method, request.route_key
        )
        if not await self._allowed(owner, target, source_arn, cell.account_id):
            return HTTP_API_INTERNAL_ERROR
        version = integration.payload_format_version
        event = payload_v1(request) if version == "1.0" else payload_v2(request)
        invocation = asyncio.ensure_future(
            owner.invocations.invoke(
                FunctionRef(name=target.name, qualifier=target.qualifier),
                json.dumps(event, separators=(",", ":")).encode(),
                "RequestResponse",
                None,
                request.header("x-amzn-trace-id"),
            )
        )
        invocation.add_done_callback(_discard)  # past the timeout or a client gone, it runs on, as on AWS
        # A timer, not a sleeping task: one less task per request (the bench's line 13)
        await asyncio.wait((invocation,), timeout=integration.timeout_in_millis / 1000)
        if not invocation.done():
            return HTTP_API_TIMEOUT
        try:
            outcome = invocation.result()
        except ApiError:  # throttled, the function gone or not Active, its event refused
            return HTTP_API_INTERNAL_ERROR
        answer = outcome.invocation
        if answer is None or answer.failure is not None:
            return HTTP_API_INTERNAL_ERROR
        try:
            return response_v1(answer.payload) if version == "1.0" else response_v2(answer.payload)
        except MalformedHttpResponse:
            return HTTP_API_INTERNAL_ERROR

    async def call_function(self, api_account: str, uri: str, source_arn: str, payload: bytes, timeout_s: float) -> bytes | None:
        """A route authorizer's function invoked as API Gateway (``FunctionCaller``)."""
        target = lambda_target(uri)
        owner = await self._directory.function_cell(target.account) if target is not None else None
        if target is None or owner is None or target.region != self._region:
            return None
        if not await self._allowed(owner, target, source_arn, api_account):
            return None
        invocation = asyncio.ensure_future(
            owner.invocations.invoke(
                FunctionRef(name=target.name, qualifier=target.qualifier), payload, "RequestResponse", None, None
            )
        )
        invocation.add_done_callback(_discard)
        deadline = asyncio.ensure_future(self._clock.sleep(timeout_s))
        try:
            await asyncio.wait((invocation, deadline), return_when=asyncio.FIRST_COMPLETED)
        finally:
            deadline.cancel()
        if not invocation.done():
            return None
        try:
            answer = invocation.result().invocation
        except ApiError:
            return None
        if answer is None or answer.failure is not None:
            return None
        return bytes(answer.payload)

    async def _allowed(self, owner: Cell, target: LambdaTarget, source_arn: str, api_account: str) -> bool:
        """Whether the function's resource policy lets API Gateway invoke it for *source_arn*."""
        policy = await owner.permissions.policy_for(target.name, target.qualifier)
        try:
            await self._access.authorize(
                APIGATEWAY,
                "lambda:InvokeFunction",
                target.arn,
                resource_account=target.account,
                resource_policy=policy,
                context={"aws:SourceArn": source_arn, "aws:SourceAccount": api_account},
            )
        except AccessDeniedException:
            return False
        return True


def _discard(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved


def _get(headers: list[Header], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None
