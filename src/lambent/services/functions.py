"""Functions and their versions: create, read, update, delete, tag, publish.

The store is the truth; an in-memory index of every version is kept beside it so the invoke
path resolves a function without touching the database. Mutations of one function are
serialised by a per-function lock and written to the store before the index changes, so a
failed write leaves both as they were.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from lambent.errors import (
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from lambent.model import constraints
from lambent.model.alias import Alias, CreateAliasInput, UpdateAliasInput, check_routing, route
from lambent.model.arns import LATEST, FunctionRef, function_arn
from lambent.model.concurrency import check_reservation
from lambent.model.event_invoke import destination_kind
from lambent.model.function import (
    OUTBOUND_TAG,
    CreateFunctionInput,
    FunctionVersion,
    UpdateFunctionCodeInput,
    UpdateFunctionConfigurationInput,
    architectures_of,
    aws_timestamp,
    check_environment,
    check_outbound_tag,
    check_runtime,
    check_snap_start,
    check_unsupported,
    outbound_allowed,
)
from lambent.model.layer import LayerVersion, check_total_size
from lambent.model.limits import LIST_PAGE_LIMIT, MAX_TAGS, TOTAL_CODE_SIZE_LIMIT_BYTES, UNZIPPED_LIMIT_BYTES, ZIPPED_LIMIT_BYTES
from lambent.services.layers import LayerService
from lambent.services.packages import PackageStore
from lambent.store import FunctionRecord, Store

_SNAPSHOT_EXCLUDED = {"version", "revision_id", "last_modified", "state", "last_update_status", "description"}
T = TypeVar("T")


def _page(items: list[T], key: Callable[[T], str], marker: str | None, max_items: int | None) -> tuple[list[T], str | None]:
    """Items after *marker* (a key), at most 50 or *max_items*, and the marker of the next page."""
    start = 0
    if marker:
        start = next((i for i, item in enumerate(items) if key(item) == marker), len(items) - 1) + 1
    size = min(max_items or LIST_PAGE_LIMIT, LIST_PAGE_LIMIT)
    chosen = items[start : start + size]
    return chosen, key(chosen[-1]) if start + size < len(items) and chosen else None


def check_dead_letter_target(arn: str | None) -> None:
    """Dead-letter queues are SQS queues here (AWS also takes SNS topics, which Lambent lacks)."""
    if arn and destination_kind(arn) != "sqs":
        raise InvalidParameterValueException(f"The dead-letter target {arn} is not an SQS queue; Lambent sends to SQS only.")


def _same_snapshot(a: FunctionVersion, b: FunctionVersion) -> bool:
    """Whether two versions have the same code and configuration (what PublishVersion compares)."""
    fields = [f for f in a.__struct_fields__ if f not in _SNAPSHOT_EXCLUDED]
    return all(getattr(a, f) == getattr(b, f) for f in fields)


_REVISION_MISMATCH = (
    "The Revision Id provided does not match the latest Revision Id. "
    "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
)


class _Function(msgspec.Struct, kw_only=True):
    name: str
    tags: dict[str, str]
    versions: dict[str, FunctionVersion]
    aliases: dict[str, Alias] = msgspec.field(default_factory=dict)
    reserved: int | None = None
    recursive_loop: str = "Terminate"


class FunctionService:
    def __init__(
        self,
        store: Store,
        packages: PackageStore,
        runtimes: Iterable[str],
        region: str,
        account_id: str,
        on_change: Callable[[str, str | None], Any],
        layers: LayerService,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        outbound_default: bool = True,
        on_publish: Callable[[FunctionVersion], asyncio.Future[Any] | None] = lambda _version: None,
        on_delete_version: Callable[[str, str], Awaitable[None]] | None = None,
    ) -> None:
        """*on_change(name, revision)* is awaited after a function changes (None: deleted);
        *outbound_default*: whether functions without the outbound tag get a route out;
        *on_publish(version)* is called once a version is published (what it returns, if
        anything, is the version's SnapStart snapshot being made: the version is Pending until
        it is done), *on_delete_version(name, version)* awaited once one is deleted."""
        self._outbound_default = outbound_default
        self._on_publish = on_publish
        self._on_delete_version = on_delete_version
        self._store = store
        self._packages = packages
        self._runtimes = sorted(runtimes)
        self._region = region
        self._account_id = account_id
        self._on_change = on_change
        self._layers = layers
        self._now = now
        self._functions: dict[str, _Function] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._create_lock = asyncio.Lock()
        self._reserved_total = 0

    async def load(self) -> None:
        records: list[FunctionRecord] = await self._store.load_functions()
        self._functions = {
            r.name: _Function(
                name=r.name,
                tags=dict(r.tags),
                versions=dict(r.versions),
                aliases=dict(r.aliases),
                reserved=r.reserved_concurrency,
                recursive_loop=r.recursive_loop,
            )
            for r in records
        }
        self._reserved_total = sum(f.reserved or 0 for f in self._functions.values())

    # -- reading ---------------------------------------------------------------------------

    @property
    def region(self) -> str:
        return self._region

    @property
    def account_id(self) -> str:
        return self._account_id

    def arn(self, name: str, qualifier: str | None = None) -> str:
        return function_arn(self._region, self._account_id, name, qualifier)

    def _function(self, ref: FunctionRef) -> _Function:
        function = self._functions.get(ref.name)
        if function is None:
            raise ResourceNotFoundException(f"Function not found: {self.arn(ref.name, ref.qualifier)}")
        return function

    def resolve(self, ref: FunctionRef, draw: float | None = None) -> FunctionVersion:
        """The version *ref* names (``$LATEST`` when unqualified; an alias's primary version).

        With *draw* (uniform in [0, 1)), an alias's routing weights choose the version, as an
        invocation through it does.
        """
        function = self._function(ref)
        qualifier = ref.qualifier or LATEST
        alias = function.aliases.get(qualifier)
        if alias is not None:
            qualifier = route(alias, draw) if draw is not None else alias.function_version
        version = function.versions.get(qualifier)
        if version is None:
            if ref.qualifier and not ref.qualifier.isdigit() and ref.qualifier != LATEST:
                raise ResourceNotFoundException(f"Cannot find alias arn: {self.arn(ref.name, ref.qualifier)}")
            raise ResourceNotFoundException(f"Function not found: {self.arn(ref.name, ref.qualifier)}")
        return version

    def versions_page(self, name: str, marker: str | None, max_items: int | None) -> tuple[list[FunctionVersion], str | None]:
        """$LATEST then published versions in order, paged as ListFunctions pages."""
        function = self._function(FunctionRef(name=name))
        ordered = sorted(function.versions.values(), key=lambda v: -1 if v.version == LATEST else int(v.version))
        return _page(ordered, lambda v: v.version, marker, max_items)

    def alias(self, name: str, alias_name: str) -> Alias:
        function = self._function(FunctionRef(name=name))
        alias = function.aliases.get(alias_name)
        if alias is None:
            raise ResourceNotFoundException(f"Cannot find alias arn: {self.arn(name, alias_name)}")
        return alias

    def aliases_page(
        self, name: str, function_version: str | None, marker: str | None, max_items: int | None
    ) -> tuple[list[Alias], str | None]:
        function = self._function(FunctionRef(name=name))
        chosen = sorted(
            (
                a
                for a in function.aliases.values()
                if function_version is None or a.function_version == function_version or function_version in a.additional_weights
            ),
            key=lambda a: a.name,
        )
        return _page(chosen, lambda a: a.name, marker, max_items)

    def tags(self, name: str) -> dict[str, str]:
        return dict(self._function(FunctionRef(name=name)).tags)

    def page(self, marker: str | None, max_items: int | None) -> tuple[list[FunctionVersion], str | None]:
        """$LATEST of each function in name order, at most 50 a page, as AWS pages them."""
        names = sorted(self._functions)
        chosen, next_marker = _page(names, lambda name: name, marker, max_items)
        return [self._functions[name].versions[LATEST] for name in chosen], next_marker

    def account_usage(self) -> dict[str, int]:
        sizes = {v.code_sha256_hex: v.code_size for f in self._functions.values() for v in f.versions.values()}
        return {"TotalCodeSize": sum(sizes.values()), "FunctionCount": len(self._functions)}

    def account_limits(self, concurrency: int) -> dict[str, int]:
        return {
            "TotalCodeSize": TOTAL_CODE_SIZE_LIMIT_BYTES,
            "CodeSizeUnzipped": UNZIPPED_LIMIT_BYTES,
            "CodeSizeZipped": ZIPPED_LIMIT_BYTES,
            "ConcurrentExecutions": concurrency,
            "UnreservedConcurrentExecutions": concurrency - self.reserved_total(),
        }

    def reserved(self, name: str) -> int | None:
        return self._function(FunctionRef(name=name)).reserved

    def outbound(self, name: str) -> bool:
        """Whether new environments of *name* get outbound network."""
        function = self._functions.get(name)
        return outbound_allowed(function.tags if function else {}, self._outbound_default)

    def recursive_loop(self, name: str) -> str:
        return self._function(FunctionRef(name=name)).recursive_loop

    async def put_recursive_loop(self, name: str, value: str) -> None:
        async with self._lock(name):
            function = self._function(FunctionRef(name=name))
            await self._store.put_recursive_loop(name, value)
            function.recursive_loop = value

    def reserved_total(self) -> int:
        """The sum of all reservations (kept as a running total: the invoke path asks for it)."""
        return self._reserved_total

    async def put_reserved_concurrency(self, name: str, reserved: int | None, account_limit: int) -> None:
        async with self._lock(name):
            function = self._function(FunctionRef(name=name))
            if reserved is not None:
                check_reservation(reserved, account_limit, self.reserved_total() - (function.reserved or 0))
            await self._store.put_reserved_concurrency(name, reserved)
            self._reserved_total += (reserved or 0) - (function.reserved or 0)
            function.reserved = reserved

    # -- writing ---------------------------------------------------------------------------

    def _lock(self, name: str) -> asyncio.Lock:
        return self._locks.setdefault(name, asyncio.Lock())

    async def create(self, request: CreateFunctionInput) -> FunctionVersion:
        """Create the function; returns the version to answer with (State Pending, as AWS)."""
        check_outbound_tag(dict(request.tags))
        check_unsupported(
            {
                "Code.S3Bucket": request.code.s3_bucket,
                "Code.ImageUri": request.code.image_uri,
                "VpcConfig.SubnetIds": (request.vpc_config or {}).get("SubnetIds"),
                "FileSystemConfigs": request.file_system_configs,
                "CodeSigningConfigArn": request.code_signing_config_arn,
                "ImageConfig": request.image_config,
                "PublishTo": request.publish_to,
                "CapacityProviderConfig": request.capacity_provider_config,
                "DurableConfig": request.durable_config,
                "TenancyConfig": request.tenancy_config,
                "AcceleratorConfig": request.accelerator_config,
                "RuntimeConfig": request.runtime_config,
            }
        )
        if request.package_type != "Zip":
            raise InvalidParameterValueException("PackageType Image is not supported by Lambent yet.")
        check_runtime(request.runtime, request.handler, self._runtimes, constraints.runtime_names())
        check_snap_start(request.runtime, (request.snap_start or {}).get("ApplyOn", "None"))
        check_dead_letter_target((request.dead_letter_config or {}).get("TargetArn"))
        variables = request.environment.variables if request.environment else {}
        check_environment(variables)
        if request.code.zip_file is None:
            raise InvalidParameterValueException("Please provide a source for function code.")
        name = request.function_name
        if ":" in name:
            raise InvalidParameterValueException(f"Function name {name} is not a plain name.")
        if name in self._functions:
            raise ResourceConflictException(f"Function already exist: {name}")
        layers = self._layers.resolve(request.layers)
        package = await asyncio.to_thread(self._packages.add, request.code.zip_file, "CreateFunction")
        layer_fields = await self._layer_fields(layers, package.unzipped_size)
        logging_config = request.logging_config or {}
        latest = FunctionVersion(
            name=name,
            runtime=request.runtime or "",
            handler=request.handler or "",
            role=request.role,
            description=request.description,
            memory_mb=request.memory_mb,
            timeout_s=request.timeout_s,
            ephemeral_storage_mb=request.ephemeral_storage.size_mb if request.ephemeral_storage else 512,
            environment=dict(variables),
            architectures=architectures_of(request.architectures),
            code_sha256_hex=package.sha256_hex,
            code_size=package.size,
            last_modified=aws_timestamp(self._now()),
            revision_id=str(uuid.uuid4()),
            tracing_mode=(request.tracing_config or {}).get("Mode", "PassThrough"),
            kms_key_arn=request.kms_key_arn,
            dead_letter_target_arn=(request.dead_letter_config or {}).get("TargetArn"),
            log_format=logging_config.get("LogFormat", "Text"),
            log_group=logging_config.get("LogGroup"),
            application_log_level=logging_config.get("ApplicationLogLevel"),
            system_log_level=logging_config.get("SystemLogLevel"),
            snap_start_apply_on=(request.snap_start or {}).get("ApplyOn", "None"),
            code_unzipped_size=package.unzipped_size,
            **layer_fields,
        )
        versions = [latest]
        if request.publish:
            versions.append(msgspec.structs.replace(latest, version="1", revision_id=str(uuid.uuid4())))
        async with self._create_lock:
            if name in self._functions:
                raise ResourceConflictException(f"Function already exist: {name}")
            try:
                await self._store.create_function(name, dict(request.tags), versions)
            except KeyError:
                raise ResourceConflictException(f"Function already exist: {name}") from None
            self._functions[name] = _Function(name=name, tags=dict(request.tags), versions={v.version: v for v in versions})
        if request.publish:
            self._announce(versions[-1])
        # The answer shows the function as AWS shows a function being created; what is stored
        # is already Active, so the next read (or waiter poll) sees it ready.
        return msgspec.structs.replace(versions[-1], state="Pending")

    async def update_configuration(self, name: str, request: UpdateFunctionConfigurationInput) -> FunctionVersion:
        check_unsupported(
            {
                "VpcConfig.SubnetIds": (request.vpc_config or {}).get("SubnetIds"),
                "FileSystemConfigs": request.file_system_configs,
                "ImageConfig": request.image_config,
                "CapacityProviderConfig": request.capacity_provider_config,
                "DurableConfig": request.durable_config,
                "AcceleratorConfig": request.accelerator_config,
                "RuntimeConfig": request.runtime_config,
            }
        )
        async with self._lock(name):
            current = self.resolve(FunctionRef(name=name))
            if request.revision_id is not None and request.revision_id != current.revision_id:
                raise PreconditionFailedException(_REVISION_MISMATCH)
            changes: dict[str, Any] = {}
            if request.runtime is not None or request.handler is not None:
                check_runtime(
                    request.runtime or current.runtime,
                    request.handler or current.handler,
                    self._runtimes,
                    constraints.runtime_names(),
                )
            if request.environment is not None:
                check_environment(request.environment.variables)
                changes["environment"] = dict(request.environment.variables)
            for field in ("role", "handler", "description", "timeout_s", "memory_mb", "runtime", "kms_key_arn"):
                value = getattr(request, field)
                if value is not None:
                    changes[field] = value
            if request.ephemeral_storage is not None:
                changes["ephemeral_storage_mb"] = request.ephemeral_storage.size_mb
            if request.tracing_config is not None:
                changes["tracing_mode"] = request.tracing_config.get("Mode", "PassThrough")
            if request.dead_letter_config is not None:
                check_dead_letter_target(request.dead_letter_config.get("TargetArn"))
                changes["dead_letter_target_arn"] = request.dead_letter_config.get("TargetArn") or None
            if request.logging_config is not None:
                lc = request.logging_config
                changes.update(
                    log_format=lc.get("LogFormat", current.log_format),
                    log_group=lc.get("LogGroup", current.log_group),
                    application_log_level=lc.get("ApplicationLogLevel", current.application_log_level),
                    system_log_level=lc.get("SystemLogLevel", current.system_log_level),
                )
            if request.snap_start is not None:
                changes["snap_start_apply_on"] = request.snap_start.get("ApplyOn", "None")
            apply_on = changes.get("snap_start_apply_on", current.snap_start_apply_on)
            check_snap_start(changes.get("runtime", current.runtime), apply_on)
            if request.layers is not None:
                changes.update(await self._layer_fields(self._layers.resolve(request.layers), current.code_unzipped_size))
            updated = await self._replace_latest(current, changes)
        return msgspec.structs.replace(updated, last_update_status="InProgress")

    async def update_code(self, name: str, request: UpdateFunctionCodeInput) -> FunctionVersion:
        check_unsupported({"S3Bucket": request.s3_bucket, "ImageUri": request.image_uri, "PublishTo": request.publish_to})
        if request.zip_file is None:
            raise InvalidParameterValueException("Please provide a source for function code.")
        async with self._lock(name):
            current = self.resolve(FunctionRef(name=name))
            if request.revision_id is not None and request.revision_id != current.revision_id:
                raise PreconditionFailedException(_REVISION_MISMATCH)
            package = await asyncio.to_thread(self._packages.add, request.zip_file, "UpdateFunctionCode")
            layers = self._layers.resolve(arn for arn, _size in current.layers)
            changes: dict[str, Any] = {
                "code_sha256_hex": package.sha256_hex,
                "code_size": package.size,
                "code_unzipped_size": package.unzipped_size,
                **await self._layer_fields(layers, package.unzipped_size),
            }
            if request.architectures is not None:
                changes["architectures"] = architectures_of(request.architectures)
            if request.dry_run:
                return msgspec.structs.replace(current, **changes)
            updated = await self._replace_latest(current, changes)
            if request.publish:
                updated = await self._publish(updated)
        return msgspec.structs.replace(updated, last_update_status="InProgress")

    async def _layer_fields(self, layers: list[LayerVersion], code_unzipped_size: int) -> dict[str, Any]:
        """The function's layer fields, once the total size is checked and /opt is built."""
        check_total_size(code_unzipped_size, sum(layer.unzipped_size for layer in layers))
        tree = await asyncio.to_thread(self._layers.opt_tree, layers)
        return {
            "layers": tuple((self._layers.version_arn(layer), layer.code_size) for layer in layers),
            "opt_key": Path(tree).name if tree else None,
        }

    async def _replace_latest(self, current: FunctionVersion, changes: dict[str, Any]) -> FunctionVersion:
        updated = msgspec.structs.replace(
            current, **changes, last_modified=aws_timestamp(self._now()), revision_id=str(uuid.uuid4())
        )
        await self._store.put_version(updated)
        self._functions[current.name].versions[LATEST] = updated
        await self._on_change(current.name, updated.revision_id)
        return updated

    async def _publish(self, latest: FunctionVersion, description: str | None = None) -> FunctionVersion:
        function = self._functions[latest.name]
        numbers = [int(v) for v in function.versions if v.isdigit()]
        version = msgspec.structs.replace(
            latest,
            version=str(max(numbers, default=0) + 1),
            revision_id=str(uuid.uuid4()),
            description=latest.description if description is None else description,
        )
        await self._store.put_version(version)
        function.versions[version.version] = version
        return self._announce(version)

    def _announce(self, version: FunctionVersion) -> FunctionVersion:
        """Tell the invoker; a SnapStart version is Pending (in memory: a restart makes its
        snapshot at the first cold start) until its snapshot is made, as on AWS."""
        snapshot = self._on_publish(version)
        if snapshot is None or snapshot.done():
            return version
        pending = msgspec.structs.replace(version, state="Pending")
        self._functions[version.name].versions[version.version] = pending

        def made(_snapshot: asyncio.Future[Any]) -> None:
            function = self._functions.get(version.name)
            if function is not None and function.versions.get(version.version) is pending:
                function.versions[version.version] = version

        snapshot.add_done_callback(made)
        return pending

    async def publish_version(
        self, name: str, code_sha256: str | None, description: str | None, revision_id: str | None
    ) -> FunctionVersion:
        """Snapshot $LATEST as the next version number; nothing new when nothing changed."""
        async with self._lock(name):
            latest = self.resolve(FunctionRef(name=name))
            if revision_id is not None and revision_id != latest.revision_id:
                raise PreconditionFailedException(_REVISION_MISMATCH)
            if code_sha256 is not None and code_sha256 != latest.code_sha256:
                raise InvalidParameterValueException(
                    f"CodeSHA256 ({code_sha256}) is different from current CodeSHA256 in $LATEST "
                    f"({latest.code_sha256}). Please try again with the CodeSHA256 in $LATEST."
                )
            function = self._functions[name]
            published = [v for v in function.versions.values() if v.version != LATEST]
            newest = max(published, key=lambda v: int(v.version), default=None)
            if newest is not None and _same_snapshot(newest, latest) and description in (None, newest.description):
                return newest
            return await self._publish(latest, description)

    async def delete(self, ref: FunctionRef) -> None:
        if ref.qualifier == LATEST:
            raise InvalidParameterValueException("$LATEST version cannot be deleted without deleting the function.")
        if ref.qualifier is not None:
            await self._delete_version(ref)
            return
        async with self._lock(ref.name):
            function = self._function(ref)
            await self._store.delete_function(ref.name)
            self._reserved_total -= function.reserved or 0
            del self._functions[ref.name]
            await self._on_change(ref.name, None)
        self._locks.pop(ref.name, None)

    async def tag(self, name: str, tags: dict[str, str]) -> None:
        async with self._lock(name):
            function = self._function(FunctionRef(name=name))
            merged = {**function.tags, **tags}
            if len(merged) > MAX_TAGS:
                raise InvalidParameterValueException("Number of tags exceeds resource tag limit.")
            check_outbound_tag(merged)
            await self._store.put_tags(name, merged)
            changed = function.tags.get(OUTBOUND_TAG) != merged.get(OUTBOUND_TAG)
            function.tags = merged
        if changed:
            await self._on_change(name, "")  # idle environments go: new ones get the new network

    async def untag(self, name: str, keys: list[str]) -> None:
        async with self._lock(name):
            function = self._function(FunctionRef(name=name))
            remaining = {k: v for k, v in function.tags.items() if k not in set(keys)}
            await self._store.put_tags(name, remaining)
            changed = function.tags.get(OUTBOUND_TAG) != remaining.get(OUTBOUND_TAG)
            function.tags = remaining
        if changed:
            await self._on_change(name, "")

    async def _delete_version(self, ref: FunctionRef) -> None:
        assert ref.qualifier is not None
        async with self._lock(ref.name):
            function = self._function(ref)
            if ref.qualifier not in function.versions:
                if not ref.qualifier.isdigit():
                    raise InvalidParameterValueException("Deleting an alias is done with DeleteAlias.")
                return  # AWS answers 204 for a version that does not exist
            users = sorted(
                a.name
                for a in function.aliases.values()
                if a.function_version == ref.qualifier or ref.qualifier in a.additional_weights
            )
            if users:
                raise ResourceConflictException(
                    f"Unable to delete version because the following aliases reference it: [{', '.join(users)}]"
                )
            await self._store.delete_version(ref.name, ref.qualifier)
            del function.versions[ref.qualifier]
        if self._on_delete_version is not None:
            await self._on_delete_version(ref.name, ref.qualifier)

    # -- aliases -----------------------------------------------------------------------------

    async def create_alias(self, name: str, request: CreateAliasInput) -> Alias:
        async with self._lock(name):
            function = self._function(FunctionRef(name=name))
            if request.name in function.aliases:
                raise ResourceConflictException(f"Alias already exists: {self.arn(name, request.name)}")
            weights = request.routing.additional_version_weights if request.routing else {}
            check_routing(request.function_version, weights, self._published(function))
            alias = Alias(
                function_name=name,
                name=request.name,
                function_version=request.function_version,
                description=request.description,
                additional_weights=dict(weights),
                revision_id=str(uuid.uuid4()),
            )
            await self._store.put_alias(alias)
            function.aliases[alias.name] = alias
        return alias

    async def update_alias(self, name: str, alias_name: str, request: UpdateAliasInput) -> Alias:
        async with self._lock(name):
            current = self.alias(name, alias_name)
            if request.revision_id is not None and request.revision_id != current.revision_id:
                raise PreconditionFailedException(_REVISION_MISMATCH)
            version = request.function_version or current.function_version
            weights = request.routing.additional_version_weights if request.routing is not None else current.additional_weights
            function = self._functions[name]
            check_routing(version, weights, self._published(function))
            alias = msgspec.structs.replace(
                current,
                function_version=version,
                additional_weights=dict(weights),
                revision_id=str(uuid.uuid4()),
                description=current.description if request.description is None else request.description,
            )
            await self._store.put_alias(alias)
            function.aliases[alias.name] = alias
        return alias

    async def delete_alias(self, name: str, alias_name: str) -> None:
        async with self._lock(name):
            function = self._function(FunctionRef(name=name))
            if alias_name in function.aliases:  # AWS answers 204 for an alias that does not exist
                await self._store.delete_alias(name, alias_name)
                del function.aliases[alias_name]

    @staticmethod
    def _published(function: _Function) -> set[str]:
        return {v for v in function.versions if v != LATEST}
