"""Loop devices for /tmp images: attached by the one who mounts them, detached by the kernel.

Both sides use it: an environment attaches its /tmp image itself, and the platform attaches
the image of a restored environment's /tmp (decision 0008). The device is configured with
``LO_FLAGS_AUTOCLEAR``: it detaches itself once nothing holds it (its mount gone with its
mount namespace), whatever happened to the platform in between.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct
import time

from .libc import SetupFailed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, TypeVar

    T = TypeVar("T")

LOOP_CTL_GET_FREE, LOOP_CONFIGURE = 0x4C82, 0x4C0A
LO_FLAGS_AUTOCLEAR, LO_FLAGS_DIRECT_IO = 4, 16


def with_loop(image: str, use: Callable[[str], T]) -> T:
    """Attach the ext4 image *image* to a free loop device that detaches itself once nothing
    holds it (its mount gone with its mount namespace), and call *use* with the device's path
    while it is held."""
    for attempt in range(200):  # others may take the free device between the two calls: ask again
        control = os.open("/dev/loop-control", os.O_RDWR | os.O_CLOEXEC)
        try:
            number = fcntl.ioctl(control, LOOP_CTL_GET_FREE)
        finally:
            os.close(control)
        device = "/dev/loop{}".format(number)
        loop = os.open(device, os.O_RDWR | os.O_CLOEXEC)
        backing = os.open(image, os.O_RDWR | os.O_CLOEXEC)
        try:
            # struct loop_config: fd, block size, struct loop_info64 (lo_flags at 52), reserved
            info = struct.pack(
                "=5Q4I64s64s32s2Q", 0, 0, 0, 0, 0, 0, 0, 0, LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO, b"", b"", b"", 0, 0
            )
            fcntl.ioctl(loop, LOOP_CONFIGURE, struct.pack("=II", backing, 4096) + info + bytes(64))
        except OSError as exc:
            os.close(loop)
            os.close(backing)
            if exc.errno == errno.EBUSY:
                time.sleep(0.0002 * (attempt % 10))  # a burst of environments: spread out a little
                continue
            raise SetupFailed("loop device", device, exc.errno or 0) from None
        try:
            return use(device)
        finally:
            os.close(loop)
            os.close(backing)
    raise SetupFailed("loop device", "/dev/loop-control", errno.EBUSY)
