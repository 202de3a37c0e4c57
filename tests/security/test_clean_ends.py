"""Environments end cleanly, however they end: no process, cgroup or mount is left behind."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from lambent.sandbox.spares import SPARES
from tests.fixtures.server import Server, create

#: Each of the four endings this many times (LAMBENT_TEST_CYCLES=2500 for the 10,000-environment run).
CYCLES = int(os.environ.get("LAMBENT_TEST_CYCLES", "15"))


def _mounts() -> str:
    return subprocess.run(["findmnt", "-rn", "-o", "TARGET,SOURCE"], capture_output=True, text=True, check=True).stdout


def _instance_groups(server: Server) -> list[Path]:
    """The server's own cgroup parents, one per controller (named by its data directory)."""
    instance = hashlib.sha256(str((server.data_dir / "sandbox").resolve()).encode()).hexdigest()[:12]
    return [
        controller / "lambent" / instance for controller in Path("/sys/fs/cgroup").iterdir() if (controller / "lambent").is_dir()
    ]


def _environment_groups(server: Server) -> list[Path]:
    return [child for parent in _instance_groups(server) if parent.is_dir() for child in parent.iterdir() if child.is_dir()]


def test_many_endings_leave_nothing(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", LAMBENT_IDLE_TIMEOUT_S="3600").start()
    try:
        health = json.loads(urllib.request.urlopen(f"{server.endpoint}/lambent/health").read())
        if health["sandbox"] != "namespaces":
            pytest.skip(f"the server runs the {health['sandbox']} sandbox here")
        mounts_before = _mounts()
        lam: Any = server.client()
        endings = {
            "crash": "import os\ndef handler(e, c):\n    os._exit(1)\n",
            "timeout": "import os, time\ndef handler(e, c):\n    os.system('setsid sleep 300 &')\n    time.sleep(30)\n",
            "oom": "def handler(e, c):\n    return len([bytearray(1 << 20) for _ in range(512)])\n",
            "init-error": "raise ValueError('at import')\n",
        }
        for name, code in endings.items():
            create(lam, name, code, Timeout=1, MemorySize=128)
        for _ in range(CYCLES):
            for name in endings:
                response = lam.invoke(FunctionName=name, Payload=b"{}")
                assert response.get("FunctionError") == "Unhandled"
                response["Payload"].read()
        controllers = len(_instance_groups(server))
        assert controllers >= 1
        # Every failed environment's groups are gone: what is left are the spares kept ready.
        assert len(_environment_groups(server)) <= SPARES * controllers
        create(lam, "fine", "def handler(e, c):\n    return 1\n")
        assert json.loads(lam.invoke(FunctionName="fine", Payload=b"{}")["Payload"].read()) == 1
        assert len(_environment_groups(server)) <= (SPARES + 1) * controllers  # and the one warm environment
        assert _mounts() == mounts_before  # environments' mounts never reach the host
    finally:
        server.stop()
    assert [p for p in _instance_groups(server) if p.exists()] == []
