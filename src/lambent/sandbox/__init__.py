"""The execution-environment mechanism: start an isolated process tree, kill it, reap it.

A ``Sandbox`` knows nothing of functions, runtimes or HTTP: it is handed an argv, an
environment and the two file descriptors the platform talks over, and guarantees what its
``protections()`` say and nothing more. Implementations are picked by name from ``SANDBOXES``.

Guarantees every implementation gives:
- ``start`` returns only once the process exists; a failure raises ``SandboxSetupError``
  naming the step, and leaves nothing behind.
- ``kill`` ends every process of the environment it can reach; it is idempotent.
- ``wait`` resolves exactly once, with the exit status (negative: killed by that signal).
"""

from __future__ import annotations

from typing import Protocol

import msgspec


class Protection(msgspec.Struct, frozen=True, kw_only=True):
    """One protection a sandbox mode offers, on or off, and why."""

    name: str
    active: bool
    reason: str


class SandboxSpec(msgspec.Struct, frozen=True, kw_only=True):
    argv: tuple[str, ...]
    env: dict[str, str]
    #: Directory that becomes the working directory (the code, read-only where the mode can).
    code_dir: str
    memory_mb: int
    ephemeral_storage_mb: int
    #: Descriptor numbers the channel and the log pipe get inside the environment.
    channel_fd: int = 3


class SandboxProcess(Protocol):
    """A running environment's process tree."""

    @property
    def pid(self) -> int:
        """The environment's first process, as the platform sees it."""
        ...

    def kill(self) -> None:
        """SIGKILL every process of the environment; safe to call more than once or after exit."""
        ...

    async def wait(self) -> int:
        """The first process's exit status once it has exited (negative: the signal number)."""
        ...

    def close(self) -> None:
        """Release what the environment held (descriptors, cgroups, mounts) after it exited."""
        ...


class Sandbox(Protocol):
    name: str

    def protections(self) -> list[Protection]:
        """Each protection of this mode, on or off, and why."""
        ...

    def start(self, spec: SandboxSpec, channel: int, output: int) -> SandboxProcess:
        """Start *spec* with *channel* as ``spec.channel_fd`` and *output* as stdout and stderr."""
        ...
