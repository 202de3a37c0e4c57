"""Sandbox selection: by name from a table; ``auto`` takes the first mode the machine allows."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from lambent.errors import SandboxSetupError
from lambent.sandbox import Sandbox
from lambent.server import SANDBOXES, SandboxKind, SandboxNeeds, choose_sandbox
from lambent.settings import build_settings


class Built:
    """Stands in for a sandbox: records which mode built it."""

    def __init__(self, mode: str) -> None:
        self.name = mode


def kind(mode: str, usable: bool) -> SandboxKind:
    def build(_needs: SandboxNeeds) -> Sandbox:
        made: Any = Built(mode)
        return made  # type: ignore[no-any-return]

    return SandboxKind(usable=lambda: (usable, "" if usable else f"{mode} needs root"), build=build)


async def serve_nothing(_sock: Any, _context: Any) -> Any:
    raise AssertionError("not served in these tests")


def needs(mode: str) -> SandboxNeeds:
    return SandboxNeeds(
        settings=build_settings({}, {"sandbox": mode}), data_dir=Path("/nonexistent"), serve_api=serve_nothing, runtimes={}
    )


def test_the_table_names_every_mode_settings_accept() -> None:
    assert set(SANDBOXES) == {"namespaces", "process"}


def test_auto_takes_the_first_usable_mode() -> None:
    table = {"namespaces": kind("namespaces", True), "process": kind("process", True)}
    assert choose_sandbox(needs("auto"), table, ("namespaces", "process")).name == "namespaces"


def test_auto_falls_back_and_says_why(caplog: pytest.LogCaptureFixture) -> None:
    table = {"namespaces": kind("namespaces", False), "process": kind("process", True)}
    with caplog.at_level(logging.WARNING, logger="lambent"):
        chosen = choose_sandbox(needs("auto"), table, ("namespaces", "process"))
    assert chosen.name == "process"
    assert "namespaces needs root" in caplog.text


def test_a_mode_asked_for_by_name_is_never_swapped_for_another() -> None:
    table = {"namespaces": kind("namespaces", False), "process": kind("process", True)}
    with pytest.raises(SandboxSetupError, match="namespaces needs root"):
        choose_sandbox(needs("namespaces"), table, ("namespaces", "process"))


def test_the_process_mode_is_always_usable() -> None:
    assert SANDBOXES["process"].usable() == (True, "")
