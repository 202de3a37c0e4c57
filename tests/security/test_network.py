"""Outbound network from environments: a route out by default, none on request, and never the
host's loopback.

The "internet" here is a test host of our own: a network namespace this test makes, joined to
the host by a veth pair, serving HTTP on its side. Functions reach it the way they would reach
any address, through their environment's slirp4netns. Runs as root with slirp4netns and ip
(iproute2); skipped with the reason elsewhere.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.server import Server, create, free_port

FETCH = r"""
import errno, json, socket, urllib.request

def handler(event, context):
    out = {"resolv": open("/etc/resolv.conf").read()}
    try:
        with urllib.request.urlopen(event["url"], timeout=3) as response:
            out["status"], out["body"] = response.status, response.read().decode()
    except Exception as exc:
        out["error"] = type(exc).__name__ + ": " + str(getattr(exc, "reason", exc))
    for name, (host, port) in event.get("connect", {}).items():
        try:
            socket.create_connection((host, port), timeout=2).close()
            out[name] = "ok"
        except OSError as exc:
            out[name] = errno.errorcode.get(exc.errno, type(exc).__name__)
    return out
"""


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


@pytest.fixture(scope="module")
def test_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An HTTP server in a network namespace of this test's own, reachable from the host."""
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("slirp4netns") is None:
        pytest.skip("needs root, ip (iproute2) and slirp4netns")
    tag = f"{os.getpid() % 100000}"
    namespace, host_side, ns_side = f"lmb-net-{tag}", f"lmbh{tag}", f"lmbn{tag}"
    subnet = 10 + os.getpid() % 200
    host_ip, ns_ip = f"10.213.{subnet}.1", f"10.213.{subnet}.2"
    root = tmp_path_factory.mktemp("www")
    (root / "hello.txt").write_text("hello from the test host")
    port = free_port()
    server: subprocess.Popen[bytes] | None = None
    _run("ip", "netns", "add", namespace)
    try:
        _run("ip", "link", "add", host_side, "type", "veth", "peer", "name", ns_side)
        _run("ip", "link", "set", ns_side, "netns", namespace)
        _run("ip", "addr", "add", f"{host_ip}/30", "dev", host_side)
        _run("ip", "link", "set", host_side, "up")
        _run("ip", "netns", "exec", namespace, "ip", "addr", "add", f"{ns_ip}/30", "dev", ns_side)
        _run("ip", "netns", "exec", namespace, "ip", "link", "set", ns_side, "up")
        server = subprocess.Popen(
            ["ip", "netns", "exec", namespace, "python3", "-m", "http.server", str(port), "--bind", ns_ip, "-d", str(root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((ns_ip, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"http://{ns_ip}:{port}/hello.txt"
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        subprocess.run(["ip", "link", "del", host_side], capture_output=True)
        _run("ip", "netns", "del", namespace)


@pytest.fixture(scope="module")
def networked(tmp_path_factory: pytest.TempPathFactory, test_host: str) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("network") / "data").start()
    try:
        health = json.loads(__import__("urllib.request").request.urlopen(f"{server.endpoint}/lambent/health").read())
        if health["sandbox"] != "namespaces":
            pytest.skip(f"the server runs the {health['sandbox']} sandbox here")
        outbound = next(p for p in health["protections"] if p["name"] == "outbound network per function")
        assert outbound["active"], outbound
        yield server
    finally:
        pid = server.process.pid if server.process else None
        server.stop()
        if pid is not None:  # every environment's network stack ended with the server
            assert _slirps_of(pid) == []


def _slirps_of(server_pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
                command = (entry / "cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            ppid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
            if command.endswith(b"slirp4netns") and ppid == server_pid:
                found.append(int(entry.name))
    return found


def fetch(lam: Any, name: str, event: dict[str, Any]) -> dict[str, Any]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    body: dict[str, Any] = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, body
    return body


def host_listener() -> tuple[socket.socket, int]:
    """A server on the host's loopback, as the platform's internal ports are."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def accept() -> None:
        with contextlib.suppress(OSError):  # closed when the test is done
            for _ in range(8):
                listener.accept()[0].close()

    threading.Thread(target=accept, daemon=True).start()
    return listener, listener.getsockname()[1]


def test_functions_reach_the_network_by_default(networked: Server, test_host: str) -> None:
    lam = networked.client()
    create(lam, "online", FETCH)
    listener, port = host_listener()
    try:
        out = fetch(lam, "online", {"url": test_host, "connect": {"host loopback": ["10.0.2.2", port]}})
    finally:
        listener.close()
    assert out.get("status") == 200 and out["body"] == "hello from the test host", out
    assert out["resolv"] == "nameserver 10.0.2.3\n"
    # The way out does not lead to the host's loopback (the platform's internal ports).
    assert out["host loopback"] in ("ECONNREFUSED", "ENETUNREACH", "EACCES", "EPERM"), out


def test_outbound_none_leaves_loopback_and_the_platform_api_only(networked: Server, test_host: str) -> None:
    lam = networked.client()
    create(lam, "offline", FETCH, Tags={"lambent:outbound": "none"})
    out = fetch(lam, "offline", {"url": test_host})
    assert "status" not in out and "Network is unreachable" in out["error"], out
    code = "import boto3\ndef handler(e, c):\n    return boto3.client('lambda').get_function(FunctionName='offline')['Configuration']['FunctionName']\n"
    # importing boto3 cold takes seconds at 128 MB on a busy machine: room for it
    create(lam, "offline-api", code, Tags={"lambent:outbound": "none"}, MemorySize=1024, Timeout=30)
    assert json.loads(lam.invoke(FunctionName="offline-api")["Payload"].read()) == "offline"


def test_changing_the_tag_applies_to_new_environments(networked: Server, test_host: str) -> None:
    lam = networked.client()
    create(lam, "switched", FETCH)
    assert fetch(lam, "switched", {"url": test_host}).get("status") == 200
    arn = lam.get_function(FunctionName="switched")["Configuration"]["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"lambent:outbound": "none"})
    assert "Network is unreachable" in fetch(lam, "switched", {"url": test_host})["error"]
    lam.untag_resource(Resource=arn, TagKeys=["lambent:outbound"])
    assert fetch(lam, "switched", {"url": test_host}).get("status") == 200
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as bad:
        lam.tag_resource(Resource=arn, Tags={"lambent:outbound": "sometimes"})
    assert bad.value.response["Error"]["Message"] == "Tag lambent:outbound must be one of allow, none, not 'sometimes'."


def test_each_environment_has_its_own_stack_and_it_ends_with_it(networked: Server, test_host: str) -> None:
    """Spares carry a stack ready for the next cold start; an environment keeps the one it took
    and ends it with itself, so the count comes back to the spares' once environments end."""
    lam = networked.client()
    assert networked.process is not None
    server_pid = networked.process.pid
    names = [f"stacked-{i}" for i in range(3)]
    for name in names:
        create(lam, name, FETCH)
    assert fetch(lam, names[0], {"url": test_host}).get("status") == 200  # spares are made by now
    time.sleep(0.5)
    before = len(_slirps_of(server_pid))
    for name in names[1:]:
        assert fetch(lam, name, {"url": test_host}).get("status") == 200
    deadline = time.monotonic() + 5
    while len(_slirps_of(server_pid)) != before + 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_slirps_of(server_pid)) == before + 2  # two more environments, spares refilled
    for name in names:
        lam.delete_function(FunctionName=name)  # their idle environments are stopped
    deadline = time.monotonic() + 5
    while len(_slirps_of(server_pid)) != before - 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_slirps_of(server_pid)) == before - 1  # the first environment's stack went too


def test_network_stacks_unmount_nothing_on_the_host(networked: Server, test_host: str, tmp_path: Path) -> None:
    """A mount under a shared mount of the host (as ``ip netns`` and systemd make them) survives
    environments coming and going: their network stacks' mount namespaces never propagate an
    unmount back to the host."""
    base, sub = tmp_path / "shared", tmp_path / "shared" / "sub"
    sub.mkdir(parents=True)
    _run("mount", "--bind", str(base), str(base))
    try:
        _run("mount", "--make-shared", str(base))
        _run("mount", "-t", "tmpfs", "-o", "size=1m", "lambent-test", str(sub))
        try:
            lam = networked.client()
            create(lam, "propagation", FETCH)
            for generation in range(6):  # each a new environment with a new stack (spares' too)
                lam.update_function_configuration(FunctionName="propagation", Environment={"Variables": {"GEN": str(generation)}})
                lam.get_waiter("function_updated_v2").wait(FunctionName="propagation", WaiterConfig={"Delay": 0.1})
                assert fetch(lam, "propagation", {"url": test_host}).get("status") == 200
            time.sleep(0.5)
            mounted = subprocess.run(["findmnt", "-n", "-o", "SOURCE", str(sub)], capture_output=True, text=True).stdout
            assert mounted.strip() == "lambent-test"
        finally:
            subprocess.run(["umount", str(sub)], capture_output=True)
    finally:
        _run("umount", str(base))
