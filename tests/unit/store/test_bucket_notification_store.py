"""Bucket notification configurations in both stores, which answer alike: each bucket's whole
per account, found by its push token across accounts, a token never shared by two buckets, a
delete removing only that bucket's, and an account holding one counted among those with
resources."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from lambent.model.s3_event import BucketNotification, EventBridgeConfiguration, NotificationConfiguration
from lambent.store import Store
from lambent.store.memory import MemoryStore
from lambent.store.sql import SqlStore

A, B = "111111111111", "222222222222"


def notification(bucket: str, token: str, bridge: bool = False) -> BucketNotification:
    configuration = NotificationConfiguration(event_bridge_configuration=EventBridgeConfiguration() if bridge else None)
    return BucketNotification(bucket=bucket, configuration=configuration, token=token, updated_at=1.7e9)


async def answers(store: Store) -> dict[str, Any]:
    await store.open()
    try:
        a, b = store.of_account(A), store.of_account(B)
        await a.put_bucket_notification(notification("photos", "tok-a1"))
        await a.put_bucket_notification(notification("docs", "tok-a2"))
        await b.put_bucket_notification(notification("photos", "tok-b1"))
        await a.put_bucket_notification(notification("docs", "tok-a2", bridge=True))  # replaced, same token
        with pytest.raises(KeyError):
            await b.put_bucket_notification(notification("other", "tok-a1"))
        with pytest.raises(KeyError):
            await a.put_bucket_notification(notification("other", "tok-a1"))
        loaded = {"a": await a.load_bucket_notifications(), "b": await b.load_bucket_notifications()}
        found = {t: await a.bucket_notification_by_token(t) for t in ("tok-a2", "tok-b1", "nope")}
        owners = await a.accounts_with_resources()
        await a.delete_bucket_notification("photos")
        await a.delete_bucket_notification("none")
        after = {
            "a": [n.bucket for n in await a.load_bucket_notifications()],
            "b": [n.bucket for n in await b.load_bucket_notifications()],
            "gone": await a.bucket_notification_by_token("tok-a1"),
        }
        return {"loaded": loaded, "found": found, "owners": owners, "after": after}
    finally:
        await store.close()


@pytest.mark.parametrize("kind", ["memory", "sql"])
def test_both_stores_keep_configurations_whole_and_apart(kind: str, tmp_path: Path) -> None:
    store: Store = MemoryStore(A) if kind == "memory" else SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'db'}", A)
    got = asyncio.run(answers(store))
    assert [n.bucket for n in got["loaded"]["a"]] == ["docs", "photos"]
    assert got["loaded"]["a"][0] == notification("docs", "tok-a2", bridge=True)
    assert [n.bucket for n in got["loaded"]["b"]] == ["photos"]
    assert got["found"] == {
        "tok-a2": (A, notification("docs", "tok-a2", bridge=True)),
        "tok-b1": (B, notification("photos", "tok-b1")),
        "nope": None,
    }
    assert got["owners"] == [A, B]
    assert got["after"] == {"a": ["docs"], "b": ["photos"], "gone": None}
