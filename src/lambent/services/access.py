"""Authorization: whether a caller may perform an action on a resource, decided as IAM decides.

Guarantees: a request is let through only when ``model.iam_policy.evaluate`` allows it on the
caller's identity policies (for a role session, its role's) and the resource's policy: an
explicit Deny anywhere refuses; the root of an account may do anything to that account's
resources unless denied; a caller from another account needs both its own identity policies
and the resource's policy; a service principal (a trigger) only the resource's policy. A refusal
is ``AccessDeniedException`` in IAM's words. With authentication off (decision 0017) nothing is
checked: that mode is permissive by definition.

A principal's identity policies are looked up through ``IdentityPolicies`` and kept for
``CACHE_TTL_S`` (the credential cache's window: a policy change reaches every node within it);
parsed documents are kept by their text.

Decisions are kept too, beside the policies they were made on: ``evaluate`` is a pure function
of the request (caller, action, resource, its account, the condition context), the identity
policies and the resource's policy text, so a decision looked up on all of those is the decision
evaluating would make. They go with the principal's entry (after ``CACHE_TTL_S``, or ``forget``
on an IAM change), at most ``_DECISIONS_LIMIT`` per principal.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Protocol

from lambent.clock import Clock
from lambent.errors import AccessDeniedException
from lambent.model.iam_conditions import ContextValue
from lambent.model.iam_policy import Caller, Kind, MalformedPolicy, Policy, Request, denial_message, evaluate, parse

#: Seconds a principal's identity policies are trusted without asking again.
CACHE_TTL_S = 10.0
_CACHE_LIMIT = 4096
_DECISIONS_LIMIT = 512


def _frozen(context: Mapping[str, ContextValue] | None) -> list[tuple[str, object]]:
    """*context* as part of a decision's key (a list value as a tuple), in key order."""
    return sorted((k, v if isinstance(v, str | bool | int) else tuple(v)) for k, v in (context or {}).items())


class _Entry:
    """A principal's identity policies, when they were read, and the decisions made on them."""

    __slots__ = ("at", "decisions", "policies")

    def __init__(self, at: float, policies: tuple[Policy, ...]) -> None:
        self.at = at
        self.policies = policies
        self.decisions: dict[tuple[object, ...], str | None] = {}  # key -> None (allowed) or the denial


class IdentityPolicies(Protocol):
    async def policies_of(self, principal_arn: str) -> list[str]:
        """The policy documents (JSON text) that apply to *principal_arn*: a user's inline and
        attached ones; for an assumed-role session, its role's; none for an account's root."""
        ...


@functools.lru_cache(maxsize=1024)
def _parsed(text: str, kind: Kind) -> Policy | None:
    try:
        return parse(text, kind=kind)
    except MalformedPolicy:
        return None  # stored documents were checked when written; a bad one grants nothing


class Access:
    def __init__(self, policies: IdentityPolicies, *, clock: Clock, enabled: bool = True) -> None:
        self._policies = policies
        self._clock = clock
        self.enabled = enabled
        self._cache: dict[str, _Entry] = {}

    async def identity_policies(self, caller: Caller) -> tuple[Policy, ...]:
        return (await self._entry(caller)).policies if caller.account_id is not None else ()

    async def _entry(self, caller: Caller) -> _Entry:
        now = self._clock.monotonic()
        cached = self._cache.get(caller.arn)
        if cached is not None and now - cached.at < CACHE_TTL_S:
            return cached
        if caller.account_id is None:  # a service or anonymous caller: no identity policies
            parsed: tuple[Policy, ...] = ()
        else:
            texts = await self._policies.policies_of(caller.arn)
            parsed = tuple(p for p in (_parsed(text, "identity") for text in texts) if p is not None)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        entry = self._cache[caller.arn] = _Entry(now, parsed)
        return entry

    def forget(self, principal_arn: str | None = None) -> None:
        """Drop cached policies (of one principal, or all): a policy changed on this node."""
        if principal_arn is None:
            self._cache.clear()
        else:
            self._cache.pop(principal_arn, None)

    async def authorize(
        self,
        caller: Caller,
        action: str,
        resource: str,
        *,
        resource_account: str | None,
        resource_policy: str | None = None,
        context: Mapping[str, ContextValue] | None = None,
        kind: Kind = "resource",
    ) -> None:
        """Return if *caller* may perform *action* on *resource*; else ``AccessDeniedException``."""
        if not self.enabled:
            return
        entry = await self._entry(caller)
        key = (caller, action, resource, resource_account, resource_policy, kind, *_frozen(context))
        try:
            denial = entry.decisions[key]
        except KeyError:
            denial = self._decide(caller, action, resource, resource_account, resource_policy, context, kind, entry.policies)
            if len(entry.decisions) >= _DECISIONS_LIMIT:
                entry.decisions.clear()
            entry.decisions[key] = denial
        if denial is not None:
            raise AccessDeniedException(denial)

    @staticmethod
    def _decide(
        caller: Caller,
        action: str,
        resource: str,
        resource_account: str | None,
        resource_policy: str | None,
        context: Mapping[str, ContextValue] | None,
        kind: Kind,
        identity: Sequence[Policy],
    ) -> str | None:
        """None when ``evaluate`` allows the request, else the denial's message."""
        request = Request(
            caller=caller, action=action, resource=resource, resource_account=resource_account, context=dict(context or {})
        )
        policy = _parsed(resource_policy, kind) if resource_policy else None
        decision = evaluate(
            request,
            identity=identity if caller.account_id is not None else (),
            resource=policy,
            resource_required=kind == "trust",
        )
        return None if decision.allowed else denial_message(request, decision)
