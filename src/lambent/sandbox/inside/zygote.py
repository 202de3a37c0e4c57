"""The zygote's loop: fork spares on request, report the exits of environments.

Started by the platform as root (``__main__.py``) with the runtime preloaded and a
SOCK_SEQPACKET control socket on fd 3. It is a subreaper: each spare's B (the environment's
PID 1) is reparented to it when A exits, and it reports ``{"t": "exit", "pid", "status"}`` for
each B. It never runs user code itself.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import select
import signal
import socket
import sys

from .children import drain, exit_code, wake_on_children
from .libc import LIBC, PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG, check
from .spare import spare

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

    from .runtime import Entry
    from .wire import ZygoteConfig


def serve(control: socket.socket, entry: Entry) -> NoReturn:
    """Take the seccomp programs, say ready, then fork a spare per request on *control*."""
    check(LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl", "child subreaper")
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    wake_read, wake_write = wake_on_children()
    firsts: set[int] = set()
    reserved = [control.fileno(), wake_read, wake_write]
    config: ZygoteConfig = json.loads(control.recv(1 << 20))
    programs = (bytes.fromhex(config.get("seccomp", "")), bytes.fromhex(config.get("seccomp_template", "")))
    gc.freeze()  # keep the preloaded heap shared with every fork
    control.send(b'{"t":"ready"}')
    watched: list[socket.socket | int] = [control, wake_read]
    while True:
        readable, _, _ = select.select(watched, [], [])
        if wake_read in readable:
            drain(wake_read)
            while True:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                if pid in firsts:
                    firsts.discard(pid)
                    continue
                control.send(json.dumps({"t": "exit", "pid": pid, "status": exit_code(status)}).encode())
        if control in readable:
            try:
                message, fds, _flags, _addr = socket.recv_fds(control, 1 << 20, 3)
            except InterruptedError:
                continue
            if not message:
                os._exit(0)
            if len(fds) != 1:
                for fd in fds:
                    os.close(fd)
                continue
            firsts.add(spare(message, fds[0], entry, reserved, programs))


def main() -> NoReturn:
    """``<interpreter> -I -S -B inside/__main__.py PRELOAD ENTRY``: import the file PRELOAD and
    serve with its function ENTRY."""
    preload, entry_name = sys.argv[1], sys.argv[2]
    spec = importlib.util.spec_from_file_location("lambent_preloaded", preload)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    control = socket.socket(fileno=3)
    serve(control, getattr(module, entry_name))
