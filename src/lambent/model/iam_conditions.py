"""IAM Condition blocks: the operators Lambda's policies use, evaluated against a request's
context as IAM evaluates them. Pure.

A block is ``{operator: {key: value | [values]}}``. Every operator and every key in it must hold
(AND); the values of one key are alternatives (OR), so a negated operator holds when the context
value equals none of them. Keys are case-insensitive, values case-sensitive except for the
``IgnoreCase`` operators. A key absent from the context makes the condition false, except:
``...IfExists`` holds, a negated operator (``StringNotEquals``, ``ArnNotLike``...) holds, ``Null``
tests presence itself, and ``ForAllValues:`` holds (nothing fails it). A context value that is a
list is multivalued: ``ForAnyValue:`` needs one element to match, ``ForAllValues:`` every one,
and without a prefix one element suffices.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence

from lambent.model.iam_wildcards import resource_matches

ContextValue = str | list[str] | bool | int
Condition = tuple[str, str, tuple[str, ...]]  # (operator, key lower-cased, policy values)


def _arn_like(pattern: str, value: str) -> bool:
    """ArnEquals/ArnLike: each of the six colon-separated parts matched with wildcards."""
    want, got = pattern.split(":", 5), value.split(":", 5)
    if len(want) != 6 or len(got) != 6:
        return False
    return all(resource_matches(w, g) for w, g in zip(want, got, strict=True))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def match(policy: str, value: str) -> bool:
        a, b = _number(value), _number(policy)
        return a is not None and b is not None and compare(a, b)

    return match


def _in_network(policy: str, value: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(policy, strict=False)
    except ValueError:
        return False


#: operator -> (does one policy value match one context value, is the operator negated)
_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "stringequals": (lambda p, v: p == v, False),
    "stringnotequals": (lambda p, v: p == v, True),
    "stringequalsignorecase": (lambda p, v: p.lower() == v.lower(), False),
    "stringnotequalsignorecase": (lambda p, v: p.lower() == v.lower(), True),
    "stringlike": (resource_matches, False),
    "stringnotlike": (resource_matches, True),
    "arnequals": (_arn_like, False),
    "arnlike": (_arn_like, False),
    "arnnotequals": (_arn_like, True),
    "arnnotlike": (_arn_like, True),
    "numericequals": (_numeric(lambda v, p: v == p), False),
    "numericnotequals": (_numeric(lambda v, p: v == p), True),
    "numericlessthan": (_numeric(lambda v, p: v < p), False),
    "numericlessthanequals": (_numeric(lambda v, p: v <= p), False),
    "numericgreaterthan": (_numeric(lambda v, p: v > p), False),
    "numericgreaterthanequals": (_numeric(lambda v, p: v >= p), False),
    "bool": (lambda p, v: p.lower() == v.lower(), False),
    "ipaddress": (_in_network, False),
    "notipaddress": (_in_network, True),
}


def known_operator(operator: str) -> bool:
    base = operator.lower()
    for prefix in ("foranyvalue:", "forallvalues:"):
        base = base.removeprefix(prefix)
    base = base.removesuffix("ifexists")
    return base in _OPERATORS or base == "null"


def _as_strings(value: ContextValue) -> list[str]:
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def holds(condition: Condition, context: Mapping[str, ContextValue]) -> bool:
    """Whether one (operator, key, values) condition holds; *context* keys are lower-cased."""
    operator, key, values = condition
    op = operator.lower()
    set_mode = ""
    for prefix in ("foranyvalue:", "forallvalues:"):
        if op.startswith(prefix):
            set_mode, op = prefix[:-1], op.removeprefix(prefix)
    if_exists = op.endswith("ifexists") and op != "ifexists"
    op = op.removesuffix("ifexists") if if_exists else op
    present = key in context
    if op == "null":
        return any((v.lower() == "true") == (not present) for v in values)
    if not present:
        return if_exists or set_mode == "forallvalues" or (set_mode == "" and _OPERATORS[op][1])
    match, negated = _OPERATORS[op]
    got = _as_strings(context[key])

    def one(value: str) -> bool:
        hit = any(match(p, value) for p in values)
        return not hit if negated else hit

    if set_mode == "forallvalues":
        return all(one(v) for v in got)
    return any(one(v) for v in got)


def all_hold(conditions: Sequence[Condition], context: Mapping[str, ContextValue]) -> bool:
    return all(holds(c, context) for c in conditions)
