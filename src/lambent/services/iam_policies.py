"""Managed policies: the customer managed ones of each account (in the store) and AWS's own.

AWS managed policies are read once from ``aws_managed_policies.json``, which holds the real
default-version documents of the ones Lambda users attach (the Lambda execution and access
policies, AdministratorAccess), with their ARNs (``service-role/`` paths where AWS has them).
They are the same in every account and cannot be changed or deleted. Customer managed policies
keep up to ``MAX_POLICY_VERSIONS`` versions, one the default.

The catalog knows nothing of attachments: ``IamService`` counts them and refuses to delete an
attached policy before calling ``delete``.
"""

from __future__ import annotations

import importlib.resources
import json
import secrets
from typing import Any

import msgspec

from lambent.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from lambent.model.identity import KEY_ALPHABET
from lambent.model.managed_policy import (
    AWS_ACCOUNT,
    MAX_POLICY_VERSIONS,
    ManagedPolicy,
    PolicyVersion,
    check_document,
)
from lambent.store import IdentityStore


def _load_aws_policies() -> dict[str, ManagedPolicy]:
    data: dict[str, Any] = json.loads(
        importlib.resources.files("lambent.services").joinpath("aws_managed_policies.json").read_text()
    )
    found = {}
    for entry in data["policies"]:
        version = PolicyVersion(
            version_id=entry["DefaultVersionId"], document=json.dumps(entry["Document"], indent=4), created=entry["UpdateDate"]
        )
        policy = ManagedPolicy(
            account_id=AWS_ACCOUNT,
            name=entry["PolicyName"],
            # A stable id per policy, in AWS's form (ANPA + 17), derived from its name.
            policy_id="ANPA" + "".join(KEY_ALPHABET[b % 32] for b in entry["PolicyName"].encode().ljust(17, b"A")[:17]),
            path=entry["Path"],
            created=entry["CreateDate"],
            updated=entry["UpdateDate"],
            default_version=entry["DefaultVersionId"],
            versions=(version,),
            description=entry["Description"],
        )
        found[policy.arn] = policy
    return found


def _not_found(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")


def _name_of(arn: str) -> tuple[str, str]:
    """(account, name) of a policy ARN, or ("", "") if it is not one."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "iam"] or not parts[5].startswith("policy/"):
        return "", ""
    return parts[4], parts[5].rsplit("/", 1)[-1]


class PolicyCatalog:
    def __init__(self, store: IdentityStore) -> None:
        self._store = store
        self.aws = _load_aws_policies()

    async def find(self, arn: str) -> ManagedPolicy | None:
        """The policy *arn* names (AWS's or an account's), or None."""
        if arn in self.aws:
            return self.aws[arn]
        account, name = _name_of(arn)
        if not account or account == AWS_ACCOUNT:
            return None
        found = await self._store.policy(account, name)
        return found if found is not None and found.arn == arn else None

    async def get(self, arn: str) -> ManagedPolicy:
        found = await self.find(arn)
        if found is None:
            raise _not_found(arn)
        return found

    async def version(self, arn: str, version_id: str) -> tuple[ManagedPolicy, PolicyVersion]:
        policy = await self.get(arn)
        version = policy.version(version_id)
        if version is None:
            raise NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")
        return policy, version

    async def listed(self, account_id: str, scope: str) -> list[ManagedPolicy]:
        """``All``, ``AWS`` or ``Local`` (the account's own) policies, by name."""
        found: list[ManagedPolicy] = []
        if scope in ("All", "AWS"):
            found.extend(self.aws.values())
        if scope in ("All", "Local"):
            found.extend(await self._store.policies(account_id))
        return sorted(found, key=lambda p: p.name)

    async def create(
        self, account_id: str, name: str, path: str, document: str, description: str | None, tags: dict[str, str], now: str
    ) -> ManagedPolicy:
        check_document(document)
        policy = ManagedPolicy(
            account_id=account_id,
            name=name,
            policy_id="ANPA" + "".join(secrets.choice(KEY_ALPHABET) for _ in range(17)),
            path=path,
            created=now,
            updated=now,
            default_version="v1",
            versions=(PolicyVersion(version_id="v1", document=document, created=now),),
            description=description,
            tags=tags,
        )
        try:
            await self._store.put_policy(policy, None)
        except KeyError:
            raise EntityAlreadyExists(f"A policy called {name} already exists. Duplicate names are not allowed.") from None
        return policy

    async def _own(self, arn: str) -> ManagedPolicy:
        policy = await self.get(arn)
        if policy.account_id == AWS_ACCOUNT:
            raise _not_found(arn)  # AWS managed policies are AWS's to change
        return policy

    async def add_version(self, arn: str, document: str, set_default: bool, now: str) -> PolicyVersion:
        check_document(document)
        policy = await self._own(arn)
        if len(policy.versions) >= MAX_POLICY_VERSIONS:
            raise LimitExceeded(f"A managed policy can have up to {MAX_POLICY_VERSIONS} versions. Before you create a new "
                                "version, you must delete an existing version.")  # fmt: skip
        number = max(int(v.version_id[1:]) for v in policy.versions) + 1
        version = PolicyVersion(version_id=f"v{number}", document=document, created=now)
        replaced = msgspec.structs.replace(
            policy,
            versions=(*policy.versions, version),
            default_version=version.version_id if set_default else policy.default_version,
            updated=now,
        )
        await self._store.put_policy(replaced, policy)
        return version

    async def set_default(self, arn: str, version_id: str, now: str) -> None:
        policy = await self._own(arn)
        await self.version(arn, version_id)
        await self._store.put_policy(msgspec.structs.replace(policy, default_version=version_id, updated=now), policy)

    async def delete_version(self, arn: str, version_id: str) -> None:
        policy = await self._own(arn)
        await self.version(arn, version_id)
        if version_id == policy.default_version:
            raise DeleteConflict("Cannot delete the default version of a policy.")
        kept = tuple(v for v in policy.versions if v.version_id != version_id)
        await self._store.put_policy(msgspec.structs.replace(policy, versions=kept), policy)

    async def delete(self, arn: str) -> None:
        """Delete a customer managed policy (the caller checked that nothing attaches it)."""
        policy = await self._own(arn)
        await self._store.delete_policy(policy.account_id, policy.name)
