"""The code signing half of both stores: configs replaced whole and listed by id, the config
each function uses set and removed, profile versions kept in order and never overwritten, all
of it still there after the store is reopened (SQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from lambent.model.code_signing import CodeSigningConfig
from lambent.model.signing_profile import SigningProfileVersion
from lambent.store import Store
from lambent.store.memory import MemoryStore
from lambent.store.sql import SqlStore

ARN = "arn:aws:lambda:us-east-1:000000000000:code-signing-config:"


def config(suffix: str, **changes: object) -> CodeSigningConfig:
    fields: dict[str, object] = {
        "config_id": f"csc-{suffix * 17}",
        "arn": f"{ARN}csc-{suffix * 17}",
        "allowed_publishers": ("arn:aws:signer:us-east-1:000000000000:/signing-profiles/p1/abcdefghij",),
        "last_modified": "2026-12-03T00:00:00.000+0000",
        "tags": {"team": suffix},
        **changes,
    }
    return CodeSigningConfig(**fields)  # type: ignore[arg-type]


def profile(name: str) -> SigningProfileVersion:
    return SigningProfileVersion(
        account_id="000000000000",
        name=name,
        version="abcdefghij",
        arn=f"arn:aws:signer:us-east-1:000000000000:/signing-profiles/{name}/abcdefghij",
        public_key=bytes(32),
        sealed_private_key=b"sealed\x00bytes",
        created="2026-12-03T00:00:00.000+0000",
    )


async def writes(store: Store) -> None:
    await store.put_code_signing_config(config("b"))
    await store.put_code_signing_config(config("a"))
    await store.put_code_signing_config(config("b", description="replaced", policy="Enforce"))
    await store.put_code_signing_config(config("c"))
    await store.delete_code_signing_config(config("c").arn)
    await store.put_function_code_signing("f1", config("a").arn)
    await store.put_function_code_signing("f2", config("a").arn)
    await store.put_function_code_signing("f2", config("b").arn)
    await store.put_function_code_signing("f3", config("b").arn)
    await store.put_function_code_signing("f3", None)
    await store.put_signing_profile(profile("zz"))
    await store.put_signing_profile(profile("aa"))
    with pytest.raises(KeyError):
        await store.put_signing_profile(profile("zz"))


async def reads(store: Store) -> None:
    assert await store.load_code_signing_configs() == [config("a"), config("b", description="replaced", policy="Enforce")]
    assert await store.load_function_code_signing() == {"f1": config("a").arn, "f2": config("b").arn}
    assert await store.load_signing_profiles() == [profile("zz"), profile("aa")]  # oldest first


@pytest.mark.parametrize("kind", ["sql", "memory"])
def test_both_stores_keep_code_signing_alike(kind: str, tmp_path: Path) -> None:
    def make() -> Store:
        return SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'lambent.db'}", "000000000000") if kind == "sql" else MemoryStore()

    async def scenario(make: Callable[[], Store]) -> None:
        store = make()
        await store.open()
        await writes(store)
        await reads(store)
        await store.close()
        if kind == "sql":  # what is written is there when the server starts again
            again = make()
            await again.open()
            await reads(again)
            await again.close()

    asyncio.run(scenario(make))
