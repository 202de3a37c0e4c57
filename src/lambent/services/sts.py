"""STS: who is calling (GetCallerIdentity) and role sessions (AssumeRole).

AssumeRole issues temporary credentials (``ASIA...`` and a self-contained session token, see
``services.identity``) for ``arn:aws:sts::ACCT:assumed-role/ROLE/SESSION``, valid for the asked
duration within the role's ``MaxSessionDuration``. It refuses as AWS does: a role that does not
exist and a trust policy that does not name the caller are both ``AccessDeniedException`` (code ``AccessDenied``) "not authorized
to perform: sts:AssumeRole" (the caller cannot tell them apart), an account's root may not
assume roles, and a duration past the role's maximum is a ``ValidationError``.

The trust policy is the role's resource policy, evaluated with the caller's identity policies by
``services.access`` (``model.iam_policy``): one that names the caller (or its role) suffices in
its account; one that names only the caller's account needs the caller's policies to allow
``sts:AssumeRole`` too; a caller from another account needs both.
"""

from __future__ import annotations

import msgspec

from lambent.errors import AccessDeniedException, ValidationError
from lambent.model.iam_policy import Caller
from lambent.model.identity import Credential, assumed_role_arn, root_arn, session_role_arn
from lambent.services.access import Access
from lambent.services.identity import IdentityService
from lambent.store import IdentityStore


class CallerIdentity(msgspec.Struct, frozen=True, kw_only=True):
    account: str
    arn: str
    #: AIDA... for a user, the account id for its root, AROA...:SESSION for a role session.
    user_id: str


class AssumedRole(msgspec.Struct, frozen=True, kw_only=True):
    credential: Credential
    #: AROA...:SESSION
    assumed_role_id: str
    arn: str


class StsService:
    def __init__(self, store: IdentityStore, identity: IdentityService, access: Access) -> None:
        self._store = store
        self._identity = identity
        self._access = access

    async def caller_identity(self, account_id: str, arn: str) -> CallerIdentity:
        parts = arn.split(":", 5)
        user_id = account_id
        if len(parts) == 6 and parts[2] == "iam" and parts[5].startswith("user/"):
            user = await self._store.user(account_id, parts[5].rsplit("/", 1)[-1])
            user_id = user.user_id if user is not None else user_id
        elif len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
            _, role_name, session = parts[5].split("/", 2)
            role = await self._store.role(account_id, role_name)
            user_id = f"{role.role_id if role is not None else 'AROA'}:{session}"
        return CallerIdentity(account=account_id, arn=arn or root_arn(account_id), user_id=user_id)

    async def assume_role(
        self, caller_account: str, caller_arn: str, target_arn: str, session_name: str, duration_s: int, check_trust: bool
    ) -> AssumedRole:
        """A session of *target_arn* for the caller. *check_trust* False (``auth = off``, where
        any caller may do anything) skips the root and trust policy refusals."""
        denied = AccessDeniedException(
            f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {target_arn}"
        )
        parts = target_arn.split(":", 5)
        if len(parts) != 6 or parts[:3] != ["arn", "aws", "iam"] or not parts[5].startswith("role/"):
            raise ValidationError(f"{target_arn} is invalid")
        role = await self._store.role(parts[4], parts[5].rsplit("/", 1)[-1])
        if role is None or role.arn != target_arn:
            raise denied
        if check_trust:
            if caller_arn.endswith(":root"):
                raise AccessDeniedException("Roles may not be assumed by root accounts.")
            caller = Caller(arn=caller_arn, account_id=caller_account, role_arn=session_role_arn(caller_arn))
            try:
                await self._access.authorize(
                    caller,
                    "sts:AssumeRole",
                    role.arn,
                    resource_account=role.account_id,
                    resource_policy=role.assume_role_policy,
                    kind="trust",
                )
            except AccessDeniedException:
                raise denied from None
        if duration_s > role.max_session_duration_s:
            raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        arn = assumed_role_arn(role.account_id, role.name, session_name)
        credential = self._identity.issue_temporary(role.account_id, arn, duration_s)
        return AssumedRole(credential=credential, assumed_role_id=f"{role.role_id}:{session_name}", arn=arn)
