"""CloudWatch Logs' half of ``MemoryStore``, answering as ``store.sql_logs`` does."""

from __future__ import annotations

import itertools

import msgspec

from lambent.model.log_groups import LogGroup, LogStream
from lambent.store import LogEvent


class MemoryLogs:
    """Mixed into ``MemoryStore``: every account's groups, streams and blocks, shared by its
    views (each call names its account)."""

    _logs: dict[int, LogEvent]
    _log_groups: dict[tuple[str, str], LogGroup]
    _log_streams: dict[tuple[str, str, str], LogStream]
    _log_ids: itertools.count[int]

    def _keep_blocks(self, events: list[LogEvent], default_account: str) -> None:
        """Append blocks (as the journal's commit does), creating their groups and streams."""
        for event in events:
            account = event.account or default_account
            block = msgspec.structs.replace(event, account=account, event_id=next(self._log_ids))
            self._logs[block.event_id] = block
            group = self._log_groups.get((account, event.group)) or LogGroup(name=event.group, created_ms=event.ingestion_ms)
            self._log_groups[(account, event.group)] = msgspec.structs.replace(
                group, stored_bytes=group.stored_bytes + len(event.message.encode())
            )
            key = (account, event.group, event.stream)
            stream = self._log_streams.get(key) or LogStream(name=event.stream, created_ms=event.ingestion_ms)
            self._log_streams[key] = msgspec.structs.replace(
                stream,
                first_event_ms=min(stream.first_event_ms or event.timestamp_ms, event.timestamp_ms),
                last_event_ms=max(stream.last_event_ms or event.timestamp_ms, event.timestamp_ms),
                last_ingestion_ms=event.ingestion_ms,
            )

    async def create_log_group(self, account: str, group: LogGroup) -> bool:
        if (account, group.name) in self._log_groups:
            return False
        self._log_groups[(account, group.name)] = msgspec.structs.replace(group, stored_bytes=0)
        return True

    async def delete_log_group(self, account: str, name: str) -> bool:
        gone = self._log_groups.pop((account, name), None) is not None
        for key in [k for k in self._log_streams if k[:2] == (account, name)]:
            del self._log_streams[key]
        for block_id in [i for i, e in self._logs.items() if (e.account, e.group) == (account, name)]:
            del self._logs[block_id]
        return gone

    async def log_group(self, account: str, name: str) -> LogGroup | None:
        return self._log_groups.get((account, name))

    async def log_groups(
        self, account: str, prefix: str | None, pattern: str | None, after: str | None, limit: int
    ) -> list[LogGroup]:
        names = sorted(
            name
            for owner, name in self._log_groups
            if owner == account
            and (not prefix or name.startswith(prefix))
            and (not pattern or pattern in name)
            and (after is None or name > after)
        )
        return [self._log_groups[(account, name)] for name in names[:limit]]

    async def put_retention(self, account: str, name: str, days: int | None) -> bool:
        group = self._log_groups.get((account, name))
        if group is None:
            return False
        self._log_groups[(account, name)] = msgspec.structs.replace(group, retention_days=days)
        return True

    async def retained_groups(self) -> list[tuple[str, str, int]]:
        return [(a, g.name, g.retention_days) for (a, _), g in self._log_groups.items() if g.retention_days is not None]

    async def expire_log_events(self, account: str, group: str, before_ms: int, batch: int) -> int:
        old = sorted(
            (e for e in self._logs.values() if (e.account, e.group) == (account, group) and e.timestamp_ms < before_ms),
            key=lambda e: e.timestamp_ms,
        )[:batch]
        for event in old:
            del self._logs[event.event_id]
        found = self._log_groups.get((account, group))
        if found is not None and old:
            freed = sum(len(e.message.encode()) for e in old)
            self._log_groups[(account, group)] = msgspec.structs.replace(found, stored_bytes=max(0, found.stored_bytes - freed))
        return len(old)

    async def oldest_log_event(self, account: str, group: str) -> int | None:
        stamps = [e.timestamp_ms for e in self._logs.values() if (e.account, e.group) == (account, group)]
        return min(stamps) if stamps else None

    async def create_log_stream(self, account: str, group: str, stream: str, created_ms: int) -> bool | None:
        if (account, group) not in self._log_groups:
            return None
        if (account, group, stream) in self._log_streams:
            return False
        self._log_streams[(account, group, stream)] = LogStream(name=stream, created_ms=created_ms)
        return True

    async def delete_log_stream(self, account: str, group: str, stream: str) -> bool:
        gone = self._log_streams.pop((account, group, stream), None) is not None
        for block_id in [i for i, e in self._logs.items() if (e.account, e.group, e.stream) == (account, group, stream)]:
            del self._logs[block_id]
        return gone

    async def log_streams(
        self, account: str, group: str, prefix: str | None, by_last_event: bool, descending: bool, offset: int, limit: int
    ) -> list[LogStream]:
        chosen = [
            s for (a, g, name), s in self._log_streams.items() if (a, g) == (account, group) and name.startswith(prefix or "")
        ]
        if by_last_event:
            chosen.sort(key=lambda s: (s.last_event_ms or 0, s.name), reverse=descending)
        else:
            chosen.sort(key=lambda s: s.name, reverse=descending)
        return chosen[offset : offset + limit]

    async def put_log_events(
        self, account: str, group: str, stream: str, events: list[tuple[int, str]], ingestion_ms: int
    ) -> None:
        blocks = [
            LogEvent(account=account, group=group, stream=stream, timestamp_ms=ts, message=message, ingestion_ms=ingestion_ms)
            for ts, message in events
        ]
        self._keep_blocks(blocks, account)

    async def log_blocks(
        self,
        account: str,
        group: str,
        streams: list[str] | None,
        start_ms: int | None,
        end_ms: int | None,
        after_id: int | None,
        before_id: int | None,
        limit: int,
        descending: bool = False,
        stream_prefix: str | None = None,
    ) -> list[LogEvent]:
        ids = sorted(self._logs, reverse=descending)
        chosen = []
        for block_id in ids:
            e = self._logs[block_id]
            if (
                (e.account, e.group) == (account, group)
                and (after_id is None or block_id > after_id)
                and (before_id is None or block_id < before_id)
                and (not streams or e.stream in streams)
                and (not stream_prefix or e.stream.startswith(stream_prefix))
                and (start_ms is None or e.timestamp_ms >= start_ms)
                and (end_ms is None or e.timestamp_ms <= end_ms)
            ):
                chosen.append(e)
                if len(chosen) == limit:
                    break
        return chosen
