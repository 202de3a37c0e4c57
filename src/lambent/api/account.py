"""GetAccountSettings (2016-08-19): the account's limits and what its functions use."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from lambent.api.cells import RequestCells
from lambent.api.render import json_response
from lambent.settings import Settings


class AccountApi:
    def __init__(self, settings: Settings, cells: RequestCells) -> None:
        self._settings = settings
        self._cells = cells

    async def settings(self, request: Request) -> Response:
        cell = await self._cells.of(request.scope)
        return json_response(cell.settings.settings(self._settings.concurrency_limit))
