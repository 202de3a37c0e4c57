"""Functions and their versions: create, update, publish and delete.

Each change is checked and mapped by the model (``model.function_update``), written to the store,
then put in the index (``FunctionIndex``), under the function's lock; then ``FunctionEvents``
are told. Packages a change leaves unreferenced go to the ``PackageCollector``. The reads the
edge and the invoker need come from the index through this service, which is also the invoker's
``FunctionDirectory`` (``outbound`` and ``uid``). Tags and the per-function settings that are
not part of a version are ``FunctionSettings``'s (``services.function_settings``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from lambent.clock import Clock, SystemClock
from lambent.errors import InvalidParameterValueException, ResourceConflictException
from lambent.model import constraints
from lambent.model.arns import LATEST, FunctionRef
from lambent.model.function import (
    CreateFunctionInput,
    FunctionVersion,
    UpdateFunctionCodeInput,
    UpdateFunctionConfigurationInput,
    check_revision,
)
from lambent.model.function_state import creating, is_transient, settled, updating
from lambent.model.function_update import (
    LayerFields,
    Package,
    check_code_update,
    check_configuration_update,
    check_create,
    check_publish,
    code_changes,
    configuration_changes,
    created_version,
    next_version_number,
    published_version,
    replaced,
    unchanged_since,
)
from lambent.model.layer import LayerVersion, check_total_size
from lambent.model.runtime_schedule import check_not_blocked
from lambent.services.code_signing import CodeSigningService
from lambent.services.execution_roles import Roles
from lambent.services.function_events import FunctionEvents
from lambent.services.function_index import FunctionIndex, IndexedFunction
from lambent.services.layers import LayerService
from lambent.services.package_gc import PackageCollector
from lambent.services.packages import PackageStore
from lambent.store import FunctionStore


class FunctionDescription(msgspec.Struct, frozen=True, kw_only=True):
    """What GetFunction answers with, besides the code's location."""

    version: FunctionVersion
    tags: dict[str, str]
    reserved: int | None


def _new_id() -> str:
    return str(uuid.uuid4())


