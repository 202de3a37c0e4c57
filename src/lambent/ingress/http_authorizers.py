"""Route authorizers of HTTP APIs, served: what the ``authorizer`` step of ``ingress.http_apis``
asks before a protected route's integration is invoked.

``Authorizers`` evaluates a route as API Gateway does:

- ``NONE``: through;
- ``CUSTOM`` (a Lambda ``REQUEST`` authorizer): the identity sources must all be present (401
  ``Unauthorized`` without invoking, else); a cached verdict for the same identity values is
  used while its ``AuthorizerResultTtlInSeconds`` lasts; otherwise the authorizer function is
  invoked as ``apigateway.amazonaws.com``, its resource policy asked with the SourceArn
  ``arn:aws:execute-api:REGION:ACCOUNT:API/authorizers/ID`` as on AWS. A denial is 403
  ``Forbidden``; a refusal by the policy, a function error, a timeout (10 s) or an answer it cannot
  read is 500 ``Internal Server Error``. The result cache is in memory, per server process: two
  Lambent nodes each invoke the authorizer once per identity and TTL;
- ``JWT`` (``JwtAuthorizer``): the token's RSA signature against the issuer's keys
  (``ingress.jwks``), its claims and the route's scopes (``model.jwt_token``): 401 with a
  ``www-authenticate`` reason for a bad token, 403 for missing scopes;
- ``AWS_IAM``: through when the ingress has verified the request's signer and its
  ``execute-api:Invoke`` permission (``HttpRequest.iam``), else 403.
"""

from __future__ import annotations

from typing import Any, Protocol

import jwt
import msgspec

from lambent.clock import Clock
from lambent.ingress.jwks import IssuerKeys
from lambent.model import http_authorizer as rules
from lambent.model import jwt_token
from lambent.model.http_api import Authorizer, Route
from lambent.model.http_event import Authorized, HttpRequest
from lambent.model.http_response import (
    HTTP_API_FORBIDDEN,
    HTTP_API_INTERNAL_ERROR,
    HTTP_API_UNAUTHORIZED,
    HttpResponse,
)
from lambent.services.http_apis import Served


class AuthorizerDecision(msgspec.Struct, frozen=True, kw_only=True):
    """A route authorizer's answer: a refusal to send, or (``refusal`` None) what the event's
    ``requestContext.authorizer`` should hold (None: the payload's default)."""

    refusal: HttpResponse | None = None
    context: Authorized | None = None


class RouteAuthorizer(Protocol):
    async def authorize(
        self, route: Route, authorizer: Authorizer | None, request: HttpRequest, served: Served
    ) -> AuthorizerDecision:
        """Whether *request* may take *route* (whose ``AuthorizationType`` says how it is
        protected; *authorizer* is the deployment's authorizer of the route, if it names one)."""
        ...


class FunctionCaller(Protocol):
    async def call_function(self, api_account: str, uri: str, source_arn: str, payload: bytes, timeout_s: float) -> bytes | None:
        """Invoke the function *uri* names (an ARN or an invocation URI) as API Gateway, where its
        resource policy allows *source_arn*; its answer, or None for any failure (refused,
        throttled, a function error, past *timeout_s*)."""
        ...


class JwtChecker(Protocol):
    async def check(self, authorizer: Authorizer, route: Route, request: HttpRequest) -> AuthorizerDecision:
        """The decision on *request*'s token for a route behind a JWT *authorizer*."""
        ...


_UNAUTHORIZED = AuthorizerDecision(refusal=HTTP_API_UNAUTHORIZED)
_FORBIDDEN = AuthorizerDecision(refusal=HTTP_API_FORBIDDEN)
_FAILED = AuthorizerDecision(refusal=HTTP_API_INTERNAL_ERROR)


