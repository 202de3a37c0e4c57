"""Dropping privileges inside the sandbox: a fresh environment's runtime gives up root for the
function's uid with no_new_privs; a restored one (already that uid, in a user namespace of its
own) gives up the capabilities of that namespace."""

from __future__ import annotations

import os
import platform
import struct

from .libc import CAPSET, LIBC, PR_SET_NO_NEW_PRIVS, check

#: Who a spare's PID 1 runs as (the function's uid is not known yet, and PID 1 needs none).
NOBODY = 65534


def drop_privileges(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    check(LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl", "no_new_privs")


def drop_capabilities() -> None:
    """No capability left (a set-uid-free uid keeps none across exec either)."""
    header = struct.pack("=Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    check(LIBC.syscall(CAPSET[platform.machine()], header, bytes(24)), "capset", "none")
