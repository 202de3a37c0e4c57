"""The ``process`` sandbox: an unprivileged process group per environment, rlimits only.

What it guarantees: each environment is its own session and process group, started with
``posix_spawn`` (no fork of the server's memory); descriptors are limited to 1,024; a kill
reaches every process still in the group. What it refuses to pretend: there is no memory, CPU
or filesystem isolation and no namespace; a process that leaves the group (``setsid``) escapes
the kill. Use the ``namespaces`` sandbox for real isolation.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import socket
from collections.abc import Callable, Coroutine
from typing import Any

from lambent.errors import SandboxSetupError
from lambent.model.limits import NOFILE_LIMIT
from lambent.sandbox import ApiServer, Protection, SandboxSpec

_BACKGROUND: set[asyncio.Task[None]] = set()


class ProcessSandboxProcess:
    def __init__(
        self, pid: int, stop_api: Callable[[], Coroutine[Any, Any, None]] | None = None, extensions: list[int] | None = None
    ) -> None:
        self._stop_api = stop_api
        self._extensions = extensions or []
        self._pid = pid
        self._status: int | None = None
        self._exited = asyncio.get_running_loop().create_future()
        self._pidfd = os.pidfd_open(pid)
        asyncio.get_running_loop().add_reader(self._pidfd, self._on_exit)

    @property
    def pid(self) -> int:
        return self._pid

    def _on_exit(self) -> None:
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._pidfd)
        _, status = os.waitpid(self._pid, 0)
        self._status = os.waitstatus_to_exitcode(status)
        if not self._exited.done():
            self._exited.set_result(self._status)

    def kill(self) -> None:
        # Until reaped, the pid (and its group id) cannot be reused, so this cannot hit a stranger.
        if self._status is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._pid, signal.SIGKILL)

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)

    def settle(self) -> None:
        return None  # no CPU limit in this mode

    def peak_memory_kb(self) -> int | None:
        return None  # no cgroup: the runtime reports its own peak

    def oom_killed(self) -> bool:
        return False  # no memory limit in this mode

    async def connect(self, port: int) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", port), timeout=2)  # the host's loopback is the environment's
        sock.setblocking(False)
        return sock

    def close(self) -> None:
        for extension in self._extensions:  # killed with the runtime: reaped at once
            with contextlib.suppress(ProcessLookupError):
                os.killpg(extension, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(extension, 0)
        self._extensions = []
        if self._stop_api is not None:
            stop, self._stop_api = self._stop_api, None
            task = asyncio.get_running_loop().create_task(stop())
            _BACKGROUND.add(task)
            task.add_done_callback(_BACKGROUND.discard)
        if self._pidfd >= 0:
            if self._status is None:
                asyncio.get_running_loop().remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = -1


class ProcessSandbox:
    name = "process"
    measures_memory = False
    snapshots = False

    def protections(self) -> list[Protection]:
        off = "the process sandbox runs environments as ordinary processes"
        return [
            Protection(name="process group kill", active=True, reason="each environment is its own session"),
            Protection(name="rlimit nofile 1024", active=True, reason="set on each environment at start"),
            Protection(name="namespaces", active=False, reason=off),
            Protection(name="cgroup memory/cpu/pids limits", active=False, reason=off),
            Protection(name="read-only code, private /tmp", active=False, reason=off),
            Protection(name="seccomp", active=False, reason=off),
            Protection(
                name="outbound network per function",
                active=False,
                reason="environments share the host's network: outbound 'none' is not enforced",
            ),
            Protection(
                name="SnapStart: restored environments in namespaces of their own",
                active=False,
                reason="the process sandbox initialises every environment on demand, SnapStart versions too",
            ),
        ]

    def code_path(self, spec_code_dir: str) -> str:
        return spec_code_dir

    def runtime_path(self, runtime_dir: str) -> str:
        return runtime_dir

    def opt_path(self, opt_dir: str) -> str:
        return opt_dir

    async def close(self) -> None:
        return None

    def __init__(self, serve_api: ApiServer | None = None) -> None:
        self._serve_api = serve_api

    async def start(self, spec: SandboxSpec, channel: int, output: int) -> ProcessSandboxProcess:
        env, argv = spec.env, list(spec.argv)
        stop_api = None
        if spec.api_context is not None:
            if self._serve_api is None:
                raise SandboxSetupError("start", spec.argv[0], "a Runtime API was asked for and none can be served")
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.bind(("127.0.0.1", 0))
            listener.listen(16)
            env = {**env, "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{listener.getsockname()[1]}"}
            stop_api = await self._serve_api(listener, spec.api_context)
        if spec.preload is None:
            argv = ["/usr/bin/env", "-C", spec.code_dir, *argv]  # posix_spawn cannot chdir
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, output, 1),
            (os.POSIX_SPAWN_DUP2, output, 2),
            (os.POSIX_SPAWN_DUP2, channel, spec.channel_fd),
        ]
        try:
            pid = os.posix_spawn(  # noqa: ASYNC221 - vfork+exec: returns at once
                argv[0], argv, env, file_actions=actions, setsid=True
            )
        except OSError as exc:
            if stop_api is not None:
                await stop_api()
            raise SandboxSetupError("spawn", argv[0], exc) from exc
        extensions = []
        for name in spec.extensions:  # each its own session; killed and reaped with the runtime
            path = f"{spec.opt_dir}/extensions/{name}"
            try:
                extensions.append(os.posix_spawn(path, [path], env, file_actions=actions[:3], setsid=True))  # noqa: ASYNC221
            except OSError as exc:
                os.write(output, f"[lambent] cannot start the extension {path}: {exc}\n".encode())
        try:
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (NOFILE_LIMIT, NOFILE_LIMIT))
            resource.prlimit(pid, resource.RLIMIT_CORE, (0, 0))
        except OSError as exc:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)  # noqa: ASYNC222 - just SIGKILLed: reaped at once
            raise SandboxSetupError("prlimit", f"pid {pid}", exc) from exc
        return ProcessSandboxProcess(pid, stop_api, extensions)
