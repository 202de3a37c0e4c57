"""Function URL configs of one account: create, get, update, delete, list, and the lookup by
URL id that the ingress makes on every request (from memory: no database on that path).

Each operation refuses as AWS does, in the order and words LocalStack recorded against AWS
(``model.function_url``): the qualifier's form was checked by the API model before; then a
missing function ("Function does not exist" for Create, Update and List; "The resource you
requested does not exist." for Get and Delete), a config already there (Create, 409), a missing
alias (as the missing function), a missing config (404, "The resource you requested does not
exist."). Changes happen under the function's lock, store first, memory after, so a failed
write leaves both as they were. A function's configs go with it (``FunctionListener``), an
alias's with the alias (``AliasEvents``): the store deleted them already, the maps follow.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from lambent.clock import Clock, SystemClock
from lambent.errors import ResourceConflictException, ResourceNotFoundException
from lambent.model.arns import FunctionRef
from lambent.model.function_url import (
    FUNCTION_DOES_NOT_EXIST,
    NO_SUCH_RESOURCE,
    URL_ID_ALPHABET,
    URL_ID_LENGTH,
    CreateFunctionUrlInput,
    FunctionUrlConfig,
    UpdateFunctionUrlInput,
    conflict_message,
    new_config,
    updated_config,
    url_id_from,
)
from lambent.model.paging import page
from lambent.services.function_events import FunctionListener
from lambent.services.function_index import FunctionIndex
from lambent.store import FunctionUrlStore

#: Draws of a fresh URL id before giving up (a collision of 32 random characters is not expected).
_ID_ATTEMPTS = 5


def random_draws() -> list[int]:
    return [secrets.randbelow(len(URL_ID_ALPHABET)) for _ in range(URL_ID_LENGTH)]


class FunctionUrlService(FunctionListener):
    def __init__(
        self,
        store: FunctionUrlStore,
        functions: FunctionIndex,
        url_of: Callable[[str], str],
        clock: Clock | None = None,
        draws: Callable[[], list[int]] = random_draws,
    ) -> None:
        """*url_of* makes a config's URL from its id (the server's base, ``Settings.function_url``);
        *draws* gives the random numbers a new URL id is picked with."""
        self._store = store
        self._functions = functions
        self._url_of = url_of
        self._clock = clock or SystemClock()
        self._draws = draws
        self._configs: dict[tuple[str, str], FunctionUrlConfig] = {}
        self._by_id: dict[str, FunctionUrlConfig] = {}

    async def load(self) -> None:
        configs = await self._store.load_function_urls()
        self._configs = {(c.function_name, c.qualifier): c for c in configs}
        self._by_id = {c.url_id: c for c in configs}

    # -- reading --------------------------------------------------------------------------------

    def by_id(self, url_id: str) -> FunctionUrlConfig | None:
        """The config whose URL id is *url_id*, if this account has it (memory only)."""
        return self._by_id.get(url_id)

    def url(self, config: FunctionUrlConfig) -> str:
        return self._url_of(config.url_id)

    def arn(self, config: FunctionUrlConfig) -> str:
        return self._functions.arn(config.function_name, config.qualifier or None)

    def _key(self, ref: FunctionRef, missing: str) -> tuple[str, str]:
        """(function, qualifier) of *ref* once function and alias exist; 404 in *missing*'s words."""
        if ref.name not in self._functions:
            raise ResourceNotFoundException(missing)
        qualifier = ref.qualifier or ""
        if qualifier and qualifier not in self._functions.function(ref.name).aliases:
            raise ResourceNotFoundException(missing)
        return ref.name, qualifier

    def _config(self, key: tuple[str, str]) -> FunctionUrlConfig:
        config = self._configs.get(key)
        if config is None:
            raise ResourceNotFoundException(NO_SUCH_RESOURCE)
        return config

    def get(self, ref: FunctionRef) -> FunctionUrlConfig:
        return self._config(self._key(ref, NO_SUCH_RESOURCE))

    def list(self, name: str, marker: str | None, max_items: int | None) -> tuple[list[FunctionUrlConfig], str | None]:
        """The function's configs, the unqualified one first, then by alias; paged as AWS pages
        (at most 50, the marker being the last config's ARN)."""
        if name not in self._functions:
            raise ResourceNotFoundException(FUNCTION_DOES_NOT_EXIST)
        mine = [self._configs[key] for key in sorted(self._configs) if key[0] == name]
        return page(mine, self.arn, marker, max_items)

    # -- changing -------------------------------------------------------------------------------

    async def create(self, ref: FunctionRef, request: CreateFunctionUrlInput) -> FunctionUrlConfig:
        async with self._functions.lock(ref.name):
            if ref.name not in self._functions:
                raise ResourceNotFoundException(FUNCTION_DOES_NOT_EXIST)
            existing = self._configs.get((ref.name, ref.qualifier or ""))
            if existing is not None:
                raise ResourceConflictException(conflict_message(self.arn(existing)))
            key = self._key(ref, FUNCTION_DOES_NOT_EXIST)
            for attempt in range(_ID_ATTEMPTS):
                config = new_config(key[0], key[1], url_id_from(self._draws()), request, self._clock.time())
                try:
                    await self._store.put_function_url(config)
                    break
                except KeyError:  # another account's URL has that id
                    if attempt == _ID_ATTEMPTS - 1:
                        raise
            self._remember(config)
        return config

    async def update(self, ref: FunctionRef, request: UpdateFunctionUrlInput) -> FunctionUrlConfig:
        async with self._functions.lock(ref.name):
            current = self._config(self._key(ref, FUNCTION_DOES_NOT_EXIST))
            config = updated_config(current, request, self._clock.time())
            await self._store.put_function_url(config)
            self._remember(config)
        return config

    async def delete(self, ref: FunctionRef) -> None:
        async with self._functions.lock(ref.name):
            config = self._config(self._key(ref, NO_SUCH_RESOURCE))
            await self._store.delete_function_url(config.function_name, config.qualifier)
            self._forget(config)

    def _remember(self, config: FunctionUrlConfig) -> None:
        self._configs[(config.function_name, config.qualifier)] = config
        self._by_id[config.url_id] = config

    def _forget(self, config: FunctionUrlConfig) -> None:
        self._configs.pop((config.function_name, config.qualifier), None)
        self._by_id.pop(config.url_id, None)

    # -- what goes with functions and aliases (the store deleted it already) -------------------

    async def function_deleted(self, name: str) -> None:
        for config in [c for (n, _q), c in self._configs.items() if n == name]:
            self._forget(config)

    async def alias_deleted(self, name: str, alias: str) -> None:
        config = self._configs.get((name, alias))
        if config is not None:
            self._forget(config)
