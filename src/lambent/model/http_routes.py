"""Which route of an HTTP API a request takes, as API Gateway chooses it. Pure.

A route key is ``$default`` or ``METHOD /path``: METHOD one of GET, POST, PUT, PATCH, DELETE, HEAD,
OPTIONS or ANY; the path ``/`` or ``/``-separated parts, each a literal, a ``{name}`` variable
(one whole part) or, last only, a greedy ``{name+}``. ``check_route_key`` refuses anything else
with API Gateway's BadRequestException wording where it is known; ``compile`` builds the table a
deployment serves from keys that passed.

The developer guide ("Routing API requests") picks the most specific match: a full match for
route and method (literal parts and ``{name}`` variables), then a route with a greedy variable,
then ``$default``; none is ``{"message":"Not Found"}``. ``ANY`` "matches all methods that you
haven't defined for a resource". Where the guide is silent this model decides, one rule each:

- the path decides before the method: among the routes whose path matches, the most specific
  path wins, and of those a route with the request's method beats ``ANY`` (so ``ANY /pets/dog``
  beats ``GET /pets/{id}`` for ``GET /pets/dog``);
- paths compare part by part from the left, a literal beating a variable at the first part
  where they differ (``/pets/dog/{id}`` before ``/pets/{kind}/1``), as a resource tree would;
- greedy routes compare by the length of what comes before the greedy part, longest first;
- a ``{name}`` variable never matches an empty part (``/pets/`` is not ``/pets/{id}``); a greedy
  variable takes everything after its prefix and ``/``, an empty rest included (``/pets/`` is
  ``/pets/{proxy+}`` with ``proxy=""``, ``/`` is ``/{proxy+}``) — storacha/w3infra#166 fixed a
  trailing slash on a live HTTP API with ``GET /metrics/{proxy+}``, and AWS's own Lambda test
  tool (aws-lambda-dotnet ApiGatewayRouteConfigService) routes the same way;
- paths are case-sensitive, and so are methods (RFC 9110): a request method ``get`` takes only
  ``ANY`` routes;
- a trailing slash is significant: ``/todos/`` is not ``GET /todos`` (Powertools' end-to-end
  test against a live HTTP API, tests/e2e/event_handler/test_paths_ending_with_slash.py);
- two routes whose paths differ only in variable names (``/pets/{id}``, ``/pets/{name}``) are
  told apart by their keys' order, so the choice is stable; AWS's behaviour there is unknown.

What the model expects: the path after the ingress has stripped a named stage's prefix
(``/prod/pets/1`` on stage ``prod`` is ``/pets/1``; the ``$default`` stage has none) and decoded
it with ``decode_path``, which is also the ``rawPath`` the function sees: HTTP APIs deliver
``rawPath`` and path parameters url-decoded, and route what they deliver (live captures in
hotsock/voker vokerhttp/testdata/ingress-paths.json, cited by middleapi/standard-server#93).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Literal
from urllib.parse import unquote_to_bytes

import msgspec

DEFAULT = "$default"
ANY = "ANY"
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})

#: The pattern a path part must match. The message's first sentence is AWS's (a live
#: BadRequestException quoted in serverless/serverless#10423); the sentence naming the expression
#: and the expression are the ones AWS's Lambda test tool logs for the same refusal.
PART_PATTERN = r"^(\{[\w.:-]+\+?\}|[a-zA-Z0-9.:_-]+)$"
_PART = re.compile(PART_PATTERN, re.ASCII)
INVALID_PARTS = (
    f"One or more path parts appear to be invalid. Parts are validated against this regular expression: {PART_PATTERN}"
)
#: AWS's wording for a missing route key (a live BadRequestException, goldstack/goldstack#42).
KEY_REQUIRED = "Route key is required"
#: Not captured from AWS: the brief's wording for a key that is neither $default nor METHOD /path.
INVALID_KEY = "Invalid route key"
#: Not captured from AWS: the developer guide's sentence ("Working with path variables").
GREEDY_NOT_LAST = "The greedy path variable must be at the end of the resource path."
#: Not captured from AWS.
DUPLICATE_VARIABLE = "Path variable names must be unique within a route"


class Refusal(msgspec.Struct, frozen=True, kw_only=True):
    """Why a route key or a set of them cannot be deployed: the control plane raises
    ``error_type`` (400 BadRequestException, 409 ConflictException) with ``message``."""

    error_type: Literal["BadRequestException", "ConflictException"]
    message: str


def duplicate_route(key: str) -> Refusal:
    """A second route with *key* in the same API. The wording is floci's (floci-io/floci#1956),
    not captured from AWS; the type follows botocore's CreateRoute errors (ConflictException:
    "The resource already exists")."""
    return Refusal(error_type="ConflictException", message=f"Route with key '{key}' already exists")


class RouteMatch(msgspec.Struct, frozen=True, kw_only=True):
    """The route a request takes: its key, as the event's ``routeKey``, and its path variables'
    values, decoded (a greedy one with its slashes), as ``pathParameters`` (empty for a route
    without variables and for ``$default``)."""

    route_key: str
    path_parameters: Mapping[str, str] = msgspec.field(default_factory=dict)


class _Part(msgspec.Struct, frozen=True):
    literal: str | None  # None: a variable named ``name``
    name: str = ""


class _Route(msgspec.Struct, frozen=True):
    key: str
    method: str
    parts: tuple[_Part, ...]  # before the greedy part, if any
    greedy: str | None  # the greedy variable's name

    def rank(self) -> tuple[int, tuple[int, ...], int, str]:
        """Sorts most specific first: longer prefix, literals earlier, a method before ANY."""
        return (-len(self.parts), tuple(0 if p.literal is not None else 1 for p in self.parts), self.method == ANY, self.key)


def _parse(key: str) -> _Route | Refusal:
    if not key:
        return Refusal(error_type="BadRequestException", message=KEY_REQUIRED)
    method, space, path = key.partition(" ")
    if not space or (method not in METHODS and method != ANY) or not path.startswith("/"):
        return Refusal(error_type="BadRequestException", message=INVALID_KEY)
    if path == "/":
        return _Route(key=key, method=method, parts=(_Part(""),), greedy=None)
    parts: list[_Part] = []
    greedy: str | None = None
    names: set[str] = set()
    texts = path[1:].split("/")
    for i, text in enumerate(texts):
        if not _PART.fullmatch(text):
            return Refusal(error_type="BadRequestException", message=INVALID_PARTS)
        if not text.startswith("{"):
            parts.append(_Part(text))
            continue
        name = text[1:-1]
        is_greedy = name.endswith("+")
        name = name.removesuffix("+")
        if name in names:
            return Refusal(error_type="BadRequestException", message=DUPLICATE_VARIABLE)
        names.add(name)
        if is_greedy:
            if i != len(texts) - 1:
                return Refusal(error_type="BadRequestException", message=GREEDY_NOT_LAST)
            greedy = name
        else:
            parts.append(_Part(None, name))
    return _Route(key=key, method=method, parts=tuple(parts), greedy=greedy)


def check_route_key(key: str) -> Refusal | None:
    """Why API Gateway would refuse *key* as an HTTP API route key, or None when it is valid."""
    if key == DEFAULT:
        return None
    parsed = _parse(key)
    return parsed if isinstance(parsed, Refusal) else None


def check_route_keys(keys: Iterable[str]) -> Refusal | None:
    """Why *keys* cannot be one API's routes: the first invalid key, or the first repeated."""
    seen: set[str] = set()
    for key in keys:
        refusal = check_route_key(key)
        if refusal is not None:
            return refusal
        if key in seen:
            return duplicate_route(key)
        seen.add(key)
    return None


