"""The mappings' state machine (services.event_sources) over the in-memory store, with a poller
kind whose start the test holds open: a create answers Creating and settles once the poller runs,
a change is refused while another is applied, a disable stops the poller, a delete removes the
mapping and its positions, and a reload finishes a change a stop cut short."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from lambent.errors import ResourceInUseException, ResourceNotFoundException
from lambent.model.event_source_mapping import Mapping, MappingInput, MappingUpdate
from lambent.model.function import FunctionVersion
from lambent.services.access import Access
from lambent.services.event_sources import EventSourceService
from lambent.services.source_kinds import PollerNeeds, SourceKind, SourceKinds
from lambent.sources.poller import PollerStatistics
from lambent.sources.sqs import SqsClients
from tests.fixtures.functions_world import ACCOUNT, REGION, World, run

QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"


class HeldPoller:
    def __init__(self, gate: asyncio.Event, log: list[str]) -> None:
        self.gate, self.log = gate, log

    async def start(self) -> None:
        await self.gate.wait()
        self.log.append("start")

    async def stop(self) -> None:
        self.log.append("stop")

    async def checkpoint(self) -> None:
        self.log.append("checkpoint")

    def statistics(self) -> PollerStatistics:
        return PollerStatistics()


class NoPolicies:
    async def policies_of(self, principal_arn: str) -> list[str]:
        return []


def service(world: World, gate: asyncio.Event, log: list[str]) -> EventSourceService:
    kinds = SourceKinds(SqsClients(REGION, None, "k", "s"))

    async def check(mapping: Mapping, function: FunctionVersion) -> None:
        log.append(f"check {function.name}")

    def build(mapping: Mapping, needs: PollerNeeds) -> HeldPoller:
        return HeldPoller(gate, log)

    kinds.register("sqs", SourceKind(actions=(), denied=lambda m, a: "", check=check, build=build))  # type: ignore[arg-type]
    access = Access(NoPolicies(), clock=world.clock, enabled=False)
    return EventSourceService(world.store, world.index, None, kinds, access, None, REGION, ACCOUNT, clock=world.clock)  # type: ignore[arg-type]


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def test_a_mapping_goes_through_its_states(tmp_path: Path) -> None:
    async def scenario() -> None:
        world, gate, log = World(tmp_path), asyncio.Event(), []
        await world.create("fn")
        esm = service(world, gate, log)
        made = await esm.create(MappingInput(event_source_arn=QUEUE, function_name="fn"))
        assert made.state == "Creating"
        assert log == ["check fn"]
        with pytest.raises(ResourceInUseException) as raised:
            await esm.update(made.uuid, MappingUpdate(batch_size=3))
        assert raised.value.message == "Cannot update the event source mapping because it is in use."
        with pytest.raises(ResourceInUseException):
            await esm.delete(made.uuid)
        gate.set()
        await settle()
        assert esm.get(made.uuid).state == "Enabled"
        assert (await world.store.load_event_source_mappings())[0].state == "Enabled"
        disabling = await esm.update(made.uuid, MappingUpdate(enabled=False))
        assert disabling.state == "Disabling"
        await settle()
        assert esm.get(made.uuid).state == "Disabled"
        assert log[-2:] == ["stop", "checkpoint"]
        assert (await esm.delete(made.uuid)).state == "Deleting"
        await settle()
        with pytest.raises(ResourceNotFoundException):
            esm.get(made.uuid)
        assert await world.store.load_event_source_mappings() == []

    run(scenario)


def test_a_reload_finishes_what_a_stop_cut_short(tmp_path: Path) -> None:
    async def scenario() -> None:
        world, gate, log = World(tmp_path), asyncio.Event(), []
        await world.create("fn")
        first = service(world, gate, log)
        made = await first.create(MappingInput(event_source_arn=QUEUE, function_name="fn", batch_size=4))
        await first.close()  # stopped while Creating
        assert (await world.store.load_event_source_mappings())[0].state == "Creating"
        gate.set()
        again = service(world, gate, log)
        await again.load()
        await settle()
        assert again.get(made.uuid).state == "Enabled"
        assert again.get(made.uuid).settings.batch_size == 4
        found, marker = again.find("fn", QUEUE, None, None)
        assert ([m.uuid for m in found], marker) == ([made.uuid], None)
        assert again.find("other", None, None, None) == ([], None)
        await again.close()

    run(scenario)


def test_the_function_must_exist(tmp_path: Path) -> None:
    async def scenario() -> Any:
        world = World(tmp_path)
        esm = service(world, asyncio.Event(), [])
        with pytest.raises(ResourceNotFoundException) as raised:
            await esm.create(MappingInput(event_source_arn=QUEUE, function_name="missing"))
        assert raised.value.message == f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT}:function:missing"

    run(scenario)
