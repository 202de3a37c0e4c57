"""Outbound network for an environment: a user-mode stack (slirp4netns) on its network namespace.

Each environment with outbound access gets its own slirp4netns process, attached to the
namespace from the host side: it creates ``tap0`` inside (10.0.2.100/24, gateway 10.0.2.2, DNS
10.0.2.3) and turns the environment's connections into ordinary sockets of the host, so traffic
leaves as the host's own, the way a Lambda function reaches the internet, with no veth, no
bridge, no NAT rule and no sysctl changed on the machine. What it refuses:

- the host's loopback (``--disable-host-loopback``): the platform's internal ports, the
  zygotes and every other server on 127.0.0.1 stay out of reach; the platform API an
  environment needs is served inside its own namespace;
- other environments: each has a private stack and listens on nothing outside its namespace;
- itself as an attack surface: ``--enable-sandbox`` (own mount namespace, capabilities dropped)
  and ``--enable-seccomp`` once the tap is made.

It starts inside a mount namespace made fully private first (``unshare --mount --propagation
private``): its sandbox makes only "/" private before it detaches the old root, so from the
host's own mount namespace it would unmount, through propagation, every mount whose parent is
shared with the host (seen here: ``ip netns`` handles under /run/netns vanished).

The process ends when the platform closes its exit pipe (the environment ended) or when the
platform dies (the pipe closes with it), so nothing outlives either.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import threading
import time

from lambent.errors import SandboxSetupError

SLIRP = "slirp4netns"
UNSHARE = "unshare"
READY_TIMEOUT_S = 5.0
GATEWAY = "10.0.2.2"
DNS = "10.0.2.3"


_reapers: set[threading.Thread] = set()


def join_reapers(timeout_s: float) -> None:
    """Wait (at most *timeout_s*) for ended stacks to be reaped, so none outlives the platform."""
    deadline = time.monotonic() + timeout_s
    for reaper in list(_reapers):
        reaper.join(max(0.0, deadline - time.monotonic()))
        if not reaper.is_alive():
            _reapers.discard(reaper)


def available() -> tuple[bool, str]:
    if shutil.which(SLIRP) is None:
        return False, f"{SLIRP} is not installed (apt-get install {SLIRP}): environments have no route out"
    if shutil.which(UNSHARE) is None:
        return False, f"{UNSHARE} (util-linux) is not installed: {SLIRP} cannot be started safely"
    return True, f"{SLIRP} per environment, host loopback refused"


class Attachment:
    """A running slirp4netns for one environment; ``close`` ends it."""

    def __init__(self, process: subprocess.Popen[bytes], exit_fd: int) -> None:
        self.process = process
        self._exit_fd = exit_fd

    @property
    def pid(self) -> int:
        return self.process.pid

    def close(self) -> None:
        """End the stack without waiting: the kill is immediate, but the exit that removes the
        tap device takes ~30 ms of the kernel's (unregistering a device waits for RCU), so the
        process is reaped on a worker thread."""
        if self._exit_fd >= 0:
            os.close(self._exit_fd)
            self._exit_fd = -1
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        reaper = threading.Thread(target=self.process.wait, name="lambent-slirp-reaper", daemon=True)
        _reapers.add(reaper)
        reaper.start()


async def attach(pid: int) -> Attachment:
    """Give the network namespace of *pid* a route out; returns once the interface is up."""
    executable, unshare = shutil.which(SLIRP), shutil.which(UNSHARE)
    if executable is None or unshare is None:
        raise SandboxSetupError("outbound network", SLIRP if executable is None else UNSHARE, "not installed")
    ready_read, ready_write = os.pipe2(os.O_CLOEXEC)
    exit_read, exit_write = os.pipe2(os.O_CLOEXEC)
    try:
        process = subprocess.Popen(  # noqa: ASYNC220 - vfork+exec, returns at once
            [
                # unshare execs slirp4netns in place: the same process, in a private mount namespace
                unshare,
                "--mount",
                "--propagation",
                "private",
                "--",
                executable,
                "--configure",
                "--mtu=65520",
                "--disable-host-loopback",
                "--enable-sandbox",
                "--enable-seccomp",
                f"--ready-fd={ready_write}",
                f"--exit-fd={exit_read}",
                str(pid),
                "tap0",
            ],
            pass_fds=(ready_write, exit_read),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        for fd in (ready_read, ready_write, exit_read, exit_write):
            os.close(fd)
        raise SandboxSetupError("outbound network", SLIRP, exc) from exc
    os.close(ready_write)
    os.close(exit_read)
    attachment = Attachment(process, exit_write)
    try:
        ready = await asyncio.wait_for(_read_byte(ready_read), READY_TIMEOUT_S)
        if ready != b"1":
            raise SandboxSetupError("outbound network", f"{SLIRP} for pid {pid}", f"exited ({process.poll()})")
    except BaseException:
        attachment.close()
        raise
    finally:
        os.close(ready_read)
    return attachment


async def _read_byte(fd: int) -> bytes:
    loop = asyncio.get_running_loop()
    readable: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not readable.done():
            readable.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await readable
    finally:
        loop.remove_reader(fd)
    return os.read(fd, 1)
