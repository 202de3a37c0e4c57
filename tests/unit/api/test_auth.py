"""The authentication middleware: a signed request reaches the app with its principal and its
body intact; anything else is answered in AWS's words before any route runs; ``auth = off``
attributes without checking."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

from lambent.api.auth import PRINCIPAL_SCOPE_KEY, Authentication, Principal, principal
from lambent.api.sigv4 import SignedRequest, Verifier
from lambent.clock import FakeClock
from lambent.settings import build_settings
from tests.fixtures.sigv4 import ACCOUNT, SESSION, SIGNED_AT, USER, Store, sign

ON = build_settings({}, {"account_id": ACCOUNT})
OFF = build_settings({}, {"account_id": ACCOUNT, "auth": "off"})
URL = "http://127.0.0.1:9000/2015-03-31/functions/fn/invocations?Qualifier=1"


class Outcome:
    def __init__(self) -> None:
        self.scope: dict[str, Any] | None = None
        self.body = b""
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.answer = b""


def through(request: SignedRequest | None, settings: Any = ON, path: str | None = None, chunks: int = 1) -> Outcome:
    """Send *request* (as received) through the middleware around an app that echoes what it got."""
    outcome = Outcome()
    clock = FakeClock(SIGNED_AT)
    verifier = Verifier(Store(USER, SESSION), clock, "us-east-1") if settings.auth == "on" else None
    body = request.body if request else b""
    scope = {
        "type": "http",
        "method": request.method if request else "GET",
        "path": path or (request.path if request else "/"),
        "raw_path": (path or (request.path if request else "/")).encode(),
        "query_string": (request.query if request else "").encode(),
        "headers": [
            (k if isinstance(k, bytes) else k.encode(), v if isinstance(v, bytes) else v.encode()) for k, v in request.headers
        ]
        if request
        else [],
    }
    size = max(1, -(-len(body) // chunks))
    pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages = [{"type": "http.request", "body": piece, "more_body": i < len(pieces) - 1} for i, piece in enumerate(pieces)]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def app(inner: MutableMapping[str, Any], inner_receive: Any, _send: Any) -> None:
        outcome.scope = dict(inner)
        while True:
            message = await inner_receive()
            outcome.body += message.get("body", b"")
            if not message.get("more_body"):
                break

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            outcome.status = message["status"]
            outcome.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        else:
            outcome.answer += message.get("body", b"")

    asyncio.run(Authentication(app, settings, verifier)(scope, receive, send))
    return outcome


def test_a_signed_request_reaches_the_app_with_its_principal_and_whole_body() -> None:
    body = json.dumps({"payload": "x" * 5000}).encode()
    outcome = through(sign("POST", URL, body=body, headers={"Content-Type": "application/json"}), chunks=3)
    assert outcome.status is None and outcome.scope is not None
    assert principal(outcome.scope) == Principal(
        account_id=ACCOUNT, arn=USER.principal_arn, access_key_id=USER.access_key_id, service="lambda", authenticated=True
    )
    assert outcome.body == body  # read once to verify, given to the app unchanged


def test_temporary_credentials_are_known_by_their_token() -> None:
    outcome = through(sign("GET", URL, credential=SESSION))
    assert outcome.scope is not None and principal(outcome.scope).arn == SESSION.principal_arn


def test_a_refusal_is_answered_before_the_app_in_lambdas_shape() -> None:
    outcome = through(sign("GET", URL, secret="not-the-secret-at-all-0000000000000000000"))
    assert outcome.scope is None and outcome.status == 403
    assert outcome.headers["x-amzn-errortype"] == "InvalidSignatureException"
    assert json.loads(outcome.answer)["message"].startswith("The request signature we calculated does not match")
    unsigned = through(SignedRequest(method="GET", path="/2015-03-31/functions", headers=[(b"host", b"x")]))
    assert unsigned.scope is None and unsigned.status == 403
    assert unsigned.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"


def test_a_json_11_request_is_refused_in_json_11() -> None:
    request = SignedRequest(
        method="POST", path="/", headers=[(b"host", b"x"), (b"x-amz-target", b"Logs_20140328.FilterLogEvents")]
    )
    outcome = through(request)
    assert outcome.status == 403 and outcome.headers["content-type"] == "application/x-amz-json-1.1"
    assert json.loads(outcome.answer) == {
        "__type": "MissingAuthenticationTokenException",
        "message": "Missing Authentication Token",
    }


def test_health_and_code_downloads_stay_open() -> None:
    for path in ("/lambent/health", "/lambent/code/abc.zip"):
        outcome = through(None, path=path)
        assert outcome.status is None and outcome.scope is not None
        assert principal(outcome.scope).authenticated is False


def test_auth_off_attributes_a_twelve_digit_key_to_its_account_and_checks_nothing() -> None:
    other = sign("GET", URL, secret="anything-at-all-00000000000000000000000")
    as_account = SignedRequest(
        method="GET",
        path="/2015-03-31/functions",
        headers=[(b"authorization", b"AWS4-HMAC-SHA256 Credential=210987654321/20260101/us-east-1/lambda/aws4_request, x")],
    )
    outcome = through(as_account, OFF)
    assert outcome.scope is not None and principal(outcome.scope) == Principal(
        account_id="210987654321", arn="arn:aws:iam::210987654321:root", access_key_id="210987654321", service="lambda"
    )
    assert principal(through(other, OFF).scope or {}).account_id == ACCOUNT
    assert principal(through(None, OFF).scope or {}).access_key_id is None


def test_lifespan_messages_pass_untouched() -> None:
    seen: dict[str, Any] = {}

    async def app(scope: MutableMapping[str, Any], _receive: Any, _send: Any) -> None:
        seen.update(scope)

    asyncio.run(Authentication(app, ON, None)({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert seen == {"type": "lifespan"} and PRINCIPAL_SCOPE_KEY not in seen
