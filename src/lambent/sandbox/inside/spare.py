"""A, a spare: a zygote child placed in its cgroups and namespaces ahead of need, with the
environment's PID 1 (B, the reaper) and runtime (C, waiting) already made. On request, A builds
the root and the network for them, hands C its spec and descriptors, and exits (C is then
PID 1's).

Joining a cgroup (v1) costs milliseconds per controller (an RCU grace period each), so it
happens here, before any request. C is forked before A does anything more: every page A or
B dirtied before C's fork would end up C's alone (its private memory) once they are gone. B
runs as nobody: the function's uid is not known yet, and PID 1 needs no privilege.
"""

from __future__ import annotations

import json
import os
import signal
import socket

from .children import fail, reap, stop_waking
from .libc import LIBC, MS_PRIVATE, MS_REC, PR_SET_PDEATHSIG, SPARE_FLAGS, check, mount
from .network import loopback_up, open_api
from .privileges import NOBODY, drop_privileges
from .root import build_root, mount_scratch
from .runtime import RUNTIME_KEYS, run_function

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .runtime import Entry
    from .wire import LaunchRequest, Placement


def spare(placement_message: bytes, link: int, entry: Entry, reserved: list[int], programs: tuple[bytes, bytes]) -> int:
    """Fork A for the zygote's request *placement_message* (a ``Placement``), which waits on
    *link* for its ``LaunchRequest``; returns A's pid. *reserved*: the zygote's descriptors,
    closed in A."""
    pid = os.fork()
    if pid:
        os.close(link)
        return pid
    try:
        stop_waking(reserved)
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        os.setsid()
        os.chdir("/")  # so that pivot_root moves B's and C's working directory too
        placement: Placement = json.loads(placement_message)
        for path in placement["cgroup_procs"]:
            with open(path, "w") as procs:
                procs.write(str(os.getpid()))
        check(LIBC.unshare(SPARE_FLAGS), "unshare", "namespaces")
        reaper_binary = placement.get("reaper")
        reaper = os.open(reaper_binary, os.O_RDONLY | os.O_CLOEXEC) if reaper_binary else -1
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        os.set_inheritable(link, False)
        # B, PID 1, must be C's parent: the zygote is a subreaper, so an orphan of A's would
        # go to it, not to PID 1. B forks C at once and becomes the reaper (nobody).
        init = os.fork()
        if init == 0:
            ours.close()
            child = os.fork()
            if child == 0:
                run_function(theirs, entry, reaper, programs)
            theirs.close()
            drop_privileges(NOBODY, NOBODY)
            reap(reaper, child)
        theirs.close()
        if reaper >= 0:
            os.close(reaper)
        # pivot_root moves the root of the processes that exist when it runs: C, forked by B,
        # must be one of them (a fork in flight would keep the old root).
        if ours.recv(1) != b"c":
            raise OSError("the runtime process did not start")
        mount(None, "/", None, MS_REC | MS_PRIVATE)
        scratch = placement.get("scratch")
        if scratch:
            # A default-size /tmp now: the environment moves it into place instead of paying
            # for a mount on the cold path.
            mount_scratch(scratch["image"], scratch["staging"])
        link_sock = socket.socket(fileno=link)
        try:
            # Its network namespace exists: the platform may attach the outbound stack now.
            link_sock.send(json.dumps({"t": "placed", "pid": os.getpid()}).encode())
            request, fds, _flags, _addr = socket.recv_fds(link_sock, 1 << 20, 4)
        except OSError:
            os._exit(0)  # released unused: the platform closed the link (C and B follow)
        if not request or len(fds) not in (3, 4):
            os._exit(0)  # released unused
        link_sock.close()
        output, setup = fds[1], fds[2]
        os.dup2(output, 2)  # a failed step is the environment's log
        spec: LaunchRequest = json.loads(request)
        setup_sock = socket.socket(fileno=setup)
        setup_sock.send(json.dumps({"t": "pid", "pid": init}).encode())
        build_root(spec)
        socket.sethostname(spec.get("hostname", "lambent"))
        loopback_up()
        open_api(setup_sock, spec.get("api_port", 0), bool(spec.get("network_gate")))
        # Only what the runtime reads: every object it parses is a page of its own dirtied.
        runtime = {key: spec[key] for key in RUNTIME_KEYS if key in spec}  # type: ignore[literal-required]
        socket.send_fds(ours, [json.dumps(runtime).encode()], fds[:2] + fds[3:])
    except Exception as exc:
        fail(exc)
    os._exit(0)
