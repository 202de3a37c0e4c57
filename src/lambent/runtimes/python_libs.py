"""What a Python function imports without packaging it, per runtime, as on AWS.

AWS's Python runtimes carry the AWS SDK (boto3, botocore and their dependencies) and what a
CPython build's ``ensurepip`` installs: pip everywhere, setuptools (so ``pkg_resources``) only
before 3.12, whose ensurepip stopped bundling it. One set cannot serve every interpreter (the
newest urllib3 is not Python 3.9 syntax), so ``make runtimes`` installs a set per interpreter from
PyPI, each resolved by that interpreter itself, into ``<venv>/share/lambent/python/pythonX.Y``
(``install`` below: ``python -m lambent.runtimes.python_libs``). At start the server links each
set into its runtime directory (``<runtime>/python/pythonX.Y``, read-only in a sandbox) and never
needs the network. A runtime with no prepared set falls back to the server's own pure-Python SDK
only when it is the server's own Python; any other gets nothing, which the server logs.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from lambent.runtimes import link_or_copy

log = logging.getLogger("lambent.runtimes")

#: Where ``make runtimes`` puts one folder per runtime (``python3.9`` ...).
INSTALLED = Path(sys.prefix) / "share" / "lambent" / "python"
#: The file ``make runtimes`` writes last in each folder: present means complete.
COMPLETE = ".installed"
#: What every set holds beyond its interpreter's ensurepip wheels, each resolved to the newest
#: release that supports the interpreter (the SDK's own pins pick urllib3 1.26 on 3.9).
REQUIREMENTS = Path(__file__).parent / "python" / "requirements.txt"
#: The server's own libraries that stand in for its own Python's set when none was installed.
SERVER_LIBS = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six", "snapshot_restore_py")


def prepare_python_libs(target: Path, runtimes: Iterable[str], installed: Path = INSTALLED) -> Path:
    """``target/<runtime>`` for each Python *runtime* name: its importable libraries, hard-linked
    (copied across filesystems) from *installed*. Rebuilt only when the source changed."""
    target.mkdir(parents=True, exist_ok=True)
    own = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for name in runtimes:
        source = installed / name
        if (source / COMPLETE).is_file():
            _mirror([source], target / name, stamp=f"{source}:{(source / COMPLETE).stat().st_mtime_ns}")
        elif name == own:
            sources = _server_libs()
            _mirror(sources, target / name, stamp="\n".join(f"{s}:{s.stat().st_mtime_ns}" for s in sources))
        else:
            shutil.rmtree(target / name, ignore_errors=True)
            log.warning("runtime %s: no boto3/pip/setuptools prepared (run `make runtimes`)", name)
    return target


def _server_libs() -> list[Path]:
    sources: list[Path] = []
    for module in SERVER_LIBS:
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.origin is not None:
            origin = Path(spec.origin)
            sources.append(origin.parent if origin.name == "__init__.py" else origin)
    return sources


def _mirror(sources: list[Path], destination: Path, *, stamp: str) -> None:
    """*destination* holds the contents of each source folder (or the named file or package
    itself, for the server's own), replaced atomically, world-readable."""
    stamp_file = destination / ".sources"
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return
    scratch = destination.with_name(destination.name + f".{os.getpid()}.tmp")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", COMPLETE)
    for source in sources:
        if source.is_dir() and (source / COMPLETE).exists():  # an installed set: its contents
            shutil.copytree(source, scratch, copy_function=link_or_copy, ignore=ignore, dirs_exist_ok=True)
        elif source.is_dir():  # one of the server's packages
            shutil.copytree(source, scratch / source.name, copy_function=link_or_copy, ignore=ignore)
        else:
            link_or_copy(str(source), str(scratch / source.name))
    (scratch / ".sources").write_text(stamp)
    for path in [scratch, *scratch.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    if destination.exists():
        shutil.rmtree(destination)
    scratch.rename(destination)


def install(interpreters: Mapping[str, str], installed: Path = INSTALLED) -> None:
    """``make runtimes``: for each runtime name -> interpreter, install its set from PyPI into
    ``installed/<name>``: REQUIREMENTS plus the pip and setuptools wheels its own ensurepip
    bundles, run by that pip wheel (so the interpreter needs no pip of its own). Network is
    needed here only, never at run time. An interpreter that cannot install is named and skipped."""
    for name, executable in sorted(interpreters.items()):
        destination = installed / name
        if (destination / COMPLETE).is_file() and (destination / COMPLETE).read_text() == _fingerprint(executable):
            continue
        bundled = sorted(_ensurepip_wheels(executable))
        pip = [f"{wheel}/pip" for wheel in bundled if wheel.name.startswith("pip-")][:1] or ["-m", "pip"]
        scratch = destination.with_name(name + ".tmp")
        shutil.rmtree(scratch, ignore_errors=True)
        command = [executable, *pip, "install", "--quiet", "--no-compile", "--disable-pip-version-check"]
        command += ["--target", str(scratch), "-r", str(REQUIREMENTS), *map(str, bundled)]
        if subprocess.run(command, check=False).returncode != 0:
            log.warning("runtime %s: installing its libraries with %s failed; skipped", name, executable)
            shutil.rmtree(scratch, ignore_errors=True)
            continue
        (scratch / COMPLETE).write_text(_fingerprint(executable))
        shutil.rmtree(destination, ignore_errors=True)
        scratch.rename(destination)
        print(f"{name}: {', '.join(sorted(_versions(destination)))}")


def _fingerprint(executable: str) -> str:
    return f"{executable}\n{REQUIREMENTS.read_text()}"


def _ensurepip_wheels(executable: str) -> list[Path]:
    """The wheels *executable*'s ensurepip would install: pip, and setuptools before 3.12."""
    code = "import ensurepip, os; print(os.path.join(os.path.dirname(ensurepip.__file__), '_bundled'))"
    found = subprocess.run([executable, "-I", "-c", code], check=False, capture_output=True, text=True)
    if found.returncode != 0:  # a distribution that strips ensurepip (Debian's python3)
        return []
    folder = Path(found.stdout.strip())
    return [wheel for wheel in folder.glob("*.whl") if wheel.name.startswith(("pip-", "setuptools-"))]


def _versions(folder: Path) -> list[str]:
    return [info.name.removesuffix(".dist-info") for info in folder.glob("*.dist-info")]


if __name__ == "__main__":  # make runtimes
    from lambent.runtimes import discover_python

    logging.basicConfig(level=logging.INFO)
    install({name: spec.executable for name, spec in discover_python(os.environ).items()})
