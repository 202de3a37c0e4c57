"""An environment's root, built by its spare (A) in the new mount namespace (invisible to the
host): read-only binds over the platform's skeleton, a size-capped /tmp, a minimal /dev, then
pivot_root into it. /proc is left to a process of the new PID namespace.
"""

from __future__ import annotations

import errno
import os
import platform

from .libc import (
    LIBC,
    MNT_DETACH,
    MS_BIND,
    MS_MOVE,
    MS_NODEV,
    MS_NOSUID,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    MS_REMOUNT,
    PIVOT_ROOT,
    SetupFailed,
    check,
    mount,
)
from .loop import with_loop

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .wire import LaunchRequest, Tmp


def mount_scratch(image: str, target: str) -> None:
    """Mount the ext4 image *image* at *target*, writable by all as /tmp is."""

    def use(device: str) -> None:
        mount(device, target, "ext4", MS_NOSUID | MS_NODEV, "noinit_itable")

    with_loop(image, use)
    os.rmdir(target + "/lost+found")  # /tmp starts empty, as on AWS
    os.chmod(target, 0o1777)  # noqa: S103 - /tmp is world-writable and sticky, as everywhere


def bind_readonly(source: str, target: str) -> None:
    mount(source, target, None, MS_BIND | MS_REC)
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def build_root(spec: LaunchRequest) -> None:
    """Mounts in the new mount namespace (invisible to the host), then pivot_root into them;
    /proc is left to a process of the new PID namespace."""
    root = spec["root"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount(root, root, None, MS_BIND)
    for source, target in spec["binds"]:
        bind_readonly(source, root + target)
    for source, target in spec["devices"]:
        mount(source, root + target, None, MS_BIND)
    tmp: Tmp = spec.get("tmp") or {}
    if tmp.get("staged"):  # the spare's /tmp, mounted while it waited
        mount(tmp["staged"], root + "/tmp", None, MS_MOVE)
    elif tmp.get("image"):
        mount_scratch(tmp["image"], root + "/tmp")
    else:
        mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size={}m,mode=1777".format(spec["tmp_mb"]))
    mount("tmpfs", root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777")
    mount(None, root, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
    os.chdir(root)
    number = PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise SetupFailed("pivot_root", platform.machine(), errno.ENOSYS)
    check(LIBC.syscall(number, b".", b"."), "pivot_root", root)
    check(LIBC.umount2(b".", MNT_DETACH), "umount", "old root")
    os.chdir("/")
