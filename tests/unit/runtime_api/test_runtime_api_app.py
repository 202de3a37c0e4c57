"""The Runtime API's answers for paths and environments it does not serve (in-process ASGI)."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

from lambent.runtime_api.app import runtime_api


def call(method: str, path: str, scope_extra: dict[str, Any] | None = None) -> tuple[int, bytes]:
    sent: list[MutableMapping[str, Any]] = []
    scope = {"type": "http", "method": method, "path": path, "headers": [], "query_string": b"", **(scope_extra or {})}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(runtime_api(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_an_environment_without_a_runtime_api_answers_404_not_found() -> None:
    status, body = call("GET", "/2018-06-01/runtime/invocation/next")
    assert (status, body) == (404, b'{"errorMessage":"No such Runtime API path","errorType":"NotFound"}')


def test_an_unknown_path_answers_404_not_found() -> None:
    assert call("GET", "/2018-06-01/nope") == (404, b'{"errorMessage":"No such Runtime API path","errorType":"NotFound"}')


def test_a_wrong_method_answers_aws_json_405() -> None:
    status, body = call("POST", "/2018-06-01/runtime/invocation/next")
    assert (status, body) == (405, b'{"errorMessage":"POST is not allowed here","errorType":"MethodNotAllowed"}')
