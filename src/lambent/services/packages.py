"""Code packages: content-addressed zips on disk, each extracted once into a read-only tree.

Extraction is safe by construction: every entry's path is checked before anything is written
(no absolute paths, no ``..``, no NUL, no duplicates), symbolic links are recreated only when
they resolve inside the tree, the declared and the actual unzipped sizes are both held to the
250 MB limit (a lying header cannot get past the count of bytes written), and the tree is built
in a scratch directory that is renamed into place only when complete.
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

from lambent.errors import InvalidParameterValueException, RequestEntityTooLargeException, UnsafeArchive
from lambent.model.function_update import Package
from lambent.model.limits import UNZIPPED_LIMIT_BYTES, ZIPPED_LIMIT_BYTES

_UNZIP_FAILED = "Could not unzip uploaded file. Please check your file, then try to upload again."


def _unsafe(reason: str) -> UnsafeArchive:
    return UnsafeArchive(f"{_UNZIP_FAILED} {reason}")


def _check_name(name: str) -> str:
    if "\x00" in name or "\\" in name:
        raise _unsafe(f"Entry {name!r} has a character not allowed in a path.")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise _unsafe(f"Entry {name!r} is an absolute path.")
    normal = posixpath.normpath(name)
    if normal == ".." or normal.startswith("../") or "/../" in f"/{name}/":
        raise _unsafe(f"Entry {name!r} points outside the code directory.")
    return normal


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def _mode(info: zipfile.ZipInfo) -> int:
    mode = (info.external_attr >> 16) & 0o777 if info.create_system == 3 else 0
    return 0o555 if mode & 0o111 else 0o444


def extract(data: bytes, target: Path) -> int:
    """Extract the zip *data* into the new directory *target*; returns the unzipped size."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise InvalidParameterValueException(_UNZIP_FAILED) from None
    declared = sum(info.file_size for info in infos)
    if declared > UNZIPPED_LIMIT_BYTES:
        raise InvalidParameterValueException(f"Unzipped size must be smaller than {UNZIPPED_LIMIT_BYTES} bytes")
    seen: set[str] = set()
    for info in infos:
        name = _check_name(info.orig_filename)  # filename is cut at a NUL; orig_filename is not
        if name in seen and not info.is_dir():
            raise _unsafe(f"Entry {info.filename!r} appears twice.")
        seen.add(name)
    scratch = Path(tempfile.mkdtemp(prefix=".extract-", dir=target.parent))
    try:
        written = _write_entries(archive, infos, scratch)
        seal_tree(scratch)
        try:
            scratch.rename(target)
        except OSError:
            if not target.is_dir():  # lost a race to an identical tree: fine; anything else is not
                raise
            _remove_tree(scratch)
        return written
    except BaseException:
        _remove_tree(scratch)
        raise


def _write_entries(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], root: Path) -> int:
    written = 0
    links: list[tuple[Path, str]] = []
    try:
        for info in infos:
            destination = root / _check_name(info.orig_filename)
            if info.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source:
                if _is_symlink(info):
                    links.append((destination, source.read(4096).decode("utf-8", "strict")))
                    continue
                with open(destination, "xb") as sink:
                    while chunk := source.read(1 << 20):
                        written += len(chunk)
                        if written > UNZIPPED_LIMIT_BYTES:
                            raise InvalidParameterValueException(
                                f"Unzipped size must be smaller than {UNZIPPED_LIMIT_BYTES} bytes"
                            )
                        sink.write(chunk)
            os.chmod(destination, _mode(info))
        for destination, target in links:
            _check_link(root, destination, target)
            destination.symlink_to(target)
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, OSError):
        # A corrupt member, a bad CRC, a path that is both a file and a directory, an empty link:
        # all the same to the caller, an archive that cannot be unpacked as it stands.
        raise InvalidParameterValueException(_UNZIP_FAILED) from None
    # Each target was checked as text; resolving them now, through one another, catches chains
    # (``d/l -> ..`` then ``x -> d/l/../..``) that only escape together.
    real_root = os.path.realpath(root)
    for destination, _target in links:
        resolved = os.path.realpath(destination)
        if resolved != real_root and not resolved.startswith(real_root + os.sep):
            raise _unsafe(f"Link {destination.relative_to(root)} points outside the code directory.")
    return written


def _check_link(root: Path, link: Path, target: str) -> None:
    if not target or target.startswith("/") or "\x00" in target:
        raise _unsafe(f"Link {link.relative_to(root)} points outside the code directory.")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(str(link.relative_to(root))), target))
    if resolved == ".." or resolved.startswith("../"):
        raise _unsafe(f"Link {link.relative_to(root)} points outside the code directory.")


def seal_tree(root: Path) -> None:
    """Directories read-only (files were made read-only as they were written)."""
    for directory, _subdirs, _files in os.walk(root, topdown=False):
        os.chmod(directory, 0o555)  # noqa: S103 - read-only for everyone is the point


def _remove_tree(root: Path) -> None:
    for directory, _subdirs, _files in os.walk(root):
        os.chmod(directory, 0o755)  # noqa: S103 - writable again only to be deleted
    shutil.rmtree(root, ignore_errors=True)


class PackageStore:
    """Blobs under ``<data>/packages/<sha256>.zip``, trees under ``<data>/code/<sha256>/``."""

    def __init__(self, data_dir: Path) -> None:
        self._blobs = data_dir / "packages"
        self._trees = data_dir / "code"
        self._blobs.mkdir(parents=True, exist_ok=True)
        self._trees.mkdir(parents=True, exist_ok=True)

    def tree(self, sha256_hex: str) -> str:
        return str(self._trees / sha256_hex)

    def blob(self, sha256_hex: str) -> Path:
        return self._blobs / f"{sha256_hex}.zip"

    def add(self, data: bytes, operation: str) -> Package:
        """Store and extract *data* (blocking: call from a worker thread)."""
        if len(data) > ZIPPED_LIMIT_BYTES:
            raise RequestEntityTooLargeException(
                f"Zipped size must be smaller than {ZIPPED_LIMIT_BYTES} bytes for the {operation} operation"
            )
        digest = hashlib.sha256(data).hexdigest()
        tree = self._trees / digest
        if tree.is_dir():
            unzipped = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file() and not p.is_symlink())
        else:
            unzipped = extract(data, tree)
        blob = self.blob(digest)
        if not blob.exists():
            fd, scratch = tempfile.mkstemp(prefix=f".{digest}-", suffix=".part", dir=self._blobs)
            with os.fdopen(fd, "wb") as sink:
                sink.write(data)
            os.replace(scratch, blob)  # atomic; a concurrent add of the same bytes wrote the same blob
        return Package(sha256_hex=digest, size=len(data), unzipped_size=unzipped)

    def digests(self) -> set[str]:
        """Every package stored (blocking)."""
        return {blob.stem for blob in self._blobs.glob("*.zip")}

    def remove_unused(self, in_use: set[str], candidates: set[str] | None = None) -> set[str]:
        """Delete the packages among *candidates* (None: every stored one) not in *in_use*;
        returns the digests removed (blocking). The caller vouches that *in_use* holds every
        package a version, a layer, a running environment or an upload in progress uses."""
        removed = set()
        for digest in self.digests() if candidates is None else candidates:
            if digest in in_use:
                continue
            blob = self.blob(digest)
            tree = self._trees / digest
            if blob.exists() or tree.exists():
                removed.add(digest)
            blob.unlink(missing_ok=True)
            if tree.exists():
                _remove_tree(tree)
        return removed
