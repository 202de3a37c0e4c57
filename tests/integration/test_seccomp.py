"""The seccomp programs, installed in a forked child: what an environment and a SnapStart
template may and may not do (the template only gets unshare with exactly RESTORE_FLAGS)."""

from __future__ import annotations

import ctypes
import errno
import os

import pytest

from lambent.sandbox import seccomp
from lambent.sandbox.inside import libc as inside_libc
from lambent.sandbox.inside.seccomp import install_seccomp

CLONE_NEWUTS = 0x04000000


def outcome_in_child(program: bytes, flags: int) -> int:
    """unshare(*flags*) under *program*, in a child: 0 or the errno."""
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(38, 1, 0, 0, 0)  # no_new_privs, as every environment has it
            install_seccomp(program)
            code = 0 if libc.unshare(flags) == 0 else ctypes.get_errno()
        finally:
            os._exit(code)
    _pid, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.mark.skipif(os.geteuid() != 0, reason="unshare of these namespaces needs root to succeed at all")
def test_only_a_template_may_unshare_and_only_exactly_the_restore_flags() -> None:
    environment, template = seccomp.build_program(), seccomp.build_program(template=True)
    assert outcome_in_child(environment, seccomp.RESTORE_FLAGS) == errno.EPERM
    assert outcome_in_child(environment, CLONE_NEWUTS) == errno.EPERM
    assert outcome_in_child(template, CLONE_NEWUTS) == errno.EPERM
    assert outcome_in_child(template, seccomp.RESTORE_FLAGS & ~0x10000000) == errno.EPERM  # not without a user namespace
    assert outcome_in_child(template, seccomp.RESTORE_FLAGS) == 0
    assert seccomp.RESTORE_FLAGS == inside_libc.RESTORE_FLAGS
