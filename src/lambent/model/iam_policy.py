"""IAM policy documents and their evaluation, as AWS's policy evaluation logic decides. Pure.

``parse`` turns a document (identity, resource or role-trust policy) into frozen records, or
raises ``MalformedPolicy`` in IAM's words. ``evaluate`` decides one request:

- an explicit Deny in any policy that applies wins;
- an account's root acting on its own account's resources is allowed (no identity policy
  needed), unless denied;
- within one account, an Allow in the caller's identity policies or in the resource's policy
  suffices; a resource-policy Allow that names only the caller's *account* (``:root`` or the
  12-digit id) delegates to the account, so identity policies must allow too;
- across accounts, both sides must allow: the caller's identity policies (or its being its
  account's root) and the resource's policy;
- a service principal (a trigger, ``events.amazonaws.com``) has no identity policies: only the
  resource's policy can allow it.

``denial_message`` words a refusal as IAM's access-denied messages do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import msgspec

from lambent.model.iam_conditions import Condition, ContextValue, all_hold, known_operator
from lambent.model.iam_wildcards import action_matches, resource_matches

Kind = Literal["identity", "resource", "trust"]
VERSIONS = ("2012-10-17", "2008-10-17")


class MalformedPolicy(ValueError):
    """The document is not a policy IAM accepts; the text is IAM's MalformedPolicyDocument message."""


class Statement(msgspec.Struct, frozen=True, kw_only=True):
    sid: str | None
    allow: bool
    actions: tuple[str, ...]
    not_action: bool = False
    #: Empty with ``any_resource`` True: the statement names no resource (trust policies).
    resources: tuple[str, ...] = ()
    not_resource: bool = False
    #: (kind, value) pairs: ("*", "*"), ("AWS", arn), ("Service", name), ("Federated", name).
    principals: tuple[tuple[str, str], ...] = ()
    not_principal: bool = False
    conditions: tuple[Condition, ...] = ()


class Policy(msgspec.Struct, frozen=True, kw_only=True):
    version: str
    statements: tuple[Statement, ...]


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    #: The root, user or assumed-role session ARN; or a service principal's name.
    arn: str
    #: None for a service principal.
    account_id: str | None
    #: A role session's role (``arn:aws:iam::ACCT:role/NAME``), which policies may name.
    role_arn: str | None = None

    @property
    def is_root(self) -> bool:
        return self.account_id is not None and self.arn == f"arn:aws:iam::{self.account_id}:root"


class Request(msgspec.Struct, frozen=True, kw_only=True):
    caller: Caller
    action: str
    #: An ARN, or ``*`` for actions that name no resource (ListFunctions).
    resource: str
    resource_account: str | None
    context: Mapping[str, ContextValue] = msgspec.field(default_factory=dict)


Reason = Literal["allowed", "explicit_deny_identity", "explicit_deny_resource", "no_identity_allow", "no_resource_allow"]


class Decision(msgspec.Struct, frozen=True):
    allowed: bool
    reason: Reason


# -- parsing --------------------------------------------------------------------------------


def _strings(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) for item in items):
        raise MalformedPolicy("Syntax errors in policy.")
    return tuple(items)


def _principals(value: Any) -> tuple[tuple[str, str], ...]:
    if value == "*":
        return (("*", "*"),)
    if not isinstance(value, dict) or not value:
        raise MalformedPolicy("Invalid principal in policy")
    found: list[tuple[str, str]] = []
    for kind, names in value.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise MalformedPolicy("Invalid principal in policy")
        for name in _strings(names):
            if kind == "AWS" and name == "*":
                found.append(("*", "*"))
            elif kind == "AWS" and name.isdigit() and len(name) == 12:
                found.append(("AWS", f"arn:aws:iam::{name}:root"))
            elif kind == "AWS" and not name.startswith("arn:"):
                raise MalformedPolicy(f'Invalid principal in policy: "AWS":"{name}"')
            else:
                found.append((kind, name))
    return tuple(found)


def _conditions(value: Any) -> tuple[Condition, ...]:
    if not isinstance(value, dict):
        raise MalformedPolicy("Syntax errors in policy.")
    found: list[Condition] = []
    for operator, block in value.items():
        if not known_operator(operator) or not isinstance(block, dict):
            raise MalformedPolicy("Syntax errors in policy.")
        for key, values in block.items():
            items = values if isinstance(values, list) else [values]
            if not all(isinstance(v, str | bool | int | float) for v in items):
                raise MalformedPolicy("Syntax errors in policy.")
            texts = tuple(("true" if v else "false") if isinstance(v, bool) else str(v) for v in items)
            found.append((operator, key.lower(), texts))
    return tuple(found)


def _statement(raw: Any, kind: Kind) -> Statement:
    if not isinstance(raw, dict):
        raise MalformedPolicy("Syntax errors in policy.")
    known = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"}
    if set(raw) - known:
        raise MalformedPolicy("Syntax errors in policy.")
    if raw.get("Effect") not in ("Allow", "Deny"):
        raise MalformedPolicy("Syntax errors in policy.")
    if ("Action" in raw) == ("NotAction" in raw):
        raise MalformedPolicy("Policy statement must contain actions.")
    has_principal = "Principal" in raw or "NotPrincipal" in raw
    if kind == "identity" and has_principal:
        raise MalformedPolicy("Policy document should not specify a principal.")
    if kind != "identity" and not has_principal:
        raise MalformedPolicy("Missing required field Principal")
    if "Principal" in raw and "NotPrincipal" in raw:
        raise MalformedPolicy("Syntax errors in policy.")
    has_resource = "Resource" in raw or "NotResource" in raw
    if kind == "trust" and has_resource:
        raise MalformedPolicy("Has prohibited field Resource")
    if kind == "identity" and not has_resource:
        raise MalformedPolicy("Policy statement must contain resources.")
    if "Resource" in raw and "NotResource" in raw:
        raise MalformedPolicy("Syntax errors in policy.")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise MalformedPolicy("Syntax errors in policy.")
    return Statement(
        sid=sid,
        allow=raw["Effect"] == "Allow",
        actions=_strings(raw.get("Action", raw.get("NotAction"))),
        not_action="NotAction" in raw,
        resources=_strings(raw.get("Resource", raw.get("NotResource"))) if has_resource else (),
        not_resource="NotResource" in raw,
        principals=_principals(raw.get("Principal", raw.get("NotPrincipal"))) if has_principal else (),
        not_principal="NotPrincipal" in raw,
        conditions=_conditions(raw["Condition"]) if "Condition" in raw else (),
    )


