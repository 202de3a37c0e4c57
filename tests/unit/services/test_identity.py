"""Access keys: sealed in the store, found while active, temporary ones carried by their token."""

from __future__ import annotations

import asyncio
import configparser
import os
from pathlib import Path

from lambent.clock import FakeClock
from lambent.model.identity import ADMINISTRATOR_ACCESS
from lambent.services.credentials_file import read_profile, write_profile
from lambent.services.identity import CACHE_TTL_S, IdentityService, Sealer
from lambent.store.memory import MemoryStore

ACCT = "123456789012"


def service(secret: bytes = b"s" * 32) -> tuple[IdentityService, MemoryStore, FakeClock]:
    store, clock = MemoryStore(), FakeClock()
    return IdentityService(store, Sealer(secret), clock=clock), store, clock


def test_bootstrap_makes_one_admin_key_and_finds_it_again() -> None:
    async def scenario() -> None:
        identity, store, _ = service()
        first, created = await identity.bootstrap(ACCT)
        again, created_again = await identity.bootstrap(ACCT)
        assert created and not created_again and again == first
        assert first.access_key_id.startswith("AKIA") and len(first.access_key_id) == 20 and len(first.secret_access_key) == 40
        assert first.principal_arn == f"arn:aws:iam::{ACCT}:user/admin"
        admin = await store.user(ACCT, "admin")
        assert admin is not None and admin.attached_policies == (ADMINISTRATOR_ACCESS,)
        (stored,) = await store.access_keys(first.principal_arn)
        assert first.secret_access_key.encode() not in stored.sealed_secret  # sealed, not in plain text
        assert await identity.credential(first.access_key_id) == first

    asyncio.run(scenario())


def test_a_deleted_key_stops_at_once_and_an_unknown_one_is_none() -> None:
    async def scenario() -> None:
        identity, _, _ = service()
        key = await identity.create_access_key(ACCT, f"arn:aws:iam::{ACCT}:user/u")
        assert await identity.credential(key.access_key_id) == key
        assert await identity.delete_access_key(key.access_key_id)
        assert await identity.credential(key.access_key_id) is None
        assert await identity.credential("AKIAUNKNOWNUNKNOWN00") is None

    asyncio.run(scenario())


def test_a_key_changed_behind_the_cache_is_seen_after_the_ttl() -> None:
    async def scenario() -> None:
        identity, store, clock = service()
        key = await identity.create_access_key(ACCT, "arn:aws:iam::123456789012:user/u")
        assert await identity.credential(key.access_key_id) == key
        await store.delete_access_key(key.access_key_id)  # as another node would
        assert await identity.credential(key.access_key_id) == key
        await clock.advance(CACHE_TTL_S + 0.1)
        assert await identity.credential(key.access_key_id) is None

    asyncio.run(scenario())


def test_temporary_credentials_live_in_their_token_only() -> None:
    async def scenario() -> None:
        identity, store, clock = service()
        arn = f"arn:aws:sts::{ACCT}:assumed-role/r/fn"
        temporary = identity.issue_temporary(ACCT, arn, 900)
        assert temporary.access_key_id.startswith("ASIA") and temporary.session_token
        assert temporary.expires_at == clock.time() + 900
        assert await store.access_keys(arn) == []  # nothing written
        assert await identity.credential(temporary.access_key_id, temporary.session_token) == temporary
        assert await identity.credential(temporary.access_key_id) is None  # no token
        other = identity.issue_temporary(ACCT, arn, 900)
        assert await identity.credential(temporary.access_key_id, other.session_token) is None  # another key's token
        assert await identity.credential(temporary.access_key_id, temporary.session_token[:-4] + "AAAA") is None  # tampered
        stranger, _, _ = service(b"t" * 32)  # another server's key cannot open it
        assert await stranger.credential(temporary.access_key_id, temporary.session_token) is None

    asyncio.run(scenario())


def test_the_profile_is_written_beside_other_profiles_and_only_when_it_changes(tmp_path: Path) -> None:
    async def scenario() -> None:
        identity, _, _ = service()
        key, _ = await identity.bootstrap(ACCT)
        credentials, config = tmp_path / "aws" / "credentials", tmp_path / "aws" / "config"
        credentials.parent.mkdir()
        credentials.write_text("[default]\naws_access_key_id = mine\naws_secret_access_key = keep\n")
        assert write_profile(credentials, config, key, "us-east-1", "http://127.0.0.1:9001")
        assert not write_profile(credentials, config, key, "us-east-1", "http://127.0.0.1:9001")
        assert read_profile(credentials) == (key.access_key_id, key.secret_access_key)
        parsed = configparser.ConfigParser()
        parsed.read(credentials)
        assert parsed["default"]["aws_secret_access_key"] == "keep"
        assert os.stat(credentials).st_mode & 0o777 == 0o600
        parsed.read(config)
        assert dict(parsed["profile lambent"]) == {"region": "us-east-1", "endpoint_url": "http://127.0.0.1:9001"}
        assert write_profile(credentials, config, key, "us-east-1", "http://127.0.0.1:9002")  # a new port is written

    asyncio.run(scenario())
