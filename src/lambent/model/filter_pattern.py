"""CloudWatch Logs filter patterns (FilterLogEvents, metric and subscription filters, Live Tail):
a pattern is checked and compiled once into a matcher, which then answers for each log event's
message with no further parsing. Pure.

The syntax is AWS's "Filter pattern syntax for metric filters, subscription filters, filter log
events, and Live Tail" (docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html);
where that page is silent the choice made here is stated.

- Empty or blank: every event matches; so does the phrase ``" "`` ("match everything").
- ``%regex%`` alone: a search (not anchored) with AWS's subset of regex: ASCII letters and digits,
  the symbols ``: _ # = @ / ; , -`` and space, the operators ``^ $ ? [ ] { } | \\ * + .``, the
  escapes ``\\d \\D \\s \\S \\w \\W \\xhh`` (``\\w`` is ``[a-zA-Z_0-9]``) and ``\\`` before an operator
  or a symbol; no parentheses, no multi-byte characters. ``.`` does not match a newline.
- Terms: case-sensitive substrings. Bare terms may hold only ``[A-Za-z0-9_]``; anything else is
  written as a ``"quoted phrase"`` (``\\"`` and ``\\\\`` escape inside it). All plain terms must be
  present, no ``-term`` may be; ``?term`` s match when any is present, and are ignored (as AWS
  documents) when the pattern also has plain or ``-`` terms. A sign may stand apart from its term
  (``"ERROR" - "Exiting"``, an example of the older page).
- ``{ ... }``: the message must be a JSON object. A selector is ``$.`` then ``name`` (letters,
  digits, ``-``, ``_``), ``[N]``, ``['key.with.dots']`` or a wildcard (``.*``, ``[*]``: any field or
  element; one per selector, three per pattern); a wildcard condition holds when any selected
  value satisfies it. Conditions: ``= !=`` a string (quoted or bare), a number or a ``%regex%``;
  ``< > <= >=`` a number; ``IS NULL``, ``IS TRUE``, ``IS FALSE``, ``NOT EXISTS`` (``IS NOT`` and
  ``EXISTS`` are refused, as AWS documents); joined by ``&&`` over ``||``, with parentheses.
  Comparisons need a value node: a selector that reaches an object, an array, ``true``, ``false``,
  ``null`` or nothing satisfies neither ``=`` nor ``!=``. A number operand compares numerically
  with a JSON number (``1e3`` is ``1000``) and by text with a JSON string (a bare alphanumeric
  string needs no quotes); ``< >`` never hold for a string. A string operand compares with the
  text of a string or of a number as written (``{ $.latency = * }`` matches ``50``).
- ``[ ... ]``: fields named and separated by commas, matched against the message split on
  whitespace, where ``"..."`` and ``[...]`` are one field each (without their quotes or brackets).
  ``...`` stands for any number of fields. Without ``...`` the last field takes the rest of the
  message, which is why ``[w1=ERROR, w2]`` matches a six-word line; with ``...`` each named field
  is one field and the whole message must be covered. A field's conditions are those of JSON
  patterns (``&&`` over ``||``, no parentheses) on its own name only: AWS refuses
  ``status_code = 4* && bytes > 1000``. A number operand compares numerically when the field is a
  number, by text otherwise.
- Strings: ``*`` at the start and/or end is a wildcard (suffix, prefix, infix); elsewhere it is a
  literal star (``Ev*ent`` matches only ``Ev*ent``, as the older page says). Numbers: an optional
  sign, digits with an optional fraction, an optional exponent (``+1000``, ``55.5``, ``10e-3``).
- At most two ``%regex%`` in a JSON or space-delimited pattern.

A pattern that breaks a rule raises ``InvalidFilterPattern``. FilterLogEvents answers such a
pattern with ``InvalidParameterException`` and the message ``Invalid filter pattern`` (seen bare,
and lately followed by ``: `` and a reason); the exception's message is that reason, in AWS's
words where they are known (``Invalid character(s) in term '...'``, ``If a filter pattern starts
with '{' it must end with '}'``), else in their manner.
"""

