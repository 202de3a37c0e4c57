"""The execution-environment mechanism: start an isolated process tree, kill it, reap it.

A ``Sandbox`` knows nothing of functions, runtimes or HTTP: it is handed an argv, an
environment and the two file descriptors the platform talks over, and guarantees what its
``protections()`` say and nothing more. The composition root picks an implementation by name
from its ``SANDBOXES`` table (``lambent.server``).

Guarantees every implementation gives:
- ``start`` returns only once the process exists; a failure raises ``SandboxSetupError``
  naming the step, and leaves nothing behind.
- ``kill`` ends every process of the environment it can reach; it is idempotent.
- ``wait`` resolves exactly once, with the exit status (negative: killed by that signal).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeAlias

import msgspec

#: Serves the platform's HTTP API (and the Runtime API, given a context) on a listening socket
#: the sandbox made; returns how to stop serving it.
ApiServer: TypeAlias = Callable[[Any, Any], Awaitable[Callable[[], Coroutine[Any, Any, None]]]]


class Protection(msgspec.Struct, frozen=True, kw_only=True):
    """One protection a sandbox mode offers, on or off, and why."""

    name: str
    active: bool
    reason: str


class SandboxSpec(msgspec.Struct, frozen=True, kw_only=True):
    #: A fresh start: the runtime's command line (the fallback, and the ``process`` mode).
    argv: tuple[str, ...]
    env: dict[str, str]
    #: Host directory of the code (read-only at ``code_path()`` inside where the mode can).
    code_dir: str
    #: Host directory of the runtime's shared files (read-only at ``runtime_path()``).
    runtime_dir: str
    #: Host directory of the merged layers (read-only at ``opt_path()``), if any.
    opt_dir: str | None = None
    #: Executables in ``<opt>/extensions`` to start (in this order) before the runtime.
    extensions: tuple[str, ...] = ()
    #: Host directories the interpreter needs, visible read-only at the same paths.
    system_dirs: tuple[str, ...] = ()
    memory_mb: int
    ephemeral_storage_mb: int
    #: Who the environment runs as (distinct per function in modes that change uid).
    uid: int = 65534
    #: A fork start: file the zygote preloads and the function in it that runs an environment.
    preload: str | None = None
    entry: str | None = None
    #: The descriptor number the channel gets inside the environment (fresh starts).
    channel_fd: int = 3
    #: When set, the environment gets a Runtime API at ``AWS_LAMBDA_RUNTIME_API``, served by
    #: the platform with this object (opaque to the sandbox) in each request's scope.
    api_context: Any = None
    #: A route out to the network (as on AWS); False: loopback and the platform API only.
    outbound: bool = True
    #: A SnapStart template: once initialised, the runtime forks restored environments.
    snapshot: bool = False
    #: Restore from this template (a ``SandboxProcess`` started with ``snapshot``) instead of
    #: starting anew: the environment is a fork of its initialised runtime.
    template: Any = None


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

    def settle(self) -> None:
        """The runtime has initialised: apply the limits that hold while it serves (CPU quota)."""
        ...

    def peak_memory_kb(self) -> int | None:
        """The environment's peak memory as the sandbox measured it, if it can."""
        ...

    def oom_killed(self) -> bool:
        """Whether the memory limit ended the environment."""
        ...

    async def connect(self, port: int) -> Any:
        """A TCP socket connected to *port* on the environment's own loopback."""
        ...


class Sandbox(Protocol):
    name: str
    #: Whether ``peak_memory_kb`` measures the whole environment (so runtimes need not).
    measures_memory: bool
    #: Whether it can start SnapStart templates and restore environments from them.
    snapshots: bool

    def protections(self) -> list[Protection]:
        """Each protection of this mode, on or off, and why."""
        ...

    def code_path(self, spec_code_dir: str) -> str:
        """Where the code appears inside an environment (``/var/task`` where the mode mounts it)."""
        ...

    def runtime_path(self, runtime_dir: str) -> str:
        """Where the runtime's shared files appear inside an environment."""
        ...

    def opt_path(self, opt_dir: str) -> str:
        """Where the merged layers appear inside an environment (``/opt`` where the mode mounts)."""
        ...

    async def start(self, spec: SandboxSpec, channel: int, output: int) -> SandboxProcess:
        """Start *spec* with *channel* as its channel and *output* as stdout and stderr.

        The descriptors stay the caller's: the sandbox duplicates what it hands on.
        """
        ...

    async def close(self) -> None:
        """Stop helpers (zygotes) and release what the sandbox holds."""
        ...
