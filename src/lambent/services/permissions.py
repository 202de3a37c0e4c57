"""Functions' resource-based policies: AddPermission, RemovePermission, GetPolicy, and the
policy an authorizer consults on Invoke (``policy_for``).

A policy belongs to one (function, qualifier), qualifier ``""`` being the unqualified function;
it changes under the function's lock, in the store first, then in the ``FunctionIndex``. It goes
with its version or alias (the functions and aliases services drop it) and with the function.

RevisionId: a policy that does not exist yet has the RevisionId of what it would belong to
($LATEST's for the unqualified function and $LATEST, the version's or the alias's), so the
RevisionId of GetFunction/GetAlias is accepted by a first AddPermission, as on AWS. Every
change then gives the policy a new RevisionId, which GetPolicy answers and Add/RemovePermission
check. (AWS moves the function's own RevisionId instead; Lambent's environments, provisioned
concurrency and SnapStart snapshots are keyed by a version's RevisionId, which a permission
must not move: see decision 0021.)
"""

from __future__ import annotations

import uuid

import msgspec

from lambent.errors import ResourceNotFoundException
from lambent.model.arns import LATEST, FunctionRef
from lambent.model.function import check_revision
from lambent.model.function_policy import (
    AddPermissionInput,
    FunctionPolicy,
    build_statement,
    check_policy_length,
    policy_text,
    statement_exists,
    statement_missing,
)
from lambent.services.function_index import FunctionIndex, IndexedFunction
from lambent.store import FunctionStore

_NO_POLICY = "No policy is associated with the given resource."


class PermissionService:
    def __init__(self, store: FunctionStore, index: FunctionIndex) -> None:
        self._store = store
        self._index = index

    def _owner_revision(self, function: IndexedFunction, ref: FunctionRef) -> str:
        """The RevisionId of the version or alias *ref* names; 404 when there is none."""
        qualifier = ref.qualifier or LATEST
        alias = function.aliases.get(qualifier)
        if alias is not None:
            return alias.revision_id
        version = function.versions.get(qualifier)
        if version is None:
            raise ResourceNotFoundException(f"Function not found: {self._index.arn(ref.name, ref.qualifier)}")
        return version.revision_id

    def _current(self, ref: FunctionRef) -> tuple[IndexedFunction, FunctionPolicy]:
        """The function and the policy of *ref* (an empty one, not stored, when it has none)."""
        function = self._index.function(ref.name, ref.qualifier)
        revision = self._owner_revision(function, ref)
        key = ref.qualifier or ""
        policy = function.policies.get(key)
        if policy is None:
            policy = FunctionPolicy(function_name=ref.name, qualifier=key, revision_id=revision)
        return function, policy

    async def add_permission(self, ref: FunctionRef, request: AddPermissionInput) -> dict[str, object]:
        """Add the statement *request* describes to *ref*'s policy; the statement."""
        async with self._index.lock(ref.name):
            function, policy = self._current(ref)
            if request.statement_id in policy.sids():  # AWS looks at the id before the revision
                raise statement_exists(request.statement_id)
            check_revision(request.revision_id, policy.revision_id)
            statement = build_statement(request, self._index.arn(ref.name, ref.qualifier))
            statements = (*policy.statements, statement)
            check_policy_length(policy_text(statements))
            updated = msgspec.structs.replace(policy, statements=statements, revision_id=str(uuid.uuid4()))
            await self._store.put_function_policy(updated)
            function.policies[updated.qualifier] = updated
        return statement

    async def remove_permission(self, ref: FunctionRef, statement_id: str, revision_id: str | None) -> None:
        async with self._index.lock(ref.name):
            function, policy = self._current(ref)
            if not policy.statements:
                raise ResourceNotFoundException(_NO_POLICY)
            if statement_id not in policy.sids():
                raise statement_missing(statement_id)
            check_revision(revision_id, policy.revision_id)
            statements = tuple(s for s in policy.statements if s["Sid"] != statement_id)
            if statements:
                updated = msgspec.structs.replace(policy, statements=statements, revision_id=str(uuid.uuid4()))
                await self._store.put_function_policy(updated)
                function.policies[updated.qualifier] = updated
            else:  # the last statement: the policy goes (GetPolicy answers 404 again)
                await self._store.delete_function_policy(ref.name, policy.qualifier)
                function.policies.pop(policy.qualifier, None)

    def get_policy(self, ref: FunctionRef) -> tuple[str, str]:
        """(policy JSON text, RevisionId) of *ref*; 404 when it has no policy."""
        _function, policy = self._current(ref)
        if not policy.statements:
            raise ResourceNotFoundException("The resource you requested does not exist.")
        return policy_text(policy.statements), policy.revision_id

    async def policy_for(self, name: str, qualifier: str | None) -> str | None:
        """The policy JSON text of *name* (unqualified: ``None`` or ``""``) or *name*:*qualifier*;
        None when there is no such function or it has no policy there. For the authorizer."""
        if name not in self._index:
            return None
        policy = self._index.function(name).policies.get(qualifier or "")
        return policy_text(policy.statements) if policy is not None and policy.statements else None
