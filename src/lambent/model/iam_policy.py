"""IAM policy evaluation: may this caller perform this action on this resource?

The decision follows the IAM User Guide's "Policy evaluation logic" for the policies Lambent has
(identity-based and resource-based; no SCPs, permissions boundaries or session policies):

1. An explicit Deny in any applicable policy wins (identity policies are checked first, so their
   deny is the one reported).
2. An account's root calling on its own account's resources is allowed; it needs no policy.
3. Same account: an Allow in the identity policies, or a resource-policy Allow that names the
   caller itself (user, role, session ARN, service, or ``*``), suffices alone. A resource-policy
   Allow that names only the caller's account (``123456789012`` / ``:root``) delegates to the
   account's identity policies: it still needs an identity Allow.
4. Cross account: both an identity Allow (in the caller's own account; root has one implicitly)
   and a resource-policy Allow that matches the caller (by account, too) are needed.
5. A service principal (``events.amazonaws.com``) has no identity policies: only a resource
   policy can allow it.

Everything else is an implicit deny, reported as AWS reports it (``denial_message``). In
2012-10-17 documents, ``${...}`` in Resource and condition values are policy variables, filled
from the request context; one that cannot be filled (no key, no default) matches nothing.
Pure: no I/O, no clock; ``evaluate`` never raises for parsed policies.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Literal

import msgspec

from lambent.model.iam_conditions import Condition, ContextValue, context_values, holds, substitute
from lambent.model.iam_document import Kind, MalformedPolicy, Policy, Principal, Statement, parse
from lambent.model.iam_wildcards import action_matches, resource_matches
from lambent.model.identity import root_arn

__all__ = [
    "Caller",
    "Decision",
    "Kind",
    "MalformedPolicy",
    "Policy",
    "Reason",
    "Request",
    "denial_message",
    "evaluate",
    "parse",
]

Reason = Literal["allowed", "explicit_deny_identity", "explicit_deny_resource", "no_identity_allow", "no_resource_allow"]


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    """Who asks: a root, user or assumed-role session ARN, a service principal's name, or no one
    (``ANONYMOUS``)."""

    arn: str
    #: None for a service principal.
    account_id: str | None
    #: For an assumed-role session: the role's ARN (``arn:aws:iam::ACCT:role/NAME``), which
    #: resource and trust policies may name instead of the session.
    role_arn: str | None = None
    #: An unauthenticated caller (a function URL of AuthType NONE): only ``"Principal": "*"``
    #: names it, and it brings no principal condition keys.
    anonymous: bool = False

    @property
    def is_root(self) -> bool:
        return self.account_id is not None and self.arn == root_arn(self.account_id)


#: The caller of a request that carries no credentials.
ANONYMOUS = Caller(arn="anonymous", account_id=None, anonymous=True)


class Request(msgspec.Struct, frozen=True, kw_only=True):
    caller: Caller
    #: ``lambda:GetFunction``
    action: str
    #: The ARN the action is on, or ``*`` for actions on no particular resource.
    resource: str
    #: The account owning the resource; None means the caller's own.
    resource_account: str | None = None
    #: Condition keys (``aws:SourceArn``, ``lambda:FunctionUrlAuthType`` ...). The principal keys
    #: (``aws:PrincipalAccount``, ``aws:PrincipalArn`` ...) are filled from the caller, always.
    context: Mapping[str, ContextValue] = msgspec.field(default_factory=dict)


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    allowed: bool
    reason: Reason


class _Match(enum.IntEnum):
    """How a resource-policy statement's principal covers the caller."""

    NONE = 0
    ACCOUNT = 1  # through the caller's account only: delegates to identity policies
    DIRECT = 2  # names the caller (or everyone)


def _principal_context(caller: Caller) -> dict[str, ContextValue]:
    if caller.anonymous:
        return {}
    if caller.account_id is None:
        return {"aws:PrincipalServiceName": caller.arn, "aws:PrincipalIsAWSService": True}
    keys: dict[str, ContextValue] = {
        "aws:PrincipalAccount": caller.account_id,
        # For a role session, AWS gives the role's ARN here, not the session's.
        "aws:PrincipalArn": caller.role_arn or caller.arn,
        "aws:PrincipalIsAWSService": False,
    }
    if ":user/" in caller.arn:
        keys["aws:username"] = caller.arn.rsplit("/", 1)[1]
    return keys


def _context(request: Request) -> dict[str, tuple[str, ...]]:
    merged = {**request.context, **_principal_context(request.caller)}
    return {key.lower(): context_values(value) for key, value in merged.items()}


def _resource_hit(pattern: str, statement: Statement, request: Request, context: Mapping[str, tuple[str, ...]]) -> bool:
    if statement.variables and "${" in pattern:
        resolved = substitute(pattern, context)
        return resolved is not None and resource_matches(resolved, request.resource)
    return resource_matches(pattern, request.resource)


def _condition_holds(condition: Condition, statement: Statement, context: Mapping[str, tuple[str, ...]]) -> bool:
    if statement.variables and any("${" in v for v in condition.values):
        resolved = tuple(r for r in (substitute(v, context) for v in condition.values) if r is not None)
        condition = Condition(operator=condition.operator, key=condition.key, values=resolved)
    return holds(condition, context)


