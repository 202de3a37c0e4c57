"""Processes inside the sandbox: waking on child exits, reaping as PID 1, failing a setup step.

A failed setup step writes the step, object and errno to stderr (the environment's log) and
exits with ``SETUP_FAILED``, so the platform reports a named setup failure.
"""

from __future__ import annotations

import os
import signal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

#: The exit status of a process whose setup failed.
SETUP_FAILED = 120


def fail(exc: BaseException) -> NoReturn:
    try:
        os.write(2, "[lambent] sandbox setup failed: {}\n".format(exc).encode())
    finally:
        os._exit(SETUP_FAILED)


def exit_code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def wake_on_children() -> tuple[int, int]:
    """A pipe that SIGCHLD writes to, so that a select() on its read end wakes for exits."""
    wake_read, wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    return wake_read, wake_write


def drain(wake_read: int) -> None:
    while True:
        try:
            os.read(wake_read, 512)
        except BlockingIOError:
            return


def stop_waking(fds: list[int] | tuple[int, ...]) -> None:
    """In a fork of a waker: SIGCHLD back to its default, and *fds* (the pipe's, ...) closed."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for fd in fds:
        os.close(fd)


def reap(reaper: int, child: int) -> NoReturn:
    """Wait as PID 1 until *child* exits, then exit as it did: in the reaper binary (*reaper*,
    a descriptor) if there is one, else in Python."""
    if reaper >= 0:
        # A few pages of C wait from here on instead of this interpreter (about 1 MB).
        try:
            os.execve(reaper, ["lambent-init", str(child)], {})  # noqa: S606 - our binary, no shell
        except OSError:
            pass  # reap in Python, as without it
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(SETUP_FAILED)
        if pid == child:
            os._exit(exit_code(status))
