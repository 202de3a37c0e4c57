"""Each account's Lambda resources are its own in both stores, and a data directory made before
accounts keeps every row, now the default account's (decision 0024)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from lambent.model.alias import Alias
from lambent.model.event_invoke import EventInvokeConfig
from lambent.model.layer import LayerVersion
from lambent.store import Store
from lambent.store.memory import MemoryStore
from lambent.store.sql import SqlStore
from tests.fixtures.versions import latest

A, B = "111111111111", "222222222222"


def sql_store(tmp_path: Path, account: str = A) -> SqlStore:
    return SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'lambent.db'}", account)


def layer(name: str, version: int = 1) -> LayerVersion:
    return LayerVersion(
        name=name,
        version=version,
        created="2026-01-01T00:00:00.000+0000",
        code_sha256_hex="00" * 32,
        code_size=1,
        unzipped_size=1,
    )


async def fill(store: Store, tag: str) -> int:
    uid = await store.create_function("f", {"owner": tag}, [latest("f")])
    await store.put_alias(Alias(function_name="f", name="live", function_version="$LATEST", revision_id="r"))
    await store.put_reserved_concurrency("f", 3)
    await store.put_layer_version(layer("shared"))
    await store.put_event_config(EventInvokeConfig(function_name="f", maximum_retry_attempts=1))
    await store.put_provisioned("f", "live", 1, "2026-01-01T00:00:00Z")
    await store.put_function_code_signing("f", f"arn:aws:lambda:us-east-1:{tag}:code-signing-config:csc-1")
    return uid


async def seen(store: Store) -> dict[str, object]:
    functions = await store.load_functions()
    return {
        "functions": {f.name: (f.tags, sorted(f.aliases), f.reserved_concurrency) for f in functions},
        "layers": [(v.name, v.version) for v in await store.load_layers()],
        "event_configs": [c.function_name for c in await store.load_event_configs()],
        "provisioned": await store.load_provisioned(),
        "code_signing": await store.load_function_code_signing(),
    }


@pytest.mark.parametrize("make", [sql_store, lambda _path: MemoryStore(A)], ids=["sql", "memory"])
def test_an_account_sees_and_changes_only_its_own(make: Callable[[Path], Store], tmp_path: Path) -> None:
    async def scenario() -> None:
        first = make(tmp_path)
        await first.open()
        second = first.of_account(B)
        try:
            assert await seen(second) == {
                "functions": {},
                "layers": [],
                "event_configs": [],
                "provisioned": [],
                "code_signing": {},
            }
            uid_a = await fill(first, A)
            uid_b = await fill(second, B)  # the same names: another account's are no conflict
            assert uid_a != uid_b  # environments of different accounts never share a uid
            mine, theirs = await seen(first), await seen(second)
            assert mine["functions"] == {"f": ({"owner": A}, ["live"], 3)}
            assert theirs["functions"] == {"f": ({"owner": B}, ["live"], 3)}
            assert mine["code_signing"] == {"f": f"arn:aws:lambda:us-east-1:{A}:code-signing-config:csc-1"}
            await second.delete_function("f")
            await second.delete_layer_version("shared", 1)
            await second.delete_event_config("f", None)
            await second.put_provisioned("f", "live", None, "")
            assert (await seen(first)) == mine  # nothing of A's went with B's
            assert (await seen(second))["functions"] == {}
            assert await second.create_function("f", {}, [latest("f")]) == uid_b  # its uid comes back
        finally:
            await first.close()

    asyncio.run(scenario())


def test_a_data_directory_from_before_accounts_keeps_every_row(tmp_path: Path) -> None:
    """The tables as Lambent made them before the account column; their rows become the
    server's default account's, and the foreign keys still cascade."""
    version = msgspec.json.encode(latest("old")).decode()
    old_layer = msgspec.json.encode(layer("lib", 2)).decode()
    with sqlite3.connect(tmp_path / "lambent.db") as db:
        db.executescript(
            f"""
            CREATE TABLE functions (name VARCHAR(140) PRIMARY KEY, tags TEXT NOT NULL);
            CREATE TABLE function_versions (name VARCHAR(140) REFERENCES functions(name) ON DELETE CASCADE,
                version VARCHAR(16), config TEXT NOT NULL, PRIMARY KEY (name, version));
            CREATE TABLE function_concurrency (name VARCHAR(140) PRIMARY KEY REFERENCES functions(name) ON DELETE CASCADE,
                reserved INTEGER NOT NULL);
            CREATE TABLE function_uids (name VARCHAR(140) PRIMARY KEY, uid INTEGER NOT NULL UNIQUE);
            CREATE TABLE layer_versions (name VARCHAR(140), version INTEGER, config TEXT NOT NULL, PRIMARY KEY (name, version));
            CREATE TABLE signing_profiles (seq INTEGER PRIMARY KEY, arn VARCHAR(300) NOT NULL UNIQUE, record TEXT NOT NULL);
            CREATE TABLE log_events (id INTEGER PRIMARY KEY, log_group VARCHAR(512) NOT NULL, log_stream VARCHAR(512) NOT NULL,
                timestamp_ms BIGINT NOT NULL, ingestion_ms BIGINT NOT NULL, message TEXT NOT NULL);
            CREATE INDEX log_events_by_group_time ON log_events (log_group, timestamp_ms, id);
            INSERT INTO log_events VALUES (7, '/aws/lambda/old', 's', 1, 1, 'kept line');
            INSERT INTO functions VALUES ('old', '{{"team": "x"}}');
            INSERT INTO function_versions VALUES ('old', '$LATEST', '{version}');
            INSERT INTO function_concurrency VALUES ('old', 7);
            INSERT INTO function_uids VALUES ('old', 41000);
            INSERT INTO layer_versions VALUES ('lib', 2, '{old_layer}');
            """
        )

    async def scenario() -> None:
        store = sql_store(tmp_path, A)
        await store.open()
        try:
            (record,) = await store.load_functions()
            assert (record.name, record.tags, record.reserved_concurrency, record.uid) == ("old", {"team": "x"}, 7, 41000)
            assert sorted(record.versions) == ["$LATEST"]
            assert [(v.name, v.version) for v in await store.load_layers()] == [("lib", 2)]
            assert await store.of_account(B).load_functions() == []
            (line,) = await store.log_blocks(A, "/aws/lambda/old", None, None, None, None, None, 10)
            assert (line.account, line.event_id, line.message) == (A, 7, "kept line")  # the column was added in place
            assert await store.log_blocks(B, "/aws/lambda/old", None, None, None, None, None, 10) == []
            (group,) = await store.log_groups(A, None, None, None, 10)  # made from the events already there
            assert (group.name, group.stored_bytes) == ("/aws/lambda/old", len("kept line"))
            await store.delete_function("old")
            assert await store.load_functions() == []
        finally:
            await store.close()
        with sqlite3.connect(tmp_path / "lambent.db") as db:
            assert db.execute("SELECT count(*) FROM function_versions").fetchone() == (0,)
            assert db.execute("SELECT account, name, uid FROM function_uids").fetchall() == [(A, "old", 41000)]
        again = sql_store(tmp_path, A)  # a second open finds nothing left to upgrade
        await again.open()
        await again.close()

    asyncio.run(scenario())