from __future__ import annotations

import json
import operator
import re
import string
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Literal

#: What a compiled part answers for one value: a message, a JSON value or a field's text.
Check = Callable[[Any], bool]
Kind = Literal["all", "terms", "regex", "json", "delimited"]

MAX_REGEXES = 2  # in one JSON or space-delimited pattern
MAX_WILDCARD_SELECTORS = 3  # in one JSON pattern, one in each selector

_WORD = re.compile(r"[A-Za-z0-9_]+")
_BARE = re.compile(r"[A-Za-z0-9_.*+\-]+")  # a value written without quotes
_NAME = re.compile(r"[A-Za-z0-9_\-]+")  # a JSON property in a selector
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_JSON_OBJECT = re.compile(r"\s*\{")
_FIELD = re.compile(r'"([^"]*)"?|\[([^\]]*)\]?|(\S+)')
_REGEX_CHARS = frozenset(string.ascii_letters + string.digits + ":_#=@/;,- " + "^$?[]{}|\\*+.")
_RELATIONS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
_OPERATORS = ("&&", "||", "!=", "<=", ">=", "=", "<", ">", "(", ")")


class InvalidFilterPattern(ValueError):
    """The pattern breaks a rule of the syntax; the message is the reason."""


class FilterPattern:
    """A compiled pattern: ``matches(message)`` for a log event's message."""

    __slots__ = ("_test", "kind", "source")

    def __init__(self, source: str, kind: Kind, test: Check) -> None:
        self.source = source
        #: Which of AWS's forms the pattern is (metric filters take dimensions only from
        #: ``json`` and ``delimited`` ones).
        self.kind: Kind = kind
        self._test = test

    def matches(self, message: str) -> bool:
        return self._test(message)

    def __repr__(self) -> str:
        return f"FilterPattern({self.source!r}, kind={self.kind!r})"


@lru_cache(maxsize=512)
def compile_pattern(text: str) -> FilterPattern:
    """Compile a filter pattern; a request's pattern is usually one seen before, so the compiled
    form is kept (it is immutable)."""
    body = text.strip()
    if not body:
        return FilterPattern(text, "all", _anything)
    if body[0] == "{":
        if body[-1] != "}":
            raise InvalidFilterPattern("If a filter pattern starts with '{' it must end with '}'")
        return FilterPattern(text, "json", _json_pattern(body[1:-1]))
    if body[0] == "[":
        if body[-1] != "]":
            raise InvalidFilterPattern("If a filter pattern starts with '[' it must end with ']'")
        return FilterPattern(text, "delimited", _delimited_pattern(body[1:-1]))
    if len(body) > 1 and body[0] == body[-1] == "%":
        search = _regex(body).search
        return FilterPattern(text, "regex", lambda message: search(message) is not None)
    return FilterPattern(text, "terms", _terms(body))


def _anything(_value: Any) -> bool:
    return True


# --- terms -------------------------------------------------------------------------------------


def _terms(body: str) -> Check:
    required: list[str] = []
    excluded: list[str] = []
    optional: list[str] = []
    i, end = 0, len(body)
    while i < end:
        if body[i].isspace():
            i += 1
            continue
        sign = ""
        if body[i] in "?-":
            sign, i = body[i], i + 1
            while i < end and body[i].isspace():
                i += 1
        start = i
        if i < end and body[i] == '"':
            term, i = _quoted(body, i)
            if not term:
                raise InvalidFilterPattern("Invalid character(s) in term '\"\"'")
            # a blank phrase matches every message, as the empty string is in every message
            term = "" if term.isspace() else term
        else:
            term = ""
        if i == start or (i < end and not body[i].isspace()):
            while i < end and not body[i].isspace():
                i += 1
            term = body[start:i]
            if not _WORD.fullmatch(term):
                raise InvalidFilterPattern(f"Invalid character(s) in term '{sign}{term}'")
        {"-": excluded, "?": optional, "": required}[sign].append(term)
    if required or excluded:  # ?terms beside other terms are ignored, as AWS documents
        need, refuse = tuple(required), tuple(excluded)
        if len(need) == 1 and not refuse:
            only = need[0]
            return lambda message: only in message
        return lambda message: all(term in message for term in need) and not any(term in message for term in refuse)
    either = tuple(optional)
    return lambda message: any(term in message for term in either)


