"""Signed code locations: valid for ten minutes, for the package they name, from this server only."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from lambent.api.code_urls import CODE_URL_TTL_S, CodeUrls
from lambent.clock import FakeClock
from lambent.services.packages import PackageStore

SHA = "ab" * 32


def urls(tmp_path: Path, clock: FakeClock, secret: bytes = b"k" * 32) -> CodeUrls:
    return CodeUrls(secret, "http://127.0.0.1:9001", PackageStore(tmp_path), clock)


def query(location: str) -> tuple[str, str]:
    parts = parse_qs(urlsplit(location).query)
    return parts["Expires"][0], parts["Signature"][0]


def test_a_location_names_the_package_and_expires_after_the_ttl(tmp_path: Path) -> None:
    clock = FakeClock()
    location = urls(tmp_path, clock).sign(SHA)
    assert location.startswith(f"http://127.0.0.1:9001/lambent/code/{SHA}.zip?Expires=")
    assert int(query(location)[0]) == int(clock.time()) + CODE_URL_TTL_S


def test_valid_until_it_expires(tmp_path: Path) -> None:
    clock = FakeClock()
    signer = urls(tmp_path, clock)
    expires, signature = query(signer.sign(SHA))

    async def scenario() -> None:
        await clock.advance(CODE_URL_TTL_S)
        assert signer.valid(SHA, expires, signature)
        await clock.advance(1)
        assert not signer.valid(SHA, expires, signature)

    asyncio.run(scenario())


def test_refused_for_another_package_another_key_or_a_changed_expiry(tmp_path: Path) -> None:
    clock = FakeClock()
    signer = urls(tmp_path, clock)
    expires, signature = query(signer.sign(SHA))
    assert not signer.valid("cd" * 32, expires, signature)
    assert not urls(tmp_path, clock, secret=b"other").valid(SHA, expires, signature)
    assert not signer.valid(SHA, str(int(expires) + 1), signature)
    assert not signer.valid(SHA, "soon", signature)
