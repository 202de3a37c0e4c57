"""IAM condition operators: whether one ``{operator: {key: values}}`` entry holds for a request.

Guarantees, as the IAM User Guide's "IAM JSON policy elements: Condition operators" and "Single-
valued vs. multivalued context keys" pages define them:

- condition keys are matched case-insensitively (the context is looked up by lower-cased key);
- several values for one key are ORed, several keys (and operators) of a statement are ANDed;
- a negated operator (``StringNotEquals``, ``ArnNotLike``, ``NotIpAddress`` ...) holds when the
  request value matches *none* of the policy values;
- a key missing from the request makes the condition false, except for negated operators (true),
  ``...IfExists`` (true), ``Null`` (its whole point) and ``ForAllValues:`` (true: the empty set);
- ``ForAnyValue:`` holds when at least one request value satisfies the operator, ``ForAllValues:``
  when every one does; without a set prefix a multivalued key behaves as ``ForAnyValue:``;
- a value that cannot be read as the operator's type (a number, an IP address, an ARN) matches
  nothing.

Operators not listed in ``OPERATORS`` are refused when a policy is parsed, never ignored: an
unknown operator in a Deny must not silently stop denying. Pure: no I/O, no clock.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence

import msgspec

from lambent.model.iam_wildcards import resource_matches

#: A request context value as callers give it.
ContextValue = str | Sequence[str] | bool | int
#: One policy value against one request value.
Comparison = Callable[[str, str], bool]

ANY_VALUE = "ForAnyValue:"
ALL_VALUES = "ForAllValues:"
IF_EXISTS = "IfExists"


class Condition(msgspec.Struct, frozen=True, kw_only=True):
    """One ``operator: {key: values}`` pair of a statement's Condition block."""

    #: As written in the policy (``ForAnyValue:StringLikeIfExists``).
    operator: str
    key: str
    #: JSON values as IAM compares them: strings; booleans as ``true``/``false``; numbers as text.
    values: tuple[str, ...]


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _numeric(test: Callable[[float, float], bool]) -> Comparison:
    def compare(policy: str, request: str) -> bool:
        p, r = _number(policy), _number(request)
        return p is not None and r is not None and test(r, p)

    return compare


def _arn_like(policy: str, request: str) -> bool:
    """ArnEquals/ArnLike: each of the six colon-separated parts compared on its own, wildcards allowed."""
    wanted, given = policy.split(":", 5), request.split(":", 5)
    if len(wanted) != 6 or len(given) != 6:
        return False
    return all(resource_matches(w, g) for w, g in zip(wanted, given, strict=True))


def _ip_in(policy: str, request: str) -> bool:
    try:
        return ipaddress.ip_address(request) in ipaddress.ip_network(policy, strict=False)
    except ValueError:
        return False


def _bool(policy: str, request: str) -> bool:
    return policy.lower() == request.lower()


#: Each base operator: (comparison, negated). A negated operator holds when no value compares.
OPERATORS: Mapping[str, tuple[Comparison, bool]] = {
    "StringEquals": (lambda p, r: p == r, False),
    "StringNotEquals": (lambda p, r: p == r, True),
    "StringEqualsIgnoreCase": (lambda p, r: p.casefold() == r.casefold(), False),
    "StringNotEqualsIgnoreCase": (lambda p, r: p.casefold() == r.casefold(), True),
    "StringLike": (resource_matches, False),
    "StringNotLike": (resource_matches, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
    "NumericEquals": (_numeric(lambda r, p: r == p), False),
    "NumericNotEquals": (_numeric(lambda r, p: r == p), True),
    "NumericLessThan": (_numeric(lambda r, p: r < p), False),
    "NumericLessThanEquals": (_numeric(lambda r, p: r <= p), False),
    "NumericGreaterThan": (_numeric(lambda r, p: r > p), False),
    "NumericGreaterThanEquals": (_numeric(lambda r, p: r >= p), False),
    "Bool": (_bool, False),
    "IpAddress": (_ip_in, False),
    "NotIpAddress": (_ip_in, True),
}


class Operator(msgspec.Struct, frozen=True, kw_only=True):
    """An operator name taken apart: its set prefix, base operator and IfExists suffix."""

    base: str
    #: ``"any"`` (ForAnyValue:), ``"all"`` (ForAllValues:) or None.
    quantifier: str | None = None
    if_exists: bool = False


def parse_operator(name: str) -> Operator | None:
    """The parts of an operator name, or None when IAM has no such operator."""
    quantifier = None
    rest = name
    if name.startswith(ANY_VALUE):
        quantifier, rest = "any", name[len(ANY_VALUE) :]
    elif name.startswith(ALL_VALUES):
        quantifier, rest = "all", name[len(ALL_VALUES) :]
    if_exists = rest.endswith(IF_EXISTS) and rest != "Null"
    base = rest[: -len(IF_EXISTS)] if if_exists else rest
    if base == "Null":
        return None if (if_exists or quantifier) else Operator(base="Null")
    if base not in OPERATORS:
        return None
    return Operator(base=base, quantifier=quantifier, if_exists=if_exists)


def context_values(value: ContextValue) -> tuple[str, ...]:
    """A context value as the strings IAM compares: booleans as ``true``/``false``."""
    if isinstance(value, bool):
        return ("true" if value else "false",)
    if isinstance(value, int):
        return (str(value),)
    if isinstance(value, str):
        return (value,)
    return tuple(value)


_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}


def substitute(text: str, context: Mapping[str, tuple[str, ...]]) -> str | None:
    """*text* with its policy variables (``${aws:username}``, ``${aws:PrincipalTag/team, 'none'}``,
    ``${*}``) replaced from *context*; None when one names a key the request lacks (or a
    multivalued one) and gives no default: the pattern then matches nothing."""
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        name, _, default = match[1].partition(",")
        name, default = name.strip(), default.strip()
        if name in _SPECIAL:
            return _SPECIAL[name]
        present = context.get(name.lower())
        if present is not None and len(present) == 1:
            return present[0]
        if len(default) >= 2 and default[0] == default[-1] == "'":
            return default[1:-1]
        missing = True
        return ""

    result = _VARIABLE.sub(value, text)
    return None if missing else result


def holds(condition: Condition, context: Mapping[str, tuple[str, ...]]) -> bool:
    """Whether *condition* holds in *context* (keys lower-cased, values as ``context_values``)."""
    operator = parse_operator(condition.operator)
    if operator is None:  # refused at parse time; never true if one slips through
        return False
    present = context.get(condition.key.lower())
    if operator.base == "Null":
        wanted_absent = any(v.lower() == "true" for v in condition.values)
        return (present is None) == wanted_absent
    compare, negated = OPERATORS[operator.base]
    if present is None or (operator.quantifier is not None and not present):
        if operator.quantifier == "all" or operator.if_exists:
            return True
        return negated and operator.quantifier is None

    def one(request_value: str) -> bool:
        matched = any(compare(p, request_value) for p in condition.values)
        return not matched if negated else matched

    if operator.quantifier == "all":
        return all(one(v) for v in present)
    if operator.quantifier == "any" or not negated:
        return any(one(v) for v in present)
    return all(one(v) for v in present)  # a negated operator: no request value matches
