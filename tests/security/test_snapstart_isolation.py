"""Environments restored from a SnapStart template are sandboxes as strong as any other: the same
probes fail from inside them, they do not see each other or the template, a memory hog among
them harms only itself, and nothing of them outlives the function.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.probes import PROBE, VICTIM, host_caps, invoke
from tests.fixtures.server import Server, create, pids_of_uid
from tests.fixtures.snapstart import publish_snapstart

SIBLING = r"""
import os, time
from snapshot_restore_py import register_before_snapshot

PARKED = []


@register_before_snapshot
def keep_secret():
    with open("/tmp/template-file", "w") as secret:
        secret.write("from the template")


def handler(event, context):
    if event.get("allocate_mb"):
        PARKED.append(bytearray(event["allocate_mb"] << 20))
    if event.get("write"):
        with open("/tmp/" + event["write"], "w") as mine:
            mine.write(event["write"])
    time.sleep(event.get("sleep", 0))
    return {
        "uid": os.getuid(),
        "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "tmp": sorted(os.listdir("/tmp")),
        "kill_init": _attempt(lambda: os.kill(1, 9)),
    }


def _attempt(action):
    try:
        action()
    except OSError as exc:
        return exc.errno
    return 0
"""


@pytest.fixture(scope="module")
def restorable(server: Server) -> Server:
    health = json.loads(__import__("urllib.request").request.urlopen(f"{server.endpoint}/lambent/health").read())
    snapstart = next((p for p in health["protections"] if p["name"].startswith("SnapStart")), None)
    if health["sandbox"] != "namespaces" or snapstart is None or not snapstart["active"]:
        pytest.skip(f"environments are not restored here ({snapstart['reason'] if snapstart else health['sandbox']})")
    return server


def invoke_version(lam: Any, name: str, version: str, event: dict[str, Any]) -> tuple[str | None, Any]:
    response = lam.invoke(FunctionName=name, Qualifier=version, Payload=json.dumps(event).encode())
    return response.get("FunctionError"), json.loads(response["Payload"].read())


def test_probes_from_a_restored_environment_all_fail(restorable: Server, lam: Any, fn_name: str) -> None:
    create(lam, f"{fn_name}-victim", VICTIM, Environment={"Variables": {"VICTIM_ENV": "victim-env-secret"}})
    victim = invoke(lam, f"{fn_name}-victim", {})
    victim_pids = pids_of_uid(victim["uid"])
    data = restorable.data_dir
    version = publish_snapstart(lam, fn_name, PROBE)
    event = {
        "read": {
            "platform database": str(data / "lambent.db"),
            "other function's environ": f"/proc/{victim_pids[0]}/environ",
            "host shadow": "/etc/shadow",
        },
        "list": {"platform data dir": str(data), "host /work": "/work", "sys": "/sys/fs/cgroup"},
        "kill": {f"victim host pid {pid}": pid for pid in victim_pids[:3]},
    }
    error, probe = invoke_version(lam, fn_name, version, event)
    assert error is None, probe
    results = probe["results"]
    assert {name: outcome for name, outcome in results.items() if outcome == "ok"} == {}
    # The template may make one user namespace; a restored environment may make none.
    assert results["mount"] == results["unshare user"] == results["unshare mount"] == "errno:EPERM"
    assert results["ptrace child"] == results["ptrace init"] == "errno:EPERM"
    assert results["write /var/task"] == results["write /"] == "errno:EROFS"
    # Every capability set empty, the bounding one too (no exec can gain one back); the same
    # fields read on the host (root here) are not, so the probe reads real values.
    assert probe["caps"] == dict.fromkeys(("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"), "0" * 16)
    assert host_caps()["CapBnd"] != "0" * 16 and host_caps()["CapEff"] != "0" * 16
    assert probe["no_new_privs"] == "1" and probe["seccomp"] == "2"
    assert probe["uid"] not in (0, victim["uid"])
    assert max(probe["pids"]) < 10
    assert probe["tmp"] == []
    assert pids_of_uid(victim["uid"])  # the victim is unharmed


def test_restored_siblings_do_not_see_each_other_or_the_template(restorable: Server, lam: Any, fn_name: str) -> None:
    version = publish_snapstart(lam, fn_name, SIBLING)
    events = [{"write": f"env-{i}", "sleep": 0.8} for i in range(3)]
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda event: invoke_version(lam, fn_name, version, event), events))
    host_pids = pids_of_uid(results[0][1]["uid"])
    for i, (error, body) in enumerate(results):
        assert error is None, body
        # Only its own reaper (1) and runtime (2): not the template, not a sibling.
        assert body["pids"] == [1, 2], body["pids"]
        assert body["tmp"] == sorted(["template-file", f"env-{i}"])
        assert body["kill_init"] == 0  # sent, and ignored: the kernel spares a namespace's init (it answered)
    # On the host, as the function's uid: the template's runtime (its PID 1 runs as nobody) and
    # three restored environments (two reapers and a runtime each).
    assert len(host_pids) >= 1 + 3 * 3


def test_a_memory_hog_among_restored_environments_harms_only_itself(restorable: Server, lam: Any, fn_name: str) -> None:
    # 128 MB gets ~7 % of a vCPU: a timeout well past the allocation, so a busy machine cannot turn OOM into a timeout
    version = publish_snapstart(lam, fn_name, SIBLING, MemorySize=128, Timeout=20)
    with ThreadPoolExecutor(2) as pool:
        quiet = pool.submit(invoke_version, lam, fn_name, version, {"sleep": 1.0})
        time.sleep(0.3)
        hog = pool.submit(invoke_version, lam, fn_name, version, {"allocate_mb": 256})
        error, body = hog.result()
        assert error == "Unhandled" and body["errorType"] == "Runtime.OutOfMemory", body
        assert quiet.result()[0] is None
    # The template lives on: a new environment is still restored from it.
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda _: invoke_version(lam, fn_name, version, {"sleep": 0.5}), range(2)))
    assert [error for error, _body in outcomes] == [None, None]


def test_nothing_of_a_snapstart_function_outlives_it(restorable: Server, lam: Any, fn_name: str) -> None:
    version = publish_snapstart(lam, fn_name, SIBLING)
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: invoke_version(lam, fn_name, version, {"sleep": 0.5}), range(3)))
    uid = results[0][1]["uid"]
    assert pids_of_uid(uid)
    groups_before = _environment_groups()
    lam.delete_function(FunctionName=fn_name)
    deadline = time.monotonic() + 3
    while pids_of_uid(uid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pids_of_uid(uid) == []
    assert len(_environment_groups()) <= len(groups_before) - 4  # the template's and three environments'


def _environment_groups() -> list[Path]:
    """The environment cgroups of every Lambent instance on this machine (memory controller)."""
    return [p for p in Path("/sys/fs/cgroup/memory").glob("lambent*/*/*") if p.is_dir()]


def test_deleting_a_version_ends_its_template_and_environments(restorable: Server, lam: Any, fn_name: str) -> None:
    version = publish_snapstart(lam, fn_name, SIBLING)
    error, body = invoke_version(lam, fn_name, version, {})
    assert error is None, body
    uid = body["uid"]
    assert pids_of_uid(uid)  # the template, a restored environment and one placed ahead
    lam.delete_function(FunctionName=fn_name, Qualifier=version)
    deadline = time.monotonic() + 3
    while pids_of_uid(uid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pids_of_uid(uid) == []  # $LATEST never ran: nothing of the function is left
    assert lam.get_function(FunctionName=fn_name)["Configuration"]["Version"] == "$LATEST"