class RouteTable:
    """One deployment's routes, compiled once; ``match`` is a dict lookup for a literal path, else
    a scan, most specific first, of the variable routes of the request's length and first part,
    then of the greedy routes."""

    __slots__ = ("_default", "_greedy", "_literal", "_variable", "route_keys")

    def __init__(self, routes: Iterable[_Route], has_default: bool) -> None:
        literal: dict[str, dict[str, str]] = {}
        # keyed by length and first literal (None: the first part is a variable); a literal first
        # part outranks a variable one, so scanning its bucket first keeps the order
        variable: dict[tuple[int, str | None], list[_Route]] = {}
        greedy: list[_Route] = []
        keys: list[str] = []
        for route in routes:
            keys.append(route.key)
            if route.greedy is not None:
                greedy.append(route)
            elif all(p.literal is not None for p in route.parts):
                path = "/" + "/".join(p.literal or "" for p in route.parts)
                literal.setdefault(path, {})[route.method] = route.key
            else:
                variable.setdefault((len(route.parts), route.parts[0].literal), []).append(route)
        self._literal = literal
        self._variable = {k: tuple(sorted(rs, key=_Route.rank)) for k, rs in variable.items()}
        self._greedy = tuple(sorted(greedy, key=_Route.rank))
        self._default = has_default
        #: The keys the table was compiled from, ``$default`` last.
        self.route_keys = (*keys, DEFAULT) if has_default else tuple(keys)

    def match(self, method: str, path: str) -> RouteMatch | None:
        """The route a *method* request for *path* takes (*path* decoded by ``decode_path``, the
        stage prefix stripped), or None: the ingress answers 404 ``{"message":"Not Found"}``."""
        if not path.startswith("/"):
            path = "/" + path
        found = self._literal.get(path)
        if found is not None:
            key = found.get(method) or found.get(ANY)
            if key is not None:
                return RouteMatch(route_key=key)
        segments = path[1:].split("/")
        n = len(segments)
        for route in (*self._variable.get((n, segments[0]), ()), *self._variable.get((n, None), ())):
            if route.method in (method, ANY):
                params = _bind(route.parts, segments)
                if params is not None:
                    return RouteMatch(route_key=route.key, path_parameters=params)
        for route in self._greedy:
            k = len(route.parts)
            if n > k and route.method in (method, ANY):
                params = _bind(route.parts, segments[:k])
                if params is not None:
                    assert route.greedy is not None
                    params[route.greedy] = "/".join(segments[k:])
                    return RouteMatch(route_key=route.key, path_parameters=params)
        return RouteMatch(route_key=DEFAULT) if self._default else None


