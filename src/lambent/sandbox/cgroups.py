"""Control groups for environments, on cgroup v1 (memory, cpu, pids) and v2 alike.

Every environment gets ``lambent/<instance>/<id>`` under each controller, where the instance
names one server's data directory; nothing outside that group is ever written, so two
servers on one machine never touch each other's environments.

Limits: memory = MemorySize with no swap; pids.max 1,024; CPU quota proportional to memory
(1 vCPU at 1,769 MB, linear, at most 6 vCPUs), applied once the runtime has initialised.
``remove`` kills what is left and deletes the groups; ``sweep`` does the same for groups a
crashed server left behind. Every failed write raises ``SandboxSetupError`` naming the file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import msgspec

from lambent.errors import SandboxSetupError
from lambent.model.limits import PIDS_MAX

ROOT = Path("/sys/fs/cgroup")
PARENT = "lambent"
CPU_PERIOD_US = 100_000
MB = 1024 * 1024


def cpu_quota_us(memory_mb: int) -> int:
    """CFS quota per period for *memory_mb*: 1 vCPU at 1,769 MB, linear, capped at 6."""
    vcpus = min(6.0, memory_mb / 1769)
    return max(1000, round(vcpus * CPU_PERIOD_US))


class CgroupUsage(msgspec.Struct, frozen=True, kw_only=True):
    peak_memory_bytes: int
    oom_killed: bool


def _write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError as exc:
        raise SandboxSetupError("write", str(path), exc) from exc


def _read_int(path: Path) -> int:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


class Cgroups:
    """The cgroup hierarchy of this machine, as Lambent uses it."""

    def __init__(self, instance: str, root: Path = ROOT) -> None:
        self.root = root
        self.group = f"{PARENT}/{instance}"
        self.v2 = (root / "cgroup.controllers").exists()
        self._v1 = {name: root / name for name in ("memory", "cpu", "pids")}

    def available(self) -> tuple[bool, str]:
        """Whether groups can be created here, and why not."""
        if os.geteuid() != 0:
            return False, "not root (delegated cgroups are not detected yet)"
        if self.v2:
            ok = os.access(self.root, os.W_OK)
            return ok, "cgroup v2" if ok else f"{self.root} is not writable"
        missing = [name for name, path in self._v1.items() if not os.access(path, os.W_OK)]
        if missing:
            return False, f"cgroup v1 controllers not writable: {', '.join(missing)}"
        return True, "cgroup v1 (memory, cpu, pids)"

    def prepare(self) -> None:
        """Create the ``lambent`` parent groups (and enable controllers on v2)."""
        if self.v2:
            level = self.root
            for part in self.group.split("/"):
                _write(level / "cgroup.subtree_control", "+memory +cpu +pids")
                level = level / part
                level.mkdir(exist_ok=True)
            _write(level / "cgroup.subtree_control", "+memory +cpu +pids")
        else:
            for path in self._v1.values():
                (path / self.group).mkdir(parents=True, exist_ok=True)

    def release(self) -> None:
        """Remove this instance's (empty) parent groups, and ``lambent`` itself once unused."""
        for parent in self._parents():
            with contextlib.suppress(OSError):
                parent.rmdir()
            with contextlib.suppress(OSError):  # another server's instance may still be in it
                parent.parent.rmdir()

    def _parents(self) -> list[Path]:
        return [self.root / self.group] if self.v2 else [path / self.group for path in self._v1.values()]

    def directories(self, env_id: str) -> list[Path]:
        return [parent / env_id for parent in self._parents()]

    def procs_files(self, env_id: str) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.directories(env_id)]

    def create(self, env_id: str) -> None:
        """Create the environment's groups with the pids limit (memory comes with ``limit_memory``)."""
        try:
            for directory in self.directories(env_id):
                directory.mkdir()
        except OSError as exc:
            self.remove(env_id)
            raise SandboxSetupError("mkdir", str(exc.filename), exc) from exc
        try:
            if self.v2:
                _write(self.root / self.group / env_id / "pids.max", str(PIDS_MAX))
                _write(self.root / self.group / env_id / "memory.swap.max", "0")
            else:
                _write(self._v1["pids"] / self.group / env_id / "pids.max", str(PIDS_MAX))
        except SandboxSetupError:
            self.remove(env_id)
            raise

    def join(self, env_id: str, pid: int) -> None:
        """Move *pid* (and the children it makes from then on) into the environment's groups."""
        for procs in self.procs_files(env_id):
            _write(Path(procs), str(pid))

    def limit_memory(self, env_id: str, memory_mb: int) -> None:
        """Memory = *memory_mb* with no swap (set before the function's first instruction)."""
        limit = str(memory_mb * MB)
        if self.v2:
            _write(self.root / self.group / env_id / "memory.max", limit)
        else:
            memory = self._v1["memory"] / self.group / env_id
            _write(memory / "memory.limit_in_bytes", limit)
            if (memory / "memory.memsw.limit_in_bytes").exists():
                _write(memory / "memory.memsw.limit_in_bytes", limit)

    def limit_cpu(self, env_id: str, memory_mb: int) -> None:
        """Apply the CPU quota for *memory_mb* (after init, which runs unthrottled, as on AWS)."""
        if self.v2:
            _write(self.root / self.group / env_id / "cpu.max", f"{cpu_quota_us(memory_mb)} {CPU_PERIOD_US}")
        else:
            cpu = self._v1["cpu"] / self.group / env_id
            _write(cpu / "cpu.cfs_period_us", str(CPU_PERIOD_US))
            _write(cpu / "cpu.cfs_quota_us", str(cpu_quota_us(memory_mb)))

    def peak_file(self, env_id: str) -> str:
        """The file holding the environment's peak memory in bytes (kept open by its reader)."""
        if self.v2:
            return str(self.root / self.group / env_id / "memory.peak")
        return str(self._v1["memory"] / self.group / env_id / "memory.max_usage_in_bytes")

    def usage(self, env_id: str) -> CgroupUsage:
        if self.v2:
            group = self.root / self.group / env_id
            peak = _read_int(group / "memory.peak")
            events = (group / "memory.events").read_text() if (group / "memory.events").exists() else ""
            oom = any(line.startswith("oom_kill ") and line.split()[1] != "0" for line in events.splitlines())
            return CgroupUsage(peak_memory_bytes=peak, oom_killed=oom)
        memory = self._v1["memory"] / self.group / env_id
        peak = _read_int(memory / "memory.max_usage_in_bytes")
        try:
            control = (memory / "memory.oom_control").read_text()
        except OSError:
            control = ""
        oom = any(line.startswith("oom_kill ") and line.split()[1] != "0" for line in control.splitlines())
        return CgroupUsage(peak_memory_bytes=peak, oom_killed=oom)

    def kill(self, env_id: str) -> None:
        """SIGKILL every process in the environment's groups."""
        if self.v2:
            kill_file = self.root / self.group / env_id / "cgroup.kill"
            if kill_file.exists():
                with contextlib.suppress(OSError):
                    kill_file.write_text("1")
                return
        for procs in self.procs_files(env_id):
            try:
                pids = [int(p) for p in Path(procs).read_text().split()]
            except OSError:
                continue
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def remove(self, env_id: str, timeout_s: float = 1.0) -> bool:
        """Kill what is left and delete the groups; True when none remains."""
        deadline = time.monotonic() + timeout_s
        remaining = [d for d in self.directories(env_id) if d.exists()]
        while remaining:
            self.kill(env_id)
            for directory in list(remaining):
                try:
                    directory.rmdir()
                    remaining.remove(directory)
                except FileNotFoundError:
                    remaining.remove(directory)
                except OSError:
                    pass
            if remaining:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.005)
        return True

    def sweep(self) -> int:
        """Remove every environment group this instance left behind (after a crash); returns the count."""
        parents = self._parents()
        names = {child.name for parent in parents if parent.is_dir() for child in parent.iterdir() if child.is_dir()}
        for name in names:
            self.remove(name)
        return len(names)
