"""Probes from inside real functions: each tries to break out of its environment, and must fail.

Runs against a real server in the ``namespaces`` sandbox (root, cgroups); skipped with the
reason elsewhere, where the server itself says which protections are off.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server, create, pids_of_uid

PROBE = r'''
import ctypes, errno, json, os, signal, socket

libc = ctypes.CDLL(None, use_errno=True)


def attempt(action):
    """What happened: 'ok' (the probe got through) or the error it met."""
    try:
        value = action()
    except OSError as exc:
        return "errno:" + (errno.errorcode.get(exc.errno, str(exc.errno)))
    except Exception as exc:
        return "error:" + type(exc).__name__
    return "ok" if value is None or value is True or isinstance(value, (bytes, str, int, list)) else "ok"


def call(result):
    if result != 0:
        raise OSError(ctypes.get_errno(), "failed")


def connect(port):
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def handler(event, context):
    results = {}
    for name, path in event.get("read", {}).items():
        results["read " + name] = attempt(lambda path=path: open(path, "rb").read(64))
    for name, path in event.get("list", {}).items():
        results["list " + name] = attempt(lambda path=path: os.listdir(path))
    for name, pid in event.get("kill", {}).items():
        results["kill " + name] = attempt(lambda pid=pid: os.kill(pid, signal.SIGKILL))
    for name, port in event.get("connect", {}).items():
        results["connect " + name] = attempt(lambda port=port: connect(port))
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
    results["mount"] = attempt(lambda: call(libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, None)))
    results["unshare user"] = attempt(lambda: call(libc.unshare(0x10000000)))
    results["unshare mount"] = attempt(lambda: call(libc.unshare(0x00020000)))
    child = os.fork()
    if child == 0:
        signal.pause()
        os._exit(0)
    results["ptrace child"] = attempt(lambda: call(libc.ptrace(16, child, None, None)))
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    results["ptrace init"] = attempt(lambda: call(libc.ptrace(16, 1, None, None)))
    results["write /proc/self/exe"] = attempt(lambda: open("/proc/self/exe", "wb").write(b"x"))
    results["write /var/task"] = attempt(lambda: open("/var/task/evil.py", "w").write("x"))
    results["write /"] = attempt(lambda: open("/evil", "w").write("x"))
    results["write /usr"] = attempt(lambda: open("/usr/evil", "w").write("x"))
    results["cgroup files"] = attempt(lambda: open("/sys/fs/cgroup/memory/memory.limit_in_bytes", "w").write("0"))
    results["setuid 0"] = attempt(lambda: os.setuid(0))
    results["chroot"] = attempt(lambda: os.chroot("/tmp"))
    results["TIOCSTI"] = attempt(lambda: call(libc.ioctl(0, 0x5412, ctypes.c_char_p(b"x"))))
    results["kexec"] = attempt(lambda: call(libc.syscall(246, 0, 0, None, 0)))
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
    return {
        "results": results,
        "uid": os.getuid(),
        "cap_eff": status["CapEff"].strip(),
        "cap_bnd_irrelevant": status["CapBnd"].strip(),
        "no_new_privs": status["NoNewPrivs"].strip(),
        "seccomp": status["Seccomp"].strip(),
        "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "root": sorted(os.listdir("/")),
        "tmp": sorted(os.listdir("/tmp")),
        "hostname": socket.gethostname(),
    }
'''

VICTIM = r"""
import os
SECRET_IN_CODE = "victim-code-secret"
def handler(event, context):
    open("/tmp/victim-secret", "w").write("victim-tmp-secret")
    return {"uid": os.getuid(), "task_root": os.environ["LAMBDA_TASK_ROOT"]}
"""


def _accept_until_closed(listener: socket.socket) -> None:
    """Take whatever connects, until the test closes *listener*."""
    with contextlib.suppress(OSError):
        while True:
            listener.accept()[0].close()


@pytest.fixture(scope="module")
def isolated(server: Server) -> Server:
    health = json.loads(__import__("urllib.request").request.urlopen(f"{server.endpoint}/lambent/health").read())
    if health["sandbox"] != "namespaces":
        off = [p["name"] for p in health["protections"] if not p["active"]]
        pytest.skip(f"the server runs the {health['sandbox']} sandbox here; off: {', '.join(off)}")
    return server


def invoke(lam: Any, name: str, event: Any) -> Any:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    body = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, body
    return body


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
    got_through = {name: outcome for name, outcome in results.items() if outcome == "ok"}
    # Listing /home/.. names the sandbox's own root: allowed; every other probe must fail.
    got_through.pop("list host /home", None)
    assert got_through == {}, got_through
    assert results["mount"] == results["unshare user"] == results["unshare mount"] == "errno:EPERM"
    assert results["ptrace child"] == results["ptrace init"] == "errno:EPERM"
    assert results["TIOCSTI"] == "errno:EPERM"
    assert results["write /var/task"] == results["write /"] == "errno:EROFS"
    assert probe["cap_eff"] == "0000000000000000"
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