def _bind(parts: tuple[_Part, ...], segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for part, segment in zip(parts, segments, strict=True):
        if part.literal is None:
            if not segment:
                return None
            params[part.name] = segment
        elif part.literal != segment:
            return None
    return params


def compile(route_keys: Iterable[str]) -> RouteTable:
    """The table of *route_keys*; ValueError names the first key ``check_route_keys`` refuses
    (the control plane checks before it deploys, so a refusal here is a bug)."""
    keys = tuple(route_keys)
    refusal = check_route_keys(keys)
    if refusal is not None:
        raise ValueError(f"{refusal.error_type}: {refusal.message}")
    routes = [r for k in keys if k != DEFAULT for r in (_parse(k),) if isinstance(r, _Route)]
    return RouteTable(routes, DEFAULT in keys)


_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


def _unquote(text: str) -> str | None:
    """*text* percent-decoded as UTF-8, or None if a ``%`` starts no escape or the bytes are not
    UTF-8."""
    if "%" not in text:
        return text
    if text.count("%") != len(_ESCAPE.findall(text)):
        return None
    try:
        return unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        return None


def decode_path(raw_path: str) -> str | None:
    """The path an HTTP API routes and delivers as ``rawPath`` for the request path *raw_path*
    (percent-encoded, as received), or None: API Gateway answers 400.

    AWS's live behaviour (hotsock/voker's captures): the path is decoded, cut at a ``?`` the first
    decoding produced, then decoded again: ``%20`` is a space, ``%2F`` a slash, ``%23`` a ``#``,
    ``%3F`` ends the path, ``%252F`` is a slash, ``%253F`` a ``?`` that stays, ``%2525`` a
    ``%``, and ``%25do`` (a ``%`` left that starts no escape) is refused with 400. Bytes that are
    not UTF-8 are refused too (not captured)."""
    text = raw_path if raw_path.startswith("/") else "/" + raw_path
    once = _unquote(text)
    if once is None:
        return None
    return _unquote(once.partition("?")[0])
