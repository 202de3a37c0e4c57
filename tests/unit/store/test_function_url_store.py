"""Function URL configs in both stores, which answer alike: one per (function, qualifier) of an
account, URL ids unique across accounts and found by id alone, and gone with their function or
alias."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from lambent.model.alias import Alias
from lambent.model.function_url import FunctionUrlConfig
from lambent.store import Store
from lambent.store.memory import MemoryStore
from lambent.store.sql import SqlStore
from tests.fixtures.versions import latest

A, B = "111111111111", "222222222222"


def config(name: str, qualifier: str, url_id: str, auth: Any = "NONE") -> FunctionUrlConfig:
    return FunctionUrlConfig(
        url_id=url_id,
        function_name=name,
        qualifier=qualifier,
        auth_type=auth,
        creation_time="2026-01-01T00:00:00.000000Z",
        last_modified_time="2026-01-01T00:00:00.000000Z",
    )


def uid(n: int) -> str:
    return f"{n:032d}"


async def answers(store: Store) -> dict[str, Any]:
    await store.open()
    try:
        a, b = store.of_account(A), store.of_account(B)
        for view in (a, b):
            await view.create_function("f", {}, [latest("f")])
            await view.create_function("g", {}, [latest("g")])
            await view.put_alias(Alias(function_name="f", name="live", function_version="$LATEST", revision_id="r"))
        await a.put_function_url(config("f", "", uid(1)))
        await a.put_function_url(config("f", "live", uid(2)))
        await a.put_function_url(config("g", "", uid(3)))
        await b.put_function_url(config("f", "", uid(4)))
        await a.put_function_url(config("f", "", uid(1), auth="AWS_IAM"))  # a replacement keeps its id
        taken = []
        for view, key in ((b, config("g", "", uid(1))), (a, config("g", "", uid(4)))):
            with pytest.raises(KeyError):
                await view.put_function_url(key)
            taken.append(key.url_id)
        loaded = {"a": await a.load_function_urls(), "b": await b.load_function_urls()}
        found = {n: await b.function_url_by_id(uid(n)) for n in (1, 4, 9)}
        await a.delete_alias("f", "live")
        after_alias = [c.url_id for c in await a.load_function_urls()]
        await a.delete_function("g")
        after_function = [c.url_id for c in await a.load_function_urls()]
        await a.delete_function_url("f", "")
        await a.delete_function_url("f", "")  # again: nothing
        return {
            "loaded": {k: [(c.function_name, c.qualifier, c.url_id, c.auth_type) for c in v] for k, v in loaded.items()},
            "found": {n: None if f is None else (f[0], f[1].function_name, f[1].qualifier) for n, f in found.items()},
            "taken": taken,
            "after alias": after_alias,
            "after function": after_function,
            "end": [c.url_id for c in await a.load_function_urls()],
            "other's": [c.url_id for c in await b.load_function_urls()],
            "by id after": await a.function_url_by_id(uid(1)),
        }
    finally:
        await store.close()


def test_both_stores_keep_function_urls_alike(tmp_path: Path) -> None:
    sql = asyncio.run(answers(SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'lambent.db'}", A)))
    memory = asyncio.run(answers(MemoryStore(A)))
    assert sql["loaded"] == {
        "a": [("f", "", uid(1), "AWS_IAM"), ("f", "live", uid(2), "NONE"), ("g", "", uid(3), "NONE")],
        "b": [("f", "", uid(4), "NONE")],
    }
    assert sql["found"] == {1: (A, "f", ""), 4: (B, "f", ""), 9: None}  # read across accounts
    assert sql["after alias"] == [uid(1), uid(3)]
    assert sql["after function"] == [uid(1)]
    assert sql["end"] == [] and sql["other's"] == [uid(4)] and sql["by id after"] is None
    assert memory == sql
