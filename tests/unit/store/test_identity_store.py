"""The identity half of both stores: accounts, users and roles replaced by compare-and-set, and
access keys that go with their principal and expire."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import msgspec
import pytest

from lambent.model.identity import AccessKey, Account, Role, User
from lambent.model.managed_policy import ManagedPolicy, PolicyVersion
from lambent.store import Store
from lambent.store.memory import MemoryStore
from lambent.store.sql import SqlStore

ACCT = "111122223333"


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


def key(key_id: str, principal: str, created: str = "2026-01-01T00:00:00Z", status: str = "Active") -> AccessKey:
    return AccessKey(
        access_key_id=key_id, account_id=ACCT, principal_arn=principal, sealed_secret=b"sealed", created=created, status=status
    )


@pytest.mark.parametrize("make", STORES, ids=["sql", "memory"])
def test_accounts_are_kept_once_and_listed_by_id(make: Callable[[Path], Store], tmp_path: Path) -> None:
    async def scenario(store: Store) -> None:
        await store.put_account(Account(account_id="222222222222", created="b"))
        await store.put_account(Account(account_id=ACCT, created="a"))
        await store.put_account(Account(account_id=ACCT, created="later"))  # the first is kept
        assert await store.accounts() == [Account(account_id=ACCT, created="a"), Account(account_id="222222222222", created="b")]

    run(make, tmp_path, scenario)


@pytest.mark.parametrize("make", STORES, ids=["sql", "memory"])
def test_a_user_is_replaced_only_from_what_was_read(make: Callable[[Path], Store], tmp_path: Path) -> None:
    async def scenario(store: Store) -> None:
        alice = User(account_id=ACCT, name="alice", user_id="AIDA1", path="/", created="c")
        await store.put_user(alice, None)
        with pytest.raises(KeyError):
            await store.put_user(alice, None)
        with_policy = User(account_id=ACCT, name="alice", user_id="AIDA1", path="/", created="c", inline_policies={"p": "{}"})
        await store.put_user(with_policy, alice)
        with pytest.raises(LookupError):  # a writer that read the old record loses, and says so
            await store.put_user(User(account_id=ACCT, name="alice", user_id="AIDA1", path="/", created="x"), alice)
        assert await store.user(ACCT, "alice") == with_policy
        assert await store.user("999999999999", "alice") is None
        assert await store.role(ACCT, "alice") is None  # a role of that name is another thing
        await store.put_user(User(account_id=ACCT, name="aaron", user_id="AIDA2", path="/", created="c"), None)
        assert [u.name for u in await store.users(ACCT)] == ["aaron", "alice"]

    run(make, tmp_path, scenario)


@pytest.mark.parametrize("make", STORES, ids=["sql", "memory"])
def test_deleting_a_role_deletes_its_keys_and_nobody_elses(make: Callable[[Path], Store], tmp_path: Path) -> None:
    async def scenario(store: Store) -> None:
        role = Role(account_id=ACCT, name="r", role_id="AROA1", path="/", created="c", assume_role_policy="{}")
        await store.put_role(role, None)
        other = "arn:aws:iam::111122223333:user/u"
        await store.put_access_key(key("ASIA1", role.arn, created="2"))
        await store.put_access_key(key("ASIA0", role.arn, created="1"))
        await store.put_access_key(key("AKIA9", other))
        assert [k.access_key_id for k in await store.access_keys(role.arn)] == ["ASIA0", "ASIA1"]
        assert await store.delete_role(ACCT, "r") is True
        assert await store.delete_role(ACCT, "r") is False
        assert await store.access_key("ASIA1") is None and await store.access_keys(role.arn) == []
        assert await store.access_key("AKIA9") == key("AKIA9", other)
        await store.put_access_key(key("AKIA9", other, status="Inactive"))  # replaced, not doubled
        assert await store.access_keys(other) == [key("AKIA9", other, status="Inactive")]
        assert await store.delete_access_key("AKIA9") is True and await store.delete_access_key("AKIA9") is False

    run(make, tmp_path, scenario)


@pytest.mark.parametrize("make", STORES, ids=["sql", "memory"])
def test_a_managed_policy_is_named_once_per_account_and_replaced_only_from_what_was_read(
    make: Callable[[Path], Store], tmp_path: Path
) -> None:
    v1 = PolicyVersion(version_id="v1", document="{}", created="c")
    policy = ManagedPolicy(
        account_id=ACCT, name="p", policy_id="ANPA1", path="/", created="c", updated="c", default_version="v1", versions=(v1,)
    )

    async def scenario(store: Store) -> None:
        await store.put_policy(policy, None)
        with pytest.raises(KeyError):
            await store.put_policy(msgspec.structs.replace(policy, path="/other/"), None)  # the name is taken, whatever the path
        v2 = msgspec.structs.replace(policy, versions=(v1, PolicyVersion(version_id="v2", document="[]", created="d")))
        await store.put_policy(v2, policy)
        with pytest.raises(LookupError):
            await store.put_policy(policy, policy)  # what was read has changed since
        assert await store.policy(ACCT, "p") == v2 and await store.policies(ACCT) == [v2]
        assert await store.policies("999999999999") == [] and await store.user(ACCT, "p") is None
        assert await store.delete_policy(ACCT, "p") and not await store.delete_policy(ACCT, "p")
        assert await store.policy(ACCT, "p") is None

    run(make, tmp_path, scenario)
