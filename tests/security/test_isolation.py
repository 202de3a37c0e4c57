"""Probes from inside real functions: each tries to break out of its environment, and must fail.

Runs against a real server in the ``namespaces`` sandbox (root, cgroups); skipped with the
reason elsewhere, where the server itself says which protections are off.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path
from typing import Any

from tests.fixtures.probes import PROBE, VICTIM, host_caps, invoke
from tests.fixtures.server import Server, create, pids_of_uid


def _accept_until_closed(listener: socket.socket) -> None:
    """Take whatever connects, until the test closes *listener*."""
    with contextlib.suppress(OSError):
        while True:
            listener.accept()[0].close()


def test_probes_from_inside_all_fail(isolated: Server, lam: Any, fn_name: str) -> None:
    victim = create(lam, f"{fn_name}-victim", VICTIM, Environment={"Variables": {"VICTIM_ENV": "victim-env-secret"}})
    victim_info = invoke(lam, f"{fn_name}-victim", {})
    victim_pids = pids_of_uid(victim_info["uid"])
    assert victim_pids, "the victim's environment should be running"
    code_sha = lam.get_function(FunctionName=f"{fn_name}-victim")["Code"]["Location"].split("/code/")[1].split(".zip")[0]
    data = isolated.data_dir
    internal = socket.socket()
    internal.bind(("127.0.0.1", 0))
    internal.listen(8)
    internal_port = internal.getsockname()[1]
    threading.Thread(target=_accept_until_closed, args=(internal,), daemon=True).start()

    create(lam, fn_name, PROBE)
    event = {
        "read": {
            "other function's code (host path)": str(data / "code" / code_sha / "app.py"),
            "other function's package": str(data / "packages" / f"{code_sha}.zip"),
            "platform database": str(data / "lambent.db"),
            "platform secret": str(data / "secret"),
            "other function's environ": f"/proc/{victim_pids[0]}/environ",
            "host shadow": "/etc/shadow",
            "host ssh": "/root/.ssh/authorized_keys",
        },
        "list": {"platform data dir": str(data), "host /work": "/work", "host /home": "/home/..", "sys": "/sys/fs/cgroup"},
        "kill": {f"victim host pid {pid}": pid for pid in victim_pids[:3]},
        "connect": {"internal port": internal_port},
    }
    probe = invoke(lam, fn_name, event)
    results = probe["results"]
    # The probe tells success from failure: what its own environment allows gets through.
    assert probe["controls"]["read own code"] == probe["controls"]["write own /tmp"] == "ok"
    assert probe["controls"]["fail on purpose"].startswith("errno:")
    got_through = {name: outcome for name, outcome in results.items() if outcome == "ok"}
    # Listing /home/.. names the sandbox's own root: allowed; every other probe must fail.
    got_through.pop("list host /home", None)
    assert got_through == {}, got_through
    assert results["mount"] == results["unshare user"] == results["unshare mount"] == "errno:EPERM"
    assert results["ptrace child"] == results["ptrace init"] == "errno:EPERM"
    assert results["TIOCSTI"] == "errno:EPERM"
    assert results["write /var/task"] == results["write /"] == "errno:EROFS"
    # Every capability set empty, the bounding one too (no exec can gain one back); the same
    # fields read on the host (root here) are not, so the probe reads real values.
    assert probe["caps"] == dict.fromkeys(("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"), "0" * 16)
    assert host_caps()["CapBnd"] != "0" * 16 and host_caps()["CapEff"] != "0" * 16
    assert probe["no_new_privs"] == "1" and probe["seccomp"] == "2"
    assert probe["uid"] not in (0, victim_info["uid"])
    assert max(probe["pids"]) < 10  # its own PID namespace: only its own few processes
    assert probe["tmp"] == []  # not the victim's /tmp
    assert set(probe["root"]) <= {"bin", "dev", "etc", "home", "lib", "lib64", "opt", "proc", "root", "sbin", "tmp", "usr", "var"}
    assert victim_info["task_root"] == "/var/task"
    # The victim is unharmed.
    assert pids_of_uid(victim_info["uid"])
    assert invoke(lam, f"{fn_name}-victim", {})["uid"] == victim_info["uid"]
    internal.close()
    assert victim["FunctionName"] == f"{fn_name}-victim"


def test_platform_api_is_reachable_inside(isolated: Server, lam: Any, fn_name: str) -> None:
    code = (
        "import boto3\n"
        "def handler(event, context):\n"
        "    return boto3.client('lambda').get_function_configuration(FunctionName=context.function_name)['Handler']\n"
    )
    create(lam, fn_name, code, Timeout=30)
    assert invoke(lam, fn_name, {}) == "app.handler"


def test_devices_and_proc_are_minimal(isolated: Server, lam: Any, fn_name: str) -> None:
    code = (
        "import os\n"
        "def handler(event, context):\n"
        "    return {'dev': sorted(os.listdir('/dev')), 'random': len(open('/dev/urandom', 'rb').read(16)),\n"
        "            'null': open('/dev/null', 'w').write('x'), 'mounts': open('/proc/self/mounts').read()}\n"
    )
    create(lam, fn_name, code)
    result = invoke(lam, fn_name, {})
    assert set(result["dev"]) <= {"null", "zero", "full", "random", "urandom", "shm", "fd", "stdin", "stdout", "stderr"}
    assert result["random"] == 16 and result["null"] == 1
    mount_points = {line.split()[1] for line in result["mounts"].splitlines()}
    assert "/var/task" in mount_points and "/tmp" in mount_points and "/proc" in mount_points
    assert not any(point.startswith(("/work", "/sys", "/root/.ssh")) for point in mount_points)
    assert not any(str(Path.cwd()) in line for line in result["mounts"].splitlines())
