"""Lambent's own account operations (``/lambent/2026-11-27/accounts``): several accounts on one
server, each with its administrator, as ``lambent account create`` makes them.

AWS makes accounts with AWS Organizations; Lambent keeps to one operation, authorized as
``lambent:CreateAccount`` on ``*`` in the server's default account (its administrator may; the
administrators of the accounts it makes may not make more). The answer is the new account's
``admin`` key, shown this once.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.render import json_response
from lambent.errors import InvalidParameterValueException
from lambent.model.identity import ACCOUNT_ID, ADMIN_USER, user_arn
from lambent.model.limits import BUDGET_REQUEST_LIMIT_BYTES
from lambent.services.identity import IdentityService


class AccountsApi:
    def __init__(self, identity: IdentityService) -> None:
        self._identity = identity

    async def create(self, request: Request) -> Response:
        document = await inputs.json_body(request, BUDGET_REQUEST_LIMIT_BYTES, "CreateAccount")
        wanted = document.get("AccountId")
        if wanted is not None and not (isinstance(wanted, str) and ACCOUNT_ID.fullmatch(wanted)):
            raise InvalidParameterValueException("AccountId must be 12 digits.")
        credential = await self._identity.create_account(wanted)
        return json_response(
            {
                "AccountId": credential.account_id,
                "UserArn": user_arn(credential.account_id, ADMIN_USER),
                "AccessKeyId": credential.access_key_id,
                "SecretAccessKey": credential.secret_access_key,
            },
            201,
        )

    async def list(self, _request: Request) -> Response:
        accounts = await self._identity.accounts()
        return json_response({"Accounts": [{"AccountId": a.account_id, "Created": a.created} for a in accounts]})
