"""CloudWatch Logs over the store: log groups and their streams, events read and written as
CloudWatch Logs serves them, and each group's retention enforced.

Functions' blocks are written by the ``Ledger`` (one row per invocation's block: a row per line
cost the hot path ~100 µs per invoke), which also creates a function's group and stream on their
first write, as Lambda does. Reading splits blocks into events, one per line, as CloudWatch Logs
receives them from Lambda; an event's position is its block's row id and its line
(``model.log_groups.LogPosition``), so a page may end inside a block. Every read commits what is
journaled first, so a log is readable as soon as its invocation has answered.

Retention costs one timer: it fires when the oldest event of a group with a retention expires
(at least daily while some group has one), deletes what has expired in batches, and arms itself
for the next expiry. No group with a retention, no timer.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator

import msgspec

from lambent.clock import Clock
from lambent.errors import LogsInvalidParameter, LogsResourceAlreadyExists, LogsResourceNotFound
from lambent.model import log_groups as rules
from lambent.model.filter_pattern import InvalidFilterPattern, compile_pattern
from lambent.model.log_groups import LogGroup, LogPosition, LogStream, Rejected
from lambent.services.ledger import Ledger
from lambent.services.timers import Timers
from lambent.store import LogEvent, LogStore

log = logging.getLogger(__name__)
RETENTION_TIMER = "logs-retention"
#: Blocks deleted per transaction by a retention sweep.
EXPIRE_BATCH = 5_000
#: The start of a group: every position is after it.
HEAD = LogPosition(0, 0)
_END = LogPosition(2**62, 0)


def _lines(block: LogEvent) -> list[str]:
    return block.message.splitlines()


class Events(list[tuple[LogPosition, LogEvent]]):
    """Events (one line of a block each, with its position) in the order they were asked for."""


class LogService:
    def __init__(self, store: LogStore, ledger: Ledger, clock: Clock, timers: Timers | None = None) -> None:
        self._store = store
        self._ledger = ledger
        self._clock = clock
        self._timers = timers

    def _now_ms(self) -> int:
        return int(self._clock.time() * 1000)

    # -- groups -----------------------------------------------------------------------------

    async def create_group(self, account: str, name: str, kms_key_id: str | None, group_class: str | None) -> None:
        group = LogGroup(name=name, created_ms=self._now_ms(), kms_key_id=kms_key_id, log_group_class=group_class or "STANDARD")
        if not await self._store.create_log_group(account, group):
            raise LogsResourceAlreadyExists(rules.GROUP_EXISTS)

    async def delete_group(self, account: str, name: str) -> None:
        await self._ledger.flush()
        if not await self._store.delete_log_group(account, name):
            raise LogsResourceNotFound(rules.NO_GROUP)

    async def group(self, account: str, name: str) -> LogGroup:
        await self._ledger.flush()
        found = await self._store.log_group(account, name)
        if found is None:
            raise LogsResourceNotFound(rules.NO_GROUP)
        return found

    async def groups(
        self, account: str, prefix: str | None, pattern: str | None, after: str | None, limit: int
    ) -> tuple[list[LogGroup], str | None]:
        """A page of *account*'s groups by name, and the last name when more may follow."""
        await self._ledger.flush()
        page = await self._store.log_groups(account, prefix, pattern, after, limit + 1)
        more = len(page) > limit
        return page[:limit], page[limit - 1].name if more else None

    async def put_retention(self, account: str, name: str, days: int | None) -> None:
        await self._ledger.flush()
        if days is not None and days not in rules.RETENTION_DAYS:
            raise LogsInvalidParameter(rules.retention_message(days))
        if not await self._store.put_retention(account, name, days):
            raise LogsResourceNotFound(rules.NO_GROUP)
        if days is not None:
            self._arm(self._clock.time())

    # -- streams ----------------------------------------------------------------------------

    async def create_stream(self, account: str, group: str, name: str) -> None:
        await self._ledger.flush()
        made = await self._store.create_log_stream(account, group, name, self._now_ms())
        if made is None:
            raise LogsResourceNotFound(rules.NO_GROUP)
        if not made:
            raise LogsResourceAlreadyExists(rules.STREAM_EXISTS)

    async def delete_stream(self, account: str, group: str, name: str) -> None:
        await self.group(account, group)
        if not await self._store.delete_log_stream(account, group, name):
            raise LogsResourceNotFound(rules.NO_STREAM)

    async def streams(
        self, account: str, group: str, prefix: str | None, by_last_event: bool, descending: bool, offset: int, limit: int
    ) -> tuple[list[LogStream], int | None]:
        """A page of the group's streams, and the offset of the next when more may follow."""
        await self.group(account, group)
        page = await self._store.log_streams(account, group, prefix, by_last_event, descending, offset, limit + 1)
        return page[:limit], offset + limit if len(page) > limit else None

    # -- events -----------------------------------------------------------------------------

    async def put_events(self, account: str, group: str, stream: str, events: list[tuple[int, str]]) -> Rejected:
        """Append events (timestamp, message) in order; those CloudWatch refuses for their age
        are left out and reported."""
        found = await self.group(account, group)
        named = await self._store.log_streams(account, group, stream, False, False, 0, 1)  # by name: it comes first
        if not named or named[0].name != stream:
            raise LogsResourceNotFound(rules.NO_STREAM)
        stamps = [stamp for stamp, _ in events]
        if stamps != sorted(stamps):
            raise LogsInvalidParameter("Log events in a single PutLogEvents request must be in chronological order.")
        if stamps[-1] - stamps[0] > rules.PUT_MAX_SPAN_MS:
            raise LogsInvalidParameter("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
        size = sum(len(message.encode()) + rules.PUT_EVENT_OVERHEAD for _, message in events)
        if size > rules.PUT_MAX_BYTES:
            raise LogsInvalidParameter(f"Upload too large: {size} bytes exceeds limit of {rules.PUT_MAX_BYTES}")
        now = self._now_ms()
        refused = rules.rejected(stamps, now, found.retention_days)
        first = max(refused.too_old_end, refused.expired_end, 0)
        last = refused.too_new_start if refused.too_new_start >= 0 else len(events)
        if first < last:
            await self._store.put_log_events(account, group, stream, events[first:last], now)
        return refused

    async def read(
        self,
        account: str,
        group: str,
        stream: str,
        start_ms: int | None,
        end_ms: int | None,
        position: LogPosition | None,
        forward: bool,
        limit: int,
    ) -> Events:
        """GetLogEvents' events of one stream: after *position* going forward, or the last
        *limit* before it going back (None: from the end), in chronological order."""
        await self.group(account, group)
        chosen = Events()
        mark = position or (HEAD if forward else _END)
        bound = mark.block - 1 if forward else mark.block + 1  # the block of *mark* may hold some
        while len(chosen) < limit:
            batch = min(limit, rules.SEARCH_BLOCKS)
            blocks = await self._store.log_blocks(
                account,
                group,
                [stream],
                start_ms,
                end_ms,
                bound if forward else None,
                None if forward else bound,
                batch,
                descending=not forward,
            )
            for block in blocks:
                positioned = [(LogPosition(block.event_id, i), line) for i, line in enumerate(_lines(block))]
                for spot, line in positioned if forward else reversed(positioned):
                    if ((spot > mark) if forward else (spot < mark)) and len(chosen) < limit:
                        chosen.append((spot, msgspec.structs.replace(block, message=line)))
            if len(blocks) < batch:
                break
            bound = blocks[-1].event_id
        if not forward:
            chosen.reverse()
        return chosen

    async def search(
        self,
        account: str,
        group: str,
        streams: list[str] | None,
        stream_prefix: str | None,
        start_ms: int | None,
        end_ms: int | None,
        after: LogPosition | None,
        limit: int,
        pattern: str | None,
    ) -> tuple[Events, LogPosition | None]:
        """FilterLogEvents: the events after *after* matching *pattern*, searching a bounded
        number of blocks; and the position to go on from when the search is not done."""
        try:
            matches = compile_pattern(pattern or "").matches
        except InvalidFilterPattern as bad:
            raise LogsInvalidParameter(f"Invalid filter pattern: {bad}") from None
        await self.group(account, group)
        mark = after or HEAD
        blocks = await self._store.log_blocks(
            account, group, streams, start_ms, end_ms, mark.block - 1, None, rules.SEARCH_BLOCKS, stream_prefix=stream_prefix
        )
        found = Events()
        for spot, block, line in _positioned(blocks, mark):
            if matches(line):
                found.append((spot, msgspec.structs.replace(block, message=line)))
                if len(found) == limit:
                    return found, spot
        if len(blocks) == rules.SEARCH_BLOCKS:
            last = blocks[-1]
            return found, LogPosition(last.event_id, len(_lines(last)))
        return found, None

    # -- retention --------------------------------------------------------------------------

    def start(self) -> None:
        """Sweep once soon after the start (what expired while the server was down), and from
        then on when something expires."""
        self._arm(self._clock.time())

    def _arm(self, when: float) -> None:
        if self._timers is not None:
            self._timers.at(RETENTION_TIMER, when, self.sweep)

    async def sweep(self) -> None:
        """Delete every expired event; arm the timer for the next expiry."""
        now = self._now_ms()
        soonest: float = math.inf
        for account, group, days in await self._store.retained_groups():
            cutoff = rules.expired_before(days, now)
            while await self._store.expire_log_events(account, group, cutoff, EXPIRE_BATCH) == EXPIRE_BATCH:
                pass
            oldest = await self._store.oldest_log_event(account, group)
            soonest = min(soonest, (oldest if oldest is not None else now) + days * rules.DAY_MS, now + rules.DAY_MS)
        if soonest < math.inf:
            self._arm(soonest / 1000)


def _positioned(blocks: list[LogEvent], after: LogPosition) -> Iterator[tuple[LogPosition, LogEvent, str]]:
    for block in blocks:
        for index, line in enumerate(_lines(block)):
            spot = LogPosition(block.event_id, index)
            if spot > after:
                yield spot, block, line
