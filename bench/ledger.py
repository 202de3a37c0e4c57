"""What metering adds to an invocation, and how fast the ledger commits.

    .venv/bin/python bench/ledger.py [--records 20000]

Rows: the hot-path cost of ``Ledger.record`` (charge + encode + the frame copied into the mapped
journal) beside its floor measured in the same run, a bare copy of a frame of the same size into
a mapped, preallocated file; and the rate at which the background commit moves journaled records
(log block + usage record + charge) into SQLite. Medians of 5 rounds; compare ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import mmap
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from lambent.model.billing import UsageRecord
from lambent.services.ledger import Ledger
from lambent.services.metering import MeterService, load_prices
from lambent.store.sql import SqlStore

LOG = (
    b"START RequestId: 6f1c2d8e-3a4b-4c5d-8e9f-0a1b2c3d4e5f Version: $LATEST\nhello from the function\n"
    b"END RequestId: 6f1c2d8e-3a4b-4c5d-8e9f-0a1b2c3d4e5f\nREPORT RequestId: 6f1c2d8e-3a4b-4c5d-8e9f-0a1b2c3d4e5f\t"
    b"Duration: 0.31 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 31 MB\t\n"
)


def usage(now_ms: int) -> UsageRecord:
    return UsageRecord(
        id=uuid.uuid4().hex,
        kind="invoke",
        request_id=str(uuid.uuid4()),
        attempt=1,
        account="000000000000",
        function="bench",
        version="$LATEST",
        qualifier=None,
        invocation_type="RequestResponse",
        start_ms=now_ms,
        end_ms=now_ms,
        duration_ms=0.31,
        init_duration_ms=None,
        billed_ms=1,
        memory_mb=128,
        max_memory_used_mb=31,
        architecture="x86_64",
        ephemeral_mb=512,
        provisioned=False,
        outcome="success",
    )


async def one_round(directory: Path, count: int) -> tuple[float, float, float]:
    store = SqlStore(f"sqlite+aiosqlite:///{directory / 'bench.db'}", "000000000000")
    await store.open()
    meter = MeterService(store, load_prices(None))
    ledger = Ledger(store, directory / "journal", meter)
    await ledger.open()
    await meter.load("000000000000")
    now_ms = int(time.time() * 1000)
    records = [usage(now_ms) for _ in range(count)]
    started = time.perf_counter()
    for record in records:
        ledger.record("/aws/lambda/bench", "stream", now_ms, LOG, record)
    per_record_us = (time.perf_counter() - started) / count * 1e6
    started = time.perf_counter()
    await ledger.flush()
    commit_rate = count / (time.perf_counter() - started)
    await ledger.close()
    await store.close()
    # The floor: copying a frame of about the same size into a mapped file, count times.
    frame = b"x" * (len(LOG) + 300)
    fd = os.open(directory / "floor", os.O_RDWR | os.O_CREAT, 0o600)
    os.posix_fallocate(fd, 0, len(frame) * count)
    mapped = mmap.mmap(fd, len(frame) * count)
    started = time.perf_counter()
    for index in range(count):
        mapped[index * len(frame) : (index + 1) * len(frame)] = frame
    floor_us = (time.perf_counter() - started) / count * 1e6
    mapped.close()
    os.close(fd)
    return per_record_us, floor_us, commit_rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rounds = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as directory:
            rounds.append(asyncio.run(one_round(Path(directory), args.records)))
    record_us = statistics.median(r[0] for r in rounds)
    floor_us = statistics.median(r[1] for r in rounds)
    rate = statistics.median(r[2] for r in rounds)
    print(f"| measure ({args.records} records, median of {args.rounds}) | value | baseline | ratio |")
    print("| --- | --- | --- | --- |")
    floor = f"frame copied into a map {floor_us:.2f} us"
    print(f"| Ledger.record on the hot path | {record_us:.1f} us | {floor} | {record_us / floor_us:.1f}x |")
    print(f"| journal committed to SQLite | {rate:,.0f} records/s | | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
