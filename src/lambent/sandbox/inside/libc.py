"""The C library and kernel interfaces the sandbox calls through ctypes, written once.

Both sides use it: the code inside the sandbox (mount, unshare, prctl, pivot_root, capset) and
the platform (setns to connect into an environment, the new mount API for a restored
environment's /tmp). Standard library only, Python 3.9+, like the rest of ``inside``.
A failed call inside the sandbox raises ``SetupFailed`` naming the step and the object; the
platform's calls raise ``OSError``.
"""

from __future__ import annotations

import ctypes
import os

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
#: A spare's namespaces (made by the zygote's child, as root).
SPARE_FLAGS = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET
#: A restored environment's namespaces (made by itself, unprivileged: see ``restore``).
RESTORE_FLAGS = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 32, 4096, 8192, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG = 38, 22, 36, 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
MOVE_MOUNT_F_EMPTY_PATH, AT_FDCWD = 4, -100
SECCOMP_MODE_FILTER = 2
#: The new mount API (the same numbers on every architecture).
FSOPEN, FSCONFIG, FSMOUNT = 430, 431, 432
FSCONFIG_SET_FLAG, FSCONFIG_SET_STRING, FSCONFIG_CMD_CREATE = 0, 1, 6
FSOPEN_CLOEXEC = FSMOUNT_CLOEXEC = 1
MOUNT_ATTR_NOSUID, MOUNT_ATTR_NODEV = 0x2, 0x4
#: System call numbers that differ per architecture.
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
CAPSET = {"x86_64": 126, "aarch64": 91}
MOVE_MOUNT = {"x86_64": 429, "aarch64": 429}

LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
LIBC.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
LIBC.unshare.argtypes = [ctypes.c_int]
LIBC.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
#: prctl with a pointer as its third argument (seccomp): a function object of its own
#: (``LIBC[name]`` is a new one each time), so ``LIBC.prctl`` keeps its integer arguments.
PRCTL_POINTER = LIBC["prctl"]
PRCTL_POINTER.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]


class SetupFailed(Exception):
    """A step of setting up an environment failed, inside the sandbox (its log says which)."""

    def __init__(self, step: str, obj: str, err: int) -> None:
        super().__init__("{} {}: {}".format(step, obj, os.strerror(err)))


def check(result: int, step: str, obj: str) -> None:
    if result != 0:
        raise SetupFailed(step, obj, ctypes.get_errno())


def _enc(value: str | None) -> bytes | None:
    return value.encode() if value is not None else None


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    result = LIBC.mount(_enc(source), _enc(target), _enc(fstype), flags, _enc(data))
    check(result, "mount " + (fstype or "bind"), target)


def last_error() -> OSError:
    err = ctypes.get_errno()
    return OSError(err, os.strerror(err))


def syscall(number: int, *args: object) -> int:
    """A raw system call for the platform's side: its result, or ``OSError``."""
    result = int(LIBC.syscall(number, *args))
    if result < 0:
        raise last_error()
    return result


def setns(fd: int, nstype: int) -> None:
    """Move the calling thread into the namespace *fd* (of type *nstype*), or ``OSError``."""
    if LIBC.setns(fd, nstype) != 0:
        raise OSError(ctypes.get_errno(), "setns")
