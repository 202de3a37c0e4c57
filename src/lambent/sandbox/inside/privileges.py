"""Dropping privileges inside the sandbox: a fresh environment's runtime gives up root for the
function's uid with no_new_privs; a restored one (already that uid, in a user namespace of its
own) gives up the capabilities of that namespace."""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct

from .libc import CAPSET, LIBC, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, SetupFailed, check

#: Who a spare's PID 1 runs as (the function's uid is not known yet, and PID 1 needs none).
NOBODY = 65534


def drop_bounding_set() -> None:
    """Empty the capability bounding set, so no later exec (a set-uid or file-capability binary)
    can gain a capability back. Needs CAP_SETPCAP, so it comes before the uid change."""
    try:
        with open("/proc/sys/kernel/cap_last_cap") as file:
            last = int(file.read())
    except OSError:  # no /proc mounted here yet: the kernel says EINVAL past its last cap
        last = 63
    for cap in range(last + 1):
        if LIBC.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            err = ctypes.get_errno()
            if err == errno.EINVAL and cap > 0:
                return
            raise SetupFailed("prctl", "capbset_drop {}".format(cap), err)


def drop_privileges(uid: int, gid: int) -> None:
    drop_bounding_set()
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    check(LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl", "no_new_privs")


def drop_capabilities() -> None:
    """No capability left (a set-uid-free uid keeps none across exec either), none bounding."""
    drop_bounding_set()
    header = struct.pack("=Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    check(LIBC.syscall(CAPSET[platform.machine()], header, bytes(24)), "capset", "none")