def _quoted(text: str, i: int) -> tuple[str, int]:
    """The string whose opening quote is at ``i``, and the index after its closing quote."""
    chars: list[str] = []
    j = i + 1
    while j < len(text):
        char = text[j]
        if char == "\\" and text[j + 1 : j + 2] in ('"', "\\"):
            chars.append(text[j + 1])
            j += 2
            continue
        if char == '"':
            return "".join(chars), j + 1
        chars.append(char)
        j += 1
    raise InvalidFilterPattern(f"Unterminated quoted string {text[i:]}")


# --- regex -------------------------------------------------------------------------------------


def _regex(written: str) -> re.Pattern[str]:
    """``%...%`` as AWS's subset allows it, compiled."""
    source = written[1:-1]
    if not source:
        raise InvalidFilterPattern("Empty regular expression '%%'")
    if not _REGEX_CHARS.issuperset(source):  # escaped or not: AWS refuses "\\(" too
        raise InvalidFilterPattern(f"Invalid character(s) in regular expression '{written}'")
    i = 0
    while i < len(source):
        if source[i] == "\\":
            following = source[i + 1 : i + 2]
            if following == "x" and all(c in string.hexdigits for c in source[i + 2 : i + 4]) and i + 4 <= len(source):
                i += 4
                continue
            if not following or (following.isalnum() and following not in "dDsSwW"):
                raise InvalidFilterPattern(f"Unsupported escape '\\{following}' in regular expression '{written}'")
            i += 1
        i += 1
    try:
        return re.compile(source, re.ASCII)
    except re.error as exc:
        raise InvalidFilterPattern(f"Invalid regular expression '{written}': {exc}") from None


# --- values and comparisons, shared by JSON and space-delimited patterns -------------------------


def _text_matcher(value: str) -> Callable[[str], bool]:
    """A string operand: ``*`` at either end is a wildcard, elsewhere a literal star."""
    if value.strip("*") == "":
        return _anything
    head, tail = value.startswith("*"), value.endswith("*")
    core = value[1 if head else 0 : -1 if tail else None]
    if head and tail:
        return lambda text: core in text
    if head:
        return lambda text: text.endswith(core)
    if tail:
        return lambda text: text.startswith(core)
    return lambda text: text == core


def _comparison(
    op: str,
    operand: str,
    regexes: list[str],
    *,
    text_of: Callable[[Any], str | None],
    number_of: Callable[[Any], float | None],
) -> Check:
    """``op operand`` over a value whose text and number (None when it has none) the two
    functions give. ``operand`` is as written: quoted, ``%regex%`` or bare."""
    quoted = operand.startswith('"')
    if quoted or operand.startswith("%") or not _NUMBER.fullmatch(operand):
        if op not in ("=", "!="):
            raise InvalidFilterPattern(f"The operator {op} compares numbers; {operand} is not a number")
        if operand.startswith("%"):
            regexes.append(operand)
            search = _regex(operand).search
            match: Callable[[str], bool] = lambda text: search(text) is not None  # noqa: E731
        else:
            match = _text_matcher(_quoted(operand, 0)[0] if quoted else operand)
        wanted = op == "="

        def text_test(value: Any) -> bool:
            text = text_of(value)
            return text is not None and match(text) is wanted

        return text_test

    number = float(operand)
    if op in _RELATIONS:
        relation = _RELATIONS[op]

        def relation_test(value: Any) -> bool:
            found = number_of(value)
            return found is not None and relation(found, number)

        return relation_test

    def equal(value: Any) -> bool | None:
        found = number_of(value)
        if found is not None:
            return found == number
        text = text_of(value)
        return None if text is None else text == operand

    if op == "=":
        return lambda value: equal(value) is True
    return lambda value: equal(value) is False


