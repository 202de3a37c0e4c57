"""JWT authorizers' pure part: the token in an identity source, the claims API Gateway checks,
scopes, the ``www-authenticate`` header and the claims as the integration gets them."""

from __future__ import annotations

from typing import Any

import pytest

from lambent.model.jwt_token import (
    bearer_token,
    claims_as_passed,
    claims_problem,
    has_scope,
    token_scopes,
    www_authenticate,
)

NOW = 1_767_225_600.0
ISSUER = "https://issuer.test"
GOOD: dict[str, Any] = {"iss": ISSUER, "aud": "app", "exp": NOW + 60, "iat": NOW - 1, "nbf": NOW - 1}


@pytest.mark.parametrize(
    ("value", "token"),
    [("Bearer abc", "abc"), ("bearer abc", "abc"), ("abc", "abc"), ("Bearer  abc ", "abc"), ("Bearer", "Bearer")],
)
def test_the_bearer_prefix_is_optional(value: str, token: str) -> None:
    assert bearer_token(value) == token


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({}, None),
        ({"aud": ["x", "app"]}, None),  # a list holding one of the audiences
        ({"aud": None, "client_id": "app"}, "the token does not have a valid audience"),  # aud present wins
        ({"iss": "https://other.test"}, "the token does not have a valid issuer"),
        ({"aud": "x"}, "the token does not have a valid audience"),
        ({"aud": ["x"], "client_id": "app"}, "the token does not have a valid audience"),  # aud is evaluated
        ({"exp": NOW}, "the token has expired"),
        ({"exp": "soon"}, "the token has no valid expiry"),
        ({"exp": True}, "the token has no valid expiry"),
        ({"nbf": NOW + 1}, "the token is not valid yet (nbf)"),
        ({"iat": NOW + 1}, "the token is not valid yet (iat)"),
        ({"iat": "yesterday"}, "the token is not valid yet (iat)"),
    ],
)
def test_claims_are_checked_as_api_gateway_checks_them(changes: dict[str, Any], problem: str | None) -> None:
    assert claims_problem({**GOOD, **changes}, ISSUER, ["app", "other"], NOW) == problem


def test_client_id_counts_only_without_aud() -> None:
    claims = {k: v for k, v in GOOD.items() if k != "aud"}
    assert claims_problem({**claims, "client_id": "app"}, ISSUER, ["app"], NOW) is None
    assert claims_problem(claims, ISSUER, ["app"], NOW) == "the token does not have a valid audience"
    assert claims_problem(GOOD, None, ["app"], NOW) == "the token does not have a valid issuer"


@pytest.mark.parametrize(
    ("claims", "scopes"),
    [
        ({"scope": "a b  c"}, ["a", "b", "c"]),
        ({"scp": ["a", 7, "b"]}, ["a", "b"]),
        ({"scp": "a b"}, ["a", "b"]),
        ({"scope": "a", "scp": ["b"]}, ["a"]),
        ({}, []),
        ({"scope": 3}, []),
    ],
)
def test_token_scopes(claims: dict[str, Any], scopes: list[str]) -> None:
    assert token_scopes(claims) == scopes


def test_a_route_needs_any_one_of_its_scopes() -> None:
    assert has_scope(None, []) and has_scope([], ["x"])
    assert has_scope(["read", "admin"], ["admin"])
    assert not has_scope(["read"], ["write"]) and not has_scope(["read"], [])


def test_the_header_is_api_gateways() -> None:
    assert www_authenticate([], "invalid_token", "the token does not have a valid audience") == (
        'Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience"'
    )
    assert www_authenticate(["a", "b"], "insufficient_scope", 'say "x"') == (
        'Bearer scope="a b" error="insufficient_scope" error_description="say \\"x\\""'
    )


def test_claims_reach_the_integration_as_strings() -> None:
    assert claims_as_passed(
        {"s": "x", "n": 1598305188, "f": 1.0, "g": 1.5, "t": True, "l": ["admin", 2], "o": {"a": 1}, "z": None}
    ) == {"s": "x", "n": "1598305188", "f": "1", "g": "1.5", "t": "true", "l": "[admin 2]", "o": '{"a":1}', "z": "null"}
