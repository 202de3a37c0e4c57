"""``GET /lambent/health``: the sandbox mode and each of its protections, on or off, and why."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from lambent.api.render import json_response
from lambent.sandbox import Sandbox


class HealthApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox

    async def health(self, _request: Request) -> Response:
        return json_response(
            {
                "status": "ok",
                "sandbox": self._sandbox.name,
                "protections": [{"name": p.name, "active": p.active, "reason": p.reason} for p in self._sandbox.protections()],
            }
        )
