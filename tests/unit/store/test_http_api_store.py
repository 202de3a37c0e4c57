"""HTTP APIs in both stores, which answer alike: each API whole per account, ids unique across
accounts, a replacement keeping its id, a delete removing only the API, and an account owning an
API counted among those with resources."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from lambent.model.http_api import HttpApiState
from lambent.model.http_api_inputs import CreateApiInput
from lambent.model.http_api_resources import create_api
from lambent.store import Store
from lambent.store.memory import MemoryStore
from lambent.store.sql import SqlStore

A, B = "111111111111", "222222222222"
TARGET = "arn:aws:lambda:us-east-1:111111111111:function:f"


def api(api_id: str, name: str = "x", target: str | None = None) -> HttpApiState:
    ids = iter(f"{n:07d}" for n in range(100))
    return create_api(CreateApiInput(name=name, protocol_type="HTTP", target=target), api_id, 1.7e9, lambda n: next(ids)[:n])


async def answers(store: Store) -> dict[str, Any]:
    await store.open()
    try:
        a, b = store.of_account(A), store.of_account(B)
        await a.put_http_api(api("aaaaaaaaa1", target=TARGET))
        await a.put_http_api(api("aaaaaaaaa2"))
        await b.put_http_api(api("bbbbbbbbb1"))
        await a.put_http_api(api("aaaaaaaaa2", name="renamed"))
        with pytest.raises(KeyError):
            await b.put_http_api(api("aaaaaaaaa1"))
        loaded = {"a": await a.load_http_apis(), "b": await b.load_http_apis()}
        owners = await a.accounts_with_resources()
        await a.delete_http_api("aaaaaaaaa1")
        await a.delete_http_api("none000000")
        after = {"a": [s.api_id for s in await a.load_http_apis()], "b": [s.api_id for s in await b.load_http_apis()]}
        return {"loaded": loaded, "owners": owners, "after": after}
    finally:
        await store.close()


@pytest.mark.parametrize("kind", ["memory", "sql"])
def test_both_stores_keep_apis_whole_and_apart(kind: str, tmp_path: Path) -> None:
    store: Store = MemoryStore(A) if kind == "memory" else SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'db'}", A)
    got = asyncio.run(answers(store))
    assert [s.api_id for s in got["loaded"]["a"]] == ["aaaaaaaaa1", "aaaaaaaaa2"]
    assert got["loaded"]["a"][0] == api("aaaaaaaaa1", target=TARGET)  # routes, stages, deployments, snapshots kept
    assert got["loaded"]["a"][1].api.name == "renamed"
    assert [s.api_id for s in got["loaded"]["b"]] == ["bbbbbbbbb1"]
    assert got["owners"] == [A, B]
    assert got["after"] == {"a": ["aaaaaaaaa2"], "b": ["bbbbbbbbb1"]}
