"""The function URL service on the in-memory store: one config per function or alias, AWS's
refusals in their order and words, paging as AWS pages, the lookup by URL id kept in step with
every change, and a config gone with its function or alias."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import msgspec
import pytest

from lambent.errors import ResourceConflictException, ResourceNotFoundException
from lambent.model.alias import CreateAliasInput
from lambent.model.arns import FunctionRef
from lambent.model.function_url import CreateFunctionUrlInput, UpdateFunctionUrlInput
from lambent.services.aliases import AliasService
from lambent.services.function_events import Listeners
from lambent.services.function_index import FunctionIndex, IndexedFunction
from lambent.services.function_urls import FunctionUrlService
from lambent.services.functions import FunctionService
from lambent.store.memory import MemoryStore
from tests.fixtures.functions_world import ACCOUNT, REGION, KnownRoles, World, run

ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn"
NONE = msgspec.convert({"AuthType": "NONE"}, CreateFunctionUrlInput)


class UrlWorld(World):
    """A world whose function and alias deletes reach a function URL service."""

    def __init__(self, root: Path, store: MemoryStore | None = None) -> None:
        super().__init__(root, store)
        counter = itertools.count()
        self.urls = FunctionUrlService(
            self.store, self.index, lambda i: f"https://{i}.urls.test/", self.clock, draws=lambda: [next(counter)] * 32
        )
        events = Listeners([self.recorder, self.configs, self.urls])
        self.functions = FunctionService(
            self.store, self.index, self.packages, self.collector, self.layers, ["python3.12"], events, KnownRoles(), self.clock
        )
        self.aliases = AliasService(self.store, self.index, [self.urls])


def fn(qualifier: str | None = None, name: str = "fn") -> FunctionRef:
    return FunctionRef(name=name, qualifier=qualifier)


def updating(**members: Any) -> UpdateFunctionUrlInput:
    return msgspec.convert(members, UpdateFunctionUrlInput)


async def world(tmp_path: Path, store: MemoryStore | None = None) -> UrlWorld:
    w = UrlWorld(tmp_path, store)
    await w.create(Publish=True)
    for alias in ("live", "beta"):
        await w.aliases.create_alias("fn", msgspec.convert({"Name": alias, "FunctionVersion": "1"}, CreateAliasInput))
    return w


def not_found(message: str) -> Any:
    return pytest.raises(ResourceNotFoundException, match=f"^{message}$")


def test_a_function_and_each_alias_get_one_url(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = await world(tmp_path)
        plain = await w.urls.create(fn(), NONE)
        live = await w.urls.create(fn("live"), NONE)
        assert (plain.url_id, plain.qualifier, live.url_id, live.qualifier) == ("a" * 32, "", "b" * 32, "live")
        assert w.urls.url(plain) == f"https://{'a' * 32}.urls.test/"
        assert (w.urls.arn(plain), w.urls.arn(live)) == (ARN, f"{ARN}:live")
        assert w.urls.get(fn()) == plain and w.urls.get(fn("live")) == live
        assert plain.creation_time == plain.last_modified_time == "2026-01-01T00:00:00.000000Z"
        for ref, existing in ((fn(), ARN), (fn("live"), f"{ARN}:live")):
            with pytest.raises(ResourceConflictException) as caught:
                await w.urls.create(ref, NONE)
            assert caught.value.message == (
                f"Failed to create function url config for [functionArn = {existing}]. "
                "Error message:  FunctionUrlConfig exists for this Lambda function"
            )
        assert [c.url_id for c in await w.store.load_function_urls()] == ["a" * 32, "b" * 32]
        assert w.urls.by_id("a" * 32) == plain and w.urls.by_id("c" * 32) is None

    run(scenario)


def test_refusals_in_awss_words_for_each_operation(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = await world(tmp_path)
        for ref in (fn(name="nope"), fn("nope")):  # a missing function, a missing alias
            with not_found("Function does not exist"):
                await w.urls.create(ref, NONE)
            with not_found("Function does not exist"):
                await w.urls.update(ref, updating(AuthType="AWS_IAM"))
            with not_found("The resource you requested does not exist."):
                w.urls.get(ref)
            with not_found("The resource you requested does not exist."):
                await w.urls.delete(ref)
        for ref in (fn(), fn("live")):  # no config yet
            with not_found("The resource you requested does not exist."):
                w.urls.get(ref)
            with not_found("The resource you requested does not exist."):
                await w.urls.update(ref, updating(AuthType="AWS_IAM"))
            with not_found("The resource you requested does not exist."):
                await w.urls.delete(ref)
        with not_found("Function does not exist"):
            w.urls.list("nope", None, None)
        assert w.urls.list("fn", None, None) == ([], None)

    run(scenario)


def test_update_changes_what_it_names_and_delete_frees_the_id(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = await world(tmp_path)
        cors = {"AllowOrigins": ["*"], "MaxAge": 30}
        created = await w.urls.create(fn("live"), msgspec.convert({"AuthType": "NONE", "Cors": cors}, CreateFunctionUrlInput))
        await w.clock.advance(5)
        changed = await w.urls.update(fn("live"), updating(AuthType="AWS_IAM"))
        assert (changed.auth_type, changed.cors, changed.url_id) == ("AWS_IAM", created.cors, created.url_id)
        assert changed.creation_time == created.creation_time
        assert changed.last_modified_time == "2026-01-01T00:00:05.000000Z"
        replaced = await w.urls.update(fn("live"), updating(Cors={"AllowMethods": ["GET"]}))
        assert msgspec.to_builtins(replaced.cors) == {"AllowMethods": ["GET"]}
        assert (await w.store.load_function_urls()) == [replaced] and w.urls.by_id(created.url_id) == replaced
        await w.urls.delete(fn("live"))
        assert w.urls.by_id(created.url_id) is None and await w.store.load_function_urls() == []
        again = await w.urls.create(fn("live"), NONE)
        assert again.url_id != created.url_id  # a new URL, as AWS's DeleteFunctionUrlConfig warns

    run(scenario)


def test_list_pages_as_aws_pages(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = await world(tmp_path)
        for ref in (fn("live"), fn(), fn("beta")):
            await w.urls.create(ref, NONE)
        every, marker = w.urls.list("fn", None, None)
        assert [w.urls.arn(c) for c in every] == [ARN, f"{ARN}:beta", f"{ARN}:live"] and marker is None
        first, marker = w.urls.list("fn", None, 1)
        assert [c.qualifier for c in first] == [""] and marker == ARN
        second, marker = w.urls.list("fn", marker, 1)
        assert [c.qualifier for c in second] == ["beta"] and marker == f"{ARN}:beta"
        third, marker = w.urls.list("fn", marker, 5)
        assert [c.qualifier for c in third] == ["live"] and marker is None

    run(scenario)


def test_configs_go_with_their_alias_or_function(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = await world(tmp_path)
        plain, live = await w.urls.create(fn(), NONE), await w.urls.create(fn("live"), NONE)
        await w.aliases.delete_alias("fn", "live")
        assert w.urls.by_id(live.url_id) is None and [c.qualifier for c in await w.store.load_function_urls()] == [""]
        with not_found("The resource you requested does not exist."):
            w.urls.get(fn("live"))
        await w.functions.delete(fn())
        assert w.urls.by_id(plain.url_id) is None and await w.store.load_function_urls() == []
        await w.create(Publish=True)  # the same name again: no URL comes back
        with not_found("The resource you requested does not exist."):
            w.urls.get(fn())

    run(scenario)


def test_a_restart_loads_every_config_and_its_id(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = MemoryStore(ACCOUNT)
        w = await world(tmp_path, store)
        made = [await w.urls.create(fn(), NONE), await w.urls.create(fn("live"), NONE)]
        again = UrlWorld(tmp_path, store)
        await again.functions.load()
        await again.urls.load()
        assert [again.urls.by_id(c.url_id) for c in made] == made
        assert again.urls.get(fn("live")) == made[1]

    run(scenario)


def test_an_id_another_account_holds_is_drawn_again(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = MemoryStore(ACCOUNT)
        other = store.of_account("999999999999")
        theirs = FunctionUrlService(other, FunctionIndex(REGION, "999999999999"), str, draws=lambda: [0] * 32)
        await other.create_function("fn", {}, [])
        theirs._functions.add(IndexedFunction(name="fn", tags={}, versions={}), 1)
        assert (await theirs.create(fn(), NONE)).url_id == "a" * 32
        w = await world(tmp_path, store)  # its draws begin with "a" * 32 too
        assert (await w.urls.create(fn(), NONE)).url_id == "b" * 32
        stuck = FunctionUrlService(store, w.index, str, draws=lambda: [0] * 32)
        with pytest.raises(KeyError):  # five draws, all taken: a server fault, not a client's
            await stuck.create(fn("live"), NONE)
        assert await store.function_url_by_id("a" * 32) is not None and stuck.by_id("a" * 32) is None

    run(scenario)
