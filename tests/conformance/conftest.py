"""The conformance suite: whole AWS responses, one module per resource (``<resource>.py``).

Its modules are named by resource, not ``test_*``, so this folder collects every module in it;
the session ``server`` and ``lam`` fixtures come from ``tests/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    name = file_path.name
    if parent.session.isinitpath(file_path):
        return None  # named on the command line: pytest collects it already
    if file_path.suffix == ".py" and name not in ("__init__.py", "conftest.py") and not name.startswith("test_"):
        return pytest.Module.from_parent(parent, path=file_path)
    return None
