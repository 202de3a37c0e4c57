"""Runtimes: which interpreters exist on this machine, and how an environment starts one.

A runtime identifier (``python3.12``) maps to a real interpreter binary found on the machine,
never a shim script (pyenv's shims cost ~110 ms per start). A runtime that is not installed is
simply absent from the table, so CreateFunction can refuse it naming those available.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

import msgspec

PYTHON_BOOTSTRAP = Path(__file__).parent / "python" / "bootstrap.py"
NODE_BOOTSTRAP = Path(__file__).parent / "node" / "bootstrap.mjs"
PROVIDED = ("provided", "provided.al2", "provided.al2023")
NODEJS = ("nodejs18.x", "nodejs20.x", "nodejs22.x")
_PYTHON_MINORS = range(9, 16)


class RuntimeSpec(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    family: str
    executable: str
    #: The interpreter's own version, e.g. "3.12.1".
    version: str

    @property
    def speaks_runtime_api(self) -> bool:
        """Whether the runtime talks to the platform over the HTTP Runtime API (not preloaded)."""
        return self.family != "python"

    @property
    def preload(self) -> str | None:
        """The file a zygote imports ahead of forks (None: this runtime cannot fork-start)."""
        return str(PYTHON_BOOTSTRAP) if self.family == "python" else None

    @property
    def entry(self) -> str | None:
        return "run" if self.family == "python" else None

    def system_dirs(self) -> tuple[str, ...]:
        """Host directories the interpreter reads at run time (its installation prefix)."""
        if self.family == "provided":
            return ()
        return (str(Path(self.executable).parent.parent),)

    def argv(self, code_path: str, runtime_path: str, bootstrap: str | None = None) -> tuple[str, ...]:
        """The command that starts the runtime, with the code and runtime as the environment sees
        them; *bootstrap*: a custom runtime's, as ``find_bootstrap`` chose it (default: the package's)."""
        if self.family == "python":
            # -I: no user site, no PYTHON* variables; -S: no site module (~35 ms of .pth files).
            return (self.executable, "-I", "-S", "-B", str(PYTHON_BOOTSTRAP))
        if self.family == "nodejs":
            return (self.executable, f"{runtime_path}/node/bootstrap.mjs")
        return (bootstrap or f"{code_path}/bootstrap",)

    @property
    def runtime_version(self) -> str:
        """As the INIT_START line names it: ``python:3.12.1`` (family and interpreter version)."""
        return f"{self.family}:{self.version}" if self.version else self.name

    def execution_env(self) -> str | None:
        """AWS_EXECUTION_ENV (unset for custom runtimes, as on AWS)."""
        return None if self.family == "provided" else f"AWS_Lambda_{self.name}"


class Bootstrap(msgspec.Struct, frozen=True, kw_only=True):
    """Which file a custom runtime starts, or why it cannot start, in the environment's paths."""

    path: str | None = None
    #: AWS's words when there is none to start (``Runtime.InvalidEntrypoint``).
    error: str | None = None


def find_bootstrap(code_dir: str, opt_dir: str | None, code_path: str, opt_path: str) -> Bootstrap:
    """A custom runtime's entry point, looked for as AWS does: the package's ``bootstrap`` if it
    has one, else the layers' (``/opt/bootstrap``). *code_dir*/*opt_dir* are where the package
    and the merged layers are on this machine, *code_path*/*opt_path* where the environment
    sees them. A bootstrap that is there but not executable fails as AWS's exec does."""
    candidates: list[tuple[Path | None, str]] = [
        (Path(code_dir) / "bootstrap", f"{code_path}/bootstrap"),
        (Path(opt_dir) / "bootstrap" if opt_dir else None, f"{opt_path}/bootstrap"),
    ]
    for host, seen in candidates:
        if host is not None and host.is_file():
            if not os.access(host, os.X_OK):
                return Bootstrap(error=f"fork/exec {seen}: permission denied")
            return Bootstrap(path=seen)
    return Bootstrap(error=f"Couldn't find valid bootstrap(s): [{' '.join(seen for _, seen in candidates)}]")


def _is_binary(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


def _version_key(path: Path) -> tuple[int, ...]:
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", str(path))
    return tuple(int(part) for part in match.groups()) if match else (0,)


def discover_python(environ: Mapping[str, str]) -> dict[str, RuntimeSpec]:
    """``pythonX.Y`` -> the newest real interpreter binary for it.

    Looks at ``LAMBENT_RUNTIME_PYTHON3_12``-style overrides, pyenv's versions, then the usual
    system prefixes.
    """
    pyenv_root = Path(environ.get("PYENV_ROOT", str(Path(environ.get("HOME", "/root")) / ".pyenv")))
    found: dict[str, RuntimeSpec] = {}
    for minor in _PYTHON_MINORS:
        name = f"python3.{minor}"
        candidates: list[Path] = []
        override = environ.get(f"LAMBENT_RUNTIME_PYTHON3_{minor}")
        if override:
            candidates.append(Path(override))
        candidates += sorted((pyenv_root / "versions").glob(f"3.{minor}.*/bin/python3.{minor}"), key=_version_key, reverse=True)
        candidates += [Path(prefix) / name for prefix in ("/usr/local/bin", "/usr/bin")]
        for candidate in candidates:
            real = candidate.resolve()
            if real.is_file() and os.access(real, os.X_OK) and _is_binary(real):
                match = re.search(r"3\.\d+\.\d+", str(candidate))
                version = match.group(0) if match else f"3.{minor}"
                found[name] = RuntimeSpec(name=name, family="python", executable=str(real), version=version)
                break
    return found


def discover_runtimes(environ: Mapping[str, str]) -> dict[str, RuntimeSpec]:
    """Every runtime this machine can serve: Python versions, Node.js, custom runtimes."""
    found = discover_python(environ)
    node = environ.get("LAMBENT_RUNTIME_NODE") or shutil.which("node", path="/usr/local/bin:/usr/bin")
    if node and _is_binary(Path(node).resolve()):
        for name in NODEJS:
            found[name] = RuntimeSpec(name=name, family="nodejs", executable=str(Path(node).resolve()), version="")
    if Path("/bin/sh").exists():
        for name in PROVIDED:
            found[name] = RuntimeSpec(name=name, family="provided", executable="/bin/sh", version="")
    return found


def prepare_node_bootstrap(target: Path) -> None:
    """The Node.js runtime's bootstrap, where environments find it (``<runtime>/node``)."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(NODE_BOOTSTRAP, target / NODE_BOOTSTRAP.name)
    (target / NODE_BOOTSTRAP.name).chmod(0o644)


def link_or_copy(source: str, destination: str) -> str:
    """Hard-link *source* to *destination* (replacing what is there), copying across filesystems."""
    if os.path.lexists(destination):
        os.unlink(destination)
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)
    return destination
