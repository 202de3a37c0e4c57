"""JWT authorizers of HTTP APIs, the pure part: the token in an identity source, its claims checked
as API Gateway checks them, the route's scopes, and the ``www-authenticate`` header a refusal
carries. No I/O; time is an argument. Fetching the issuer's keys is ``ingress.jwks``'.

As the API Gateway developer guide ("Control access to HTTP APIs with JWT authorizers" and
"Troubleshooting issues with HTTP API JWT authorizers") has it:

- the identity source holds the token alone or after ``Bearer ``;
- only RSA algorithms are taken, and the token's ``kid`` must name a key of the issuer's JWKS;
- ``iss`` must equal the authorizer's Issuer; ``aud``, or ``client_id`` when there is no
  ``aud``, must be one of its Audience; ``exp`` must be after now, ``nbf`` and ``iat`` before;
- with AuthorizationScopes on the route, the token's ``scope`` (space-separated) or ``scp``
  must hold at least one of them;
- a refusal is 401 ``{"message":"Unauthorized"}`` with ``www-authenticate: Bearer scope=""
  error="invalid_token" error_description="the token does not have a valid audience"`` (the
  guide's one example; the other descriptions are Lambent's, in that form); a token without the
  route's scopes is 403 ``Forbidden`` with ``error="insufficient_scope"`` (RFC 6750's status and
  code for it).

The integration sees the claims as API Gateway passes them, every value a string: numbers as
their digits, booleans ``true``/``false``, lists as ``[a b]`` (*observed* in Cognito-issued
events, ``"exp": "1598305188"``, ``"cognito:groups": "[admin]"``), objects as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

#: The algorithms API Gateway takes ("only RSA-based algorithms are supported").
ALGORITHMS = ("RS256", "RS384", "RS512")


def bearer_token(value: str) -> str:
    """The token in an identity source's *value*: the value itself, or what follows ``Bearer ``."""
    scheme, _, rest = value.partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest.strip() else value.strip()


def claims_problem(claims: Mapping[str, Any], issuer: str | None, audiences: Sequence[str], now: float) -> str | None:
    """Why *claims* are refused (the ``error_description``), or None when they pass."""
    if claims.get("iss") != issuer:
        return "the token does not have a valid issuer"
    audience = claims.get("aud") if "aud" in claims else claims.get("client_id")
    granted = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    if not any(isinstance(a, str) and a in audiences for a in granted):
        return "the token does not have a valid audience"
    exp = claims.get("exp")
    if not _number(exp):
        return "the token has no valid expiry"
    if exp <= now:
        return "the token has expired"
    for name in ("nbf", "iat"):
        value = claims.get(name)
        if value is not None and (not _number(value) or value > now):
            return f"the token is not valid yet ({name})"
    return None


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def token_scopes(claims: Mapping[str, Any]) -> list[str]:
    """The scopes a token grants: its ``scope`` (space-separated), else its ``scp`` (a list or a
    space-separated string)."""
    scope = claims.get("scope", claims.get("scp"))
    if isinstance(scope, str):
        return scope.split()
    return [s for s in scope if isinstance(s, str)] if isinstance(scope, list) else []


def has_scope(required: Sequence[str] | None, granted: Sequence[str]) -> bool:
    """Whether a token granting *granted* may take a route requiring *required* (any one of them;
    a route requiring none takes any token)."""
    return not required or any(scope in granted for scope in required)


def www_authenticate(required: Sequence[str] | None, error: str, description: str) -> str:
    """The ``www-authenticate`` header of a refusal, in API Gateway's form."""
    return f'Bearer scope="{" ".join(required or ())}" error="{error}" error_description="{_quoted(description)}"'


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def claims_as_passed(claims: Mapping[str, Any]) -> dict[str, str]:
    """The claims as the integration's event holds them: each value a string."""
    return {name: _as_string(value) for name, value in claims.items()}


def _as_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "[" + " ".join(_as_string(v) for v in value) + "]"
    if isinstance(value, dict) or value is None:
        return json.dumps(value, separators=(",", ":"))
    return str(value)
