"""Shared helpers: a real ``lambent serve`` process, and zips built from source text."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
ROLE = "arn:aws:iam::000000000000:role/lambent-test"
RUNTIME = "python3.12"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_zip(files: dict[str, str | bytes], modes: dict[str, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = ((modes or {}).get(name, 0o644) | 0o100000) << 16
            archive.writestr(info, content)
    return buffer.getvalue()


class Server:
    """``lambent serve`` as a real process on 127.0.0.1, stopped by its PID."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"server-{self.port}.log"
        self.env = {**os.environ, "LAMBENT_LOG_LEVEL": "info", **env}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "lambent"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/lambent/health", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start in 30 s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def kill_and_restart(self) -> None:
        """SIGKILL the server, as a crash would, and start it again on the same data."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.process = None
        self.start()

    def client(self, service: str = "lambda", **config: Any) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}, read_timeout=120, **config),
        )

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def pids_of_uid(uid: int) -> list[int]:
    """Host processes (not zombies) running as *uid*: an environment's, where uids are per function."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields["Uid"].split()[0]) == uid and not fields["State"].strip().startswith("Z"):
            found.append(int(entry.name))
    return found


def environment_gone(uid: int, pid: int, timeout_s: float = 1.0) -> bool:
    """Whether the environment that reported (uid, pid) has no process left, within *timeout_s*.

    With per-function uids (the namespaces sandbox) every process of that uid counts, whatever
    namespace it forked into; as root (the process sandbox) the reported pid is a host pid.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        alive = pids_of_uid(uid) if uid != 0 else ([pid] if process_exists(pid) else [])
        if not alive:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def process_exists(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


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


def create(lam: Any, name: str, code: str | dict[str, str | bytes], **kwargs: Any) -> dict[str, Any]:
    files = {"app.py": code} if isinstance(code, str) else code
    params: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": RUNTIME,
        "Handler": "app.handler",
        "Role": ROLE,
        "Code": {"ZipFile": make_zip(files)},
        **kwargs,
    }
    result: dict[str, Any] = lam.create_function(**params)
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    return result
