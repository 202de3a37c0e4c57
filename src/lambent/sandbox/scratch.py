"""Ephemeral storage: each environment's /tmp is a file system of its own on disk, not in memory.

AWS's /tmp does not count against a function's memory; a tmpfs does (its pages are charged to
the writer's memory cgroup and cannot be reclaimed without swap). So /tmp is an ext4 image of
EphemeralStorage on a loop device: its page cache is ordinary, reclaimable cache, and the image
is sized so that writing stops with ENOSPC at EphemeralStorage (within 0.1 %).

Images are made fast: one template per size is made with ``mkfs.ext4`` (once, ~15 ms), and each
environment gets a sparse copy of it (only the ~0.5 MB of metadata is copied). The environment
attaches the loop device itself (``LO_FLAGS_AUTOCLEAR``) and mounts it in its own mount
namespace; the platform then unlinks the image, so when the namespace ends the loop device
detaches and the space is freed, whatever happened to the platform in between. Spares mount a
default-size (512 MB) /tmp while they wait, so the common cold start does not pay for the mount.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import threading
from pathlib import Path

from lambent.errors import SandboxSetupError

BLOCK = 4096
#: The /tmp size a function gets unless it asks for more (AWS's default), which spares mount.
DEFAULT_TMP_MB = 512
MKFS = "mkfs.ext4"
#: One inode per 64 KB: 16,384 files in 1 GB of /tmp, and 0.4 % of the space in inode tables.
MKFS_ARGS = ("-q", "-F", "-b", "4096", "-O", "^has_journal,^resize_inode", "-i", "65536", "-I", "256", "-m", "0")
MKFS_EXTENDED = "lazy_itable_init=1,nodiscard,root_owner=0:0"


def image_blocks(cap_mb: int) -> int:
    """Blocks of an image whose free space for files is *cap_mb* MB.

    ext4 keeps, besides inode tables (1/256 of the blocks at one 256-byte inode per 64 KB) and
    two bitmaps per 128 MB group, min(2 %, 4,096 blocks) that ordinary writes never get."""
    wanted = cap_mb * (1 << 20) // BLOCK
    blocks = wanted
    for _ in range(8):  # a fixed point, reached in two or three rounds
        groups = -(-blocks // 32768)
        blocks = wanted + -(-blocks // 256) + 2 * groups + 32 + min(blocks * 2 // 100, 4096)
    return blocks


def available() -> tuple[bool, str]:
    if shutil.which(MKFS) is None:
        return False, f"{MKFS} is not installed: /tmp is a tmpfs counted against memory"
    if not Path("/dev/loop-control").exists():
        return False, "no /dev/loop-control: /tmp is a tmpfs counted against memory"
    return True, "ext4 image on a loop device, sized to EphemeralStorage"


class Scratch:
    """Makes /tmp images in a directory of the platform's (emptied at start)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._templates: dict[int, Path] = {}
        self._lock = threading.Lock()

    def prepare(self) -> int:
        """Empty the directory (images an earlier run did not unlink); returns how many went."""
        self._directory.mkdir(parents=True, exist_ok=True)
        gone = 0
        for path in self._directory.iterdir():
            if path.is_file():
                path.unlink()
                gone += 1
        return gone

    def image(self, cap_mb: int) -> str:
        """A fresh image of *cap_mb* MB (blocking: a sparse copy, or mkfs for a new size)."""
        template = self._template(cap_mb)
        path = self._directory / f"tmp-{cap_mb}-{secrets.token_hex(8)}.img"
        _sparse_copy(template, path)
        return str(path)

    def _template(self, cap_mb: int) -> Path:
        with self._lock:
            template = self._templates.get(cap_mb)
            if template is not None:
                return template
            template = self._directory / f"template-{cap_mb}.ext4"
            scratch = template.with_suffix(f".{secrets.token_hex(4)}")
            try:
                with scratch.open("wb") as handle:
                    handle.truncate(image_blocks(cap_mb) * BLOCK)
                subprocess.run(
                    [MKFS, *MKFS_ARGS, "-E", MKFS_EXTENDED, str(scratch)],
                    check=True,
                    capture_output=True,
                    timeout=60,
                )
            except (OSError, subprocess.SubprocessError) as exc:
                scratch.unlink(missing_ok=True)
                raise SandboxSetupError("mkfs /tmp image", str(scratch), exc) from exc
            scratch.rename(template)
            self._templates[cap_mb] = template
            return template

    @staticmethod
    def discard(path: str | None) -> None:
        if path:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _sparse_copy(source: Path, target: Path) -> None:
    """Copy only the data extents of *source*; the holes stay holes."""
    with source.open("rb") as src, target.open("wb") as dst:
        size = os.fstat(src.fileno()).st_size
        dst.truncate(size)
        offset = 0
        while offset < size:
            try:
                start = os.lseek(src.fileno(), offset, os.SEEK_DATA)
            except OSError:  # ENXIO: no data after offset
                break
            end = os.lseek(src.fileno(), start, os.SEEK_HOLE)
            position = start
            while position < end:
                copied = os.copy_file_range(src.fileno(), dst.fileno(), end - position, position, position)
                if copied == 0:
                    break
                position += copied
            offset = end
