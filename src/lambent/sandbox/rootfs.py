"""An environment's root file system, prepared on the host: the skeleton of mount points and
generated files it pivots into, and the C PID 1 it execs once set up.

The skeleton holds no data of anyone's: only empty mount points for the read-only binds (system
/usr, the interpreter, the code, the runtime, layers), a minimal /etc and /dev, built once per
set of system directories and shared read-only by every environment that needs that set.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
import subprocess
from pathlib import Path

from lambent.errors import SandboxSetupError
from lambent.sandbox import outbound

log = logging.getLogger(__name__)
#: Where the code, the runtime's shared files and the layers appear inside an environment.
TASK_ROOT = "/var/task"
RUNTIME_ROOT = "/var/runtime"
OPT_ROOT = "/opt"
DEVICES = ("null", "zero", "full", "random", "urandom")
#: The skeleton's layout version is in its name: a new layout never reuses an old root.
SKELETON_VERSION = "2"  # 2: /etc/resolv.conf for the outbound network
REAPER_SOURCE = Path(__file__).with_name("reaper.c")


def skeleton(work_dir: Path, system_dirs: tuple[str, ...]) -> Path:
    """The skeleton root for *system_dirs* (sorted), built under *work_dir* if it is not yet."""
    digest = hashlib.sha256("\0".join((SKELETON_VERSION, *system_dirs)).encode()).hexdigest()[:16]
    root = work_dir / f"root-{digest}"
    if not root.exists():
        scratch = work_dir / f".root-{digest}-{os.getpid()}-{secrets.token_hex(4)}"
        shutil.rmtree(scratch, ignore_errors=True)
        _build_skeleton(scratch, system_dirs)
        scratch.rename(root)
    return root


def build_reaper(work_dir: Path) -> str | None:
    """The C PID 1 (``reaper.c``), compiled once per source into *work_dir*; None without a C
    compiler (PID 1 then stays a Python process, ~1 MB more per environment)."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        log.warning("no C compiler: environments keep a Python PID 1 (about 1 MB more each)")
        return None
    source = REAPER_SOURCE.read_bytes()
    target = work_dir / f"reaper-{hashlib.sha256(source).hexdigest()[:12]}"
    if not target.exists():
        scratch = target.with_suffix(f".{secrets.token_hex(4)}")
        try:
            command = [compiler, "-O2", "-o", str(scratch), str(REAPER_SOURCE)]
            try:  # static: no dynamic loader to run for each environment
                subprocess.run([*command, "-static"], check=True, capture_output=True, timeout=60)
            except subprocess.CalledProcessError:  # no static C library here
                subprocess.run(command, check=True, capture_output=True, timeout=60)
            scratch.chmod(0o755)
            scratch.rename(target)
        except (OSError, subprocess.SubprocessError) as exc:
            scratch.unlink(missing_ok=True)
            log.warning("could not build the C PID 1 (%s): environments keep a Python one", exc)
            return None
    return str(target)


def _build_skeleton(root: Path, system_dirs: tuple[str, ...]) -> None:
    """Mount points and the few generated files of an environment's root."""
    for name in ("usr", "var/task", "var/runtime", "opt", "tmp", "proc", "dev/shm", "etc", "root", "home"):
        (root / name).mkdir(parents=True, exist_ok=True)
    for name in ("bin", "lib", "lib64", "sbin", "lib32", "libx32"):
        host = Path("/") / name
        if host.is_symlink():
            (root / name).symlink_to(os.readlink(host))
        elif host.is_dir():
            raise SandboxSetupError("skeleton", str(host), "a separate /{name} (not merged /usr) is not supported yet")
    for directory in system_dirs:
        if not directory.startswith("/usr/"):
            (root / directory.lstrip("/")).mkdir(parents=True, exist_ok=True)
    for device in DEVICES:
        (root / "dev" / device).touch()
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        (root / "dev" / name).symlink_to(target)
    for etc in ("ssl", "alternatives"):
        if Path("/etc", etc).is_dir():
            (root / "etc" / etc).mkdir()
    for etc in ("ld.so.cache", "localtime", "nsswitch.conf", "mime.types"):
        if Path("/etc", etc).is_file():
            shutil.copy2(Path("/etc", etc), root / "etc" / etc)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\nsbx_user:x:993:990::/tmp:/sbin/nologin\n")
    (root / "etc" / "group").write_text("root:x:0:\nsbx_user:x:990:\n")
    (root / "etc" / "resolv.conf").write_text(f"nameserver {outbound.DNS}\n")  # slirp4netns forwards it
    (root / "etc" / "hosts").write_text("127.0.0.1\tlocalhost lambent sandbox.localdomain\n::1\tlocalhost\n")
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
