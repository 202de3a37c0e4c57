"""The functions and aliases services on the in-memory store, a fake clock and a recording
listener: what each change tells the listeners, the one revision check, DeleteFunction's cascade,
GetFunction's description, uids from the registry, and which code packages are collected."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest

from lambent.errors import InvalidParameterValueException, PreconditionFailedException, ResourceNotFoundException
from lambent.model.alias import CreateAliasInput, UpdateAliasInput
from lambent.model.arns import FunctionRef
from lambent.model.event_invoke import DEFAULT, EventInvokeConfigInput
from lambent.model.function import CreateFunctionInput, FunctionVersion, UpdateFunctionConfigurationInput
from lambent.model.layer import PublishLayerVersionInput
from lambent.model.uids import hashed_uid
from lambent.services.function_events import FunctionListener, Listeners
from lambent.services.functions import FunctionService
from lambent.services.package_gc import PackageCollector
from lambent.store import FunctionRecord
from lambent.store.memory import MemoryStore
from tests.fixtures.functions_world import ACCOUNT, ROLE, KnownRoles, Recorder, World, create_document, run, zipped

# --- events ------------------------------------------------------------------------------------


def test_each_change_tells_the_listeners_what_is_stale(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = World(tmp_path)
        await w.create(Publish=True)
        update = msgspec.convert({"Timeout": 9}, UpdateFunctionConfigurationInput)
        answered = await w.functions.update_configuration("fn", update)
        updated = w.functions.resolve(FunctionRef(name="fn"))  # settled: the revision environments get
        assert updated.revision_id != answered.revision_id
        await w.settings.tag("fn", {"team": "a"})  # not the network tag: nothing is stale
        await w.settings.tag("fn", {"lambent:outbound": "none"})
        await w.settings.untag("fn", ["lambent:outbound"])
        await w.functions.delete(FunctionRef(name="fn", qualifier="1"))
        await w.functions.delete(FunctionRef(name="fn"))
        assert w.recorder.events == [
            ("published", "fn", "1"),
            ("changed", "fn", updated.revision_id),
            ("changed", "fn", None),
            ("changed", "fn", None),
            ("version deleted", "fn", "1"),
            ("deleted", "fn"),
        ]

    run(scenario)


def test_deleting_a_function_is_one_call_that_cascades_to_its_event_configs(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = World(tmp_path)
        await w.create()
        await w.configs.put(FunctionRef(name="fn"), EventInvokeConfigInput(maximum_retry_attempts=1), merge=False)
        assert [c.function_name for c in w.configs.list(FunctionRef(name="fn"))] == ["fn"]
        await w.functions.delete(FunctionRef(name="fn"))
        assert w.configs.effective("fn", None) is DEFAULT and await w.store.load_event_configs() == []
        with pytest.raises(ResourceNotFoundException):
            w.configs.list(FunctionRef(name="fn"))  # the function is gone, not just its configs
        with pytest.raises(ResourceNotFoundException):
            w.functions.resolve(FunctionRef(name="fn"))
        await w.create()
        assert w.configs.list(FunctionRef(name="fn")) == []  # a new function of the name starts bare

    run(scenario)


def test_describe_is_the_version_the_tags_and_the_reservation(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = World(tmp_path)
        await w.create(Tags={"team": "a"}, Publish=True)
        await w.settings.put_reserved_concurrency("fn", 5, account_limit=1000)
        described = w.functions.describe(FunctionRef(name="fn", qualifier="1"))
        assert (described.version.version, described.tags, described.reserved) == ("1", {"team": "a"}, 5)
        assert w.functions.describe(FunctionRef(name="fn")).version.version == "$LATEST"

    run(scenario)


# --- the revision check -------------------------------------------------------------------------


def test_every_update_refuses_a_stale_revision_id(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = World(tmp_path)
        created = await w.create(Publish=True)
        alias = await w.aliases.create_alias("fn", CreateAliasInput(name="live", function_version="1"))
        stale = "00000000-0000-0000-0000-000000000000"
        attempts = [
            w.functions.update_configuration("fn", UpdateFunctionConfigurationInput(revision_id=stale, timeout_s=5)),
            w.update_code("fn", "v2", RevisionId=stale),
            w.functions.publish_version("fn", None, None, stale),
            w.aliases.update_alias("fn", "live", UpdateAliasInput(revision_id=stale, description="x")),
        ]
        for attempt in attempts:
            with pytest.raises(PreconditionFailedException):
                await attempt
        assert w.functions.resolve(FunctionRef(name="fn")).timeout_s == created.timeout_s
        assert w.aliases.alias("fn", "live").revision_id == alias.revision_id
        current = w.functions.resolve(FunctionRef(name="fn")).revision_id
        updated = await w.functions.update_configuration("fn", UpdateFunctionConfigurationInput(revision_id=current, timeout_s=5))
        assert updated.timeout_s == 5 and updated.revision_id != current

    run(scenario)


def test_versions_take_the_fake_clocks_time(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = World(tmp_path)
        assert (await w.create()).last_modified == "2026-01-01T00:00:00.000+0000"
        await w.clock.advance(90.5)
        updated = await w.functions.update_configuration("fn", UpdateFunctionConfigurationInput(timeout_s=5))
        assert updated.last_modified == "2026-01-01T00:01:30.500+0000"

    run(scenario)


# --- uids -----------------------------------------------------------------------------------------


def test_uids_come_from_the_registry_and_survive_a_delete(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = World(tmp_path)
        await w.create("a")
        await w.create("b")
        uid_a, uid_b = w.functions.uid("a"), w.functions.uid("b")
        assert uid_a != uid_b and uid_a == hashed_uid("a")
        await w.functions.delete(FunctionRef(name="a"))
        await w.create("a", "again")
        assert w.functions.uid("a") == uid_a

    run(scenario)


class OldStore(MemoryStore):
    """A store as a data directory from before the uid registry loads: functions without uids."""

    async def load_functions(self) -> list[FunctionRecord]:
        return [msgspec.structs.replace(r, uid=None) for r in await super().load_functions()]


def test_functions_without_a_uid_get_one_at_load(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = OldStore()
        await World(tmp_path, store).create("old")
        again = World(tmp_path, store)
        await again.functions.load()
        assert again.functions.uid("old") == hashed_uid("old") == await store.assign_uid("old")

    run(scenario)


class TransientStore(MemoryStore):
    """A store written by a server stopped between a change's two writes (creating, updating)."""

    async def load_functions(self) -> list[FunctionRecord]:
        records = await super().load_functions()
        for record in records:
            record.versions["$LATEST"] = msgspec.structs.replace(
                record.versions["$LATEST"], state="Pending", last_update_status=""
            )
        return records


