"""IAM: users and their access keys, roles, inline policies, managed policy attachments, and the
policies in force for a principal.

Every method works within one account (the caller's) and raises the IAM errors AWS raises, in
its words. Users and roles are read, changed and written back by compare-and-set (the store's
``expected``), so concurrent changes are never lost: a lost race is retried. Access keys are
the ``IdentityService``'s (sealed secrets, the verifier's cache); this service only owns who
may hold them. Authorization of the calls themselves is not here: the edge authorizes every
IAM call before it reaches this service.

``policies_of`` is what authorization reads: a user's inline and attached documents; for a role
session (``arn:aws:sts::ACCT:assumed-role/ROLE/SESSION``) its role's; for an account's root none
(the root is not governed by identity policies).
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

import msgspec

from lambent.clock import Clock
from lambent.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity, ValidationError
from lambent.model.identity import KEY_ALPHABET, AccessKey, Credential, Role, User
from lambent.model.managed_policy import ManagedPolicy, PolicyVersion, check_document
from lambent.services.iam_policies import PolicyCatalog
from lambent.services.identity import IdentityService
from lambent.store import IdentityStore

Kind = Literal["user", "role"]
_Entity = TypeVar("_Entity", User, Role)
#: AWS's quota of access keys per user.
ACCESS_KEYS_PER_USER = 2
_CAS_ATTEMPTS = 5


def _entity_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(KEY_ALPHABET) for _ in range(17))


def _missing(kind: Kind, name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The {kind} with name {name} cannot be found.")


class IamService:
    def __init__(self, store: IdentityStore, identity: IdentityService, catalog: PolicyCatalog, *, clock: Clock) -> None:
        self._store = store
        self._identity = identity
        self.catalog = catalog
        self._clock = clock

    def now(self) -> str:
        return datetime.datetime.fromtimestamp(self._clock.time(), datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    # -- users and roles, alike ------------------------------------------------------------

    async def _get(self, kind: Kind, account_id: str, name: str) -> User | Role:
        found = await (self._store.user if kind == "user" else self._store.role)(account_id, name)
        if found is None:
            raise _missing(kind, name)
        return found

    async def _change(self, kind: Kind, account_id: str, name: str, change: Callable[[_Entity], _Entity]) -> _Entity:
        """Apply *change* to the entity and store it, again if another writer came first."""
        put: Callable[..., Awaitable[None]] = self._store.put_user if kind == "user" else self._store.put_role
        for _ in range(_CAS_ATTEMPTS):
            current = await self._get(kind, account_id, name)
            changed = change(current)  # type: ignore[arg-type]
            try:
                await put(changed, current)
                return changed
            except LookupError:
                continue
        raise LookupError(f"{kind} {name} kept changing")

    async def create_user(self, account_id: str, name: str, path: str, tags: dict[str, str]) -> User:
        user = User(account_id=account_id, name=name, user_id=_entity_id("AIDA"), path=path, created=self.now(), tags=tags)
        try:
            await self._store.put_user(user, None)
        except KeyError:
            raise EntityAlreadyExists(f"User with name {name} already exists.") from None
        return user

    async def get_user(self, account_id: str, name: str | None, caller_arn: str) -> User:
        """The user *name*, or (None) the caller: an IAM user, or the account's root as AWS
        describes it (its account id as UserId, no name)."""
        if name is None:
            if caller_arn.endswith(":root"):
                return User(account_id=account_id, name="", user_id=account_id, path="/", created=self.now())
            if ":user/" not in caller_arn:
                raise ValidationError("Must specify userName when calling with non-User credentials")
            name = caller_arn.rsplit("/", 1)[-1]
        user = await self._get("user", account_id, name)
        assert isinstance(user, User)
        return user

    async def list_users(self, account_id: str, path_prefix: str) -> list[User]:
        return [u for u in await self._store.users(account_id) if u.path.startswith(path_prefix)]

    async def delete_user(self, account_id: str, name: str) -> None:
        user = await self._get("user", account_id, name)
        if await self._store.access_keys(user.arn):
            raise DeleteConflict("Cannot delete entity, must delete access keys first.")
        self._refuse_delete_with_policies(user)
        await self._store.delete_user(account_id, name)

    @staticmethod
    def _refuse_delete_with_policies(entity: User | Role) -> None:
        if entity.inline_policies:
            raise DeleteConflict("Cannot delete entity, must delete policies first.")
        if entity.attached_policies:
            raise DeleteConflict("Cannot delete entity, must detach all policies first.")

    async def create_role(
        self,
        account_id: str,
        name: str,
        path: str,
        assume_role_policy: str,
        description: str | None,
        max_session_duration_s: int,
        tags: dict[str, str],
    ) -> Role:
        check_document(assume_role_policy, "trust")
        role = Role(
            account_id=account_id,
            name=name,
            role_id=_entity_id("AROA"),
            path=path,
            created=self.now(),
            assume_role_policy=assume_role_policy,
            description=description,
            max_session_duration_s=max_session_duration_s,
            tags=tags,
        )
        try:
            await self._store.put_role(role, None)
        except KeyError:
            raise EntityAlreadyExists(f"Role with name {name} already exists.") from None
        return role

    async def get_role(self, account_id: str, name: str) -> Role:
        role = await self._get("role", account_id, name)
        assert isinstance(role, Role)
        return role

    async def list_roles(self, account_id: str, path_prefix: str) -> list[Role]:
        return [r for r in await self._store.roles(account_id) if r.path.startswith(path_prefix)]

    async def delete_role(self, account_id: str, name: str) -> None:
        self._refuse_delete_with_policies(await self._get("role", account_id, name))
        await self._store.delete_role(account_id, name)

    async def update_assume_role_policy(self, account_id: str, name: str, document: str) -> None:
        check_document(document, "trust")
        await self._change("role", account_id, name, lambda r: msgspec.structs.replace(r, assume_role_policy=document))

    # -- access keys ---------------------------------------------------------------------

    async def _user_arn(self, account_id: str, name: str | None, caller_arn: str) -> str:
        return (await self.get_user(account_id, name, caller_arn)).arn if name or ":user/" in caller_arn else caller_arn

    async def create_access_key(self, account_id: str, user: str | None, caller_arn: str) -> tuple[Credential, str]:
        """A new key of *user* (None: the caller), and the user's name (AWS answers it)."""
        arn = await self._user_arn(account_id, user, caller_arn)
        if len(await self._store.access_keys(arn)) >= ACCESS_KEYS_PER_USER:
            raise LimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_PER_USER}")
        return await self._identity.create_access_key(account_id, arn), arn.rsplit("/", 1)[-1]

    async def list_access_keys(self, account_id: str, user: str | None, caller_arn: str) -> tuple[list[AccessKey], str]:
        arn = await self._user_arn(account_id, user, caller_arn)
        return await self._store.access_keys(arn), arn.rsplit("/", 1)[-1]

    async def _key(self, account_id: str, user: str | None, caller_arn: str, key_id: str) -> AccessKey:
        arn = await self._user_arn(account_id, user, caller_arn)
        key = await self._store.access_key(key_id)
        if key is None or key.principal_arn != arn:
            raise NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")
        return key

    async def delete_access_key(self, account_id: str, user: str | None, caller_arn: str, key_id: str) -> None:
        await self._key(account_id, user, caller_arn, key_id)
        await self._identity.delete_access_key(key_id)

    async def update_access_key(self, account_id: str, user: str | None, caller_arn: str, key_id: str, status: str) -> None:
        key = await self._key(account_id, user, caller_arn, key_id)
        await self._store.put_access_key(msgspec.structs.replace(key, status=status))
        self._identity.forget(key_id)

    # -- inline policies -----------------------------------------------------------------

    async def put_inline(self, kind: Kind, account_id: str, name: str, policy: str, document: str) -> None:
        check_document(document)
        await self._change(
            kind, account_id, name, lambda e: msgspec.structs.replace(e, inline_policies={**e.inline_policies, policy: document})
        )

    async def get_inline(self, kind: Kind, account_id: str, name: str, policy: str) -> str:
        entity = await self._get(kind, account_id, name)
        if policy not in entity.inline_policies:
            raise NoSuchEntity(f"The {kind} policy with name {policy} cannot be found.")
        return entity.inline_policies[policy]

    async def delete_inline(self, kind: Kind, account_id: str, name: str, policy: str) -> None:
        await self.get_inline(kind, account_id, name, policy)
        await self._change(
            kind,
            account_id,
            name,
            lambda e: msgspec.structs.replace(e, inline_policies={k: v for k, v in e.inline_policies.items() if k != policy}),
        )

    async def list_inline(self, kind: Kind, account_id: str, name: str) -> list[str]:
        return sorted((await self._get(kind, account_id, name)).inline_policies)

    # -- managed policies ------------------------------------------------------------------

    async def attach(self, kind: Kind, account_id: str, name: str, policy_arn: str) -> None:
        await self._get(kind, account_id, name)
        await self.catalog.get(policy_arn)
        await self._change(
            kind,
            account_id,
            name,
            lambda e: (
                e
                if policy_arn in e.attached_policies
                else msgspec.structs.replace(e, attached_policies=(*e.attached_policies, policy_arn))
            ),
        )

    async def detach(self, kind: Kind, account_id: str, name: str, policy_arn: str) -> None:
        if policy_arn not in (await self._get(kind, account_id, name)).attached_policies:
            raise NoSuchEntity(f"Policy {policy_arn} was not found.")
        await self._change(
            kind,
            account_id,
            name,
            lambda e: msgspec.structs.replace(e, attached_policies=tuple(a for a in e.attached_policies if a != policy_arn)),
        )

    async def attached(self, kind: Kind, account_id: str, name: str) -> list[ManagedPolicy]:
        entity = await self._get(kind, account_id, name)
        found = [await self.catalog.find(arn) for arn in entity.attached_policies]
        return [p for p in found if p is not None]

    async def attachment_counts(self, account_id: str) -> dict[str, int]:
        """Policy ARN -> how many of the account's users and roles attach it."""
        counts: dict[str, int] = {}
        entities: list[User | Role] = [*await self._store.users(account_id), *await self._store.roles(account_id)]
        for entity in entities:
            for arn in entity.attached_policies:
                counts[arn] = counts.get(arn, 0) + 1
        return counts

    async def create_policy(
        self, account_id: str, name: str, path: str, document: str, description: str | None, tags: dict[str, str]
    ) -> ManagedPolicy:
        return await self.catalog.create(account_id, name, path, document, description, tags, self.now())

    async def create_policy_version(self, arn: str, document: str, set_default: bool) -> PolicyVersion:
        return await self.catalog.add_version(arn, document, set_default, self.now())

    async def list_policies(self, account_id: str, scope: str, only_attached: bool) -> list[tuple[ManagedPolicy, int]]:
        counts = await self.attachment_counts(account_id)
        listed = [(p, counts.get(p.arn, 0)) for p in await self.catalog.listed(account_id, scope)]
        return [(p, n) for p, n in listed if n or not only_attached]

    async def get_policy(self, account_id: str, arn: str) -> tuple[ManagedPolicy, int]:
        return await self.catalog.get(arn), (await self.attachment_counts(account_id)).get(arn, 0)

    async def delete_policy(self, account_id: str, arn: str) -> None:
        await self.catalog.get(arn)
        if (await self.attachment_counts(account_id)).get(arn):
            raise DeleteConflict("Cannot delete a policy attached to entities.")
        await self.catalog.delete(arn)

    # -- what authorization reads ----------------------------------------------------------

    async def policies_of(self, principal_arn: str) -> list[str]:
        """The identity policy documents in force for *principal_arn* (user: inline + attached;
        role session: its role's; root or unknown: none)."""
        parts = principal_arn.split(":", 5)
        if len(parts) != 6:
            return []
        account_id, resource = parts[4], parts[5]
        entity: User | Role | None = None
        if parts[2] == "iam" and resource.startswith("user/"):
            entity = await self._store.user(account_id, resource.rsplit("/", 1)[-1])
            if entity is not None and entity.arn != principal_arn:
                entity = None
        elif parts[2] == "sts" and resource.startswith("assumed-role/"):
            role_name = resource.split("/")[1]
            entity = await self._store.role(account_id, role_name)
        if entity is None:
            return []
        documents = list(entity.inline_policies.values())
        for arn in entity.attached_policies:
            policy = await self.catalog.find(arn)
            if policy is not None:
                documents.append(policy.document)
        return documents
