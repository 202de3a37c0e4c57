"""The EventBridge half of ``MemoryStore``: each account's buses in a dictionary keyed by name,
answering as ``store.sql_event_buses`` does."""

from __future__ import annotations

from lambent.model.event_bus import EventBusState


class MemoryEventBuses:
    """Mixed into ``MemoryStore``, which binds ``_event_buses`` to its account's."""

    _event_buses: dict[str, EventBusState]

    async def load_event_buses(self) -> list[EventBusState]:
        return [self._event_buses[key] for key in sorted(self._event_buses)]

    async def put_event_bus(self, state: EventBusState) -> None:
        self._event_buses[state.name] = state

    async def delete_event_bus(self, name: str) -> None:
        self._event_buses.pop(name, None)
