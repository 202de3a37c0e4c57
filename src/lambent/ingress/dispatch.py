"""The outermost middleware: a request addressed to a function URL or to an HTTP API goes to the
ingress, every other to the platform's APIs, before authentication (a URL authenticates its own
callers, or none; an API's routes have their own authorizers). A host under a URL or API suffix
whose id is malformed, and the path forms with an unknown id, are the ingress's to refuse: they
never reach the platform's APIs."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from lambent.ingress.function_urls import FunctionUrls, send_response
from lambent.ingress.http_apis import HttpApis
from lambent.model import api_address
from lambent.model.http_response import HTTP_API_NOT_FOUND, URL_NOT_FOUND
from lambent.model.url_address import PATH_PREFIX, address_of, is_url_host


class UrlDispatch:
    def __init__(
        self,
        app: ASGIApp,
        urls: FunctionUrls,
        suffixes: tuple[str, ...],
        apis: HttpApis | None = None,
        api_suffixes: tuple[str, ...] = (),
    ) -> None:
        self._app = app
        self._urls = urls
        self._suffixes = suffixes
        self._apis = apis
        self._api_suffixes = api_suffixes

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
            if self._apis is not None and (
                api_address.is_api_host(host, self._api_suffixes) or raw_path.startswith(api_address.PATH_PREFIX)
            ):
                found = api_address.api_address_of(host, raw_path, self._api_suffixes)
                if found is None:
                    await send_response(send, HTTP_API_NOT_FOUND)
                else:
                    await self._apis(scope, receive, send, found)
                return
        await self._app(scope, receive, send)


def _host(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"host":
            return str(value.decode("latin-1"))
    return None
