"""C, an environment's runtime process: forked at spare time by its PID 1, it waits until A has
built the namespaces and the root, then takes the function's identity and limits and runs the
preloaded entry point on the channel (or execs a runtime that is not preloaded).

It never returns: it exits with the entry point's status. In a SnapStart template the entry
point is given a fork server (``restore.serve_restores``), and the environments it forks
continue from here as restored runtimes.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import sys

from .children import SETUP_FAILED, fail
from .libc import MS_NODEV, MS_NOEXEC, MS_NOSUID, mount
from .privileges import drop_privileges
from .restore import serve_restores
from .seccomp import install_seccomp

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, NoReturn

    from .wire import RuntimeSpec

    #: The preloaded entry point: runs the runtime on its channel (a template's gets a fork server).
    Entry = Callable[..., object]

#: The keys of the spec the runtime process itself reads (the rest is the root A builds).
RUNTIME_KEYS = ("uid", "gid", "nofile", "env", "cwd", "exec", "extensions")


def run_function(link: socket.socket, entry: Entry, reaper: int, programs: tuple[bytes, bytes]) -> NoReturn:
    """C: made at spare time, waiting on *link* until A has built its namespaces and root; then
    the runtime, with the function's identity and limits. *programs*: the seccomp programs of
    an environment and of a SnapStart template."""
    try:
        link.send(b"c")  # it exists: A may change the namespace's root under it now
        message, fds, _flags, _addr = socket.recv_fds(link, 1 << 20, 3)
        if not message or len(fds) < 2:
            os._exit(SETUP_FAILED)  # A failed (its error is in the log) or the spare was released
        link.close()
        spec: RuntimeSpec = json.loads(message)
        channel, output = fds[0], fds[1]
        control = fds[2] if len(fds) == 3 else -1
        if control < 0 and reaper >= 0:
            os.close(reaper)  # a template keeps it for the environments it forks
        os.chdir("/")
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(null)
        os.close(output)
        nofile = spec.get("nofile", 1024)
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        drop_privileges(spec["uid"], spec["gid"])
        install_seccomp(programs[1] if control >= 0 else programs[0])
        os.environ.clear()
        os.environ.update(spec["env"])
        os.chdir(spec.get("cwd", "/"))
    except Exception as exc:
        fail(exc)
    for extension in spec.get("extensions") or ():
        # External extensions start before the runtime, as the function's user, in its sandbox.
        if os.fork() == 0:
            try:
                os.execve(extension, [extension], spec["env"])  # noqa: S606 - an argv list, no shell
            except OSError as exc:
                os.write(2, "[lambent] cannot start the extension {}: {}\n".format(extension, exc).encode())
            os._exit(127)
    command = spec.get("exec")
    if command:
        # A runtime that is not preloaded: the channel stays open across exec so that the
        # platform reads end-of-file when the runtime is gone.
        try:
            os.execve(command[0], command, spec["env"])  # noqa: S606 - an argv list, no shell
        except OSError as exc:
            os.write(2, "[lambent] cannot start the runtime {}: {}\n".format(command[0], exc).encode())
            os._exit(127)
    code = 0
    try:
        if control >= 0:
            entry(channel, fork_server=lambda sock: serve_restores(sock, control, reaper, programs[0]))
        else:
            entry(channel)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
    os._exit(code)
