"""The seccomp policy of the ``namespaces`` sandbox, compiled once to a BPF program.

Built with libseccomp (pyseccomp) in the platform, exported as raw BPF and installed by the
environment itself (``inside/seccomp.py``) with plain ``prctl``, so the function's
interpreter needs no binding. Default: allow. Refused with EPERM, on the native ABI and on the
32-bit and x32 ABIs alike: mounting, namespaces, tracing and cross-process memory access, the
kernel keyring, BPF, perf, userfaultfd, loading kernels or modules, rebooting, file handles,
swap and accounting, pushing input into terminals (ioctl TIOCSTI), and clone with namespace
flags. clone3 answers ENOSYS so C libraries fall back to clone, whose flags can be checked.

A SnapStart template (``template=True``) runs the function's init and then forks restored
environments, each of which must make its own namespaces without privileges: that program lets
unshare through with exactly ``RESTORE_FLAGS`` (a user namespace and the five others) and lets
mount, umount2 and move_mount through (useless without the capabilities of a user namespace of
one's own). Every restored environment then stacks the full program on top before any of its
code runs, so only the template's own process has that leeway (decision 0009).
"""

from __future__ import annotations

import contextlib
import errno
import tempfile

from lambent.sandbox.inside import libc

REFUSED = (
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "open_by_handle_at",
    "name_to_handle_at",
    "swapon",
    "swapoff",
    "acct",
    "quotactl",
    "fsopen",
    "fsmount",
    "move_mount",
    "open_tree",
    "fsconfig",
    "fspick",
    "mount_setattr",
    "lookup_dcookie",
    "iopl",
    "ioperm",
)
TIOCSTI = 0x5412
#: unshare() of a restored environment: user, mount, pid, ipc, uts and network namespaces.
RESTORE_FLAGS = libc.RESTORE_FLAGS
TEMPLATE_ALLOWED = ("unshare", "mount", "umount2", "move_mount")
#: clone() with any of these is refused: a new namespace of any kind.
NAMESPACE_FLAGS = (
    libc.CLONE_NEWNS,
    libc.CLONE_NEWUTS,
    libc.CLONE_NEWIPC,
    libc.CLONE_NEWUSER,
    libc.CLONE_NEWPID,
    libc.CLONE_NEWNET,
    libc.CLONE_NEWCGROUP,
)


def build_program(template: bool = False) -> bytes:
    """The BPF program (struct sock_filter[]) for this machine's architecture; *template*: the
    SnapStart template's (see above)."""
    import pyseccomp as sc

    policy = sc.SyscallFilter(sc.ALLOW)
    unknown = (OSError, ValueError, RuntimeError)
    for arch in (sc.Arch.X86, sc.Arch.X32):
        with contextlib.suppress(*unknown):  # not an x86 machine: its native ABI is covered already
            policy.add_arch(arch)
    deny = sc.ERRNO(errno.EPERM)
    for name in REFUSED:
        if template and name in TEMPLATE_ALLOWED:
            continue
        with contextlib.suppress(*unknown):  # a syscall this architecture does not have
            policy.add_rule(deny, name)
    if template:
        policy.add_rule(deny, "unshare", sc.Arg(0, sc.NE, RESTORE_FLAGS))
    policy.add_rule(deny, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, TIOCSTI))
    for flag in NAMESPACE_FLAGS:
        policy.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    with contextlib.suppress(*unknown):
        policy.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    with tempfile.TemporaryFile() as sink:
        policy.export_bpf(sink)
        sink.seek(0)
        return sink.read()
