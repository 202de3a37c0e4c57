"""SnapStart, inside the sandbox: a template's runtime forks restored environments.

T, a SnapStart template's runtime once its init and before-snapshot hooks are done, serves
fork requests on its control socket and reports how each fork ends:

    T ──fork──▶ A': hello on the setup socket, the one descriptor of the request (the platform
                    sees A''s pid through SCM_CREDENTIALS, moves it into the environment's
                    cgroups and answers with a /tmp mount); unshare(user, mount, pid, ipc,
                    uts, net) as the function's uid, mapping that uid alone; fork B'; become
                    the reaper of B'.
                B': PID 1 of the new pid namespace, with the capabilities of its own user
                    namespace only: its own /proc, /tmp (a copy of what init left there, as
                    on AWS), /dev/shm, hostname, loopback and API port. Then it waits: the
                    platform places restored environments ahead of need and sends "go" with
                    the environment's channel and output when one is wanted; fork C'; reap.
                C': drops every capability and stacks the full seccomp policy on the
                    template's; back to the runtime, which runs the after-restore hooks.

Guarantees: a restored environment shares no namespace, /tmp or PID with its template or its
siblings, and none of the function's code runs in it before its full seccomp policy is on
(decision 0009). It refuses requests that do not carry exactly one descriptor.
"""

from __future__ import annotations

import json
import os
import platform
import select
import shutil
import socket

from .children import SETUP_FAILED, drain, exit_code, fail, reap, stop_waking, wake_on_children
from .libc import (
    AT_FDCWD,
    LIBC,
    MOVE_MOUNT,
    MOVE_MOUNT_F_EMPTY_PATH,
    MS_NODEV,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_REC,
    PR_SET_DUMPABLE,
    RESTORE_FLAGS,
    check,
    mount,
)
from .network import loopback_up, open_api
from .privileges import drop_capabilities
from .seccomp import install_seccomp

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .wire import RestoreRequest


def serve_restores(sock: socket.socket, control: int, reaper: int, program: bytes) -> int:
    """T (*sock* its channel): fork a restored environment for each request on *control* and
    report there how each one ends. Returns only in a restored environment's runtime, with its
    channel; the template exits when the platform closes *control*. *program*: the seccomp
    program every restored environment stacks on the template's."""
    wake_read, wake_write = wake_on_children()
    requests = socket.socket(fileno=control)
    forked: set[int] = set()  # only ours are reaped here: the function's own children are its business
    watched: list[socket.socket | int] = [requests, wake_read]
    while True:
        readable, _, _ = select.select(watched, [], [])
        if wake_read in readable:
            drain(wake_read)
            for pid in list(forked):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    forked.discard(pid)
                    requests.send(json.dumps({"t": "exit", "pid": pid, "status": exit_code(status)}).encode())
        if requests in readable:
            message, fds, _flags, _addr = socket.recv_fds(requests, 1 << 16, 1)
            if not message:
                os._exit(0)
            if len(fds) != 1:
                for fd in fds:
                    os.close(fd)
                continue
            pid = os.fork()
            if pid == 0:
                stop_waking((wake_read, wake_write))
                requests.close()
                sock.close()
                return restore(json.loads(message), fds, reaper, program)
            forked.add(pid)
            for fd in fds:
                os.close(fd)
            requests.send(json.dumps({"t": "forked", "pid": pid}).encode())


def restore(request: RestoreRequest, fds: list[int], reaper: int, program: bytes) -> int:
    """A': see the module's docstring."""
    try:
        os.setsid()
        setup = socket.socket(fileno=fds[0])
        setup.send(b'{"t":"hello"}')
        reply, mounts, _flags, _addr = socket.recv_fds(setup, 4096, 1)
        if not reply:
            os._exit(0)  # the platform gave up on this environment
        uid, gid = os.getuid(), os.getgid()
        # Set-uid made the template undumpable, which leaves /proc/self owned by root.
        check(LIBC.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl", "dumpable")
        check(LIBC.unshare(RESTORE_FLAGS), "unshare", "namespaces")
        for name, text in (("setgroups", "deny"), ("uid_map", "{0} {0} 1".format(uid)), ("gid_map", "{0} {0} 1".format(gid))):
            with open("/proc/self/" + name, "w") as mapping:
                mapping.write(text)
        init = os.fork()
        if init == 0:
            return restored_init(request, setup, mounts[0] if mounts else -1, reaper, program)
        setup.close()
        for fd in mounts:
            os.close(fd)
    except Exception as exc:
        fail(exc)
    reap(reaper, init)


def restored_init(request: RestoreRequest, setup: socket.socket, tmp_mount: int, reaper: int, program: bytes) -> int:
    """B': PID 1 of a restored environment. Placed ahead of need, it waits for the platform's go,
    which brings the environment's channel and output."""
    try:
        mount(None, "/", None, MS_REC | MS_PRIVATE)
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        restore_tmp(tmp_mount, request["tmp_mb"])
        mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777")
        socket.sethostname(request.get("hostname", "lambent"))
        loopback_up()
        open_api(setup, request.get("api_port", 0), False)
        message, fds, _flags, _addr = socket.recv_fds(setup, 64, 2)
        if message != b"go" or len(fds) != 2:
            os._exit(SETUP_FAILED)  # released unused (the platform closed the socket)
        setup.close()
        channel, output = fds
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
    except Exception as exc:
        fail(exc)
    child = os.fork()
    if child == 0:
        try:
            # No capability left, then the environment's full seccomp policy before any of the
            # function's code runs again.
            drop_capabilities()
            install_seccomp(program)
        except Exception as exc:
            fail(exc)
        return channel
    os.close(channel)
    reap(reaper, child)


def restore_tmp(tmp_mount: int, tmp_mb: int) -> None:
    """A /tmp of the environment's own over the template's, holding a copy of what the
    template's init left there (the snapshot includes its disk)."""
    snapshot = os.open("/tmp", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        if tmp_mount >= 0:
            result = LIBC.syscall(MOVE_MOUNT[platform.machine()], tmp_mount, b"", AT_FDCWD, b"/tmp", MOVE_MOUNT_F_EMPTY_PATH)
            check(result, "move_mount", "/tmp")
            os.close(tmp_mount)
        else:
            mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size={}m,mode=1777".format(tmp_mb))
        source = "/proc/self/fd/{}".format(snapshot)
        for name in os.listdir(snapshot):  # entry by entry: /tmp itself is root's, its mode stays
            path = os.path.join(source, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.copytree(path, "/tmp/" + name, symlinks=True)
            else:
                shutil.copy2(path, "/tmp/" + name, follow_symlinks=False)
    finally:
        os.close(snapshot)
