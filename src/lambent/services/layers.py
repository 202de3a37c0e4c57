"""Layers: publish, read, list, delete, share; and the merged /opt tree of a function's layers.

Layer versions are numbered per name from 1 and never reused, even after a delete (as AWS).
Their zips go to the same content-addressed package store as functions' code. A function's
/opt is one read-only tree per distinct list of layers, built once by hard-linking each layer's
tree in the function's order (a later layer's file wins), so a sandbox mounts one directory.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from lambent.clock import Clock, SystemClock
from lambent.errors import (
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceNotFoundException,
)
from lambent.model.function import aws_timestamp
from lambent.model.function_policy import statement_exists, statement_missing
from lambent.model.layer import (
    AddPermissionInput,
    LayerVersion,
    PublishLayerVersionInput,
    check_layer_count,
    layer_arn,
    layer_version_of,
    parse_layer_version_arn,
    policy_document,
)
from lambent.runtimes import link_or_copy
from lambent.services.package_gc import PackageCollector
from lambent.services.packages import PackageStore, seal_tree
from lambent.store import LayerStore


class LayerService:
    def __init__(
        self,
        store: LayerStore,
        packages: PackageStore,
        collector: PackageCollector,
        opt_root: Path,
        region: str,
        account_id: str,
        clock: Clock | None = None,
        others: Callable[[str], LayerService | None] | None = None,
    ) -> None:
        """*others*: another account's layers (its cell's), for a function that uses one of its
        layer versions (the guard has authorized ``lambda:GetLayerVersion`` on it)."""
        self._others = others
        self._store = store
        self._packages = packages
        self._collector = collector
        self._opt_root = opt_root
        self._region = region
        self._account_id = account_id
        self._clock = clock or SystemClock()
        self._layers: dict[str, dict[int, LayerVersion]] = {}
        self._highest: dict[str, int] = {}
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        for layer in await self._store.load_layers():
            self._layers.setdefault(layer.name, {})[layer.version] = layer
            self._highest[layer.name] = max(self._highest.get(layer.name, 0), layer.version)

    def version_arn(self, layer: LayerVersion) -> str:
        return f"{layer_arn(self._region, self._account_id, layer.name)}:{layer.version}"

    def get(self, name: str, version: int) -> LayerVersion:
        layer = self._layers.get(name, {}).get(version)
        if layer is None:
            raise ResourceNotFoundException(
                f"Layer version {layer_arn(self._region, self._account_id, name)}:{version} does not exist."
            )
        return layer

    async def policy_for(self, name: str, version: int) -> str | None:
        """The layer version's resource policy (JSON text), if it has statements (for the guard)."""
        layer = self._layers.get(name, {}).get(version)
        if layer is None or not layer.statements:
            return None
        return policy_document(layer, self._region, self._account_id)

    def by_arn(self, arn: str) -> LayerVersion:
        return self.get(*parse_layer_version_arn(arn, self._region, self._account_id))

    def versions(self, name: str) -> list[LayerVersion]:
        return sorted(self._layers.get(name, {}).values(), key=lambda layer: -layer.version)

    def code_in_use(self) -> set[str]:
        """The packages (sha256 hex) of every layer version (not to be collected)."""
        return {layer.code_sha256_hex for versions in self._layers.values() for layer in versions.values()}

    def code_size_total(self) -> int:
        """The bytes of every layer version's archive (GetAccountSettings counts them)."""
        return sum(layer.code_size for versions in self._layers.values() for layer in versions.values())

    def latest(self) -> list[LayerVersion]:
        """The newest version of each layer, by name."""
        return [self.versions(name)[0] for name in sorted(self._layers) if self._layers[name]]

    def resolve(self, arns: Iterable[str]) -> list[tuple[str, LayerVersion]]:
        """(ARN, layer version) of each layer a function lists, checked as AWS checks them; a
        layer version of another account's is found in its cell."""
        arns = list(arns)
        check_layer_count(arns)
        resolved = []
        for arn in arns:
            try:
                owner, name, version = layer_version_of(arn, self._region)
                layers = self if owner == self._account_id else self._others(owner) if self._others else None
                if layers is None:
                    raise ResourceNotFoundException(arn)
                resolved.append((f"{layer_arn(self._region, owner, name)}:{version}", layers.get(name, version)))
            except ResourceNotFoundException:
                raise InvalidParameterValueException(f"Layer version {arn} does not exist.") from None
        return resolved

    async def publish(self, name: str, request: PublishLayerVersionInput) -> LayerVersion:
        if request.content.zip_file is None:
            raise InvalidParameterValueException("Layers can only be published from a ZipFile in Lambent.")
        async with self._collector.uploading():
            return await self._publish(name, request, request.content.zip_file)

    async def _publish(self, name: str, request: PublishLayerVersionInput, zip_file: bytes) -> LayerVersion:
        package = await asyncio.to_thread(self._packages.add, zip_file, "PublishLayerVersion")
        async with self._lock:
            version = self._highest.get(name, 0) + 1
            layer = LayerVersion(
                name=name,
                version=version,
                description=request.description,
                created=aws_timestamp(datetime.fromtimestamp(self._clock.time(), UTC)),
                code_sha256_hex=package.sha256_hex,
                code_size=package.size,
                unzipped_size=package.unzipped_size,
                compatible_runtimes=tuple(request.compatible_runtimes),
                compatible_architectures=tuple(request.compatible_architectures),
                license_info=request.license_info,
            )
            await self._store.put_layer_version(layer)
            self._layers.setdefault(name, {})[version] = layer
            self._highest[name] = version
        return layer

    async def delete(self, name: str, version: int) -> None:
        async with self._lock:
            if version in self._layers.get(name, {}):  # AWS answers 204 for one that does not exist
                await self._store.delete_layer_version(name, version)
                del self._layers[name][version]

    async def add_permission(self, name: str, version: int, request: AddPermissionInput, revision_id: str | None) -> LayerVersion:
        async with self._lock:
            layer = self.get(name, version)
            if request.statement_id in layer.statements:  # AWS looks at the id before the revision
                raise statement_exists(request.statement_id)
            self._check_revision(layer, revision_id)
            statements = {**layer.statements, request.statement_id: (request.action, request.principal, request.organization_id)}
            updated = msgspec.structs.replace(layer, statements=statements, policy_revision=str(uuid.uuid4()))
            await self._store.put_layer_version(updated)
            self._layers[name][version] = updated
        return updated

    @staticmethod
    def _check_revision(layer: LayerVersion, revision_id: str | None) -> None:
        if revision_id is not None and revision_id != layer.policy_revision:
            raise PreconditionFailedException(
                "The Revision Id provided does not match the latest Revision Id. "
                "Call the GetLayerPolicy API to retrieve the latest Revision Id"
            )

    async def remove_permission(self, name: str, version: int, statement_id: str, revision_id: str | None) -> None:
        async with self._lock:
            layer = self.get(name, version)
            self._check_revision(layer, revision_id)
            if statement_id not in layer.statements:
                raise statement_missing(statement_id)
            statements = {sid: s for sid, s in layer.statements.items() if sid != statement_id}
            updated = msgspec.structs.replace(layer, statements=statements, policy_revision=str(uuid.uuid4()))
            await self._store.put_layer_version(updated)
            self._layers[name][version] = updated

    def opt_tree(self, layers: Sequence[LayerVersion]) -> str | None:
        """The merged, read-only tree of *layers* in order (None without layers); blocking."""
        if not layers:
            return None
        key = "-".join(layer.code_sha256_hex[:16] for layer in layers)
        target = self._opt_root / key
        if target.is_dir():
            return str(target)
        scratch = self._opt_root / f".{key}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        scratch.mkdir(parents=True)
        for layer in layers:
            shutil.copytree(
                self._packages.tree(layer.code_sha256_hex),
                scratch,
                symlinks=True,
                dirs_exist_ok=True,
                copy_function=link_or_copy,
            )
            for directory, _subdirs, _files in os.walk(scratch):  # copytree copied 0o555 modes: reopen
                os.chmod(directory, 0o755)  # noqa: S103 - sealed read-only again below
        seal_tree(scratch)
        try:
            scratch.rename(target)
        except OSError:
            shutil.rmtree(scratch, ignore_errors=True)
        return str(target)