def _covers(statement: Statement, request: Request, context: Mapping[str, tuple[str, ...]]) -> bool:
    """Action, Resource and Condition all cover the request (the principal aside)."""
    hit = any(action_matches(p, request.action) for p in statement.actions)
    if hit == statement.not_action:
        return False
    if statement.resources is not None:
        hit = any(_resource_hit(p, statement, request, context) for p in statement.resources)
        if hit == statement.not_resource:
            return False
    return all(_condition_holds(c, statement, context) for c in statement.conditions)


def _identities(caller: Caller) -> tuple[str, ...]:
    """Every name the caller answers to in a Principal element, most specific first."""
    names = [caller.arn]
    if caller.role_arn:
        names.append(caller.role_arn)
    if caller.account_id is not None and not caller.is_root:
        names.append(root_arn(caller.account_id))
    return tuple(names)


def _principal_match(principal: Principal, caller: Caller) -> _Match:
    if principal.everyone:
        return _Match.DIRECT
    if caller.anonymous:
        return _Match.NONE
    if caller.account_id is None:
        return _Match.DIRECT if caller.arn in principal.service else _Match.NONE
    if caller.arn in principal.aws or caller.arn in principal.federated:
        return _Match.DIRECT
    if caller.role_arn is not None and caller.role_arn in principal.aws:
        return _Match.DIRECT
    if root_arn(caller.account_id) in principal.aws:
        return _Match.ACCOUNT
    return _Match.NONE


def _statement_match(statement: Statement, caller: Caller) -> _Match:
    if statement.principal is None:
        return _Match.DIRECT
    if not statement.not_principal:
        return _principal_match(statement.principal, caller)
    # NotPrincipal excludes the caller only when every name it answers to is listed: a user
    # excluded without their account is still denied, as AWS warns.
    p = statement.principal
    if p.everyone:
        return _Match.NONE
    listed = set(p.aws) | set(p.service) | set(p.federated)
    return _Match.NONE if all(name in listed for name in _identities(caller)) else _Match.DIRECT


def evaluate(
    request: Request, *, identity: Sequence[Policy], resource: Policy | None, resource_required: bool = False
) -> Decision:
    """The decision for *request* under the caller's *identity* policies and the resource's policy.

    *resource_required*: the resource's policy must name the caller (or its account), whatever the
    identity policies say, as a role's trust policy must for ``sts:AssumeRole``."""
    context = _context(request)
    caller = request.caller
    identity_statements = [s for p in identity for s in p.statements] if caller.account_id is not None else []
    resource_statements = list(resource.statements) if resource is not None else []

    for s in identity_statements:
        if s.effect == "Deny" and _covers(s, request, context):
            return Decision(allowed=False, reason="explicit_deny_identity")
    for s in resource_statements:
        if s.effect == "Deny" and _statement_match(s, caller) and _covers(s, request, context):
            return Decision(allowed=False, reason="explicit_deny_resource")

    same_account = request.resource_account is None or request.resource_account == caller.account_id
    if resource_required and not any(
        s.effect == "Allow" and _statement_match(s, caller) is not _Match.NONE and _covers(s, request, context)
        for s in resource_statements
    ):
        return Decision(allowed=False, reason="no_resource_allow")
    if caller.is_root and same_account:
        return Decision(allowed=True, reason="allowed")
    identity_allow = caller.is_root or any(s.effect == "Allow" and _covers(s, request, context) for s in identity_statements)
    resource_allow = max(
        (_statement_match(s, caller) for s in resource_statements if s.effect == "Allow" and _covers(s, request, context)),
        default=_Match.NONE,
    )

    if caller.account_id is None:
        allowed = resource_allow is _Match.DIRECT
        return Decision(allowed=allowed, reason="allowed" if allowed else "no_resource_allow")
    if same_account:
        if identity_allow or resource_allow is _Match.DIRECT:
            return Decision(allowed=True, reason="allowed")
        return Decision(allowed=False, reason="no_identity_allow")
    if not identity_allow:
        return Decision(allowed=False, reason="no_identity_allow")
    if resource_allow is _Match.NONE:
        return Decision(allowed=False, reason="no_resource_allow")
    return Decision(allowed=True, reason="allowed")


_ENDINGS: Mapping[Reason, str] = {
    "explicit_deny_identity": "with an explicit deny in an identity-based policy",
    "explicit_deny_resource": "with an explicit deny in a resource-based policy",
    "no_identity_allow": "because no identity-based policy allows the {action} action",
    "no_resource_allow": "because no resource-based policy allows the {action} action",
}


def denial_message(request: Request, decision: Decision) -> str:
    """AWS's AccessDeniedException message for a refused *request*, word for word."""
    if decision.allowed:
        raise ValueError("denial_message() of an allowed request")
    ending = _ENDINGS[decision.reason].format(action=request.action)
    return f"User: {request.caller.arn} is not authorized to perform: {request.action} on resource: {request.resource} {ending}"
