"""CORS as a function URL's (and an HTTP API's) platform applies it: pure decisions on headers.

With a CORS configuration, the platform answers a browser's preflight itself (an ``OPTIONS``
request carrying ``Origin`` and ``Access-Control-Request-Method``; the function is not invoked),
adds the ``Access-Control-*`` headers to every response to an allowed origin, and drops those
the function set itself, so the configuration is the one truth. Without a configuration the
platform does none of this: preflights reach the function like any request.

The rules follow the Fetch standard's CORS protocol, which API Gateway's HTTP APIs and function
URLs implement: an origin is allowed when it is listed or ``*`` is; a preflight is answered with
the allowed methods and headers when the requested method and every requested header are
allowed (``*`` allows any), otherwise without CORS headers, so the browser refuses it. With
``AllowCredentials`` a wildcard origin is echoed as the request's origin (a browser rejects
``*`` with credentials).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

Header = tuple[str, str]


class CorsRules(msgspec.Struct, frozen=True, kw_only=True):
    """A function URL's ``Cors`` configuration (every member optional, as AWS's is)."""

    allow_credentials: bool = False
    allow_headers: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_origins: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age_s: int = 0


def is_preflight(method: str, headers: Sequence[Header]) -> bool:
    """An ``OPTIONS`` request with ``Origin`` and ``Access-Control-Request-Method``."""
    if method != "OPTIONS":
        return False
    names = {name.lower() for name, _ in headers}
    return "origin" in names and "access-control-request-method" in names


def _get(headers: Sequence[Header], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _allowed_origin(rules: CorsRules, origin: str | None) -> str | None:
    """The ``Access-Control-Allow-Origin`` value for *origin*, or None when it is not allowed."""
    if origin is None:
        return None
    if "*" in rules.allow_origins:
        return origin if rules.allow_credentials else "*"
    return origin if origin in rules.allow_origins else None


def preflight(rules: CorsRules, headers: Sequence[Header]) -> list[Header]:
    """The headers of the platform's 200 answer to a preflight with request *headers* (none of
    the CORS ones when the origin, the method or a requested header is not allowed)."""
    allow_origin = _allowed_origin(rules, _get(headers, "origin"))
    method = (_get(headers, "access-control-request-method") or "").upper()
    requested = [h.strip().lower() for h in (_get(headers, "access-control-request-headers") or "").split(",") if h.strip()]
    methods = {m.upper() for m in rules.allow_methods}
    allowed_headers = {h.lower() for h in rules.allow_headers}
    if allow_origin is None or not ("*" in methods or method in methods):
        return [("vary", "Origin")]
    if requested and "*" not in allowed_headers and not set(requested) <= allowed_headers:
        return [("vary", "Origin")]
    answer: list[Header] = [("access-control-allow-origin", allow_origin)]
    answer.append(("access-control-allow-methods", ",".join(rules.allow_methods)))
    if rules.allow_headers:
        answer.append(("access-control-allow-headers", ",".join(rules.allow_headers)))
    if rules.allow_credentials:
        answer.append(("access-control-allow-credentials", "true"))
    if rules.max_age_s:
        answer.append(("access-control-max-age", str(rules.max_age_s)))
    answer.append(("vary", "Origin"))
    return answer


def on_response(rules: CorsRules, request_headers: Sequence[Header], response_headers: Sequence[Header]) -> list[Header]:
    """*response_headers* without the function's own ``Access-Control-*`` headers, and with the
    configuration's for an allowed origin."""
    kept = [(name, value) for name, value in response_headers if not name.lower().startswith("access-control-")]
    allow_origin = _allowed_origin(rules, _get(request_headers, "origin"))
    if allow_origin is None:
        return kept
    kept.append(("access-control-allow-origin", allow_origin))
    if rules.expose_headers:
        kept.append(("access-control-expose-headers", ",".join(rules.expose_headers)))
    if rules.allow_credentials:
        kept.append(("access-control-allow-credentials", "true"))
    if not any(name.lower() == "vary" for name, _ in kept):
        kept.append(("vary", "Origin"))
    return kept
