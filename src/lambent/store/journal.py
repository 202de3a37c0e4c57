"""An append-only journal of frames, so that what the hot path records outlives the process.

``append`` copies the frame into a shared memory map of a preallocated file (no system call):
once it returns, the frame is in the kernel's page cache and survives the server being killed
(not the machine losing power: nothing is synced on the hot path). A reader copies frames into
the database and records, in the same transaction, the position it reached; after a crash the frames past that position are read
again, so nothing is lost and nothing is applied twice.

Frames are ``<length u32><crc32 u32><payload>`` in files ``<generation>.journal`` of
``segment_bytes``, zero-filled past the last frame (a zero length ends a file); a frame that does
not fit begins the next generation, and files wholly behind the committed position are deleted.
A frame torn by a kill in the middle of its copy (only the last one can be) fails its checksum
and is cleared when the journal is opened.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import msgspec

HEADER = struct.Struct("<II")
ZERO_HEADER = bytes(HEADER.size)


def _frames(data: bytes | mmap.mmap) -> Iterator[tuple[int, int, int]]:
    """(start, end, checksum) of each whole frame in *data*: it stops at a zero length (the end
    of what was written) or at a frame running past the data. Checksums are the caller's."""
    offset = 0
    while offset + HEADER.size <= len(data):
        length, checksum = HEADER.unpack_from(data, offset)
        end = offset + HEADER.size + length
        if length == 0 or end > len(data):
            return
        yield offset, end, checksum
        offset = end


class Position(msgspec.Struct, frozen=True, order=True):
    generation: int
    offset: int


class Journal:
    def __init__(self, directory: Path, segment_bytes: int = 64 << 20) -> None:
        self._directory = directory
        self._segment_bytes = segment_bytes
        self._fd = -1
        self._map: mmap.mmap | None = None
        self._capacity = 0
        self._generation = 0
        self._size = 0
        self._unmapped = 0
        #: Valid lengths of the files before the current one.
        self._sealed: dict[int, int] = {}
        self._lock = threading.Lock()  # readers run in a thread; appends on the event loop
        #: Bytes appended since the journal was opened (for the backlog).
        self.appended = 0

    def _path(self, generation: int) -> Path:
        return self._directory / f"{generation:012d}.journal"

    def generations(self) -> list[int]:
        return sorted(int(p.stem) for p in self._directory.glob("*.journal") if p.stem.isdigit())

    def open(self, committed: Position | None = None) -> None:
        """Map the newest file for appending after its last intact frame; with no file, start a
        generation after *committed* (the position the database holds), so reading resumes."""
        self._directory.mkdir(parents=True, exist_ok=True)
        existing = self.generations()
        self._sealed = {g: self._intact_length(self._path(g)) for g in existing}
        if existing:
            self._generation = existing[-1]
            self._size = self._sealed.pop(self._generation)
        else:
            self._generation = committed.generation + 1 if committed else 1
            self._size = 0
        self._open_segment(self._segment_bytes)

    def _open_segment(self, capacity: int) -> None:
        self._fd = os.open(self._path(self._generation), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        capacity = max(capacity, os.fstat(self._fd).st_size)
        # Blocks allocated up front: appends then touch memory only, no block allocation.
        os.posix_fallocate(self._fd, 0, capacity)
        self._map = mmap.mmap(self._fd, capacity)
        self._capacity = capacity
        self._unmapped = 0  # committed pages of this file already dropped from the map
        if self._size + HEADER.size <= capacity and self._map[self._size : self._size + HEADER.size] != ZERO_HEADER:
            # What a kill left of a torn frame: a prefix of it, zeros after; clear it.
            length, _ = HEADER.unpack_from(self._map, self._size)
            stop = min(capacity, self._size + HEADER.size + length)
            self._map[self._size : stop] = bytes(stop - self._size)

    @staticmethod
    def _intact_length(path: Path) -> int:
        """Where the last whole frame of *path* ends (mapped: the preallocated, zeroed rest of
        a segment is never read)."""
        with path.open("rb") as handle:
            if os.fstat(handle.fileno()).st_size == 0:
                return 0
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                intact = 0
                for start, end, checksum in _frames(data):
                    if zlib.crc32(data[start + HEADER.size : end]) != checksum:
                        break
                    intact = end
                return intact

    def close(self) -> None:
        with self._lock:
            if self._map is not None:
                self._map.close()
                self._map = None
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    def append(self, payload: bytes) -> None:
        """Copy one frame into the mapped file: in the page cache when this returns."""
        if not payload:
            raise ValueError("a journal frame cannot be empty")  # a zero length marks the end
        frame = HEADER.pack(len(payload), zlib.crc32(payload)) + payload
        with self._lock:
            if self._map is None:
                raise ValueError("the journal is closed")
            if self._size + len(frame) > self._capacity:
                self._sealed[self._generation] = self._size
                self._map.close()
                os.close(self._fd)
                self._generation += 1
                self._size = 0
                self._open_segment(max(self._segment_bytes, len(frame)))
                assert self._map is not None
            self._map[self._size : self._size + len(frame)] = frame
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
        with self._lock:  # the files: sealed ones (found at open or filled since) and the current
            available = sorted(g for g in [*self._sealed, self._generation] if g >= generation)
        if available and available[0] != generation:
            generation, offset = available[0], 0
        while generation <= end.generation and budget > 0:
            path = self._path(generation)
            with self._lock:
                limit = end.offset if generation == end.generation else self._sealed.get(generation, 0)
            if offset < limit:
                with path.open("rb") as handle:
                    handle.seek(offset)
                    data = handle.read(min(limit - offset, budget + (1 << 20)))
                    if len(data) >= HEADER.size:  # a first frame larger than the read: read it whole
                        length, _ = HEADER.unpack_from(data)
                        data += handle.read(max(0, HEADER.size + length - len(data)))
                used = 0
                for start, stop, checksum in _frames(data):
                    if budget <= 0:
                        break
                    payload = data[start + HEADER.size : stop]
                    if zlib.crc32(payload) != checksum:
                        raise ValueError(f"journal {path} is corrupt at offset {offset + start}")
                    frames.append(payload)
                    budget -= stop - start
                    used = stop
                offset += used
                if offset < limit:
                    break
            if generation == end.generation:
                break
            generation, offset = generation + 1, 0
        return frames, Position(generation, offset)

    def release(self, position: Position) -> None:
        """Delete the files wholly before *position* (their frames are committed), and unmap the
        committed pages of the current one, so the platform's memory does not grow with it."""
        with self._lock:
            if self._map is not None and position.generation == self._generation:
                committed = position.offset & ~(mmap.PAGESIZE - 1)
                if committed > self._unmapped:
                    with contextlib.suppress(OSError):
                        self._map.madvise(mmap.MADV_DONTNEED, self._unmapped, committed - self._unmapped)
                    self._unmapped = committed
        with self._lock:
            behind = [g for g in self._sealed if g < position.generation]
            for generation in behind:
                del self._sealed[generation]
        for generation in behind:
            self._path(generation).unlink(missing_ok=True)
