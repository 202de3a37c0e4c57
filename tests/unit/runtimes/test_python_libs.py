"""Each Python runtime gets its own prepared set of libraries, never another interpreter's."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import pytest

from lambent.runtimes.python_libs import COMPLETE, prepare_python_libs

OWN = f"python{sys.version_info.major}.{sys.version_info.minor}"


def _set(installed: Path, name: str, files: dict[str, str]) -> None:
    for relative, text in files.items():
        (installed / name / relative).parent.mkdir(parents=True, exist_ok=True)
        (installed / name / relative).write_text(text)
    (installed / name / COMPLETE).write_text("done")


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_each_runtime_gets_its_own_set(tmp_path: Path) -> None:
    installed = tmp_path / "installed"
    _set(installed, "python3.9", {"urllib3/__init__.py": "v1", "pkg_resources/__init__.py": ""})
    _set(installed, "python3.13", {"urllib3/__init__.py": "v2", "urllib3/__pycache__/x.pyc": "stale"})
    target = prepare_python_libs(tmp_path / "runtime", ["python3.9", "python3.13"], installed)
    stamp9 = f"{installed / 'python3.9'}:{(installed / 'python3.9' / COMPLETE).stat().st_mtime_ns}"
    stamp13 = f"{installed / 'python3.13'}:{(installed / 'python3.13' / COMPLETE).stat().st_mtime_ns}"
    assert _tree(target / "python3.9") == {".sources": stamp9, "pkg_resources/__init__.py": "", "urllib3/__init__.py": "v1"}
    assert _tree(target / "python3.13") == {".sources": stamp13, "urllib3/__init__.py": "v2"}
    assert (target / "python3.9" / "urllib3" / "__init__.py").stat().st_mode & 0o777 == 0o644


def test_unchanged_sets_are_not_rebuilt_and_changed_ones_are(tmp_path: Path) -> None:
    installed = tmp_path / "installed"
    _set(installed, "python3.10", {"boto3/__init__.py": "1"})
    target = prepare_python_libs(tmp_path / "runtime", ["python3.10"], installed)
    (target / "python3.10" / "marker").write_text("kept")  # survives only if nothing was rebuilt
    prepare_python_libs(target, ["python3.10"], installed)
    assert (target / "python3.10" / "marker").exists()
    before = (installed / "python3.10" / COMPLETE).stat().st_mtime_ns
    _set(installed, "python3.10", {"boto3/__init__.py": "2"})  # make runtimes again: a new stamp
    os.utime(installed / "python3.10" / COMPLETE, ns=(before + 10**9, before + 10**9))
    prepare_python_libs(target, ["python3.10"], installed)
    assert not (target / "python3.10" / "marker").exists()
    assert (target / "python3.10" / "boto3" / "__init__.py").read_text() == "2"


def test_a_runtime_without_a_set_gets_nothing_but_the_servers_own_gets_its_sdk(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other = "python3.9" if OWN != "python3.9" else "python3.10"
    installed = tmp_path / "installed"
    installed.mkdir()
    stale = tmp_path / "runtime" / other / "urllib3"
    stale.mkdir(parents=True)
    with caplog.at_level(logging.WARNING, logger="lambent.runtimes"):
        target = prepare_python_libs(tmp_path / "runtime", [other, OWN], installed)
    assert not (target / other).exists()
    assert [r.getMessage() for r in caplog.records] == [
        f"runtime {other}: no boto3/pip/setuptools prepared (run `make runtimes`)"
    ]
    assert sorted(p.name for p in (target / OWN).iterdir()) == [
        ".sources",
        "boto3",
        "botocore",
        "dateutil",
        "jmespath",
        "s3transfer",
        "six.py",
        "snapshot_restore_py.py",
        "urllib3",
    ]