def parse(text: str, *, kind: Kind) -> Policy:
    """The policy *text* holds (JSON); ``MalformedPolicy`` if IAM would refuse it."""
    try:
        document = msgspec.json.decode(text)
    except msgspec.DecodeError:
        raise MalformedPolicy("This policy contains invalid Json") from None
    if not isinstance(document, dict):
        raise MalformedPolicy("This policy contains invalid Json")
    if set(document) - {"Version", "Id", "Statement"}:
        raise MalformedPolicy("Syntax errors in policy.")
    version = document.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise MalformedPolicy("The policy failed legacy parsing")
    raw = document.get("Statement")
    if raw is None:
        raise MalformedPolicy("Syntax errors in policy.")
    statements = raw if isinstance(raw, list) else [raw]
    if not statements:
        raise MalformedPolicy("Syntax errors in policy.")
    return Policy(version=version, statements=tuple(_statement(s, kind) for s in statements))


# -- evaluation -----------------------------------------------------------------------------


def _covers_action(statement: Statement, action: str) -> bool:
    hit = any(action_matches(pattern, action) for pattern in statement.actions)
    return hit != statement.not_action


def _covers_resource(statement: Statement, resource: str) -> bool:
    if not statement.resources:
        return True  # a trust policy: the role it is attached to
    hit = any(resource_matches(pattern, resource) for pattern in statement.resources)
    return hit != statement.not_resource


def _names(statement: Statement, caller: Caller) -> Literal["direct", "account", None]:
    """How *statement*'s principal names *caller*: itself (or everyone), only its account, or not."""
    how: Literal["direct", "account", None] = None
    for kind, name in statement.principals:
        if kind == "*":
            how = "direct"
        elif caller.account_id is None:
            if kind == "Service" and name == caller.arn:
                how = "direct"
        elif kind == "AWS" and name in (caller.arn, caller.role_arn):
            how = "direct"
        elif kind == "AWS" and name == f"arn:aws:iam::{caller.account_id}:root" and how is None:
            how = "account"
        if how == "direct":
            break
    if statement.not_principal:
        return None if how is not None else "direct"
    return how


def _context(request: Request) -> dict[str, ContextValue]:
    caller = request.caller
    context = {key.lower(): value for key, value in request.context.items()}
    if caller.account_id is not None:
        context.setdefault("aws:principalaccount", caller.account_id)
        context.setdefault("aws:principalarn", caller.role_arn or caller.arn)
    return context


def _applies(statement: Statement, request: Request, context: Mapping[str, ContextValue]) -> bool:
    return (
        _covers_action(statement, request.action)
        and _covers_resource(statement, request.resource)
        and all_hold(statement.conditions, context)
    )


def evaluate(request: Request, *, identity: Sequence[Policy], resource: Policy | None) -> Decision:
    """Whether *request* is allowed by the caller's *identity* policies and the *resource*'s."""
    caller = request.caller
    context = _context(request)
    own = [s for p in identity for s in p.statements if _applies(s, request, context)] if caller.account_id else []
    theirs: list[tuple[Statement, str]] = []
    if resource is not None:
        for statement in resource.statements:
            how = _names(statement, caller)
            if how is not None and _applies(statement, request, context):
                theirs.append((statement, how))
    if any(not s.allow for s in own):
        return Decision(False, "explicit_deny_identity")
    if any(not s.allow for s, _ in theirs):
        return Decision(False, "explicit_deny_resource")
    identity_allows = caller.is_root or any(s.allow for s in own)
    granted = {how for s, how in theirs if s.allow}
    if caller.account_id is None:
        return Decision(True, "allowed") if granted else Decision(False, "no_resource_allow")
    if request.resource_account in (None, caller.account_id):
        if identity_allows or "direct" in granted:
            return Decision(True, "allowed")
        return Decision(False, "no_identity_allow")
    if not granted:
        return Decision(False, "no_resource_allow")
    if not identity_allows:
        return Decision(False, "no_identity_allow")
    return Decision(True, "allowed")


_BECAUSE: dict[str, str] = {
    "explicit_deny_identity": "with an explicit deny in an identity-based policy",
    "explicit_deny_resource": "with an explicit deny in a resource-based policy",
    "no_identity_allow": "because no identity-based policy allows the {action} action",
    "no_resource_allow": "because no resource-based policy allows the {action} action",
}


def denial_message(request: Request, decision: Decision) -> str:
    """IAM's words: ``User: ARN is not authorized to perform: ACTION on resource: ARN because ...``."""
    because = _BECAUSE.get(decision.reason, "").format(action=request.action)
    return f"User: {request.caller.arn} is not authorized to perform: {request.action} on resource: {request.resource} {because}"
