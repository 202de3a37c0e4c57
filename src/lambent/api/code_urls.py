"""Signed, expiring code locations, as S3's presigned URLs are, and the endpoint behind them.

GetFunction's ``Code.Location`` and GetLayerVersion's ``Content.Location`` point at
``/lambent/code/<sha256>.zip?Expires=<epoch s>&Signature=<hex HMAC-SHA256 of "sha:expires">``,
valid for ten minutes. The key is the server's secret (``<data>/secret``). A URL that is
unsigned, badly signed, expired, or names a package that is not stored is one 404:
the answer never says which.
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import Request
from starlette.responses import Response

from lambent.clock import Clock
from lambent.errors import ResourceNotFoundException
from lambent.services.packages import PackageStore

CODE_URL_TTL_S = 600


class CodeUrls:
    def __init__(self, secret: bytes, endpoint_url: str, packages: PackageStore, clock: Clock) -> None:
        self._secret = secret
        self._endpoint_url = endpoint_url
        self._packages = packages
        self._clock = clock

    def _signature(self, sha256_hex: str, expires: str) -> str:
        return hmac.new(self._secret, f"{sha256_hex}:{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, sha256_hex: str) -> str:
        """The location of the package *sha256_hex*, valid for ``CODE_URL_TTL_S``."""
        expires = str(int(self._clock.time()) + CODE_URL_TTL_S)
        signature = self._signature(sha256_hex, expires)
        return f"{self._endpoint_url}/lambent/code/{sha256_hex}.zip?Expires={expires}&Signature={signature}"

    def valid(self, sha256_hex: str, expires: str, signature: str) -> bool:
        """Whether a location's query was signed by this server and has not expired."""
        if not expires.isdigit() or int(expires) < self._clock.time():
            return False
        return hmac.compare_digest(self._signature(sha256_hex, expires), signature)

    async def download(self, request: Request) -> Response:
        sha = request.path_params["sha"]
        query = request.query_params
        blob = self._packages.blob(sha)
        if not self.valid(sha, query.get("Expires", ""), query.get("Signature", "")) or not blob.is_file():
            raise ResourceNotFoundException("The code location is unknown or has expired.")
        return Response(blob.read_bytes(), media_type="application/zip")
