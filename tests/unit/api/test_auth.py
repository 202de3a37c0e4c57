"""Authentication middleware: every HTTP request gets its Principal in the scope, under one key."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

from lambent.api.auth import PRINCIPAL_SCOPE_KEY, Authentication, Principal, principal
from lambent.settings import build_settings

SETTINGS = build_settings({}, {"account_id": "123456789012"})
SIGNED = b"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host"


def through_middleware(scope: dict[str, Any]) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def app(inner: MutableMapping[str, Any], _receive: Any, _send: Any) -> None:
        seen.update(inner)

    async def nothing() -> dict[str, Any]:
        return {}

    async def ignore(_message: Any) -> None:
        return None

    asyncio.run(Authentication(app, SETTINGS)(scope, nothing, ignore))
    return seen


def test_a_signed_request_is_attributed_to_the_account_and_its_access_key() -> None:
    seen = through_middleware({"type": "http", "headers": [(b"host", b"x"), (b"authorization", SIGNED)]})
    assert principal(seen) == Principal(account_id="123456789012", access_key_id="AKIDEXAMPLE")
    assert seen[PRINCIPAL_SCOPE_KEY] is principal(seen)


def test_an_unsigned_request_still_has_a_principal_without_a_key() -> None:
    seen = through_middleware({"type": "http", "headers": []})
    assert principal(seen) == Principal(account_id="123456789012", access_key_id=None)


def test_lifespan_messages_pass_untouched() -> None:
    assert PRINCIPAL_SCOPE_KEY not in through_middleware({"type": "lifespan"})
