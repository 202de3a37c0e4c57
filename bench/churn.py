"""Environment churn: create and end many environments, then check that nothing leaked.

    .venv/bin/python bench/churn.py [--cycles 10000] [--callers 8]

Each cycle is one environment that ends the way functions end badly: most crash at once
(``os._exit``), some run out of memory, some fail their init, some time out leaving a setsid'd
grandchild. Afterwards, with the server still running, it counts what is left: environment
cgroups of the server's instance (beyond the warm spares), mounts compared with before, and
processes of the functions' uids. It prints the rate of environment creations too. It asserts
nothing about time; a leak makes the exit status 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from harness import create_function, invoke_path, lambent_server
from httpclient import Connection
from lambent.model.uids import pick_uid
from lambent.sandbox.spares import SPARES

ENDINGS = {
    # name: (share of cycles, handler source, memory MB, timeout s)
    "crash": (0.80, "import os\ndef handler(event, context):\n    os._exit(1)\n", 128, 3),
    "oom": (0.08, "def handler(event, context):\n    return len([bytearray(1 << 20) for _ in range(400)])\n", 256, 10),
    "init-error": (0.10, "raise ValueError('at import')\n", 128, 3),
    "timeout": (
        0.02,
        "import os, time\ndef handler(event, context):\n    os.system('setsid sleep 300 &')\n    time.sleep(30)\n",
        128,
        1,
    ),
}


def _mounts() -> list[str]:
    listed = subprocess.run(["findmnt", "-rn", "-o", "TARGET"], capture_output=True, text=True, check=True)
    return sorted(listed.stdout.splitlines())


def _environment_groups(data_dir: Path) -> int:
    instance = hashlib.sha256(str((data_dir / "sandbox").resolve()).encode()).hexdigest()[:12]
    parent = Path("/sys/fs/cgroup/memory/lambent") / instance
    if not parent.is_dir():
        parent = Path("/sys/fs/cgroup/lambent") / instance
    return sum(1 for child in parent.iterdir() if child.is_dir()) if parent.is_dir() else 0


def _processes_of_uids(uids: set[int]) -> int:
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
            count += uid in uids
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=10_000)
    parser.add_argument("--callers", type=int, default=8)
    args = parser.parse_args()
    plan = [name for name, (share, *_rest) in ENDINGS.items() for _ in range(round(share * args.cycles))]
    random.Random(0).shuffle(plan)  # interleaved, the same way every run
    with tempfile.TemporaryDirectory(prefix="lambent-churn-") as scratch, lambent_server(Path(scratch), 3600) as server:
        data_dir = Path(scratch) / "data"
        mounts_before = _mounts()
        with Connection("127.0.0.1", server.port) as conn:
            for name, (_share, source, memory_mb, timeout_s) in ENDINGS.items():
                create_function(conn, name, "python3.12", source, memory_mb, timeout_s)
            create_function(conn, "whoami", "python3.12", "import os\ndef handler(e, c):\n    return os.getuid()\n")
            whoami = json.loads(conn.request("POST", invoke_path("whoami"), b"{}").body)
        # The uids the store's registry gave them: a fresh data dir, so the choice replays exactly.
        registry: dict[str, int] = {}
        for name in [*ENDINGS, "whoami"]:
            registry[name] = pick_uid(name, registry, set(registry))
        uids = {registry[name] for name in ENDINGS}
        if whoami != registry["whoami"]:
            print(f"functions do not run as their own uids here ({whoami}): process counts are not meaningful")
        outcomes: Counter[str] = Counter()
        lock = threading.Lock()
        cursor = iter(plan)

        def caller() -> None:
            with Connection("127.0.0.1", server.port, timeout_s=60) as conn:
                while True:
                    with lock:
                        name = next(cursor, None)
                    if name is None:
                        return
                    response = conn.request("POST", invoke_path(name), b"{}")
                    error = json.loads(response.body).get("errorType") if response.status == 200 else None
                    with lock:
                        outcomes[f"{name}: {response.status} {error}"] += 1

        started = time.monotonic()
        threads = [threading.Thread(target=caller) for _ in range(args.callers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        time.sleep(1.0)  # let the last environments' ends settle
        groups = _environment_groups(data_dir)
        mounts_after = _mounts()
        print(
            f"environments: {len(plan)} in {elapsed:.1f} s = {len(plan) / elapsed:.0f} created and ended per second "
            f"({args.callers} callers)"
        )
        for outcome, count in sorted(outcomes.items()):
            print(f"  {count:6d}  {outcome}")
        expected = SPARES + 1
        print(f"cgroups left for the server's instance: {groups} (the {SPARES} spares and the one warm 'whoami': {expected})")
        print(f"mounts on the host: {len(mounts_before)} before, {len(mounts_after)} after")
        leaked = groups > expected or mounts_after != mounts_before
    left = _processes_of_uids(uids)
    print(f"processes of the functions' uids after the server stopped: {left}")
    return 1 if leaked or left else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
