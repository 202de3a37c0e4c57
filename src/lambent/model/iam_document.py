"""IAM policy documents: JSON text read into frozen records, or refused in IAM's own words.

Three kinds, as IAM tells them apart:

- ``identity``: attached to a user or role. Every statement names Resource (or NotResource) and
  none names a Principal.
- ``resource``: attached to a function or layer version. Statements name a Principal (or
  NotPrincipal) and Resource (or NotResource).
- ``trust``: a role's assume-role policy. Statements name a Principal and no Resource.

Accepted: Version ``2012-10-17`` or ``2008-10-17`` (absent means 2008-10-17, as IAM reads it);
Statement as one object or a list; Action/NotAction and Resource/NotResource as a string or a
list; Principal as ``"*"`` or an object of ``AWS``/``Service``/``Federated``/``CanonicalUser``
to a string or list, a bare 12-digit account id meaning ``arn:aws:iam::ACCT:root``; Condition
as ``{operator: {key: value | [values]}}``. Anything else is a ``MalformedPolicy`` whose text is
IAM's MalformedPolicyDocument message. Pure: no I/O, no clock.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import msgspec

from lambent.model.iam_conditions import Condition, parse_operator
from lambent.model.identity import root_arn

Kind = Literal["identity", "resource", "trust"]
VERSIONS = ("2012-10-17", "2008-10-17")

SYNTAX = "Syntax errors in policy."
#: What IAM answers a document that is not JSON at all (recorded answers; decision 0019).
INVALID_JSON = "This policy contains invalid Json"
NO_PRINCIPAL_ALLOWED = "Policy document should not specify a principal."
NEEDS_PRINCIPAL = "Missing required field Principal"
NEEDS_ACTIONS = "Policy statement must contain actions."
NEEDS_RESOURCES = "Policy statement must contain resources."
NO_RESOURCE_ALLOWED = "Has prohibited field Resource"
UNIQUE_SIDS = "Statement IDs (SID) in a single policy must be unique."
VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
ONE_COLON = "Actions/Condition can contain only one colon."

_TOP = frozenset({"Version", "Id", "Statement"})
_STATEMENT = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"}
)
_PRINCIPAL_TYPES = {"AWS": "aws", "Service": "service", "Federated": "federated", "CanonicalUser": "canonical_user"}
_ACCOUNT = re.compile(r"\d{12}")
_VENDOR = re.compile(r"[A-Za-z0-9-]+")


class MalformedPolicy(ValueError):
    """A policy document IAM would refuse; ``str()`` is IAM's MalformedPolicyDocument message."""


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Whom a statement names. ``everyone`` is ``"Principal": "*"``; ``{"AWS": "*"}`` is the same
    to IAM and is read as ``everyone`` too. Account ids are kept as root ARNs."""

    everyone: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()


class Statement(msgspec.Struct, frozen=True, kw_only=True):
    effect: Literal["Allow", "Deny"]
    actions: tuple[str, ...]
    #: True when the statement said NotAction: it covers every action but those.
    not_action: bool = False
    #: None when the statement names no resource (trust policies): it covers any resource.
    resources: tuple[str, ...] | None = None
    not_resource: bool = False
    #: None in identity policies: the statement is about whoever holds the policy.
    principal: Principal | None = None
    not_principal: bool = False
    conditions: tuple[Condition, ...] = ()
    sid: str | None = None
    #: Whether ``${...}`` in Resource and condition values are policy variables (Version
    #: 2012-10-17 only; in 2008-10-17 documents they are plain text).
    variables: bool = False


class Policy(msgspec.Struct, frozen=True, kw_only=True):
    version: str
    statements: tuple[Statement, ...]
    id: str | None = None


def _strings(value: Any) -> tuple[str, ...]:
    """A string-or-list element; anything else (or a list of non-strings) is a syntax error."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise MalformedPolicy(SYNTAX)


def _principal(value: Any) -> Principal:
    if value == "*":
        return Principal(everyone=True)
    if not isinstance(value, dict) or not value:
        raise MalformedPolicy(SYNTAX)
    fields: dict[str, tuple[str, ...]] = {}
    for kind, raw in value.items():
        if kind not in _PRINCIPAL_TYPES:
            raise MalformedPolicy(f'Invalid principal in policy: "{kind}":{json.dumps(raw)}')
        names = _strings(raw)
        if kind == "AWS":
            if "*" in names:
                return Principal(everyone=True)
            names = tuple(_aws_principal(n) for n in names)
        fields[_PRINCIPAL_TYPES[kind]] = names
    return Principal(
        aws=fields.get("aws", ()),
        service=fields.get("service", ()),
        federated=fields.get("federated", ()),
        canonical_user=fields.get("canonical_user", ()),
    )


