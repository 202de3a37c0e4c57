"""HTTP API JWT authorizers against a real server and a real local issuer: the test serves an
OpenID configuration and a JWKS on 127.0.0.1 from its own thread, signs tokens with an RSA key
(cryptography, PyJWT), and checks what API Gateway checks: the signature against the issuer's
keys, ``iss``, ``aud`` (or ``client_id``), ``exp``, ``nbf``, the route's scopes; the claims
reaching the integration in 2.0 and 1.0; the keys fetched once, not per request."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.fixtures.http_apis import ECHO, allow_api, fn_arn
from tests.fixtures.server import Server, create
from tests.fixtures.urls import http

AUDIENCE = "my-app"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Issuer:
    """An OpenID provider's two documents, served on 127.0.0.1; it counts the JWKS fetches."""

    def __init__(self) -> None:
        jwk = json.loads(RSAAlgorithm.to_jwk(KEY.public_key()))
        self.jwks = {"keys": [{**jwk, "kid": "key-1", "use": "sig", "alg": "RS256"}]}
        self.jwks_fetches = 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body: Any
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/keys"}
                elif self.path == "/keys":
                    issuer.jwks_fetches += 1
                    body = issuer.jwks
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def token(self, key: Any = KEY, kid: str = "key-1", algorithm: str = "RS256", **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": self.url, "aud": AUDIENCE, "sub": "user-1", "iat": now, "exp": now + 300, **claims}
        return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm=algorithm, headers={"kid": kid})

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class Api(msgspec.Struct, frozen=True):
    api_id: str
    endpoint: str


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    served = Issuer()
    yield served
    served.stop()


@pytest.fixture(scope="module")
def api(server: Server, issuer: Issuer) -> Iterator[Api]:
    lam, gw = server.client(), server.client("apigatewayv2")
    create(lam, "jwt-echo", ECHO)
    made = gw.create_api(Name="jwt", ProtocolType="HTTP")
    api_id = made["ApiId"]
    v2, v1 = (
        gw.create_integration(
            ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=fn_arn("jwt-echo"), PayloadFormatVersion=version
        )["IntegrationId"]
        for version in ("2.0", "1.0")
    )
    authorizer = gw.create_authorizer(
        ApiId=api_id,
        Name="jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": issuer.url, "Audience": [AUDIENCE, "other-app"]},
    )["AuthorizerId"]
    for key, target, scopes in (("GET /me", v2, ["read", "admin"]), ("GET /any", v2, None), ("GET /v1/me", v1, None)):
        extra = {"AuthorizationScopes": scopes} if scopes else {}
        gw.create_route(
            ApiId=api_id, RouteKey=key, Target=f"integrations/{target}", AuthorizationType="JWT", AuthorizerId=authorizer, **extra
        )
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    allow_api(lam, "jwt-echo", api_id)
    yield Api(api_id, made["ApiEndpoint"])
    gw.delete_api(ApiId=api_id)


def get(api: Api, path: str, token: str | None) -> Any:
    return http("GET", f"{api.endpoint}{path}", headers={"Authorization": token} if token is not None else {})


def refused(response: Any) -> tuple[int, Any, str | None]:
    return response.status_code, response.json(), response.headers.get("www-authenticate")


def invalid(description: str, scope: str = "") -> tuple[int, Any, str]:
    return (
        401,
        {"message": "Unauthorized"},
        f'Bearer scope="{scope}" error="invalid_token" error_description="{description}"',
    )


def test_a_valid_token_reaches_the_integration_with_its_claims(api: Api, issuer: Issuer) -> None:
    token = issuer.token(scope="read write", groups=["admin", "dev"], email_verified=True)
    response = get(api, "/me", f"Bearer {token}")
    assert response.status_code == 200, response.text
    authorized = response.json()["requestContext"]["authorizer"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert authorized == {
        "jwt": {
            "claims": {
                "iss": issuer.url,
                "aud": AUDIENCE,
                "sub": "user-1",
                "iat": str(claims["iat"]),  # every value a string, as API Gateway passes them
                "exp": str(claims["exp"]),
                "scope": "read write",
                "groups": "[admin dev]",
                "email_verified": "true",
            },
            "scopes": ["read", "write"],
        }
    }
    assert get(api, "/any", token).status_code == 200  # "Bearer " is optional
    assert get(api, "/any", issuer.token(aud=None, client_id="other-app")).status_code == 200  # client_id without aud


def test_the_1_0_event_has_claims_and_scopes(api: Api, issuer: Issuer) -> None:
    response = get(api, "/v1/me", f"Bearer {issuer.token(scp=['read'])}")
    assert response.status_code == 200, response.text
    authorized = response.json()["requestContext"]["authorizer"]
    assert (authorized["claims"]["sub"], authorized["claims"]["scp"], authorized["scopes"]) == ("user-1", "[read]", ["read"])


def test_a_bad_token_is_401_with_the_reason_in_www_authenticate(api: Api, issuer: Issuer) -> None:
    past = int(time.time()) - 600
    assert refused(get(api, "/any", issuer.token(aud="someone-else"))) == invalid("the token does not have a valid audience")
    assert refused(get(api, "/me", issuer.token(aud="x", scope="read"))) == invalid(
        "the token does not have a valid audience", scope="read admin"
    )
    assert refused(get(api, "/any", issuer.token(aud=None, client_id="x", scope=None))) == invalid(
        "the token does not have a valid audience"
    )
    assert refused(get(api, "/any", issuer.token(iat=past, exp=past + 60))) == invalid("the token has expired")
    assert refused(get(api, "/any", issuer.token(iss="https://elsewhere.test"))) == invalid(
        "the token does not have a valid issuer"
    )
    assert refused(get(api, "/any", issuer.token(nbf=int(time.time()) + 600))) == invalid("the token is not valid yet (nbf)")
    assert refused(get(api, "/any", issuer.token(exp=None))) == invalid("the token has no valid expiry")
    assert refused(get(api, "/any", issuer.token(key=OTHER_KEY))) == invalid("the token's signature is invalid")
    assert refused(get(api, "/any", issuer.token(kid="key-2"))) == invalid("the token's key is not one of the issuer's")
    assert refused(get(api, "/any", issuer.token(key="a shared secret of 32 bytes or more", algorithm="HS256"))) == invalid(
        "signing method HS256 is invalid"
    )
    assert refused(get(api, "/any", "Bearer not.a.token")) == invalid("the token is malformed")
    assert refused(get(api, "/any", None)) == (401, {"message": "Unauthorized"}, None)  # no token at all


def test_a_token_without_the_routes_scopes_is_403(api: Api, issuer: Issuer) -> None:
    for scopes in (None, "write", ""):
        assert refused(get(api, "/me", issuer.token(scope=scopes))) == (
            403,
            {"message": "Forbidden"},
            'Bearer scope="read admin" error="insufficient_scope" error_description="expected scopes: [read admin]"',
        ), scopes
    assert get(api, "/me", issuer.token(scope="admin")).status_code == 200  # any one of them
    assert get(api, "/me", issuer.token(scp="write read")).status_code == 200


def test_the_issuers_keys_are_fetched_once(api: Api, issuer: Issuer) -> None:
    assert get(api, "/any", issuer.token()).status_code == 200
    before = issuer.jwks_fetches
    assert before >= 1
    for _ in range(3):
        assert get(api, "/any", issuer.token()).status_code == 200
    assert issuer.jwks_fetches == before
