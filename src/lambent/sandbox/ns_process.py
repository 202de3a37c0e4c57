"""A running environment of the ``namespaces`` sandbox, as the platform holds it.

It knows the environment's first process (PID 1 of its namespaces) by pid and pidfd, its
cgroups by env id, its outbound stack and, for a SnapStart template, its fork server. Killing
it kills PID 1 (the kernel then kills the rest of the namespace) and the cgroup; closing it
releases what it held, once. It learns its exit from the sandbox (``exited``), which hears it
from the zygote or from the template it was restored from.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from lambent.errors import SandboxSetupError
from lambent.sandbox import SandboxSpec, outbound, snapshots
from lambent.sandbox.cgroups import Cgroups
from lambent.sandbox.inside import libc

log = logging.getLogger(__name__)
#: A template forks the restored environments: it gets a whole vCPU at least for that.
TEMPLATE_MIN_MEMORY_MB = 1769


class ProcessOwner(Protocol):
    """What an environment needs of the sandbox that started it."""

    cgroups: Cgroups
    #: Tasks the sandbox waits for when it closes.
    background: set[asyncio.Task[Any]]

    def prepare_restores(self, forks: snapshots.ForkServer, spec: SandboxSpec) -> None:
        """A template is ready: place restored environments ahead of need."""
        ...

    def template_ended(self, forks: snapshots.ForkServer) -> None:
        """Release what was placed ahead of need for the template *forks*."""
        ...

    def forget(self, process: NamespaceProcess) -> None:
        """The environment is closed: stop routing exits to it."""
        ...


class NamespaceProcess:
    def __init__(self, owner: ProcessOwner, env_id: str, memory_mb: int, api_context: Any = None) -> None:
        self.api_context = api_context
        self._owner = owner
        self.env_id = env_id
        self.memory_mb = memory_mb
        self._pid = 0
        self._pidfd = -1
        self._exited: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        #: Stops serving the platform API on the environment's port (None: not served).
        self.stop_api: Callable[[], Coroutine[Any, Any, None]] | None = None
        self._closed = False
        #: The environment's outbound network stack, if it has one.
        self.attachment: outbound.Attachment | None = None
        self._peak_fd = -1
        #: A SnapStart template's fork requests and spec (None for any other environment).
        self.fork_server: snapshots.ForkServer | None = None
        self.template_spec: SandboxSpec | None = None

    @property
    def pid(self) -> int:
        return self._pid

    def attach(self, pid: int) -> None:
        """The environment's first process is *pid* (as the platform sees it)."""
        self._pid = pid
        with contextlib.suppress(OSError):
            self._pidfd = os.pidfd_open(pid)

    def exited(self, status: int) -> None:
        """The first process exited with *status* (128 + n: killed by signal n)."""
        if not self._exited.done():
            self._exited.set_result(-(status - 128) if 128 < status < 128 + 65 else status)

    def kill(self) -> None:
        if self._exited.done():
            return
        if self._pidfd >= 0:
            with contextlib.suppress(ProcessLookupError, OSError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
        self._owner.cgroups.kill(self.env_id)

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)

    def settle(self) -> None:
        memory_mb = max(self.memory_mb, TEMPLATE_MIN_MEMORY_MB) if self.fork_server is not None else self.memory_mb
        try:
            self._owner.cgroups.limit_cpu(self.env_id, memory_mb)
        except SandboxSetupError:
            self.kill()  # an environment without its limits is never used
            raise
        if self.fork_server is not None and self.template_spec is not None:
            self._owner.prepare_restores(self.fork_server, self.template_spec)

    def peak_memory_kb(self) -> int | None:
        # On the hot path (every REPORT line): one pread of a descriptor kept open.
        try:
            if self._peak_fd < 0:
                self._peak_fd = os.open(self._owner.cgroups.peak_file(self.env_id), os.O_RDONLY | os.O_CLOEXEC)
            return int(os.pread(self._peak_fd, 64, 0)) // 1024
        except (OSError, ValueError):
            return None

    def oom_killed(self) -> bool:
        return self._owner.cgroups.usage(self.env_id).oom_killed

    async def connect(self, port: int) -> socket.socket:
        """Connect from inside the environment's network namespace: a short-lived thread joins
        it (setns affects only that thread, which then ends), the socket keeps its namespace."""
        if self._exited.done() or not self._pid:
            raise ConnectionError("the environment is gone")
        path = f"/proc/{self._pid}/ns/net"
        result: list[socket.socket | BaseException] = []

        def inside() -> None:
            try:
                with open(path, "rb") as namespace:
                    libc.setns(namespace.fileno(), libc.CLONE_NEWNET)
                result.append(socket.create_connection(("127.0.0.1", port), timeout=2))
            except BaseException as exc:  # reported to the caller below
                result.append(exc)

        thread = threading.Thread(target=inside, name="lambent-netns")
        thread.start()
        await asyncio.to_thread(thread.join)
        outcome = result[0]
        if isinstance(outcome, BaseException):
            raise ConnectionError(str(outcome))
        outcome.setblocking(False)
        return outcome

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.stop_api is not None:
            task = asyncio.get_running_loop().create_task(self.stop_api())
            self._owner.background.add(task)
            task.add_done_callback(self._owner.background.discard)
        if self.attachment is not None:
            self.attachment.close()
            self.attachment = None
        if self.fork_server is not None:
            self.fork_server.close()
            self._owner.template_ended(self.fork_server)
        if self._pidfd >= 0:
            os.close(self._pidfd)
            self._pidfd = -1
        if self._peak_fd >= 0:
            os.close(self._peak_fd)
            self._peak_fd = -1
        if not self._owner.cgroups.remove(self.env_id):
            log.error("cgroups of environment %s could not be removed", self.env_id)
        self._owner.forget(self)
