"""The journal (store.journal): frames survive, torn tails are cut, rotation loses nothing."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lambent.store.journal import Journal, Position


def read_all(journal: Journal, position: Position) -> tuple[list[bytes], Position]:
    frames: list[bytes] = []
    while True:
        more, reached = journal.read(position, 1000)
        if reached == position:
            return frames, position
        frames += more
        position = reached


def test_frames_come_back_in_order_across_rotations(tmp_path: Path) -> None:
    journal = Journal(tmp_path, segment_bytes=100)
    journal.open()
    written = [f"frame {i}".encode() * (i % 7 + 1) for i in range(200)]
    for frame in written:
        journal.append(frame)
    frames, end = read_all(journal, Position(0, 0))
    assert frames == written and end == journal.end()
    assert len(journal.generations()) > 10
    journal.release(end)
    assert journal.generations() == [end.generation]


def test_a_torn_last_frame_is_cut_when_opened(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.open()
    journal.append(b"complete")
    journal.append(b"torn by a kill")
    journal.close()
    path = next(tmp_path.glob("*.journal"))
    end = 8 + len(b"complete") + 8 + len(b"torn by a kill")
    with path.open("r+b") as handle:  # the copy stopped three bytes short
        handle.seek(end - 3)
        handle.write(bytes(3))
    again = Journal(tmp_path)
    again.open()
    again.append(b"after the restart")
    frames, _ = read_all(again, Position(0, 0))
    assert frames == [b"complete", b"after the restart"]


def test_reading_resumes_after_the_committed_position(tmp_path: Path) -> None:
    journal = Journal(tmp_path, segment_bytes=64)
    journal.open()
    for i in range(10):
        journal.append(b"%d" % i * 20)
    first, middle = journal.read(Position(0, 0), 100)
    rest, _ = read_all(journal, middle)
    assert first + rest == [b"%d" % i * 20 for i in range(10)]
    assert 0 < len(first) < 10


def test_with_no_files_left_a_new_journal_starts_after_the_committed_generation(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.open(Position(7, 1234))
    journal.append(b"new")
    assert read_all(journal, Position(7, 1234))[0] == [b"new"]


def test_a_frame_larger_than_the_read_is_read_whole(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.open()
    big = os.urandom(3 << 20)
    journal.append(big)
    journal.append(b"small")
    frames, _ = read_all(journal, Position(0, 0))
    assert frames == [big, b"small"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=300), max_size=40), st.integers(16, 400), st.integers(1, 500))
def test_any_frames_any_rotation_any_read_size(frames: list[bytes], rotate: int, read_size: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        journal = Journal(Path(directory), segment_bytes=rotate)
        journal.open()
        for frame in frames:
            journal.append(frame)
        position, found = Position(0, 0), []
        while True:
            more, reached = journal.read(position, read_size)
            if reached == position:
                break
            found += more
            position = reached
        assert found == frames


def test_an_empty_frame_is_refused(tmp_path: Path) -> None:
    import pytest

    journal = Journal(tmp_path)
    journal.open()
    with pytest.raises(ValueError, match="empty"):
        journal.append(b"")


def test_a_frame_torn_inside_the_map_is_cleared(tmp_path: Path) -> None:
    """A kill in the middle of the copy leaves a prefix of the frame: it is cut, and the frames
    appended after the restart are read back with nothing of it."""
    journal = Journal(tmp_path)
    journal.open()
    journal.append(b"kept")
    journal.close()
    path = next(tmp_path.glob("*.journal"))
    with path.open("r+b") as handle:  # a header and half a payload, as a torn copy leaves them
        import struct
        import zlib

        handle.seek(12)
        handle.write(struct.pack("<II", 100, zlib.crc32(b"y" * 100)) + b"y" * 50)
    again = Journal(tmp_path)
    again.open()
    again.append(b"next")
    again.close()
    third = Journal(tmp_path)
    third.open()
    assert read_all(third, Position(0, 0))[0] == [b"kept", b"next"]