class FunctionService:
    def __init__(
        self,
        store: FunctionStore,
        index: FunctionIndex,
        packages: PackageStore,
        collector: PackageCollector,
        layers: LayerService,
        runtimes: Iterable[str],
        events: FunctionEvents,
        roles: Roles,
        clock: Clock | None = None,
        signing: CodeSigningService | None = None,
    ) -> None:
        self._store = store
        self._index = index
        self._packages = packages
        self._collector = collector
        self._layers = layers
        self._runtimes = sorted(runtimes)
        self._events = events
        self._roles = roles
        self._clock = clock or SystemClock()
        self._create_lock = asyncio.Lock()
        self._signing = signing

    async def load(self) -> None:
        """Index what the store holds (giving functions of an older data directory their uids)."""
        records = await self._store.load_functions()
        uids = {r.name: r.uid if r.uid is not None else await self._store.assign_uid(r.name) for r in records}
        for record in records:  # stopped between a change's two writes: it is done, say so
            for key in [k for k, v in record.versions.items() if is_transient(v)]:
                record.versions[key] = settled(record.versions[key], _new_id())
                await self._store.put_version(record.versions[key])
        self._index.load(records, uids)

    # -- reading (from the index) ----------------------------------------------------------------

    @property
    def region(self) -> str:
        return self._index.region

    @property
    def account_id(self) -> str:
        return self._index.account_id

    def arn(self, name: str, qualifier: str | None = None) -> str:
        return self._index.arn(name, qualifier)

    def resolve(self, ref: FunctionRef, draw: float | None = None) -> FunctionVersion:
        return self._index.resolve(ref, draw)

    def describe(self, ref: FunctionRef) -> FunctionDescription:
        """The version *ref* names, the function's tags and its reserved concurrency."""
        version = self._index.resolve(ref)
        return FunctionDescription(version=version, tags=self._index.tags(ref.name), reserved=self._index.reserved(ref.name))

    def page(self, marker: str | None, max_items: int | None) -> tuple[list[FunctionVersion], str | None]:
        return self._index.page(marker, max_items)

    def versions_page(self, name: str, marker: str | None, max_items: int | None) -> tuple[list[FunctionVersion], str | None]:
        return self._index.versions_page(name, marker, max_items)

    def tags(self, name: str) -> dict[str, str]:
        return self._index.tags(name)

    def reserved(self, name: str) -> int | None:
        return self._index.reserved(name)

    def reserved_total(self) -> int:
        return self._index.reserved_total()

    def recursive_loop(self, name: str) -> str:
        return self._index.recursive_loop(name)

    def outbound(self, name: str) -> bool:
        return self._index.outbound(name)

    def uid(self, name: str) -> int:
        return self._index.uid(name)

    # -- creating and changing --------------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.time(), UTC)

    async def create(self, request: CreateFunctionInput) -> FunctionVersion:
        """Create the function; returns the version to answer with (State Pending, as AWS)."""
        check_not_blocked(request.runtime, "create", self._now().date(), constraints.runtime_names())
        check_create(request, self._runtimes, constraints.runtime_names())
        assert request.code.zip_file is not None  # checked
        name = request.function_name
        if name in self._index:
            raise ResourceConflictException(f"Function already exist: {name}")
        await self._check_role(request.role)
        layers = self._layers.resolve(request.layers)
        signed = self._signed(name, request.code.zip_file, request.code_signing_config_arn)
        package: Package | None = None
        try:
            async with self._collector.uploading():
                package = await asyncio.to_thread(self._packages.add, request.code.zip_file, "CreateFunction")
                versions = await self._create(request, package, layers, signed)
                if self._signing is not None and request.code_signing_config_arn is not None:
                    await self._signing.put_function(name, request.code_signing_config_arn)
        except Exception:
            if package is not None:  # nothing refers to it, unless another function or upload does
                await self._collect({package.sha256_hex})
            raise
        if request.publish:
            self._announce(self._index.function(name).versions[versions[-1].version])
        return versions[-1]

    def _signed(self, name: str, package: bytes, config_arn: str | None = None) -> dict[str, Any]:
        """Who signed *package*, once the function's code signing config lets it deploy."""
        return self._signing.deployment(name, package, config_arn) if self._signing is not None else {}

    async def _create(
        self, request: CreateFunctionInput, package: Package, layers: list[tuple[str, LayerVersion]], signed: dict[str, Any]
    ) -> list[FunctionVersion]:
        """Store $LATEST (and 1 when published) being created, then created; return them being created."""
        name = request.function_name
        fields = await self._layer_fields(layers, package.unzipped_size)
        created = msgspec.structs.replace(created_version(request, package, fields, self._now(), _new_id()), **signed)
        latest = settled(created, _new_id())
        versions, ready = [creating(created)], [latest]
        if request.publish:
            versions.append(creating(first := published_version(latest, 1, _new_id())))
            ready.append(settled(first, _new_id()))
        async with self._create_lock:
            if name in self._index:
                raise ResourceConflictException(f"Function already exist: {name}")
            try:
                uid = await self._store.create_function(name, dict(request.tags), versions)
            except KeyError:
                raise ResourceConflictException(f"Function already exist: {name}") from None
            for version in ready:
                await self._store.put_version(version)
            self._index.add(IndexedFunction(name=name, tags=dict(request.tags), versions={v.version: v for v in ready}), uid)
        return versions

    async def _check_role(self, role_arn: str) -> None:
        if not await self._roles.assumable_by_lambda(role_arn):
            raise InvalidParameterValueException("The role defined for the function cannot be assumed by Lambda.")

    async def update_configuration(self, name: str, request: UpdateFunctionConfigurationInput) -> FunctionVersion:
        check_configuration_update(request)
        async with self._index.lock(name):
            current = self._index.resolve(FunctionRef(name=name))
            check_revision(request.revision_id, current.revision_id)
            check_not_blocked(request.runtime or current.runtime, "update", self._now().date(), constraints.runtime_names())
            if request.role is not None and request.role != current.role:
                await self._check_role(request.role)
            changes = configuration_changes(request, current, self._runtimes, constraints.runtime_names())
            if request.layers is not None:
                layers = self._layers.resolve(request.layers)
                changes.update((await self._layer_fields(layers, current.code_unzipped_size)).changes())
            return await self._replace_latest(current, changes)

    async def update_code(self, name: str, request: UpdateFunctionCodeInput) -> FunctionVersion:
        check_code_update(request)
        assert request.zip_file is not None  # checked
        package: Package | None = None
        try:
            async with self._index.lock(name), self._collector.uploading():
                current = self._index.resolve(FunctionRef(name=name))
                check_revision(request.revision_id, current.revision_id)
                check_not_blocked(current.runtime, "update", self._now().date(), constraints.runtime_names())
                signed = self._signed(name, request.zip_file)
                package = await asyncio.to_thread(self._packages.add, request.zip_file, "UpdateFunctionCode")
                layers = self._layers.resolve(arn for arn, _size in current.layers)
                changes = code_changes(request, package, await self._layer_fields(layers, package.unzipped_size))
                changes.update(signed)
                if request.dry_run:
                    updated = msgspec.structs.replace(current, **changes)
                else:
                    updated = await self._replace_latest(current, changes)
                    if request.publish:
                        updated = await self._publish(self._index.resolve(FunctionRef(name=name)))
        except Exception:
            if package is not None:
                await self._collect({package.sha256_hex})
            raise
        await self._collect({package.sha256_hex, current.code_sha256_hex})
        return updated

    async def _layer_fields(self, layers: list[tuple[str, LayerVersion]], code_unzipped_size: int) -> LayerFields:
        """The function's layer fields (each layer version's ARN and size), once the total size
        is checked and /opt is built."""
        check_total_size(code_unzipped_size, sum(layer.unzipped_size for _arn, layer in layers))
        tree = await asyncio.to_thread(self._layers.opt_tree, [layer for _arn, layer in layers])
        return LayerFields(
            layers=tuple((arn, layer.code_size) for arn, layer in layers), opt_key=Path(tree).name if tree else None
        )

    async def _replace_latest(self, current: FunctionVersion, changes: dict[str, Any]) -> FunctionVersion:
        """Store ``$LATEST`` with *changes* being updated, then updated; return it being updated."""
        in_progress = updating(replaced(current, changes, self._now(), _new_id()))
        await self._store.put_version(in_progress)
        await self._store.put_version(done := settled(in_progress, _new_id()))
        self._index.function(current.name).versions[LATEST] = done
        await self._events.function_changed(current.name, done.revision_id)
        return in_progress

    # -- publishing -------------------------------------------------------------------------------

    async def publish_version(
        self, name: str, code_sha256: str | None, description: str | None, revision_id: str | None
    ) -> FunctionVersion:
        """Snapshot $LATEST as the next version number; nothing new when nothing changed."""
        async with self._index.lock(name):
            latest = self._index.resolve(FunctionRef(name=name))
            check_revision(revision_id, latest.revision_id)
            check_publish(latest, code_sha256)
            function = self._index.function(name)
            published = [v for v in function.versions.values() if v.version != LATEST]
            newest = max(published, key=lambda v: int(v.version), default=None)
            if newest is not None and unchanged_since(newest, latest, description):
                return newest
            return await self._publish(latest, description)

    async def _publish(self, latest: FunctionVersion, description: str | None = None) -> FunctionVersion:
        """Store the next version being created, then created; answer it being created (Pending,
        as AWS answers a publish and as the PublishedVersionActive waiter expects)."""
        function = self._index.function(latest.name)
        answer = creating(published_version(latest, next_version_number(function.versions), _new_id(), description))
        await self._store.put_version(answer)
        await self._store.put_version(version := settled(answer, _new_id()))
        function.versions[version.version] = version
        self._announce(version)
        return answer

    def _announce(self, version: FunctionVersion) -> FunctionVersion:
        """Tell the listeners; a SnapStart version is Pending (in memory: a restart makes its
        snapshot at the first cold start) until its snapshot is made, as on AWS."""
        snapshot = self._events.version_published(version)
        if snapshot is None or snapshot.done():
            return version
        pending = msgspec.structs.replace(version, state="Pending")
        self._index.function(version.name).versions[version.version] = pending

        def made(_snapshot: asyncio.Future[Any]) -> None:
            if version.name in self._index:
                versions = self._index.function(version.name).versions
                if versions.get(version.version) is pending:
                    versions[version.version] = version

        snapshot.add_done_callback(made)
        return pending

    # -- deleting ---------------------------------------------------------------------------------

    async def delete(self, ref: FunctionRef) -> None:
        """DeleteFunction: a published version (with a qualifier) or the whole function, and
        with it what every listener keeps of it (environments, event configs, provisioned)."""
        if ref.qualifier == LATEST:
            raise InvalidParameterValueException("$LATEST version cannot be deleted without deleting the function.")
        if ref.qualifier is not None:
            await self._delete_version(ref.name, ref.qualifier)
            return
        async with self._index.lock(ref.name):
            function = self._index.function(ref.name, ref.qualifier)
            await self._store.delete_function(ref.name)
            self._index.remove(ref.name)
            await self._events.function_deleted(ref.name)
        await self._collect({v.code_sha256_hex for v in function.versions.values()})

    async def _delete_version(self, name: str, qualifier: str) -> None:
        async with self._index.lock(name):
            function = self._index.function(name, qualifier)
            version = function.versions.get(qualifier)
            if version is None:
                if not qualifier.isdigit():
                    raise InvalidParameterValueException("Deleting an alias is done with DeleteAlias.")
                return  # AWS answers 204 for a version that does not exist
            users = sorted(
                a.name for a in function.aliases.values() if a.function_version == qualifier or qualifier in a.additional_weights
            )
            if users:
                raise ResourceConflictException(
                    f"Unable to delete version because the following aliases reference it: [{', '.join(users)}]"
                )
            await self._store.delete_version(name, qualifier)
            del function.versions[qualifier]
            function.policies.pop(qualifier, None)  # the store deleted it with the version
        await self._events.version_deleted(name, qualifier)
        await self._collect({version.code_sha256_hex})

    # -- packages ---------------------------------------------------------------------------------

    async def _collect(self, unreferenced: set[str]) -> None:
        await self._collector.collect(unreferenced)
