"""Event source mappings and stream positions in both stores, which answer alike: mappings whole
per account, a lease taken only when free, expired or already the taker's, a checkpoint written
only under the lease, and a deleted mapping taking its positions with it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from lambent.model.event_source_mapping import Mapping, MappingInput
from lambent.store import Store
from lambent.store.memory import MemoryStore
from lambent.store.sql import SqlStore

A, B = "111111111111", "222222222222"
UUID = "8a7c1f2e-0000-4000-8000-000000000001"


def mapping(uuid: str, account: str = A, state: str = "Enabled") -> Mapping:
    return Mapping(
        uuid=uuid,
        arn=f"arn:aws:lambda:us-east-1:{account}:event-source-mapping:{uuid}",
        kind="kinesis",
        function_name="fn",
        qualifier=None,
        function_arn=f"arn:aws:lambda:us-east-1:{account}:function:fn",
        source_arn="arn:aws:kinesis:us-east-1:000000000000:stream/s",
        settings=MappingInput(function_name="fn", batch_size=100, starting_position="TRIM_HORIZON"),
        state=state,
    )


async def answers(store: Store) -> dict[str, Any]:
    await store.open()
    try:
        a, b = store.of_account(A), store.of_account(B)
        await a.put_event_source_mapping(mapping(UUID))
        await a.put_event_source_mapping(mapping(UUID, state="Disabled"))  # replaced
        await b.put_event_source_mapping(mapping(UUID.replace("1", "2"), account=B))
        got: dict[str, Any] = {
            "a": await a.load_event_source_mappings(),
            "b": [m.uuid for m in await b.load_event_source_mappings()],
            "owners": await a.accounts_with_resources(),
        }
        got["first claim"] = await a.claim_partition(UUID, "shardId-0", "node-1", until=100.0, now=50.0)
        got["other while held"] = await a.claim_partition(UUID, "shardId-0", "node-2", until=120.0, now=60.0)
        got["renewed"] = await a.claim_partition(UUID, "shardId-0", "node-1", until=150.0, now=90.0)
        got["checkpoint by holder"] = await a.put_position(UUID, "shardId-0", "node-1", "495")
        got["checkpoint by other"] = await a.put_position(UUID, "shardId-0", "node-2", "999")
        got["other after expiry"] = await a.claim_partition(UUID, "shardId-0", "node-2", until=300.0, now=200.0)
        got["old holder writes"] = await a.put_position(UUID, "shardId-0", "node-1", "777")
        await a.release_partition(UUID, "shardId-0", "node-1")  # not its lease any more: nothing
        got["first back while held"] = await a.claim_partition(UUID, "shardId-0", "node-1", until=310.0, now=210.0)
        await a.release_partition(UUID, "shardId-0", "node-2")
        got["first back after release"] = await a.claim_partition(UUID, "shardId-0", "node-1", until=320.0, now=220.0)
        got["positions"] = await a.load_positions(UUID)
        await a.delete_event_source_mapping(UUID)
        got["after delete"] = (await a.load_event_source_mappings(), await a.load_positions(UUID))
        return got
    finally:
        await store.close()


@pytest.mark.parametrize("kind", ["memory", "sql"])
def test_both_stores_keep_mappings_and_lease_partitions_alike(kind: str, tmp_path: Path) -> None:
    store: Store = MemoryStore(A) if kind == "memory" else SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'db'}", A)
    got = asyncio.run(answers(store))
    assert got["a"] == [mapping(UUID, state="Disabled")]
    assert got["b"] == [UUID.replace("1", "2")]
    assert A in got["owners"]
    assert got["first claim"] is True
    assert got["other while held"] is False
    assert got["renewed"] is True
    assert got["checkpoint by holder"] is True
    assert got["checkpoint by other"] is False
    assert got["other after expiry"] is True
    assert got["old holder writes"] is False
    assert got["first back while held"] is False
    assert got["first back after release"] is True
    assert got["positions"] == {"shardId-0": "495"}
    assert got["after delete"] == ([], {})
