"""The function URL half of ``MemoryStore``: each account's configs in a dictionary keyed by
(function, qualifier), answering as ``store.sql_function_urls`` does (URL ids unique across
accounts, the lookup by id reading every account's)."""

from __future__ import annotations

from lambent.model.function_url import FunctionUrlConfig


class MemoryFunctionUrls:
    """Mixed into ``MemoryStore``, which binds ``_function_urls`` to its account's and keeps
    ``_urls_of`` (every account's configs, by account)."""

    _account: str
    _function_urls: dict[tuple[str, str], FunctionUrlConfig]

    def _urls_of(self) -> dict[str, dict[tuple[str, str], FunctionUrlConfig]]:
        raise NotImplementedError

    async def load_function_urls(self) -> list[FunctionUrlConfig]:
        return [self._function_urls[key] for key in sorted(self._function_urls)]

    async def put_function_url(self, config: FunctionUrlConfig) -> None:
        key = (config.function_name, config.qualifier)
        found = await self.function_url_by_id(config.url_id)
        if found is not None and (found[0], (found[1].function_name, found[1].qualifier)) != (self._account, key):
            raise KeyError(config.url_id)
        self._function_urls[key] = config

    async def delete_function_url(self, name: str, qualifier: str) -> None:
        self._function_urls.pop((name, qualifier), None)

    async def function_url_by_id(self, url_id: str) -> tuple[str, FunctionUrlConfig] | None:
        for account, configs in self._urls_of().items():
            for config in configs.values():
                if config.url_id == url_id:
                    return account, config
        return None
