"""Lambda's limits, enforced exactly, and neighbours unharmed while a function hits them."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from typing import Any

import pytest

from tests.fixtures.server import Server, create, environment_gone


def invoke(lam: Any, name: str, event: Any = None) -> tuple[dict[str, Any], Any, str]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode(), LogType="Tail")
    body = json.loads(response["Payload"].read())
    return response, body, base64.b64decode(response.get("LogResult", "")).decode()


class Neighbour:
    """Another function invoked in a loop while a test runs: every invoke must succeed."""

    def __init__(self, lam: Any, name: str) -> None:
        create(lam, name, "def handler(event, context):\n    return 'fine'\n")
        self.lam, self.name = lam, name
        self.results: list[Any] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            response = self.lam.invoke(FunctionName=self.name, Payload=b"{}")
            self.results.append(
                (response.get("FunctionError"), json.loads(response["Payload"].read()), time.monotonic() - started)
            )
            time.sleep(0.05)

    def __enter__(self) -> Neighbour:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(30)
        assert len(self.results) >= 3, "the neighbour should have been invoked during the test"
        assert all(error is None and body == "fine" for error, body, _ in self.results), self.results
        assert max(seconds for _, _, seconds in self.results) < 5.0


def test_memory_limit_is_out_of_memory(isolated: Server, lam: Any, fn_name: str) -> None:
    code = "def handler(event, context):\n    blocks = [bytearray(1 << 20) for _ in range(event['mb'])]\n    return len(blocks)\n"
    create(lam, fn_name, code, MemorySize=128, Timeout=30)
    with Neighbour(lam, f"{fn_name}-neighbour"):
        response, body, log = invoke(lam, fn_name, {"mb": 256})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.OutOfMemory"
    assert body["errorMessage"].endswith("Runtime exited with error: signal: killed")
    assert "Max Memory Used: 128 MB" in log and "Error Type: Runtime.OutOfMemory" in log
    # A smaller allocation in a fresh environment succeeds: the limit is MemorySize, not less.
    assert invoke(lam, fn_name, {"mb": 64})[1] == 64


def test_tmp_is_capped_at_ephemeral_storage(isolated: Server, lam: Any, fn_name: str) -> None:
    code = (
        "import errno\n"
        "def handler(event, context):\n"
        "    written = 0\n"
        "    chunk = b'x' * (1 << 20)\n"
        "    with open('/tmp/fill', 'wb', buffering=0) as sink:\n"
        "        try:\n"
        "            while True:\n"
        "                written += sink.write(chunk)\n"
        "        except OSError as exc:\n"
        "            return {'written': written, 'errno': errno.errorcode[exc.errno]}\n"
    )
    # As on AWS, /tmp is not memory: 1 GB of it fills up at 128 MB without running out of memory.
    create(lam, fn_name, code, MemorySize=128, EphemeralStorage={"Size": 1024}, Timeout=120)
    _, body, _ = invoke(lam, fn_name)
    assert body["errno"] == "ENOSPC"
    assert abs(body["written"] - 1024 * 1024 * 1024) <= 0.01 * 1024 * 1024 * 1024, body
    # The default 512 MB (the /tmp a spare mounts ahead) holds just as exactly.
    create(lam, f"{fn_name}-default", code, MemorySize=128, Timeout=120)
    _, body, _ = invoke(lam, f"{fn_name}-default")
    assert body["errno"] == "ENOSPC"
    assert abs(body["written"] - 512 * 1024 * 1024) <= 0.01 * 512 * 1024 * 1024, body


def test_fork_bomb_is_capped_at_1024_tasks(isolated: Server, lam: Any, fn_name: str) -> None:
    code = (
        "import os, signal, errno\n"
        "def handler(event, context):\n"
        "    children = []\n"
        "    failure = None\n"
        "    while len(children) < 4096:\n"
        "        try:\n"
        "            pid = os.fork()\n"
        "        except OSError as exc:\n"
        "            failure = errno.errorcode[exc.errno]\n"
        "            break\n"
        "        if pid == 0:\n"
        "            signal.pause()\n"
        "            os._exit(0)\n"
        "        children.append(pid)\n"
        "    for pid in children:\n"
        "        os.kill(pid, signal.SIGKILL)\n"
        "    for pid in children:\n"
        "        os.waitpid(pid, 0)\n"
        "    return {'forked': len(children), 'failure': failure}\n"
    )
    create(lam, fn_name, code, MemorySize=3008, Timeout=120)
    with Neighbour(lam, f"{fn_name}-neighbour"):
        _, body, _ = invoke(lam, fn_name)
    assert body["failure"] == "EAGAIN"
    assert 1000 <= body["forked"] < 1024, body  # 1,024 tasks, counting the runtime and its init


def test_descriptors_are_capped_at_1024(isolated: Server, lam: Any, fn_name: str) -> None:
    code = (
        "import os, errno\n"
        "def handler(event, context):\n"
        "    opened = []\n"
        "    try:\n"
        "        while True:\n"
        "            opened.append(os.open('/dev/null', os.O_RDONLY))\n"
        "    except OSError as exc:\n"
        "        failure = errno.errorcode[exc.errno]\n"
        "    highest = max(opened)\n"
        "    for fd in opened:\n"
        "        os.close(fd)\n"
        "    return {'failure': failure, 'highest': highest}\n"
    )
    create(lam, fn_name, code)
    _, body, _ = invoke(lam, fn_name)
    assert body == {"failure": "EMFILE", "highest": 1023}


def test_cpu_is_proportional_to_memory(isolated: Server, lam: Any, fn_name: str) -> None:
    code = (
        "import os, time\n"
        "def handler(event, context):\n"
        "    started = time.monotonic()\n"
        "    children = []\n"
        "    for _ in range(8):\n"
        "        pid = os.fork()\n"
        "        if pid == 0:\n"
        "            end = time.monotonic() + event['seconds']\n"
        "            while time.monotonic() < end:\n"
        "                pass\n"
        "            os._exit(0)\n"
        "        children.append(pid)\n"
        "    for pid in children:\n"
        "        os.waitpid(pid, 0)\n"
        "    wall = time.monotonic() - started\n"
        "    times = os.times()\n"
        "    return {'cores': (times.children_user + times.children_system) / wall}\n"
    )
    create(lam, fn_name, code, MemorySize=1769, Timeout=60)
    _, body, _ = invoke(lam, fn_name, {"seconds": 3})
    assert 0.7 <= body["cores"] <= 1.05, body


def test_output_flood_is_bounded(isolated: Server, lam: Any, fn_name: str) -> None:
    code = "import sys\ndef handler(event, context):\n    line = 'y' * 1023 + '\\n'\n    for _ in range(64 * 1024):\n        sys.stdout.write(line)\n    return 'done'\n"
    create(lam, fn_name, code, MemorySize=512, Timeout=60)
    with Neighbour(lam, f"{fn_name}-neighbour"):
        _, body, log = invoke(lam, fn_name)
    assert body == "done"
    assert re.search(r"\[lambent\] \d+ bytes of output dropped", log)


@pytest.mark.parametrize("grandchildren", ["double-fork", "setsid"])
def test_timeout_leaves_no_process(isolated: Server, lam: Any, fn_name: str, grandchildren: str) -> None:
    spawn = "(sleep 300 &) ; sleep 1" if grandchildren == "double-fork" else "setsid sleep 300 &"
    code = (
        "import os, time\n"
        "def handler(event, context):\n"
        "    print('uid', os.getuid(), flush=True)\n"
        f"    os.system({spawn!r})\n"
        "    time.sleep(60)\n"
    )
    create(lam, fn_name, code, Timeout=2)
    _, body, log = invoke(lam, fn_name)
    assert body["errorType"] == "Sandbox.Timedout"
    uid = int(re.search(r"uid (\d+)", log).group(1))  # type: ignore[union-attr]
    assert uid != 0
    assert environment_gone(uid, 0, 1.0)