def test_each_change_is_answered_mid_transition_and_stored_settled_with_a_new_revision(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = World(tmp_path)
        created = await w.create()
        assert (created.state, created.last_update_status) == ("Pending", "")
        active = w.functions.resolve(FunctionRef(name="fn"))
        assert (active.state, active.last_update_status) == ("Active", "Successful")
        assert active.revision_id != created.revision_id
        assert (await w.store.load_functions())[0].versions["$LATEST"] == active

        update = msgspec.convert({"Description": "only this"}, UpdateFunctionConfigurationInput)
        answered = await w.functions.update_configuration("fn", update)
        assert (answered.state, answered.last_update_status) == ("Active", "InProgress")
        updated = w.functions.resolve(FunctionRef(name="fn"))
        assert updated.last_update_status == "Successful"
        assert len({created.revision_id, active.revision_id, answered.revision_id, updated.revision_id}) == 4

    run(scenario)


def test_a_configuration_only_change_makes_the_next_publish_new(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = World(tmp_path)
        await w.create()
        one = await w.functions.publish_version("fn", None, None, None)
        assert (one.state, one.last_update_status) == ("Pending", "")  # answered being created
        again = await w.functions.publish_version("fn", None, None, None)
        assert again == w.functions.resolve(FunctionRef(name="fn", qualifier="1"))  # as it is now
        assert (again.version, again.state, again.last_update_status) == ("1", "Active", "Successful")
        assert again.revision_id != one.revision_id
        update = msgspec.convert({"Description": "only this"}, UpdateFunctionConfigurationInput)
        await w.functions.update_configuration("fn", update)
        two = await w.functions.publish_version("fn", None, None, None)
        assert (one.version, two.version, two.description) == ("1", "2", "only this")

    run(scenario)


def test_deprecated_runtimes_are_refused_by_the_clock_the_service_is_given(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = World(tmp_path)
        await w.create()
        await w.clock.set(datetime(2027, 1, 31, tzinfo=UTC).timestamp())
        with pytest.raises(InvalidParameterValueException, match="not supported by this Lambent server"):
            await w.create("other", Runtime="python3.9")  # not blocked yet: refused only as not installed here
        await w.clock.set(datetime(2027, 3, 3, tzinfo=UTC).timestamp())
        with pytest.raises(InvalidParameterValueException, match=r"python3\.9 is no longer supported"):
            await w.create("other", Runtime="python3.9")
        to_39 = msgspec.convert({"Runtime": "python3.9"}, UpdateFunctionConfigurationInput)
        with pytest.raises(InvalidParameterValueException, match=r"python3\.9 is no longer supported"):
            await w.functions.update_configuration("fn", to_39)

    run(scenario)


def test_a_version_stored_mid_transition_is_settled_at_load(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = TransientStore()
        await World(tmp_path, store).create("half")
        again = World(tmp_path, store)
        await again.functions.load()
        settled = again.functions.resolve(FunctionRef(name="half"))
        assert (settled.state, settled.last_update_status) == ("Active", "Successful")
        assert (await MemoryStore.load_functions(store))[0].versions["$LATEST"] == settled

    run(scenario)


# --- code packages ----------------------------------------------------------------------------------


def test_replaced_code_is_collected_unless_a_version_uses_it(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = World(tmp_path)
        first = await w.create(code="v1")
        second = await w.update_code("fn", "v2")
        assert w.gone(first) and w.stored(second)
        published = await w.functions.publish_version("fn", None, None, None)
        third = await w.update_code("fn", "v3")
        assert w.stored(published) and w.stored(third)  # version 1 still runs v2
        await w.functions.delete(FunctionRef(name="fn", qualifier="1"))
        assert w.gone(published) and w.stored(third)
        await w.functions.delete(FunctionRef(name="fn"))
        assert w.gone(third)

    run(scenario)


def test_code_a_live_environment_runs_stays_until_it_is_gone(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = World(tmp_path)
        first = await w.create("fn", code="v1")
        w.environments.dirs.add(w.packages.tree(first.code_sha256_hex))
        await w.update_code("fn", "v2")
        assert w.stored(first)
        w.environments.dirs.clear()
        await w.create("other", code="other")  # the next collection takes it
        await w.update_code("other", "other-2")
        assert w.gone(first)

    run(scenario)


def test_code_a_layer_or_another_function_shares_is_kept(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = World(tmp_path)
        shared = await w.create("a", code="shared")
        await w.create("b", code="shared")
        content = msgspec.convert({"Content": {"ZipFile": zipped("layer")}}, PublishLayerVersionInput)
        layer = await w.layers.publish("lib", content)
        await w.create("c", code="layer")  # the same zip as the layer
        await w.update_code("a", "a-2")
        await w.update_code("c", "c-2")
        assert w.stored(shared)  # b still runs it
        assert w.packages.blob(layer.code_sha256_hex).exists()

    run(scenario)


def test_at_load_every_package_nothing_refers_to_goes(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = World(tmp_path)
        kept = await w.create("fn", code="v1")
        orphan = await asyncio.to_thread(w.packages.add, base64.b64decode(zipped("orphan")), "CreateFunction")
        again = World(tmp_path, w.store)
        await again.layers.load()
        await again.functions.load()
        await again.collector.sweep()  # the server's, once every account's cell is loaded
        assert again.stored(kept) and not again.packages.blob(orphan.sha256_hex).exists()

    run(scenario)


class Snapshotting(FunctionListener):
    """Makes a snapshot of every published version, finished when the test says."""

    def __init__(self) -> None:
        self.snapshots: list[asyncio.Future[Any]] = []

    def version_published(self, version: FunctionVersion) -> asyncio.Future[Any] | None:
        self.snapshots.append(asyncio.get_running_loop().create_future())
        return self.snapshots[-1]


def test_a_version_is_pending_until_its_snapshot_is_made_and_listeners_are_told_in_order(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = World(tmp_path)
        first, snapshotting, last = Recorder(), Snapshotting(), Recorder()
        events = Listeners([first, snapshotting, last])
        functions = FunctionService(
            w.store,
            w.index,
            w.packages,
            PackageCollector(w.packages, w.environments),
            w.layers,
            ["python3.12"],
            events,
            KnownRoles(),
            w.clock,
        )
        await functions.create(msgspec.convert(create_document("fn", "v1", Publish=True), CreateFunctionInput))
        assert first.events == last.events == [("published", "fn", "1")]
        assert functions.resolve(FunctionRef(name="fn", qualifier="1")).state == "Pending"
        (snapshot,) = snapshotting.snapshots
        snapshot.set_result(None)
        await asyncio.sleep(0)
        assert functions.resolve(FunctionRef(name="fn", qualifier="1")).state == "Active"

    run(scenario)


def test_a_role_lambda_cannot_assume_is_refused_at_create_and_update(tmp_path: Path) -> None:
    async def scenario() -> None:
        w = World(tmp_path)
        other = f"arn:aws:iam::{ACCOUNT}:role/nobody"
        for attempt in (lambda: w.create(Role=other), lambda: w.create(Role=other.replace("nobody", "r/x"))):
            with pytest.raises(InvalidParameterValueException) as refused:
                await attempt()
            assert refused.value.message == "The role defined for the function cannot be assumed by Lambda."
        assert "fn" not in w.index
        await w.create()
        with pytest.raises(InvalidParameterValueException):
            await w.functions.update_configuration("fn", msgspec.convert({"Role": other}, UpdateFunctionConfigurationInput))
        assert w.functions.resolve(FunctionRef(name="fn")).role == ROLE

    run(scenario)
