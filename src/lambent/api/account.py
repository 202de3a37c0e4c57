"""GetAccountSettings (2016-08-19): the account's limits and what its functions use."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from lambent.api.render import json_response
from lambent.services.account import AccountService
from lambent.settings import Settings


class AccountApi:
    def __init__(self, settings: Settings, account: AccountService) -> None:
        self._settings = settings
        self._account = account

    async def settings(self, _request: Request) -> Response:
        return json_response(self._account.settings(self._settings.concurrency_limit))
