"""Code packages: safe extraction into read-only trees, content-addressed storage.

(lambent.services.packages; file I/O in pytest's tmp_path only.)
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import struct
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambent.errors import InvalidParameterValueException, RequestEntityTooLargeException
from lambent.services.packages import Package, PackageStore, extract

UNZIP_FAILED = "Could not unzip uploaded file. Please check your file, then try to upload again."
UNZIPPED_LIMIT = 262_144_000
ZIPPED_LIMIT = 52_428_800

Entry = tuple[str | zipfile.ZipInfo, bytes | str]


def zip_of(entries: list[Entry], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": intended where it happens
        with zipfile.ZipFile(buffer, "w", compression) as archive:
            for name, data in entries:
                archive.writestr(name, data)
    return buffer.getvalue()


def unix_file(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFREG | mode) << 16
    return info


def symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = 0o120777 << 16
    return info


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def make_writable(root: Path) -> None:
    """Undo the read-only sealing so pytest can delete its temporary directories."""
    if not root.exists():
        return
    for directory, _subdirs, files in os.walk(root):
        os.chmod(directory, 0o755)
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                os.chmod(path, 0o644)


@pytest.fixture
def parent(tmp_path: Path) -> Iterator[Path]:
    """A directory that already holds one file; extraction targets a new child of it."""
    directory = tmp_path / "code"
    directory.mkdir()
    (directory / "existing.txt").write_text("there before")
    yield directory
    make_writable(tmp_path)


def refused(data: bytes, target: Path) -> str:
    before = sorted(os.listdir(target.parent))
    with pytest.raises(InvalidParameterValueException) as caught:
        extract(data, target)
    assert sorted(os.listdir(target.parent)) == before, "a refused archive left something behind"
    assert caught.value.status == 400
    return caught.value.message


# --- a normal package ----------------------------------------------------------------------


def test_normal_zip_extracts_read_only(parent: Path) -> None:
    data = zip_of(
        [
            ("app.py", "def handler(event, context):\n    return event\n"),
            (unix_file("bin/tool", 0o755), b"#!/bin/sh\necho hi\n"),
            (unix_file("notes.txt", 0o600), b"notes"),
            ("lib/", ""),
            ("lib/pkg/mod.py", "X = 1\n"),
        ]
    )
    target = parent / "tree"
    written = extract(data, target)

    assert written == len("def handler(event, context):\n    return event\n") + 18 + 5 + len("X = 1\n")
    assert (target / "app.py").read_text().startswith("def handler")
    assert (target / "bin" / "tool").read_bytes() == b"#!/bin/sh\necho hi\n"
    assert (target / "lib" / "pkg" / "mod.py").read_text() == "X = 1\n"
    assert mode_of(target / "app.py") == 0o444
    assert mode_of(target / "notes.txt") == 0o444
    assert mode_of(target / "lib" / "pkg" / "mod.py") == 0o444
    assert mode_of(target / "bin" / "tool") == 0o555
    for directory in (target, target / "bin", target / "lib", target / "lib" / "pkg"):
        assert directory.is_dir()
        assert mode_of(directory) == 0o555
    assert sorted(os.listdir(parent)) == ["existing.txt", "tree"], "the scratch directory was left behind"


def test_entries_without_unix_attributes_are_plain_read_only_files(parent: Path) -> None:
    info = zipfile.ZipInfo("DOS.TXT")
    info.create_system = 0
    info.external_attr = 0x20  # MS-DOS "archive" bit
    extract(zip_of([(info, b"dos")]), parent / "tree")
    assert mode_of(parent / "tree" / "DOS.TXT") == 0o444


def test_any_execute_bit_makes_an_executable(parent: Path) -> None:
    extract(
        zip_of([(unix_file("a", 0o610), b"a"), (unix_file("b", 0o601), b"b"), (unix_file("c", 0o7777), b"c")]), parent / "tree"
    )
    assert [mode_of(parent / "tree" / name) for name in "abc"] == [0o555, 0o555, 0o555]


def test_stored_and_empty_zips(parent: Path) -> None:
    assert extract(zip_of([("a.txt", b"abc")], zipfile.ZIP_STORED), parent / "one") == 3
    assert extract(zip_of([]), parent / "empty") == 0
    assert os.listdir(parent / "empty") == []
    assert mode_of(parent / "empty") == 0o555


# --- unsafe names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entries",
    [
        [("../x", b"x")],
        [("/etc/x", b"x")],
        [("a/../../x", b"x")],
        [("..", b"x")],
        [("ok.txt", b"ok"), ("deep/../../../x", b"x")],
        [("a\\..\\x", b"x")],
        [("C:x", b"x")],
        [("dup.txt", b"one"), ("dup.txt", b"two")],
        [("d/dup.txt", b"one"), ("d//dup.txt", b"two")],
    ],
    ids=[
        "parent",
        "absolute",
        "climb",
        "dotdot",
        "after-a-good-entry",
        "backslash",
        "drive",
        "duplicate",
        "duplicate-after-normalising",
    ],
)
def test_unsafe_entries_are_refused(parent: Path, entries: list[Entry]) -> None:
    message = refused(zip_of(entries), parent / "tree")
    assert message.startswith(UNZIP_FAILED + " ")
    assert not (parent / "tree").exists()
    assert not (parent.parent / "x").exists()


def test_duplicate_directory_entries_are_harmless(parent: Path) -> None:
    extract(zip_of([("d/", ""), ("d/", ""), ("d/f", b"f")]), parent / "tree")
    assert (parent / "tree" / "d" / "f").read_bytes() == b"f"


def test_nul_in_an_entry_name_is_refused(parent: Path) -> None:
    data = zip_of([("evilXname.txt", b"x")]).replace(b"evilXname.txt", b"evil\x00name.txt")
    assert data.count(b"evil\x00name.txt") == 2  # local header and central directory agree
    refused(data, parent / "tree")


@pytest.mark.parametrize(
    "entries",
    [
        [("a", b"file"), ("a/", "")],
        [("a", b"file"), ("a/b", b"child")],
    ],
    ids=["file-then-dir", "file-then-child"],
)
def test_a_file_and_a_directory_of_the_same_name_are_refused(parent: Path, entries: list[Entry]) -> None:
    assert refused(zip_of(entries), parent / "tree").startswith(UNZIP_FAILED)


# --- symbolic links ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("link", "../../etc/passwd"),
        ("link", "/etc/passwd"),
        ("link", ".."),
        ("sub/link", "../../outside"),
        ("sub/link", "ok/../../../outside"),
    ],
)
def test_symlinks_out_of_the_tree_are_refused(parent: Path, name: str, target: str) -> None:
    data = zip_of([("sub/file", b"inside"), (symlink(name), target)])
    message = refused(data, parent / "tree")
    assert message.startswith(UNZIP_FAILED + " ")
    assert "points outside the code directory" in message


def test_symlink_inside_the_tree_is_created(parent: Path) -> None:
    data = zip_of([("sub/file", b"inside"), (symlink("link"), "sub/file"), (symlink("sub/up"), "../sub/file")])
    extract(data, parent / "tree")
    link = parent / "tree" / "link"
    assert link.is_symlink()
    assert os.readlink(link) == "sub/file"
    assert link.read_bytes() == b"inside"
    assert os.readlink(parent / "tree" / "sub" / "up") == "../sub/file"
    assert (parent / "tree" / "sub" / "up").read_bytes() == b"inside"
    assert mode_of(parent / "tree" / "sub" / "file") == 0o444  # chmod did not go through a link


def test_symlink_may_point_at_the_tree_root(parent: Path) -> None:
    extract(zip_of([("d/f", b"f"), (symlink("d/root"), "..")]), parent / "tree")
    assert os.path.realpath(parent / "tree" / "d" / "root") == os.path.realpath(parent / "tree")


@pytest.mark.parametrize(
    "entries",
    [[("l/x", b"x"), (symlink("l"), "x")], [(symlink("empty"), "")]],
    ids=["link-over-directory", "empty-target"],
)
def test_a_link_that_cannot_be_made_is_refused(parent: Path, entries: list[Entry]) -> None:
    assert refused(zip_of(entries), parent / "tree").startswith(UNZIP_FAILED)


def test_symlink_chains_cannot_escape(parent: Path) -> None:
    target = parent / "tree"
    data = zip_of([("d/", ""), (symlink("d/l"), ".."), (symlink("x"), "d/l/../..")])
    try:
        extract(data, target)
    except InvalidParameterValueException:
        return
    resolved = Path(os.path.realpath(target / "x"))
    assert resolved == target.resolve() or target.resolve() in resolved.parents


# --- corrupt and oversized archives ---------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"this is not a zip file",
        zip_of([("a.txt", b"abc" * 1000)])[:-30],
        bytes(1024),
    ],
    ids=["empty", "text", "truncated", "zeros"],
)
def test_corrupt_zip(parent: Path, data: bytes) -> None:
    assert refused(data, parent / "tree") == UNZIP_FAILED


def test_bad_crc_is_refused_and_the_partial_tree_removed(parent: Path) -> None:
    payload = b"A" * 4096
    data = zip_of([("first.txt", b"fine"), ("a.txt", payload)], zipfile.ZIP_STORED)
    corrupted = data.replace(payload, b"B" + payload[1:])
    assert refused(corrupted, parent / "tree") == UNZIP_FAILED
    assert not (parent / "tree").exists()


def _zeros_zip(sizes_mb: list[int]) -> bytes:
    """Entries of zeros, streamed through deflate: hundreds of MB declared, ~1 MB stored."""
    buffer = io.BytesIO()
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for index, size in enumerate(sizes_mb):
            with archive.open(f"zeros{index}.bin", "w", force_zip64=True) as sink:
                for _ in range(size):
                    sink.write(chunk)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def oversized_zip() -> bytes:
    data = _zeros_zip([251])
    assert sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist()) > UNZIPPED_LIMIT
    assert len(data) < 4 << 20
    return data


def test_declared_unzipped_size_over_250_mb_is_refused(parent: Path, oversized_zip: bytes) -> None:
    message = refused(oversized_zip, parent / "tree")
    assert message == "Unzipped size must be smaller than 262144000 bytes"
    assert not (parent / "tree").exists()


def test_the_declared_size_is_checked_before_anything_is_extracted(parent: Path) -> None:
    # A central directory claiming ~4 GB for 5 real bytes: refused on the claim alone (reading
    # the entry would stop at its real end and pass the CRC check).
    data = bytearray(zip_of([("small.txt", b"small")], zipfile.ZIP_STORED))
    central = data.index(b"PK\x01\x02")
    assert struct.unpack_from("<I", data, central + 24) == (5,)
    struct.pack_into("<I", data, central + 24, 0xFFFF_FFFE)
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).infolist()[0].file_size == 0xFFFF_FFFE
    assert refused(bytes(data), parent / "tree") == "Unzipped size must be smaller than 262144000 bytes"


def test_declared_sizes_are_summed_over_entries(parent: Path) -> None:
    data = _zeros_zip([126, 126])  # each under 250 MB, together over it
    assert refused(data, parent / "tree") == "Unzipped size must be smaller than 262144000 bytes"


# --- the store -----------------------------------------------------------------------------


@pytest.fixture
def store_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"
    make_writable(tmp_path)


def test_add_stores_blob_and_tree(store_dir: Path) -> None:
    data = zip_of([("app.py", b"print('hi')\n"), ("lib/x.py", b"X = 1\n")])
    store = PackageStore(store_dir)
    package = store.add(data, "CreateFunction")
    digest = hashlib.sha256(data).hexdigest()
    assert package == Package(sha256_hex=digest, size=len(data), unzipped_size=12 + 6)
    assert store.blob(digest) == store_dir / "packages" / f"{digest}.zip"
    assert store.blob(digest).read_bytes() == data
    assert store.tree(digest) == str(store_dir / "code" / digest)
    assert (Path(store.tree(digest)) / "lib" / "x.py").read_bytes() == b"X = 1\n"
    assert sorted(os.listdir(store_dir / "packages")) == [f"{digest}.zip"]
    assert sorted(os.listdir(store_dir / "code")) == [digest]


def test_add_is_idempotent(store_dir: Path) -> None:
    data = zip_of([("app.py", b"print('hi')\n"), ("sub/file", b"1234"), (symlink("link"), "sub/file")])
    store = PackageStore(store_dir)
    first = store.add(data, "CreateFunction")
    tree = Path(store.tree(first.sha256_hex))
    inode = (tree / "app.py").stat().st_ino
    second = store.add(data, "UpdateFunctionCode")
    assert second == first
    assert first.unzipped_size == 12 + 4  # the link's target text is not counted
    assert (tree / "app.py").stat().st_ino == inode, "the tree was extracted again"
    assert sorted(os.listdir(store_dir / "packages")) == [f"{first.sha256_hex}.zip"]
    assert sorted(os.listdir(store_dir / "code")) == [first.sha256_hex]
    # A second store over the same directory sees the same package.
    assert PackageStore(store_dir).add(data, "CreateFunction") == first


def test_different_bytes_are_different_packages(store_dir: Path) -> None:
    store = PackageStore(store_dir)
    one = store.add(zip_of([("a", b"1")]), "CreateFunction")
    two = store.add(zip_of([("a", b"2")]), "CreateFunction")
    assert one.sha256_hex != two.sha256_hex
    assert (Path(store.tree(one.sha256_hex)) / "a").read_bytes() == b"1"
    assert (Path(store.tree(two.sha256_hex)) / "a").read_bytes() == b"2"


def test_add_refuses_more_than_50_mb(store_dir: Path) -> None:
    store = PackageStore(store_dir)
    with pytest.raises(RequestEntityTooLargeException) as caught:
        store.add(bytes(ZIPPED_LIMIT + 1), "CreateFunction")
    assert caught.value.status == 413
    assert caught.value.message == ("Zipped size must be smaller than 52428800 bytes for the CreateFunction operation")
    assert os.listdir(store_dir / "packages") == []
    assert os.listdir(store_dir / "code") == []


def test_exactly_50_mb_is_not_too_large(store_dir: Path) -> None:
    # Not a zip, so it is refused, but as a corrupt file, not as too large.
    with pytest.raises(InvalidParameterValueException) as caught:
        PackageStore(store_dir).add(bytes(ZIPPED_LIMIT), "UpdateFunctionCode")
    assert caught.value.message == UNZIP_FAILED


def test_a_refused_archive_stores_nothing(store_dir: Path) -> None:
    store = PackageStore(store_dir)
    with pytest.raises(InvalidParameterValueException):
        store.add(zip_of([("../escape", b"x")]), "CreateFunction")
    assert os.listdir(store_dir / "packages") == []
    assert os.listdir(store_dir / "code") == []


def test_remove_unused_deletes_only_unreferenced_packages(store_dir: Path) -> None:
    store = PackageStore(store_dir)
    kept = store.add(zip_of([("a", b"kept")]), "CreateFunction")
    dropped = store.add(zip_of([("sub/a", b"dropped")]), "CreateFunction")
    store.remove_unused({kept.sha256_hex})
    assert store.blob(kept.sha256_hex).exists()
    assert Path(store.tree(kept.sha256_hex)).is_dir()
    assert not store.blob(dropped.sha256_hex).exists()
    assert not Path(store.tree(dropped.sha256_hex)).exists()


def test_two_interleaved_adds_of_the_same_bytes_both_succeed(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import lambent.services.packages as packages

    data = zip_of([("app.py", b"x")])
    store = PackageStore(store_dir)
    original = packages.os.replace
    interleaved: list[Package] = []
    calls: list[str] = []

    def let_the_other_request_run_first(source: str, destination: str) -> None:
        calls.append(source)
        if len(calls) == 1:  # the second add runs to completion between our write and our rename
            interleaved.append(store.add(data, "CreateFunction"))
        original(source, destination)

    monkeypatch.setattr(packages.os, "replace", let_the_other_request_run_first)
    first = store.add(data, "CreateFunction")
    assert first == interleaved[0]
    assert store.blob(first.sha256_hex).read_bytes() == data
    assert not list(store_dir.rglob("*.part"))
    assert len(calls) == 2 and calls[0] != calls[1]  # each add wrote its own scratch file
