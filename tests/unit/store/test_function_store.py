"""The function half of both stores (``SqlStore`` on a scratch SQLite file, ``MemoryStore``):
they answer alike, keep what a restart must find, and give every function its own uid."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from lambent.errors import ServiceException
from lambent.model.alias import Alias
from lambent.model.function_policy import FunctionPolicy
from lambent.model.limits import FUNCTION_UID_FIRST, FUNCTION_UID_LAST
from lambent.model.uids import hashed_uid, pick_uid
from lambent.store import Store
from lambent.store.memory import MemoryStore
from lambent.store.sql import SqlStore
from tests.fixtures.versions import latest


def sql_store(tmp_path: Path) -> SqlStore:
    return SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'lambent.db'}", "000000000000")


STORES: list[Callable[[Path], Store]] = [sql_store, lambda _path: MemoryStore()]


def run(make: Callable[[Path], Store], tmp_path: Path, scenario: Callable[[Store], Awaitable[None]]) -> None:
    async def body() -> None:
        store = make(tmp_path)
        await store.open()
        try:
            await scenario(store)
        finally:
            await store.close()

    asyncio.run(body())


@pytest.mark.parametrize("make", STORES, ids=["sql", "memory"])
def test_a_function_is_loaded_with_its_versions_aliases_settings_and_uid(make: Callable[[Path], Store], tmp_path: Path) -> None:
    async def scenario(store: Store) -> None:
        uid = await store.create_function("fn", {"team": "a"}, [latest("fn"), latest("fn", version="1")])
        await store.put_alias(Alias(function_name="fn", name="live", function_version="1", revision_id="a"))
        await store.put_recursive_loop("fn", "Allow")
        await store.put_reserved_concurrency("fn", 7)  # does not undo the recursion setting
        (record,) = await store.load_functions()
        assert record.name == "fn" and record.tags == {"team": "a"} and set(record.versions) == {"$LATEST", "1"}
        assert set(record.aliases) == {"live"} and record.aliases["live"].function_version == "1"
        assert (record.reserved_concurrency, record.recursive_loop, record.uid) == (7, "Allow", uid)
        with pytest.raises(KeyError):
            await store.create_function("fn", {}, [latest("fn")])
        await store.put_reserved_concurrency("fn", None)
        await store.delete_alias("fn", "live")
        await store.delete_version("fn", "1")
        (record,) = await store.load_functions()
        assert record.reserved_concurrency is None and record.aliases == {} and set(record.versions) == {"$LATEST"}

    run(make, tmp_path, scenario)


@pytest.mark.parametrize("make", STORES, ids=["sql", "memory"])
def test_uids_are_distinct_in_range_and_come_back_to_a_recreated_name(make: Callable[[Path], Store], tmp_path: Path) -> None:
    async def scenario(store: Store) -> None:
        uids = [await store.create_function(f"fn-{i}", {}, [latest(f"fn-{i}")]) for i in range(50)]
        assert len(set(uids)) == 50
        assert all(FUNCTION_UID_FIRST <= uid <= FUNCTION_UID_LAST for uid in uids)
        assert uids[0] == hashed_uid("fn-0")  # the uid a function had before the registry
        await store.delete_function("fn-3")
        assert [r.name for r in await store.load_functions()].count("fn-3") == 0
        assert await store.create_function("fn-3", {}, [latest("fn-3")]) == uids[3]
        assert await store.assign_uid("fn-3") == uids[3]

    run(make, tmp_path, scenario)


def test_a_data_directory_from_before_the_registry_keeps_working(tmp_path: Path) -> None:
    """Functions stored without uids (no table at all) load, and get their uids on request."""
    with sqlite3.connect(tmp_path / "lambent.db") as db:
        db.execute("CREATE TABLE functions (name VARCHAR(140) PRIMARY KEY, tags TEXT NOT NULL)")
        db.execute("CREATE TABLE function_versions (name VARCHAR(140), version VARCHAR(16), config TEXT NOT NULL)")
        db.execute("INSERT INTO functions VALUES ('old', '{}')")

    async def scenario(store: Store) -> None:
        (record,) = await store.load_functions()
        assert record.name == "old" and record.uid is None
        assert await store.assign_uid("old") == hashed_uid("old")
        (record,) = await store.load_functions()
        assert record.uid == hashed_uid("old")

    run(sql_store, tmp_path, scenario)


def test_a_colliding_name_gets_the_lowest_free_uid() -> None:
    registry = {"a": hashed_uid("b")}
    assert pick_uid("b", registry, {"a"}) == FUNCTION_UID_FIRST
    registry["c"] = FUNCTION_UID_FIRST
    assert pick_uid("b", registry, set(registry)) == FUNCTION_UID_FIRST + 1
    assert pick_uid("a", registry, {"a"}) == hashed_uid("b")  # a registered name keeps its uid


def test_when_every_uid_is_taken_only_a_deleted_functions_uid_serves_again() -> None:
    registry = {f"f{uid}": uid for uid in range(FUNCTION_UID_FIRST, FUNCTION_UID_LAST + 1)}
    live = set(registry)
    with pytest.raises(ServiceException, match="No function uid is free"):
        pick_uid("new", registry, live)
    live.discard(f"f{FUNCTION_UID_FIRST + 5}")
    assert pick_uid("new", registry, live) == FUNCTION_UID_FIRST + 5


@pytest.mark.parametrize("make", STORES, ids=["sql", "memory"])
def test_policies_are_kept_per_qualifier_and_go_with_their_version_alias_or_function(
    make: Callable[[Path], Store], tmp_path: Path
) -> None:
    def policy(qualifier: str, sid: str) -> FunctionPolicy:
        return FunctionPolicy(function_name="fn", qualifier=qualifier, revision_id=f"r-{sid}", statements=({"Sid": sid},))

    async def scenario(store: Store) -> None:
        await store.create_function("fn", {}, [latest("fn"), latest("fn", version="1")])
        await store.put_alias(Alias(function_name="fn", name="live", function_version="1", revision_id="a"))
        for qualifier in ("", "$LATEST", "1", "live"):
            await store.put_function_policy(policy(qualifier, "a"))
        await store.put_function_policy(policy("", "b"))  # replaces
        (record,) = await store.load_functions()
        assert record.policies[""] == policy("", "b") and set(record.policies) == {"", "$LATEST", "1", "live"}
        await store.delete_alias("fn", "live")
        await store.delete_version("fn", "1")
        await store.delete_function_policy("fn", "$LATEST")
        (record,) = await store.load_functions()
        assert record.policies == {"": policy("", "b")}
        await store.delete_function("fn")
        await store.create_function("fn", {}, [latest("fn")])
        (record,) = await store.load_functions()
        assert record.policies == {}

    run(make, tmp_path, scenario)