class Authorizers:
    def __init__(self, functions: FunctionCaller, clock: Clock, region: str, jwt: JwtChecker | None = None) -> None:
        self._functions = functions
        self._clock = clock
        self._region = region
        self._jwt = jwt if jwt is not None else JwtAuthorizer(IssuerKeys(clock), clock)
        self._cache = rules.ResultCache()

    async def authorize(
        self, route: Route, authorizer: Authorizer | None, request: HttpRequest, served: Served
    ) -> AuthorizerDecision:
        kind = route.authorization_type
        if kind == "NONE":
            return AuthorizerDecision()
        if kind == "AWS_IAM":  # the ingress verified the signer and its permission, if it names one
            return AuthorizerDecision() if request.iam is not None else _FORBIDDEN
        if authorizer is None:
            return _UNAUTHORIZED
        if kind == "JWT" and authorizer.authorizer_type == "JWT":
            return await self._jwt.check(authorizer, route, request)
        if kind == "CUSTOM" and authorizer.authorizer_type == "REQUEST":
            return await self._lambda(authorizer, request)
        return _UNAUTHORIZED

    async def _lambda(self, authorizer: Authorizer, request: HttpRequest) -> AuthorizerDecision:
        identity = rules.identity_values(authorizer.identity_source or [], request)
        if identity is None:
            return _UNAUTHORIZED
        arn = rules.route_arn(self._region, request)
        key = rules.cache_key(request.api_id, authorizer)
        verdict = self._cache.get(key, identity, self._clock.time())
        latency_ms = 0  # a cached verdict took no time
        if verdict is None:
            started = self._clock.monotonic()
            verdict = await self._invoke(authorizer, request, arn, identity)
            if verdict is None:
                return _FAILED
            latency_ms = round((self._clock.monotonic() - started) * 1000)
            ttl = authorizer.authorizer_result_ttl_in_seconds or 0
            self._cache.put(key, identity, verdict, ttl, self._clock.time())
        if not verdict.allows(arn):
            return _FORBIDDEN
        return AuthorizerDecision(
            context=Authorized(lambda_context=verdict.context, principal_id=verdict.principal_id, latency_ms=latency_ms)
        )

    async def _invoke(self, authorizer: Authorizer, request: HttpRequest, arn: str, identity: list[str]) -> rules.Verdict | None:
        v2 = authorizer.authorizer_payload_format_version == "2.0"
        event = rules.event_v2(request, arn, identity) if v2 else rules.event_v1(request, arn, identity)
        source_arn = (
            f"arn:aws:execute-api:{self._region}:{request.account_id}:{request.api_id}/authorizers/{authorizer.authorizer_id}"
        )
        payload = await self._functions.call_function(
            request.account_id,
            authorizer.authorizer_uri or "",
            source_arn,
            msgspec.json.encode(event),
            rules.AUTHORIZER_TIMEOUT_S,
        )
        if payload is None:
            return None
        try:
            return rules.read_answer(payload, simple=v2 and bool(authorizer.enable_simple_responses))
        except rules.BadAuthorizerAnswer:
            return None


class JwtAuthorizer:
    """A JWT authorizer's decision (``JwtChecker``): the token's signature against the issuer's
    keys (``ingress.jwks``), its claims and the route's scopes (``model.jwt_token``)."""

    def __init__(self, keys: IssuerKeys, clock: Clock) -> None:
        self._keys = keys
        self._clock = clock

    async def check(self, authorizer: Authorizer, route: Route, request: HttpRequest) -> AuthorizerDecision:
        scopes = route.authorization_scopes
        identity = rules.identity_values(authorizer.identity_source or [], request)
        if not identity:
            return _UNAUTHORIZED
        config = authorizer.jwt_configuration
        issuer = config.issuer if config is not None else None
        token = jwt_token.bearer_token(identity[0])
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            return _refused(401, scopes, "invalid_token", "the token is malformed")
        kid, algorithm = header.get("kid"), header.get("alg")
        if algorithm not in jwt_token.ALGORITHMS:
            return _refused(401, scopes, "invalid_token", f"signing method {algorithm} is invalid")
        key = await self._keys.key(issuer, kid) if issuer and isinstance(kid, str) else None
        if key is None:
            return _refused(401, scopes, "invalid_token", "the token's key is not one of the issuer's")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                options={
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": False,
                    "verify_iss": False,
                    "verify_sub": False,
                    "verify_jti": False,
                },  # claims are model.jwt_token's to check, with the clock given
            )
        except jwt.InvalidTokenError:
            return _refused(401, scopes, "invalid_token", "the token's signature is invalid")
        problem = jwt_token.claims_problem(claims, issuer, (config.audience if config else None) or [], self._clock.time())
        if problem is not None:
            return _refused(401, scopes, "invalid_token", problem)
        granted = jwt_token.token_scopes(claims)
        if not jwt_token.has_scope(scopes, granted):
            return _refused(403, scopes, "insufficient_scope", f"expected scopes: [{' '.join(scopes or ())}]")
        return AuthorizerDecision(context=Authorized(jwt_claims=jwt_token.claims_as_passed(claims), jwt_scopes=granted or None))


def _refused(status: int, scopes: list[str] | None, error: str, description: str) -> AuthorizerDecision:
    base = HTTP_API_UNAUTHORIZED if status == 401 else HTTP_API_FORBIDDEN
    header = ("www-authenticate", jwt_token.www_authenticate(scopes, error, description))
    return AuthorizerDecision(refusal=HttpResponse(status=base.status, headers=(*base.headers, header), body=base.body))