def _aws_principal(name: str) -> str:
    if _ACCOUNT.fullmatch(name):
        return root_arn(name)
    if re.fullmatch(r"arn:aws:(iam|sts)::\d{12}:\S+", name) is None:
        raise MalformedPolicy(f'Invalid principal in policy: "AWS":"{name}"')
    return name


def _check_action(action: str) -> None:
    if action == "*":
        return
    if ":" not in action:
        raise MalformedPolicy(VENDOR)
    if action.count(":") > 1:
        raise MalformedPolicy(ONE_COLON)
    vendor = action.split(":", 1)[0]
    if _VENDOR.fullmatch(vendor) is None:
        raise MalformedPolicy(f"Vendor {vendor} is not valid")


def _conditions(value: Any) -> tuple[Condition, ...]:
    if not isinstance(value, dict):
        raise MalformedPolicy(SYNTAX)
    out = []
    for operator, block in value.items():
        if parse_operator(operator) is None or not isinstance(block, dict):
            raise MalformedPolicy(SYNTAX)
        for key, raw in block.items():
            raws = raw if isinstance(raw, list) else [raw]
            values = []
            for v in raws:
                if isinstance(v, bool):
                    values.append("true" if v else "false")
                elif isinstance(v, (str, int, float)):
                    values.append(str(v))
                else:
                    raise MalformedPolicy(SYNTAX)
            out.append(Condition(operator=operator, key=key, values=tuple(values)))
    return tuple(out)


def _statement(raw: Any, kind: Kind, version: str) -> Statement:
    if not isinstance(raw, dict) or not set(raw) <= _STATEMENT:
        raise MalformedPolicy(SYNTAX)
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise MalformedPolicy(SYNTAX)
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise MalformedPolicy(SYNTAX)
    if "Action" in raw and "NotAction" in raw:
        raise MalformedPolicy(SYNTAX)
    if "Resource" in raw and "NotResource" in raw:
        raise MalformedPolicy(SYNTAX)
    if "Principal" in raw and "NotPrincipal" in raw:
        raise MalformedPolicy(SYNTAX)
    has_principal = "Principal" in raw or "NotPrincipal" in raw
    has_resource = "Resource" in raw or "NotResource" in raw
    if kind == "identity" and has_principal:
        raise MalformedPolicy(NO_PRINCIPAL_ALLOWED)
    if kind != "identity" and not has_principal:
        raise MalformedPolicy(NEEDS_PRINCIPAL)
    actions = _strings(raw.get("Action", raw.get("NotAction"))) if "Action" in raw or "NotAction" in raw else ()
    if not actions:
        raise MalformedPolicy(NEEDS_ACTIONS)
    for action in actions:
        _check_action(action)
    resources = None
    if has_resource:
        resources = _strings(raw["Resource"] if "Resource" in raw else raw["NotResource"])
        if not resources:
            raise MalformedPolicy(NEEDS_RESOURCES)
    if kind == "trust" and has_resource:
        raise MalformedPolicy(NO_RESOURCE_ALLOWED)
    if kind != "trust" and not has_resource:
        raise MalformedPolicy(NEEDS_RESOURCES)
    principal = None
    if has_principal:
        principal = _principal(raw["Principal"] if "Principal" in raw else raw["NotPrincipal"])
    return Statement(
        sid=sid,
        effect=effect,
        actions=actions,
        not_action="NotAction" in raw,
        resources=resources,
        not_resource="NotResource" in raw,
        principal=principal,
        not_principal="NotPrincipal" in raw,
        conditions=_conditions(raw["Condition"]) if "Condition" in raw else (),
        variables=version == "2012-10-17",
    )


def parse(text: str, *, kind: Kind) -> Policy:
    """The policy *text* says, as a *kind* policy; ``MalformedPolicy`` if IAM would refuse it."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedPolicy(INVALID_JSON) from None
    if not isinstance(document, dict) or not set(document) <= _TOP or "Statement" not in document:
        raise MalformedPolicy(SYNTAX)
    version = document.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise MalformedPolicy(SYNTAX)
    policy_id = document.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise MalformedPolicy(SYNTAX)
    raw = document["Statement"]
    raws = raw if isinstance(raw, list) else [raw]
    statements = tuple(_statement(s, kind, version) for s in raws)
    sids = [s.sid for s in statements if s.sid]
    if len(sids) != len(set(sids)):
        raise MalformedPolicy(UNIQUE_SIDS)
    return Policy(version=version, id=policy_id, statements=statements)
