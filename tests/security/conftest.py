"""What every security test needs: a server that runs the namespaces sandbox, or a skip saying why not."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.fixtures.server import Server


@pytest.fixture(scope="module")
def isolated(server: Server) -> Server:
    health = json.loads(urllib.request.urlopen(f"{server.endpoint}/lambent/health").read())
    if health["sandbox"] != "namespaces":
        off = [p["name"] for p in health["protections"] if not p["active"]]
        pytest.skip(f"the server runs the {health['sandbox']} sandbox here; off: {', '.join(off)}")
    return server
