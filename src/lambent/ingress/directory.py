"""Which account's function a URL id names, and which account's HTTP API an API id names, from
the cells' memory (no database read on the request path). Both ids are unique across accounts
(the store enforces it), so the first cell that knows one is the one."""

from __future__ import annotations

from lambent.ingress.function_urls import UrlTarget
from lambent.model.cors import CorsRules
from lambent.model.function_url import Cors
from lambent.services.cells import Cell, Cells


def cors_rules(cors: Cors | None) -> CorsRules | None:
    """A config's ``Cors``, as the platform applies it (None: no CORS handling at all)."""
    if cors is None:
        return None
    return CorsRules(
        allow_credentials=bool(cors.allow_credentials),
        allow_headers=tuple(cors.allow_headers or ()),
        allow_methods=tuple(cors.allow_methods or ()),
        allow_origins=tuple(cors.allow_origins or ()),
        expose_headers=tuple(cors.expose_headers or ()),
        max_age_s=cors.max_age_s or 0,
    )


class CellUrls:
    def __init__(self, cells: Cells) -> None:
        self._cells = cells

    def url_target(self, url_id: str) -> UrlTarget | None:
        for cell in self._cells.all():
            config = cell.function_urls.by_id(url_id)
            if config is not None:
                return UrlTarget(
                    cell=cell,
                    function=config.function_name,
                    qualifier=config.qualifier or None,
                    function_arn=cell.function_urls.arn(config),
                    auth_type=config.auth_type,
                    cors=cors_rules(config.cors),
                    invoke_mode=config.invoke_mode,
                )
        return None


class CellApis:
    def __init__(self, cells: Cells) -> None:
        self._cells = cells

    def api_cell(self, api_id: str) -> Cell | None:
        for cell in self._cells.all():
            if cell.http_apis.by_id(api_id) is not None:
                return cell
        return None

    async def function_cell(self, account: str) -> Cell | None:
        return await self._cells.of(account)
