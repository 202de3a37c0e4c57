"""The event source mappings' half of ``MemoryStore``, answering as ``store.sql_event_sources``
does."""

from __future__ import annotations

from lambent.model.event_source_mapping import Mapping


class MemoryEventSources:
    """Mixed into ``MemoryStore``, which binds ``_event_source_mappings`` to its account's and
    shares ``_positions`` ((uuid, partition) -> [position, owner, lease_until]) across views."""

    _event_source_mappings: dict[str, Mapping]
    _positions: dict[tuple[str, str], list[object]]

    async def load_event_source_mappings(self) -> list[Mapping]:
        return [self._event_source_mappings[key] for key in sorted(self._event_source_mappings)]

    async def put_event_source_mapping(self, mapping: Mapping) -> None:
        self._event_source_mappings[mapping.uuid] = mapping

    async def delete_event_source_mapping(self, uuid: str) -> None:
        self._event_source_mappings.pop(uuid, None)
        for key in [key for key in self._positions if key[0] == uuid]:
            del self._positions[key]

    async def load_positions(self, uuid: str) -> dict[str, str | None]:
        return {key[1]: row[0] for key, row in self._positions.items() if key[0] == uuid}  # type: ignore[misc]

    async def claim_partition(self, uuid: str, partition: str, owner: str, until: float, now: float) -> bool:
        row = self._positions.get((uuid, partition))
        if row is None:
            self._positions[(uuid, partition)] = [None, owner, until]
            return True
        if row[1] is None or row[1] == owner or float(row[2]) < now:  # type: ignore[arg-type]
            row[1], row[2] = owner, until
            return True
        return False

    async def release_partition(self, uuid: str, partition: str, owner: str) -> None:
        row = self._positions.get((uuid, partition))
        if row is not None and row[1] == owner:
            row[1], row[2] = None, 0.0

    async def put_position(self, uuid: str, partition: str, owner: str, position: str | None) -> bool:
        row = self._positions.get((uuid, partition))
        if row is None or row[1] != owner:
            return False
        row[0] = position
        return True
