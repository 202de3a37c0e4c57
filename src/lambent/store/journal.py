"""An append-only journal of frames, so that what the hot path records outlives the process.

``append`` is one ``write(2)`` to a file opened ``O_APPEND``: once it returns, the frame is in
the kernel's page cache and survives the server being killed (not the machine losing power: no
fsync on the hot path). A reader copies frames into the database and records, in the same
transaction, the position it reached; after a crash the frames past that position are read
again, so nothing is lost and nothing is applied twice.

Frames are ``<length u32><crc32 u32><payload>`` in files ``<generation>.journal``; a file past
``rotate_bytes`` is closed and the next generation begins, and files wholly behind the committed
position are deleted. A frame torn by a kill in the middle of a write (the only frame that can
be: the last one) fails its length or checksum and is cut off when the journal is opened.
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from pathlib import Path

import msgspec

HEADER = struct.Struct("<II")
MAX_FRAME = 1 << 30


class Position(msgspec.Struct, frozen=True, order=True):
    generation: int
    offset: int


class Journal:
    def __init__(self, directory: Path, rotate_bytes: int = 64 << 20) -> None:
        self._directory = directory
        self._rotate_bytes = rotate_bytes
        self._fd = -1
        self._generation = 0
        self._size = 0
        self._lock = threading.Lock()  # readers run in a thread; appends on the event loop
        #: Bytes appended since the journal was opened (for the backlog).
        self.appended = 0

    def _path(self, generation: int) -> Path:
        return self._directory / f"{generation:012d}.journal"

    def generations(self) -> list[int]:
        return sorted(int(p.stem) for p in self._directory.glob("*.journal") if p.stem.isdigit())

    def open(self, committed: Position | None = None) -> None:
        """Open the newest file for appending, cutting a torn last frame; with no file, start a
        generation after *committed* (the position the database holds), so reading resumes."""
        self._directory.mkdir(parents=True, exist_ok=True)
        existing = self.generations()
        self._generation = existing[-1] if existing else (committed.generation + 1 if committed else 1)
        path = self._path(self._generation)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        intact = self._intact_length(path)
        if intact < os.fstat(self._fd).st_size:
            os.truncate(path, intact)
        self._size = intact

    @staticmethod
    def _intact_length(path: Path) -> int:
        with path.open("rb") as handle:
            data = handle.read()
        offset = 0
        while offset + HEADER.size <= len(data):
            length, checksum = HEADER.unpack_from(data, offset)
            end = offset + HEADER.size + length
            if length > MAX_FRAME or end > len(data) or zlib.crc32(data[offset + HEADER.size : end]) != checksum:
                break
            offset = end
        return offset

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def append(self, payload: bytes) -> None:
        frame = HEADER.pack(len(payload), zlib.crc32(payload)) + payload
        with self._lock:
            if self._size >= self._rotate_bytes:
                os.close(self._fd)
                self._generation += 1
                self._fd = os.open(self._path(self._generation), os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
                self._size = 0
            view = memoryview(frame)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            self._size += len(frame)
            self.appended += len(frame)

    def end(self) -> Position:
        with self._lock:
            return Position(self._generation, self._size)

    def read(self, position: Position, max_bytes: int) -> tuple[list[bytes], Position]:
        """Frames after *position*, about *max_bytes* of them (at least one), and where they end.

        A position in a generation that no longer exists (or never did) reads from the oldest
        file that does."""
        end = self.end()
        frames: list[bytes] = []
        budget = max_bytes
        generation, offset = position.generation, position.offset
        available = [g for g in self.generations() if g >= generation]
        if available and available[0] != generation:
            generation, offset = available[0], 0
        while generation <= end.generation and budget > 0:
            path = self._path(generation)
            limit = end.offset if generation == end.generation else (path.stat().st_size if path.exists() else 0)
            if offset < limit:
                with path.open("rb") as handle:
                    handle.seek(offset)
                    data = handle.read(min(limit - offset, max(budget, 0) + (1 << 20)))
                used = 0
                while used + HEADER.size <= len(data) and budget > 0:
                    length, checksum = HEADER.unpack_from(data, used)
                    stop = used + HEADER.size + length
                    if stop > len(data):
                        if not frames and used == 0:  # one frame larger than the read: read it whole
                            with path.open("rb") as handle:
                                handle.seek(offset)
                                data = handle.read(HEADER.size + length)
                            continue
                        break
                    payload = data[used + HEADER.size : stop]
                    if zlib.crc32(payload) != checksum:
                        raise ValueError(f"journal {path} is corrupt at offset {offset + used}")
                    frames.append(payload)
                    budget -= stop - used
                    used = stop
                offset += used
                if offset < limit:
                    break
            if generation == end.generation:
                break
            generation, offset = generation + 1, 0
        return frames, Position(generation, offset)

    def release(self, position: Position) -> None:
        """Delete the files wholly before *position* (their frames are committed)."""
        for generation in self.generations():
            if generation < position.generation:
                self._path(generation).unlink(missing_ok=True)
