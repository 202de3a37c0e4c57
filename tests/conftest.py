"""The session's shared server and client, and a fresh function name per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.server import Server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("lambent") / "data").start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def lam(server: Server) -> Any:
    return server.client()


_counter = 0


@pytest.fixture
def fn_name(request: pytest.FixtureRequest) -> str:
    global _counter
    _counter += 1
    base = "".join(c if c.isalnum() else "-" for c in request.node.name)[:40].strip("-")
    return f"{base}-{_counter}"
