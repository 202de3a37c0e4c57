"""The platform's end of a zygote: starts one per (interpreter, preload, entry), talks to it.

The zygote itself is the program in ``inside/`` (started as ``inside/__main__.py`` under the
function's interpreter, isolated: ``-I -S -B``); this module never imports it. The control
socket carries the seccomp programs once, then one request per spare; the zygote answers
ready, then reports each environment's exit, which this client hands to *on_exit*. A zygote
that exits is reported to *on_death* once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lambent.errors import SandboxSetupError
from lambent.sandbox.sockets import ready

if TYPE_CHECKING:
    from lambent.sandbox.inside.wire import Placement, ZygoteConfig

log = logging.getLogger(__name__)

#: The zygote's entry: loads ``inside/`` as a package of its own and runs its loop.
ZYGOTE = Path(__file__).with_name("inside") / "__main__.py"
#: (interpreter, preload, entry): what a zygote is, and what tells two apart.
ZygoteKey = tuple[str, str, str]


class Zygote:
    """One zygote process per interpreter, and its control socket."""

    def __init__(
        self,
        executable: str,
        preload: str,
        entry: str,
        seccomp: tuple[str, str],
        *,
        on_exit: Callable[[int, int], None],
        on_death: Callable[[Zygote], None],
    ) -> None:
        """*seccomp*: the programs (hex) of an environment and of a SnapStart template;
        *on_exit*: (pid, status) of each environment's first process that exits."""
        self.executable, self.preload, self.entry = executable, preload, entry
        self._seccomp = seccomp
        self._on_exit = on_exit
        self._on_death = on_death
        self.control: socket.socket | None = None
        self.pid = 0

    async def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [self.executable, "-I", "-S", "-B", str(ZYGOTE), self.preload, self.entry]
        try:
            self.pid = os.posix_spawn(  # noqa: ASYNC221 - vfork+exec: returns at once
                argv[0], argv, {"PATH": "/usr/bin:/bin"}, file_actions=[(os.POSIX_SPAWN_DUP2, theirs.fileno(), 3)], setsid=True
            )
        except OSError as exc:
            raise SandboxSetupError("spawn zygote", self.executable, exc) from exc
        finally:
            theirs.close()
        config: ZygoteConfig = {"seccomp": self._seccomp[0], "seccomp_template": self._seccomp[1]}
        ours.send(json.dumps(config).encode())
        ours.setblocking(False)
        await asyncio.wait_for(ready(ours), 10)
        if json.loads(ours.recv(4096)).get("t") != "ready":
            raise SandboxSetupError("start zygote", self.executable, "no ready message")
        self.control = ours
        asyncio.get_running_loop().add_reader(ours.fileno(), self._on_message)

    def _on_message(self) -> None:
        assert self.control is not None
        while True:
            try:
                data = self.control.recv(65536)
            except BlockingIOError:
                return
            if not data:
                asyncio.get_running_loop().remove_reader(self.control.fileno())
                log.error("zygote for %s exited", self.executable)
                self._on_death(self)
                return
            message = json.loads(data)
            if message.get("t") == "exit":
                self._on_exit(int(message["pid"]), int(message["status"]))

    @property
    def key(self) -> ZygoteKey:
        return (self.executable, self.preload, self.entry)

    async def send(self, request: Placement, fds: list[int]) -> None:
        """Hand a spare's placement to the zygote, waiting while its socket is full."""
        message = [json.dumps(request).encode()]
        while True:
            if self.control is None:
                raise ConnectionError("the zygote has exited")
            try:
                socket.send_fds(self.control, message, fds)
                return
            except BlockingIOError:
                await ready(self.control, write=True)

    def stop(self) -> None:
        if self.control is not None:
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(self.control.fileno())
            self.control.close()
            self.control = None
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0
