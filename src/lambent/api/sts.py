"""The STS API (query protocol): GetCallerIdentity and AssumeRole, parse -> one service call ->
render, as ``api.iam`` does."""

from __future__ import annotations

from lambent.api.auth import Principal
from lambent.api.iam import Handler, Params
from lambent.services.sts import StsService

#: AWS's default AssumeRole session length.
DEFAULT_DURATION_S = 3600


class StsApi:
    def __init__(self, sts: StsService) -> None:
        self._sts = sts
        # fmt: off
        self.actions: dict[str, Handler] = {
            "GetCallerIdentity": self._get_caller_identity,
            "AssumeRole":        self._assume_role,
        }
        # fmt: on

    async def _get_caller_identity(self, p: Params, caller: Principal) -> Params:
        found = await self._sts.caller_identity(caller.account_id, caller.arn)
        return {"UserId": found.user_id, "Account": found.account, "Arn": found.arn}

    async def _assume_role(self, p: Params, caller: Principal) -> Params:
        assumed = await self._sts.assume_role(
            caller.account_id,
            caller.arn,
            p["RoleArn"],
            p["RoleSessionName"],
            p.get("DurationSeconds", DEFAULT_DURATION_S),
            check_trust=caller.authenticated,
        )
        credential = assumed.credential
        return {
            "Credentials": {
                "AccessKeyId": credential.access_key_id,
                "SecretAccessKey": credential.secret_access_key,
                "SessionToken": credential.session_token,
                "Expiration": credential.expires_at,
            },
            "AssumedRoleUser": {"AssumedRoleId": assumed.assumed_role_id, "Arn": assumed.arn},
        }
