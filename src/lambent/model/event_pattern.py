"""EventBridge's event-pattern language: a pattern is checked and compiled once into a matcher,
which then answers for each event with no further parsing. Pure.

The semantics are EventBridge's (its content-filtering guide and the event-ruler library it runs,
whose ``rulesForJSONEvent`` is the array-consistent matcher used here):

- a pattern is an object; every field it names must match (and), any value in a field's list may
  (or); ``"$or": [{...}, {...}]`` is an or of sub-patterns at any level, recognised only as
  event-ruler recognises it (a list of two or more objects none of which uses a match keyword),
  else it is a field called ``$or``;
- a nested object descends into the event's object; an event array is matched element by element,
  and two fields of a sub-pattern must match within the same element ("array-consistent");
- a leaf in the event that is an array matches when any element does;
- exact values match by type: ``"5"`` is not ``5``; numbers compare as numbers, to six decimal
  places (``300`` is ``3.0e2``); ``null`` is not ``""``;
- ``prefix``, ``suffix``, ``equals-ignore-case`` and ``wildcard`` (``*``, with ``\\*`` and
  ``\\\\`` escapes, never two ``*`` in a row) take strings only; ``prefix`` and ``suffix`` also take
  ``{"equals-ignore-case": ...}``;
- ``anything-but`` is the complement of what it wraps (a value, a list of strings or of numbers,
  ``prefix``, ``suffix``, ``equals-ignore-case``, ``wildcard``) over the values present: it never
  matches a missing field;
- ``numeric`` takes ``=`` alone, or at most one lower and one upper bound, within ±5.0e9;
- ``exists`` looks at leaves only: an object in the event does not exist for it, nor does an
  empty array;
- ``cidr`` takes IPv4 and IPv6 blocks.

A pattern that breaks a rule raises ``EventPatternError`` with event-ruler's reason where it is
known, else one in its manner; the API puts it after "Event pattern is not valid. Reason: ".
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

#: What a compiled part answers for one event value (``MISSING`` when the field is absent).
Test = Callable[[Any], bool]

MISSING: Any = object()
NUMERIC_LIMIT = 5.0e9
#: Match keywords, which make an object a matcher rather than a nested pattern inside ``$or``.
KEYWORDS = frozenset({"prefix", "suffix", "equals-ignore-case", "wildcard", "anything-but", "numeric", "exists", "cidr"})
_BOUNDS = {">": "lower", ">=": "lower", "<": "upper", "<=": "upper", "=": "equal"}


class EventPatternError(ValueError):
    """The pattern breaks a rule of the language; the message is the reason."""


class EventPattern:
    """A compiled pattern: ``matches(event)`` for a parsed JSON event."""

    __slots__ = ("_test", "beyond_source", "source", "sources")

    def __init__(self, source: dict[str, Any], test: Test) -> None:
        self.source = source
        self._test = test
        #: The values the event's ``source`` must be one of, when the pattern names them as exact
        #: strings (most rules do): an index may skip the pattern for any other source. None
        #: when the pattern says nothing so simple of ``source``.
        self.sources: frozenset[str] | None = None
        #: With ``sources``: the rest of the pattern, for an event whose source the index has
        #: checked already (one test less per rule on PutEvents' hot path).
        self.beyond_source: Test = test
        wanted = source.get("source")
        if isinstance(wanted, list) and wanted and all(isinstance(value, str) for value in wanted):
            self.sources = frozenset(wanted)
            self.beyond_source = _object({key: value for key, value in source.items() if key != "source"})

    def matches(self, event: Any) -> bool:
        return self._test(event)


def parse(text: str) -> EventPattern:
    """Compile the JSON text of a pattern."""
    try:
        pattern = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise EventPatternError(f"Filter is not valid JSON: {exc}") from None
    return compile_pattern(pattern)


def compile_pattern(pattern: Any) -> EventPattern:
    if not isinstance(pattern, dict):
        raise EventPatternError("Filter is not an object")
    return EventPattern(pattern, _object(pattern))


# --- structure -------------------------------------------------------------------------------


def _is_or(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(item, dict) and not (KEYWORDS & item.keys()) for item in value)
    )


#: What a nested pattern sees of a field the event lacks: an object with nothing in it.
_NOTHING: dict[str, Any] = {}


def _object(pattern: dict[str, Any]) -> Test:
    # (key, test, what the test sees when the event lacks the key): a nested object sees an
    # empty one, a leaf sees MISSING
    fields: list[tuple[str, Test, Any]] = []
    alternatives: list[list[Test]] = []
    for key, value in pattern.items():
        if key == "$or" and _is_or(value):
            alternatives.append([_object(item) for item in value])
        elif isinstance(value, dict):
            fields.append((key, _object(value), _NOTHING))
        elif isinstance(value, list):
            fields.append((key, _leaf(key, value), MISSING))
        else:
            raise EventPatternError(f'"{key}" must be an object or an array')

    def test(event: Any) -> bool:
        kind = event.__class__
        if kind is list:  # an array of objects: some one element must match it all
            return any(test(item) for item in event)
        found = event if kind is dict else _NOTHING
        for key, check, absent in fields:
            if not check(found.get(key, absent)):
                return False
        for group in alternatives:
            for alternative in group:
                if alternative(found):
                    break
            else:
                return False
        return True

    return test


def _leaves(value: Any) -> Iterator[Any]:
    """The leaf values at a field: an array's elements (arrays of arrays flattened), never an
    object."""
    if value is MISSING or isinstance(value, dict):
        return
    if isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _leaf(key: str, values: list[Any]) -> Test:
    """A field's list of values: any may match (or). Exact strings and numbers are looked up in a
    set (PutEvents matches every rule against every event: this is its hot path)."""
    if not values:
        raise EventPatternError("Empty arrays are not allowed")
    exists: list[bool] = []
    strings: set[str] = set()
    numbers: set[int] = set()
    tests: list[Test] = []
    for value in values:
        if isinstance(value, dict):
            if list(value) == ["exists"]:
                if not isinstance(value["exists"], bool):
                    raise EventPatternError("exists match pattern must be either true or false.")
                exists.append(value["exists"])
                continue
            tests.append(_matcher(value))
        elif isinstance(value, list):
            raise EventPatternError(f'Match value for "{key}" must be a string, number, true, false, null or an object')
        elif isinstance(value, str):
            strings.add(value)
        elif _is_number(value) and (comparable := _comparable(value)) is not None:
            numbers.add(comparable)
        else:
            tests.append(_exact(value))

    present, absent = True in exists, False in exists

    def one(leaf: Any) -> bool:
        kind = leaf.__class__
        if kind is str:
            if leaf in strings:
                return True
        elif numbers and (kind is int or kind is float) and _comparable(leaf) in numbers:
            return True
        for check in tests:  # noqa: SIM110 - the hot path: a loop costs less than any() and a generator
            if check(leaf):
                return True
        return False

    def test(value: Any) -> bool:
        kind = value.__class__
        if kind is list:
            leaves = list(_leaves(value))
            if leaves:
                return present or any(one(leaf) for leaf in leaves)
            return absent
        if value is MISSING or kind is dict:  # no leaf here (an object is not one)
            return absent
        return present or one(value)  # a scalar, the usual case: no list made

    return test


# --- values ----------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _comparable(number: float) -> int | None:
    """A number as event-ruler compares it: to six decimal places, within ±5.0e9 (None outside)."""
    if not -NUMERIC_LIMIT <= number <= NUMERIC_LIMIT:
        return None
    return round(number * 1_000_000)


def _exact(expected: Any) -> Test:
    if isinstance(expected, str):
        return lambda value: isinstance(value, str) and value == expected
    if expected is None:
        return lambda value: value is None
    if isinstance(expected, bool):
        return lambda value: value is expected
    if _is_number(expected):
        key = _comparable(expected)
        if key is None:  # outside the comparable range: only the same number
            return lambda value: _is_number(value) and value == expected
        return lambda value: _is_number(value) and _comparable(value) == key
    raise EventPatternError("Match value must be String, number, true, false, or null")


def _string(name: str, operand: Any) -> str:
    if not isinstance(operand, str):
        raise EventPatternError(f"{name} match pattern must be a string")
    return operand


def _matcher(spec: dict[str, Any]) -> Test:
    if len(spec) != 1:
        raise EventPatternError("Only one key allowed in match expression")
    ((kind, operand),) = spec.items()
    if kind in ("prefix", "suffix"):
        return _affix(kind, operand)
    if kind == "equals-ignore-case":
        folded = _string(kind, operand).casefold()
        return lambda value: isinstance(value, str) and value.casefold() == folded
    if kind == "wildcard":
        regex = _wildcard(_string(kind, operand))
        return lambda value: isinstance(value, str) and regex.fullmatch(value) is not None
    if kind == "anything-but":
        inner = _anything_but_inner(operand)
        return lambda value: not inner(value)
    if kind == "numeric":
        return _numeric(operand)
    if kind == "cidr":
        return _cidr(operand)
    if kind == "exists":
        raise EventPatternError("exists match pattern must be alone in its object")
    raise EventPatternError(f"Unrecognized match type {kind}")


def _affix(kind: str, operand: Any) -> Test:
    ignore_case = isinstance(operand, dict) and list(operand) == ["equals-ignore-case"]
    text = _string(kind, operand["equals-ignore-case"] if ignore_case else operand)
    if ignore_case:
        text = text.casefold()
    check = str.startswith if kind == "prefix" else str.endswith

    def test(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        return check(value.casefold() if ignore_case else value, text)

    return test


def _wildcard(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            following = pattern[i + 1 : i + 2]
            if following not in ("*", "\\"):
                raise EventPatternError(f"Invalid escape character at pos {i + 1}")
            parts.append(re.escape(following))
            i += 2
            continue
        if char == "*":
            if pattern[i + 1 : i + 2] == "*":
                raise EventPatternError(f"Consecutive wildcard characters at pos {i + 1}")
            parts.append(".*")
        else:
            parts.append(re.escape(char))
        i += 1
    return re.compile("".join(parts), re.DOTALL)


def _anything_but_inner(operand: Any) -> Test:
    """What ``anything-but`` excludes."""
    if isinstance(operand, dict):
        if len(operand) != 1 or next(iter(operand)) not in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
            raise EventPatternError("Value of anything-but must be an array or single string/number value.")
        ((kind, inner),) = operand.items()
        if kind == "equals-ignore-case" and isinstance(inner, list):
            return _any_of([_matcher({kind: item}) for item in _homogeneous(inner, strings_only=True)])
        if kind == "wildcard" and isinstance(inner, list):
            return _any_of([_matcher({kind: item}) for item in _homogeneous(inner, strings_only=True)])
        if kind in ("prefix", "suffix") and not isinstance(inner, str):
            raise EventPatternError(f"Value of {kind} inside anything-but must be a string")
        return _matcher({kind: inner})
    if isinstance(operand, list):
        return _any_of([_exact(item) for item in _homogeneous(operand, strings_only=False)])
    if isinstance(operand, str) or _is_number(operand):
        return _exact(operand)
    raise EventPatternError("Value of anything-but must be an array or single string/number value.")


def _homogeneous(items: list[Any], *, strings_only: bool) -> list[Any]:
    if not items:
        raise EventPatternError("Empty arrays are not allowed")
    if all(isinstance(item, str) for item in items):
        return items
    if not strings_only and all(_is_number(item) for item in items):
        return items
    raise EventPatternError("Inside anything-but list, all values must be strings or all must be numbers.")


def _any_of(tests: list[Test]) -> Test:
    return lambda value: any(check(value) for check in tests)


def _numeric(operand: Any) -> Test:
    if not isinstance(operand, list) or not operand or len(operand) % 2:
        raise EventPatternError("Value of numeric must be an array.")
    if len(operand) > 4:
        raise EventPatternError("Too many elements in numeric expression")
    seen: dict[str, tuple[str, int]] = {}
    for op, number in zip(operand[0::2], operand[1::2], strict=True):
        if op not in _BOUNDS:
            raise EventPatternError(f"Unrecognized numeric range operator: {op}")
        if not _is_number(number):
            raise EventPatternError(f"Value of {op} must be a number")
        key = _comparable(number)
        if key is None:
            raise EventPatternError("Value must be between -5.0E9 and 5.0E9, inclusive")
        side = _BOUNDS[op]
        if side in seen or ("equal" in seen and len(operand) > 2) or (side == "equal" and len(operand) > 2):
            raise EventPatternError("Bad numeric range: = stands alone, and at most one lower and one upper bound")
        seen[side] = (op, key)
    if "lower" in seen and "upper" in seen and seen["lower"][1] >= seen["upper"][1]:
        raise EventPatternError("Bottom must be less than top")
    bounds = list(seen.values())

    def test(value: Any) -> bool:
        if not _is_number(value):
            return False
        key = _comparable(value)
        return key is not None and all(_compare(op, key, bound) for op, bound in bounds)

    return test


def _compare(op: str, value: int, bound: int) -> bool:
    if op == "=":
        return value == bound
    if op == ">":
        return value > bound
    if op == ">=":
        return value >= bound
    if op == "<":
        return value < bound
    return value <= bound


def _cidr(operand: Any) -> Test:
    if not isinstance(operand, str):
        raise EventPatternError("Value of cidr must be a string")
    try:
        network = ipaddress.ip_network(operand, strict=False)
    except ValueError:
        raise EventPatternError(f"Nonstandard IP address: {operand}") from None

    def test(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return ipaddress.ip_address(value) in network
        except ValueError:
            return False

    return test
