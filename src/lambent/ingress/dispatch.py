"""The outermost middleware: a request addressed to a function URL goes to the ingress, every
other to the platform's APIs, before authentication (a URL authenticates its own callers, or
none). A host under a URL suffix whose id is malformed, and the path form with an unknown id,
are the ingress's to refuse: they never reach the API."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from lambent.ingress.function_urls import FunctionUrls, send_response
from lambent.model.http_response import URL_NOT_FOUND
from lambent.model.url_address import PATH_PREFIX, address_of, is_url_host


class UrlDispatch:
    def __init__(self, app: ASGIApp, urls: FunctionUrls, suffixes: tuple[str, ...]) -> None:
        self._app = app
        self._urls = urls
        self._suffixes = suffixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = _host(scope)
            raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
            if is_url_host(host, self._suffixes) or raw_path.startswith(PATH_PREFIX):
                address = address_of(host, raw_path, self._suffixes)
                if address is None:
                    await send_response(send, URL_NOT_FOUND)
                else:
                    await self._urls(scope, receive, send, address)
                return
        await self._app(scope, receive, send)


def _host(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"host":
            return str(value.decode("latin-1"))
    return None
