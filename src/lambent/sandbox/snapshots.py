"""SnapStart in the ``namespaces`` sandbox: a template per published version, and environments
restored from it as forks of its initialised runtime.

A template is an environment started with ``SandboxSpec.snapshot``: its runtime runs the
function's init and the before-snapshot hooks, answers ready, and from then on serves fork
requests on a control socket of its own (``inside/restore.py``). Each fork isolates itself
without privileges (a user namespace of its own and the five others, decision 0009) while the
platform places it: the environment's cgroups (the same limits as any environment's), a fresh
/tmp on disk (a detached mount made here and handed over), its API port and its route out.
The platform learns the pids it acts on from SCM_CREDENTIALS, which the kernel translates into
the platform's own pid namespace.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import json
import os
import socket
import struct
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lambent.sandbox.inside import libc
from lambent.sandbox.inside.libc import (
    FSCONFIG,
    FSCONFIG_CMD_CREATE,
    FSCONFIG_SET_FLAG,
    FSCONFIG_SET_STRING,
    FSMOUNT,
    FSMOUNT_CLOEXEC,
    FSOPEN,
    FSOPEN_CLOEXEC,
    MOUNT_ATTR_NODEV,
    MOUNT_ATTR_NOSUID,
)
from lambent.sandbox.inside.loop import with_loop

if TYPE_CHECKING:
    from lambent.sandbox.inside.wire import RestoreRequest

_UCRED = struct.Struct("iII")


def available() -> tuple[bool, str]:
    """Whether environments can be restored here: they make a user namespace of their own."""
    try:
        allowed = int(Path("/proc/sys/user/max_user_namespaces").read_text())
    except (OSError, ValueError):
        return False, "the kernel has no user namespaces"
    if allowed <= 0:
        return False, "user namespaces are off (user.max_user_namespaces = 0)"
    return True, "each restored environment unshares a user namespace and five others as the function's uid"


def scratch_mount(image: str) -> int:
    """A detached, empty, world-writable ext4 mount of *image* (on a loop device of its own that
    goes when the mount does), as a descriptor that a restored environment moves onto its /tmp."""

    def use(device: str) -> int:
        fs = libc.syscall(FSOPEN, b"ext4", FSOPEN_CLOEXEC)
        try:
            libc.syscall(FSCONFIG, fs, FSCONFIG_SET_STRING, b"source", device.encode(), 0)
            libc.syscall(FSCONFIG, fs, FSCONFIG_SET_FLAG, b"noinit_itable", None, 0)
            libc.syscall(FSCONFIG, fs, FSCONFIG_CMD_CREATE, None, None, 0)
            return libc.syscall(FSMOUNT, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
        finally:
            os.close(fs)

    mount = with_loop(image, use)
    try:
        os.rmdir("lost+found", dir_fd=mount)  # /tmp starts empty, as on AWS
        os.chmod(f"/proc/self/fd/{mount}", 0o1777)  # noqa: S103 - /tmp is world-writable and sticky
    except OSError:
        os.close(mount)
        raise
    return mount


def receive(sock: socket.socket, max_fds: int = 1) -> tuple[bytes, list[int], int]:
    """One message from *sock* (SO_PASSCRED set): its bytes, descriptors and the sender's pid as
    this process sees it (0 if the peer is gone)."""
    space = socket.CMSG_SPACE(_UCRED.size) + socket.CMSG_SPACE(4 * max_fds)
    data, ancillary, _flags, _addr = sock.recvmsg(1 << 16, space)
    pid, fds = 0, array.array("i")
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = _UCRED.unpack_from(payload)[0]
        elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    return data, list(fds), pid if data else 0


class ForkServer:
    """The platform's end of a template's control socket: fork requests, one at a time (the
    answers come in order), and the exit of every environment restored from it."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        sock.setblocking(False)
        self._forks: deque[asyncio.Future[int]] = deque()
        self._on_exit: dict[int, Callable[[int], None]] = {}
        self._early_exits: dict[int, int] = {}
        self._lock = asyncio.Lock()
        self.closed = False
        asyncio.get_running_loop().add_reader(sock.fileno(), self._on_message)

    async def fork(self, request: RestoreRequest, fds: list[int], on_exit: Callable[[int], None]) -> int:
        """Fork a restored environment handed *fds* (channel, output, setup); *on_exit* gets its
        exit status. Returns its pid in the template's namespace (an identifier only)."""
        async with self._lock:
            if self.closed:
                raise ConnectionError("the template has ended")
            future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            self._forks.append(future)
            try:
                socket.send_fds(self._sock, [json.dumps(request).encode()], fds)
            except OSError:
                self._forks.remove(future)
                raise
            pid = await future
        if pid in self._early_exits:
            on_exit(self._early_exits.pop(pid))
        else:
            self._on_exit[pid] = on_exit
        return pid

    def _on_message(self) -> None:
        while True:
            try:
                data = self._sock.recv(4096)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self.close()
                return
            message = json.loads(data)
            if message.get("t") == "forked" and self._forks:
                future = self._forks.popleft()
                if not future.done():
                    future.set_result(int(message["pid"]))
            elif message.get("t") == "exit":
                pid, status = int(message["pid"]), int(message["status"])
                callback = self._on_exit.pop(pid, None)
                if callback is None:
                    self._early_exits[pid] = status
                else:
                    callback(status)

    def close(self) -> None:
        """Stop serving: the template reads end-of-file and exits, and with it (its PID
        namespace ends) every environment restored from it, whose exits are reported here."""
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(ValueError, OSError):
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
        self._sock.close()
        while self._forks:
            future = self._forks.popleft()
            if not future.done():
                future.set_exception(ConnectionError("the template has ended"))
        callbacks, self._on_exit = self._on_exit, {}
        for callback in callbacks.values():
            callback(128 + 9)  # killed with its template's namespace
