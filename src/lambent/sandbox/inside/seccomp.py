"""Installing a seccomp program inside the sandbox, with plain ``prctl``: the policy itself is
built by the platform with libseccomp (``lambent/sandbox/seccomp.py``) and handed over as BPF,
so the function's interpreter needs no binding."""

from __future__ import annotations

import ctypes

from .libc import PR_SET_SECCOMP, PRCTL_POINTER, SECCOMP_MODE_FILTER, check


class SockFprog(ctypes.Structure):
    """struct sock_fprog (made once here, shared by every fork, rather than in each)."""

    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install_seccomp(program: bytes) -> None:
    """Install *program* (struct sock_filter[]) on the calling thread; nothing if it is empty."""
    if not program:
        return
    count = len(program) // 8
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = SockFprog(count, ctypes.cast(buffer, ctypes.c_void_p))
    check(PRCTL_POINTER(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0), "seccomp", "filter")