class _Lexer:
    """Tokens of a JSON pattern's body or of one space-delimited field."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def skip(self) -> None:
        while self.at < len(self.text) and self.text[self.at].isspace():
            self.at += 1

    def done(self) -> bool:
        self.skip()
        return self.at >= len(self.text)

    def peek(self) -> str:
        """The next operator, or the next word of letters ("" when neither)."""
        self.skip()
        for op in _OPERATORS:
            if self.text.startswith(op, self.at):
                return op
        word = re.match(r"[A-Za-z]+", self.text[self.at :])
        return word.group() if word else ""

    def accept(self, token: str) -> bool:
        if self.peek() == token:
            self.at += len(token)
            return True
        return False

    def expect(self, token: str, after: str) -> None:
        if not self.accept(token):
            raise InvalidFilterPattern(f"Expected {token} after {after}")

    def operator(self, after: str) -> str:
        op = self.peek()
        if op not in ("=", "!=", "<", ">", "<=", ">="):
            raise InvalidFilterPattern(f"Expected an operator after {after}")
        self.at += len(op)
        return op

    def value(self, after: str) -> str:
        """A quoted string, a ``%regex%`` or a bare word, as written."""
        self.skip()
        text, start = self.text, self.at
        if text.startswith('"', start):
            self.at = _quoted(text, start)[1]
        elif text.startswith("%", start):
            close = text.find("%", start + 1)
            if close < 0:
                raise InvalidFilterPattern(f"Unterminated regular expression {text[start:]}")
            self.at = close + 1
        else:
            bare = _BARE.match(text, start)
            if bare is None:
                raise InvalidFilterPattern(f"Expected a value after {after}")
            self.at = bare.end()
        return text[start : self.at]

    def name(self, pattern: re.Pattern[str]) -> str:
        found = pattern.match(self.text, self.at)
        if found is None:
            return ""
        self.at = found.end()
        return found.group()


# --- JSON patterns -----------------------------------------------------------------------------


class _Number(str):
    """A JSON number, kept as written: its text for string operands, its value for numbers."""

    __slots__ = ()


def _json_text(value: Any) -> str | None:
    kind = value.__class__
    return value if kind is str or kind is _Number else None


def _json_number(value: Any) -> float | None:
    return float(value) if value.__class__ is _Number else None


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


#: A selector step: a key, an index, or None for a wildcard (any field or element).
Step = str | int | None


def _select(value: Any, steps: tuple[Step, ...]) -> list[Any]:
    found = [value]
    for step in steps:
        reached: list[Any] = []
        for item in found:
            if step is None:
                if isinstance(item, dict):
                    reached.extend(item.values())
                elif isinstance(item, list):
                    reached.extend(item)
            elif isinstance(step, str):
                if isinstance(item, dict) and step in item:
                    reached.append(item[step])
            elif isinstance(item, list) and step < len(item):
                reached.append(item[step])
        if not reached:
            return reached
        found = reached
    return found


def _json_pattern(body: str) -> Check:
    lexer = _Lexer(body)
    if lexer.done():
        raise InvalidFilterPattern("Empty JSON filter pattern {}")
    regexes: list[str] = []
    wildcard_selectors = [0]

    def disjunction() -> Check:
        parts = [conjunction()]
        while lexer.accept("||"):
            parts.append(conjunction())
        return parts[0] if len(parts) == 1 else _any_of(parts)

    def conjunction() -> Check:
        parts = [primary()]
        while lexer.accept("&&"):
            parts.append(primary())
        return parts[0] if len(parts) == 1 else _all_of(parts)

    def primary() -> Check:
        if lexer.accept("("):
            inner = disjunction()
            lexer.expect(")", "a parenthesised expression")
            return inner
        return condition()

    def condition() -> Check:
        written, steps = _selector(lexer)
        if None in steps:
            wildcard_selectors[0] += 1
        word = lexer.peek()
        if word == "IS":
            lexer.accept("IS")
            expected = {"NULL": None, "TRUE": True, "FALSE": False}
            state = lexer.peek()
            if state not in expected:
                raise InvalidFilterPattern(f"Expected NULL, TRUE or FALSE after {written} IS (IS NOT is not supported)")
            lexer.accept(state)
            constant = expected[state]
            return lambda root: any(value is constant for value in _select(root, steps))
        if word == "NOT":
            lexer.accept("NOT")
            lexer.expect("EXISTS", f"{written} NOT")
            return lambda root: not _select(root, steps)
        if word == "EXISTS":
            raise InvalidFilterPattern(f"EXISTS is not supported (after {written}); use NOT EXISTS or = *")
        op = lexer.operator(written)
        check = _comparison(op, lexer.value(f"{written} {op}"), regexes, text_of=_json_text, number_of=_json_number)
        return lambda root: any(check(value) for value in _select(root, steps))

    test = disjunction()
    if not lexer.done():
        raise InvalidFilterPattern(f"Unexpected {lexer.text[lexer.at :].strip()!r} in JSON filter pattern")
    if len(regexes) > MAX_REGEXES:
        raise InvalidFilterPattern(f"A JSON filter pattern may hold at most {MAX_REGEXES} regular expressions")
    if wildcard_selectors[0] > MAX_WILDCARD_SELECTORS:
        raise InvalidFilterPattern(f"A JSON filter pattern may hold at most {MAX_WILDCARD_SELECTORS} wildcard selectors")

    def matches(message: str) -> bool:
        if _JSON_OBJECT.match(message) is None:  # a text line, an array: cheaply refused
            return False
        try:  # what starts with "{" and parses is an object
            root = json.loads(message, parse_int=_Number, parse_float=_Number, parse_constant=_no_constants)
        except (ValueError, RecursionError):
            return False
        return test(root)

    return matches


def _selector(lexer: _Lexer) -> tuple[str, tuple[Step, ...]]:
    """``$.a.b[0]['c.d'].*`` as written, and its steps."""
    lexer.skip()
    text, start = lexer.text, lexer.at
    if not text.startswith("$.", start):
        raise InvalidFilterPattern(f"Expected a property selector starting with $. at {text[start:]!r}")
    steps: list[Step] = []
    lexer.at += 1
    while lexer.at < len(text) and text[lexer.at] in ".[":
        dot = text[lexer.at] == "."
        lexer.at += 1
        if dot and text.startswith("*", lexer.at):
            lexer.at += 1
            steps.append(None)
        elif dot and not text.startswith("[", lexer.at):
            name = lexer.name(_NAME)
            if not name:
                raise InvalidFilterPattern(f"Invalid property selector {text[start : lexer.at + 1]}")
            steps.append(name)
        else:
            lexer.at += dot  # past the "[" of ".["
            steps.append(_bracket(lexer, start))
    written = text[start : lexer.at]
    if lexer.at < len(text) and not (text[lexer.at].isspace() or text[lexer.at] in "=!<>)&|"):
        raise InvalidFilterPattern(f"Invalid property selector {written}{text[lexer.at]}")
    if sum(step is None for step in steps) > 1:
        raise InvalidFilterPattern(f"Only one wildcard is allowed in a property selector: {written}")
    return written, tuple(steps)


def _bracket(lexer: _Lexer, start: int) -> Step:
    """The inside of ``[...]`` (``lexer`` is past the ``[``): ``*``, an index or a quoted key."""
    text = lexer.text
    found = re.match(r"\*\]|(\d+)\]|'([^']*)'\]|\"([^\"]*)\"\]", text[lexer.at :])
    if found is None:
        raise InvalidFilterPattern(f"Invalid property selector {text[start : lexer.at + 1]}")
    lexer.at += found.end()
    index, single, double = found.groups()
    if index is not None:
        return int(index)
    if single is not None or double is not None:
        return single if single is not None else double
    return None  # [*]


# --- space-delimited patterns ------------------------------------------------------------------

#: A pattern's field: ``...``, or a name with the test of its conditions.
_ELLIPSIS = None
Field = tuple[str, Check] | None


def _delimited_pattern(body: str) -> Check:
    regexes: list[str] = []
    fields = [_field(part.strip(), regexes) for part in _split_fields(body)]
    if len(regexes) > MAX_REGEXES:
        raise InvalidFilterPattern(f"A space-delimited filter pattern may hold at most {MAX_REGEXES} regular expressions")
    if _ELLIPSIS in fields:
        return lambda message: _covers(fields, _FIELD.findall(message))
    checks = tuple(field[1] for field in fields if field is not None)

    def matches(message: str) -> bool:
        found = list(_FIELD.finditer(message))
        if len(found) < len(checks):
            return False
        last = len(checks) - 1
        for check, field in zip(checks[:last], found, strict=False):
            if not check(_field_text(field)):
                return False
        rest = found[last]
        text = _field_text(rest) if len(found) == len(checks) else message[rest.start() :].rstrip()
        return checks[last](text)

    return matches


def _field_text(found: re.Match[str]) -> str:
    quoted, bracketed, bare = found.groups()
    return quoted if quoted is not None else bracketed if bracketed is not None else bare


def _covers(fields: list[Field], groups: list[tuple[str, str, str]]) -> bool:
    """Whether the fields, ``...`` standing for any number of message fields, cover them all."""
    texts = [quoted or bracketed or bare for quoted, bracketed, bare in groups]
    reachable = {0}  # how many message fields the pattern's fields so far can have consumed
    for field in fields:
        if field is None:
            reachable = set(range(min(reachable), len(texts) + 1))
        else:
            check = field[1]
            reachable = {at + 1 for at in reachable if at < len(texts) and check(texts[at])}
        if not reachable:
            return False
    return len(texts) in reachable


def _split_fields(body: str) -> list[str]:
    """The pattern's fields: split on commas outside quotes and ``%regex%``."""
    parts, start, i = [], 0, 0
    while i < len(body):
        char = body[i]
        if char == '"':
            i = _quoted(body, i)[1]
            continue
        if char == "%":
            close = body.find("%", i + 1)
            if close < 0:
                raise InvalidFilterPattern(f"Unterminated regular expression {body[i:]}")
            i = close
        elif char == ",":
            parts.append(body[start:i])
            start = i + 1
        i += 1
    parts.append(body[start:])
    return parts


def _field(text: str, regexes: list[str]) -> Field:
    """``...``, ``name`` or ``name op value [&& or || name op value ...]``."""
    if text == "...":
        return _ELLIPSIS
    lexer = _Lexer(text)
    name = lexer.name(_WORD)
    if not name:
        raise InvalidFilterPattern(f"Invalid field {text!r} in a space-delimited filter pattern")
    if lexer.done():
        return name, _anything
    alternatives: list[Check] = []
    lexer.at = 0
    while True:
        conjuncts: list[Check] = []
        while True:
            lexer.skip()
            named = lexer.name(_WORD)
            if named != name:
                raise InvalidFilterPattern(f"A condition of field {name} must name {name}, not {named or text[lexer.at :]!r}")
            op = lexer.operator(name)
            conjuncts.append(_comparison(op, lexer.value(f"{name} {op}"), regexes, text_of=str, number_of=_field_number))
            if not lexer.accept("&&"):
                break
        alternatives.append(conjuncts[0] if len(conjuncts) == 1 else _all_of(conjuncts))
        if not lexer.accept("||"):
            break
    if not lexer.done():
        raise InvalidFilterPattern(f"Unexpected {lexer.text[lexer.at :].strip()!r} in field {name}")
    return name, alternatives[0] if len(alternatives) == 1 else _any_of(alternatives)


def _all_of(checks: list[Check]) -> Check:
    parts = tuple(checks)
    return lambda value: all(part(value) for part in parts)


def _any_of(checks: list[Check]) -> Check:
    parts = tuple(checks)
    return lambda value: any(part(value) for part in parts)


def _field_number(text: str) -> float | None:
    return float(text) if _NUMBER.fullmatch(text) else None
