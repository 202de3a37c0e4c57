"""Function logs, read back by group as CloudWatch Logs serves them.

Blocks are written by the ``Ledger`` (one row per invocation's block: a row per line cost the
hot path ~100 µs per invoke). Reading splits blocks into events, one per line, as CloudWatch Logs
receives them from Lambda; an event's id is its block's row id and its line. Every read commits
what is journaled first, so a log is readable as soon as its invocation has answered.
"""

from __future__ import annotations

import msgspec

from lambent.services.ledger import Ledger
from lambent.store import LogEvent, LogStore


class LogService:
    def __init__(self, store: LogStore, ledger: Ledger) -> None:
        self._store = store
        self._ledger = ledger

    async def filter(
        self,
        account: str,
        group: str,
        streams: list[str] | None,
        start_ms: int | None,
        end_ms: int | None,
        after_id: int,
        limit: int,
        pattern: str | None,
    ) -> tuple[list[LogEvent], int | None]:
        """Events (one per line) of the blocks after *after_id*, at most *limit* unless one block
        alone has more; and the id to continue after, when more may follow."""
        await self._ledger.flush()
        blocks = await self._store.filter_logs(account, group, streams, start_ms, end_ms, after_id, limit, pattern)
        events: list[LogEvent] = []
        last = None
        for block in blocks:
            lines = [line for line in block.message.splitlines() if pattern is None or pattern in line]
            if events and len(events) + len(lines) > limit:
                return events, last
            events += [msgspec.structs.replace(block, message=line) for line in lines]
            last = block.event_id
        return events, last if len(blocks) == limit else None

    async def streams(self, account: str, group: str) -> list[tuple[str, int, int]]:
        await self._ledger.flush()
        return await self._store.log_streams(account, group)
