"""The signing keys of a JWT authorizer's issuer, fetched as API Gateway fetches them: the
issuer's ``/.well-known/openid-configuration`` names its ``jwks_uri``, whose JSON Web Key Set
holds the keys by ``kid``.

Guarantees: a set is fetched once per issuer and kept for ``KEYS_TTL_S``; a token naming a
``kid`` the kept set lacks refetches it (a rotated key), at most once per ``REFETCH_AFTER_S``,
so a stream of forged ``kid`` values costs one fetch a minute, not one a request. Fetches run in
a worker thread (``asyncio.to_thread``), never on the event loop, one at a time per issuer, each
within ``FETCH_TIMEOUT_S`` and ``DOCUMENT_LIMIT_BYTES`` (API Gateway's quotas); only
``http``/``https`` URLs are fetched. A failed fetch keeps nothing and answers None (the request is refused, 401). The keys
are in memory, per server process.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any

from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKError, PyJWKSetError

from lambent.clock import Clock

#: How long an issuer's keys are kept.
KEYS_TTL_S = 3600.0
#: The shortest time between two fetches of one issuer's keys for an unknown ``kid``.
REFETCH_AFTER_S = 60.0
#: API Gateway's quotas for HTTP APIs: 1500 ms for the discovery and the JWKS endpoints each, and
#: 150000 bytes of JWKS (taken here for the discovery document too).
FETCH_TIMEOUT_S = 1.5
DOCUMENT_LIMIT_BYTES = 150_000
#: Issuers whose keys are kept (the least recently fetched go first).
ISSUERS_LIMIT = 1000


class _Kept:
    def __init__(self, keys: PyJWKSet, fetched_at: float) -> None:
        self.keys = keys
        self.fetched_at = fetched_at


class IssuerKeys:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._kept: dict[str, _Kept] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def key(self, issuer: str, kid: str) -> PyJWK | None:
        """The key *kid* of *issuer*, or None (no such key, or the keys could not be fetched)."""
        kept = self._kept.get(issuer)
        now = self._clock.monotonic()
        if kept is not None and now - kept.fetched_at < KEYS_TTL_S:
            found = _find(kept.keys, kid)
            if found is not None or now - kept.fetched_at < REFETCH_AFTER_S:
                return found
        lock = self._locks.setdefault(issuer, asyncio.Lock())
        async with lock:
            fresh = self._kept.get(issuer)
            if fresh is not None and fresh is not kept:  # fetched while this one waited
                return _find(fresh.keys, kid)
            keys = await asyncio.to_thread(_fetch_keys, issuer)
            if keys is None:
                return None
            if len(self._kept) >= ISSUERS_LIMIT and issuer not in self._kept:
                del self._kept[next(iter(self._kept))]
            self._kept[issuer] = _Kept(keys, self._clock.monotonic())
            return _find(keys, kid)


def _find(keys: PyJWKSet, kid: str) -> PyJWK | None:
    return next((key for key in keys.keys if key.key_id == kid), None)


def _fetch_keys(issuer: str) -> PyJWKSet | None:
    """The issuer's key set, or None when any step fails (in a worker thread)."""
    configuration = _fetch_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    jwks_uri = configuration.get("jwks_uri") if isinstance(configuration, dict) else None
    document = _fetch_json(jwks_uri) if isinstance(jwks_uri, str) else None
    if not isinstance(document, dict):
        return None
    try:
        return PyJWKSet.from_dict(document)
    except (PyJWKError, PyJWKSetError):
        return None


def _fetch_json(url: str) -> Any:
    if not url.startswith(("https://", "http://")):
        return None
    try:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - http(s) only
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310 - http(s) only (checked)
            body = response.read(DOCUMENT_LIMIT_BYTES + 1)
    except (OSError, ValueError):
        return None
    if len(body) > DOCUMENT_LIMIT_BYTES:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None
