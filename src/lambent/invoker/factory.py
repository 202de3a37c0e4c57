"""Making an environment of a function version: its sandbox spec, variables, uid and extensions.

Everything an environment is built from is decided here, before the sandbox starts it: the
runtime's command line, Lambda's variables (``model.lambda_env``), the function's uid and
route out (asked of the ``FunctionDirectory``), the layers' extensions, and whether new
environments of the version are restored from a SnapStart template. Nothing is started here.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lambent.clock import Clock
from lambent.invoker.directory import FunctionDirectory, RoleSessions
from lambent.invoker.environment import Environment
from lambent.invoker.extensions import Extensions
from lambent.invoker.records import InvokerSettings, PoolKey
from lambent.invoker.snapshots import applies
from lambent.model import logs as loglines
from lambent.model.function import FunctionVersion, runtime_version_arn
from lambent.model.lambda_env import EnvironmentContext, EnvironmentPaths, lambda_environment
from lambent.model.usage import Metered
from lambent.runtimes import Bootstrap, RuntimeSpec, find_bootstrap
from lambent.sandbox import Sandbox, SandboxSpec


class EnvironmentFactory:
    def __init__(
        self,
        sandbox: Sandbox,
        runtimes: Mapping[str, RuntimeSpec],
        settings: InvokerSettings,
        directory: FunctionDirectory,
        code_dir: Callable[[str], str],
        clock: Clock,
        sessions: RoleSessions,
    ) -> None:
        """*code_dir* maps a package's sha256 (hex) to its extracted, read-only directory;
        *sessions* issues each new environment its execution role's credentials."""
        self._sandbox = sandbox
        self._runtimes = runtimes
        self._settings = settings
        self._directory = directory
        self._code_dir = code_dir
        self._clock = clock
        self._sessions = sessions
        self._extension_cache: dict[str, tuple[str, ...]] = {}
        self._context = EnvironmentContext(
            region=settings.region,
            endpoint_url=settings.endpoint_url,
            sandbox_measures_memory=sandbox.measures_memory,
        )

    def build(
        self,
        version: FunctionVersion,
        key: PoolKey,
        initialization: str = "on-demand",
        snapshot: bool = False,
        template: Any = None,
    ) -> Environment:
        """A new, unstarted environment of *version*. *snapshot*: a SnapStart template;
        *template*: restore from that template's process instead of starting anew."""
        runtime = self._runtimes[version.runtime]
        moment = datetime.fromtimestamp(self._clock.time(), UTC)
        stream = loglines.log_stream_name(moment, version.version, uuid.uuid4().hex)
        code_dir = self._code_dir(version.code_sha256_hex)
        code_path = self._sandbox.code_path(code_dir)
        bootstrap = self._bootstrap(version, runtime, code_dir, code_path)
        spec = SandboxSpec(
            argv=runtime.argv(code_path, self._sandbox.runtime_path(self._settings.runtime_dir), bootstrap.path),
            env=self.function_environment(version, runtime, stream, initialization),
            code_dir=code_dir,
            runtime_dir=self._settings.runtime_dir,
            opt_dir=self._opt_dir(version),
            system_dirs=runtime.system_dirs(),
            memory_mb=version.memory_mb,
            ephemeral_storage_mb=version.ephemeral_storage_mb,
            uid=self._directory.uid(version.name),
            extensions=self.extension_names(version),
            preload=runtime.preload,
            entry=runtime.entry,
            outbound=self._directory.outbound(version.name),
            snapshot=snapshot,
            template=template,
        )
        extensions = (
            Extensions(len(spec.extensions), version.name, version.version, version.handler, self._clock)
            if spec.extensions
            else None
        )
        environment = Environment(
            self._sandbox,
            spec,
            key,
            stream,
            runtime_api=runtime.speaks_runtime_api,
            extensions=extensions,
            entrypoint_error=bootstrap.error,
            clock=self._clock,
        )
        environment.log_group = version.log_group_name
        environment.architecture = version.architectures[0]
        return environment

    def function_environment(
        self, version: FunctionVersion, runtime: RuntimeSpec, stream: str, initialization: str = "on-demand"
    ) -> dict[str, str]:
        """Lambda's environment variables for *version*, then the function's own."""
        opt_dir = self._opt_dir(version)
        paths = EnvironmentPaths(
            task_root=self._sandbox.code_path(self._code_dir(version.code_sha256_hex)),
            runtime_dir=self._sandbox.runtime_path(self._settings.runtime_dir),
            opt=self._sandbox.opt_path(opt_dir) if opt_dir else "/opt",
        )
        return lambda_environment(
            version,
            self._context,
            paths,
            runtime_family=runtime.family,
            execution_env=runtime.execution_env(),
            stream=stream,
            credential=self._sessions.session(version.role, version.name),
            initialization=initialization,
        )

    def extension_names(self, version: FunctionVersion) -> tuple[str, ...]:
        """The executables in the layers' extensions folder (the tree is immutable: cached)."""
        opt_dir = self._opt_dir(version)
        if opt_dir is None:
            return ()
        if opt_dir not in self._extension_cache:
            folder = Path(opt_dir) / "extensions"
            names = sorted(p.name for p in folder.iterdir() if p.is_file() and os.access(p, os.X_OK)) if folder.is_dir() else []
            self._extension_cache[opt_dir] = tuple(names)
        return self._extension_cache[opt_dir]

    def snap_start(self, version: FunctionVersion) -> bool:
        """Whether new environments of *version* are restored from a SnapStart template."""
        runtime = self._runtimes.get(version.runtime)
        return runtime is not None and applies(version, runtime, self._sandbox.snapshots, bool(self.extension_names(version)))

    def runtime_version(self, version: FunctionVersion) -> tuple[str, str]:
        """The runtime version and its ARN, as INIT_START and RESTORE_START name them."""
        runtime = self._runtimes[version.runtime]
        return runtime.runtime_version, runtime_version_arn(self._settings.region, version.runtime)

    def metered(self, version: FunctionVersion) -> Metered:
        """What the usage records of *version* share."""
        return Metered(
            account=self._settings.account_id,
            function=version.name,
            version=version.version,
            memory_mb=version.memory_mb,
            architecture=version.architectures[0],
            ephemeral_mb=version.ephemeral_storage_mb,
        )

    def _bootstrap(self, version: FunctionVersion, runtime: RuntimeSpec, code_dir: str, code_path: str) -> Bootstrap:
        """A custom runtime's bootstrap: the package's, else the layers' (others need none)."""
        if runtime.family != "provided":
            return Bootstrap()
        opt_dir = self._opt_dir(version)
        return find_bootstrap(code_dir, opt_dir, code_path, self._sandbox.opt_path(opt_dir) if opt_dir else "/opt")

    def _opt_dir(self, version: FunctionVersion) -> str | None:
        return f"{self._settings.opt_root}/{version.opt_key}" if version.opt_key else None
