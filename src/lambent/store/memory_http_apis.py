"""The HTTP API half of ``MemoryStore``: each account's APIs in a dictionary keyed by id,
answering as ``store.sql_http_apis`` does (ids unique across accounts)."""

from __future__ import annotations

from lambent.model.http_api import HttpApiState


class MemoryHttpApis:
    """Mixed into ``MemoryStore``, which binds ``_http_apis`` to its account's and keeps
    ``_apis_of`` (every account's APIs, by account)."""

    _account: str
    _http_apis: dict[str, HttpApiState]

    def _apis_of(self) -> dict[str, dict[str, HttpApiState]]:
        raise NotImplementedError

    async def load_http_apis(self) -> list[HttpApiState]:
        return [self._http_apis[key] for key in sorted(self._http_apis)]

    async def put_http_api(self, state: HttpApiState) -> None:
        for account, apis in self._apis_of().items():
            if account != self._account and state.api_id in apis:
                raise KeyError(state.api_id)
        self._http_apis[state.api_id] = state

    async def delete_http_api(self, api_id: str) -> None:
        self._http_apis.pop(api_id, None)
