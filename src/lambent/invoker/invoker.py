"""Pools of warm environments per function version, and the invocation hot path.

Policy (as AWS's): an invocation takes the most recently used idle environment of the same
function version and configuration revision, or starts a new one when all are busy; an
environment serves one invocation at a time; environments idle longer than the idle timeout
are reaped; an environment that failed is never reused. Nothing here touches the database:
log output goes to a ``LogSink`` that writes in batches off the hot path.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import msgspec

from lambent.errors import InvocationFailure, TooManyRequestsException
from lambent.invoker.environment import Environment, InvokeResult
from lambent.invoker.extensions import Extensions
from lambent.invoker.snapshots import Snapshots, Template, applies
from lambent.invoker.telemetry import Telemetry
from lambent.model import logs as loglines
from lambent.model.billing import UsageRecord
from lambent.model.concurrency import scale_out_reason, throttle_reason
from lambent.model.function import FunctionVersion, runtime_version_arn
from lambent.model.limits import SCALE_OUT_WINDOW_S
from lambent.runtimes import RuntimeSpec
from lambent.sandbox import Protection, Sandbox, SandboxSpec

PoolKey = tuple[str, str, str]  # function name, version, revision id
#: A provisioned environment's allocation is metered at least this often.
ALLOCATION_METER_MS = 60_000


def _memory_used_mb(version: FunctionVersion, kb: int) -> int:
    """Max Memory Used as REPORT shows it: whole MB, at least 1, at most the memory size."""
    return min(version.memory_mb, max(1, round(kb / 1024)))


def function_uid(name: str) -> int:
    """A stable uid per function name, in a range no machine account uses (20000-59999).

    Distinct for distinct names except on a crc32 collision modulo 40,000; a registry of
    assigned uids in the store would remove that residue.
    """
    return 20000 + zlib.crc32(name.encode()) % 40000


class LogSink(Protocol):
    """Where logs and usage go: durably recorded before the call returns, never awaited."""

    def append(self, group: str, stream: str, timestamp_ms: int, text: bytes) -> None:
        """Record *text* (one or more lines) for the log stream."""
        ...

    def record(self, group: str, stream: str, timestamp_ms: int, text: bytes, usage: UsageRecord) -> None:
        """Record an invocation's log block together with its usage record."""
        ...

    def record_usage(self, usage: UsageRecord) -> None: ...


_OUTCOMES = {
    "Sandbox.Timedout": "timeout",
    "Runtime.OutOfMemory": "out_of_memory",
    "Runtime.ExitError": "crash",
}


def _outcome(failure: InvocationFailure | None, during_init: bool) -> str:
    """The usage record's outcome: success, error, timeout, out_of_memory, crash or init_error."""
    if failure is None:
        return "success"
    if during_init:
        return "init_error"
    return _OUTCOMES.get(failure.error_type, "error")


class InvokeRequest(msgspec.Struct, frozen=True, kw_only=True):
    request_id: str
    payload: bytes
    invoked_arn: str
    client_context: dict[str, Any] | None = None
    identity: dict[str, Any] | None = None
    trace_id: str | None = None
    #: As metered: the alias or version the caller named, the attempt (async retries count up).
    qualifier: str | None = None
    invocation_type: str = "RequestResponse"
    attempt: int = 1


class Invocation(msgspec.Struct, kw_only=True):
    """The outcome the caller sees, with what the log recorded."""

    request_id: str
    payload: bytes
    failure: InvocationFailure | None
    log: bytes
    duration_ms: float
    billed_duration_ms: int
    init_duration_ms: float | None
    max_memory_used_mb: int


class InvokerSettings(msgspec.Struct, frozen=True, kw_only=True):
    region: str
    account_id: str
    endpoint_url: str
    idle_timeout_s: float
    concurrency_limit: int
    #: New environments per function per 10 s (AWS's default: 1,000).
    scale_out_limit: int = 1000
    access_key_id: str
    secret_access_key: str
    #: Host directory of the runtimes' shared files (``<data>/runtime``).
    runtime_dir: str
    #: Host directory holding the merged layer trees (``<data>/opt``), by ``opt_key``.
    opt_root: str


class ProvisionedState(msgspec.Struct, kw_only=True):
    version: FunctionVersion
    requested: int
    allocated: int = 0
    filling: bool = False
    failure: str | None = None


class InvokerStatistics(msgspec.Struct, frozen=True, kw_only=True):
    environments: int
    busy: int
    idle: int
    started: int
    reaped: int


class Invoker:
    def __init__(
        self,
        sandbox: Sandbox,
        runtimes: Mapping[str, RuntimeSpec],
        settings: InvokerSettings,
        sink: LogSink,
        code_dir: Callable[[str], str],
        outbound: Callable[[str], bool] = lambda _name: True,
    ) -> None:
        """*code_dir* maps a package's sha256 (hex) to its extracted, read-only directory;
        *outbound* says whether a function's environments get a route out."""
        self._code_dir = code_dir
        self._outbound = outbound
        self._sandbox = sandbox
        self._runtimes = runtimes
        self._settings = settings
        self._sink = sink
        self._idle: dict[PoolKey, list[Environment]] = {}
        self._all: set[Environment] = set()
        self._busy = 0
        self._running: Counter[str] = Counter()
        self._unreserved_running = 0
        self._started = 0
        self._reaped = 0
        self._reaper: asyncio.Task[None] | None = None
        self._extension_cache: dict[str, tuple[str, ...]] = {}
        self._provisioned: dict[PoolKey, ProvisionedState] = {}
        self._starts: dict[str, list[float]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._snapshots = Snapshots(self._make_template)

    @property
    def concurrency_limit(self) -> int:
        return self._settings.concurrency_limit

    def protections(self) -> list[Protection]:
        return self._sandbox.protections()

    def statistics(self) -> InvokerStatistics:
        idle = sum(len(pool) for pool in self._idle.values())
        return InvokerStatistics(
            environments=len(self._all), busy=self._busy, idle=idle, started=self._started, reaped=self._reaped
        )

    def start(self) -> None:
        self._reaper = asyncio.create_task(self._reap_forever())

    async def invoke(
        self, version: FunctionVersion, request: InvokeRequest, reserved: int | None = None, reserved_total: int = 0
    ) -> Invocation:
        """Run *request* on *version*, within the function's reserved concurrency (None: the
        unreserved pool, which is the account limit less *reserved_total*)."""
        name = version.name
        reason = throttle_reason(
            reserved, self._running[name], self._unreserved_running, self._settings.concurrency_limit, reserved_total
        )
        if reason is not None:
            raise TooManyRequestsException("Rate Exceeded.", Reason=reason, retryAfterSeconds="1")
        if not self._idle.get((name, version.version, version.revision_id)):
            self._check_scale_out(name, reserved)
        self._busy += 1
        self._running[name] += 1
        if reserved is None:
            self._unreserved_running += 1
        try:
            return await self._invoke(version, request)
        finally:
            self._busy -= 1
            self._running[name] -= 1
            if not self._running[name]:
                del self._running[name]
            if reserved is None:
                self._unreserved_running -= 1

    def _check_scale_out(self, name: str, reserved: int | None) -> None:
        """A new environment is needed: within the function's scale-out rate, or throttled."""
        now = time.monotonic()
        starts = [moment for moment in self._starts.get(name, []) if now - moment < SCALE_OUT_WINDOW_S]
        reason = scale_out_reason(starts, now, self._settings.scale_out_limit, reserved)
        if reason is not None:
            raise TooManyRequestsException("Rate Exceeded.", Reason=reason, retryAfterSeconds="1")
        starts.append(now)
        self._starts[name] = starts

    async def _invoke(self, version: FunctionVersion, request: InvokeRequest) -> Invocation:
        started_ms = int(time.time() * 1000)
        key: PoolKey = (version.name, version.version, version.revision_id)
        pool = self._idle.get(key)
        environment = pool.pop() if pool else None
        init_failure: InvocationFailure | None = None
        first = environment is None
        restore: loglines.Restore | None = None
        if environment is None:
            environment, init_failure = await self._cold_start(version, key)
            if environment.restore_hooks_ms is not None:
                billed_restore = loglines.billed_restore_ms(environment.restore_hooks_ms)
                restore = loglines.Restore(environment.init_duration_ms or 0.0, billed_restore)
        prelude = environment.take_log()  # the init's output comes before START
        if restore is not None:
            prelude = loglines.restore_lines(*self._runtime_version(version), restore.duration_ms).encode() + prelude
        log = prelude + loglines.start_line(request.request_id, version.version).encode()
        if init_failure is not None:
            result = InvokeResult(payload=b"", failure=init_failure, duration_ms=0.0, max_memory_kb=0, log=environment.take_log())
        else:
            header = {
                "t": "invoke",
                "id": request.request_id,
                "deadline_ms": int(time.time() * 1000) + version.timeout_s * 1000,
                "arn": request.invoked_arn,
                "trace_id": request.trace_id,
                "client_context": request.client_context,
                "identity": request.identity,
            }
            result = await environment.invoke(header, request.payload, float(version.timeout_s))
        log += result.log
        failure = result.failure
        if isinstance(failure, InvocationFailure) and failure.error_type == "Sandbox.Timedout":
            log += loglines.timeout_line(datetime.now(UTC), request.request_id, version.timeout_s).encode()
        max_mb = _memory_used_mb(version, result.max_memory_kb)
        if failure is not None and failure.error_type == "Runtime.OutOfMemory":
            max_mb = version.memory_mb
        init_ms = environment.init_duration_ms if first and restore is None else None
        billed_ms = loglines.billed_duration_ms(result.duration_ms, init_ms, restore)
        status = None
        if failure is not None and failure.error_type in ("Sandbox.Timedout", "Runtime.ExitError", "Runtime.OutOfMemory"):
            status = "timeout" if failure.error_type == "Sandbox.Timedout" else "error"
        log += loglines.end_line(request.request_id).encode()
        log += loglines.report_line(
            request.request_id,
            result.duration_ms,
            version.memory_mb,
            max_mb,
            init_ms,
            status,
            failure.error_type if status == "error" and failure is not None else None,
            restore,
        ).encode()
        ended_ms = int(time.time() * 1000)
        usage = UsageRecord(
            id=uuid.uuid4().hex,
            kind="invoke",
            request_id=request.request_id,
            attempt=request.attempt,
            account=self._settings.account_id,
            function=version.name,
            version=version.version,
            qualifier=request.qualifier,
            invocation_type=request.invocation_type,
            start_ms=started_ms,
            end_ms=ended_ms,
            duration_ms=result.duration_ms,
            init_duration_ms=init_ms,
            billed_ms=billed_ms,
            memory_mb=version.memory_mb,
            max_memory_used_mb=max_mb,
            architecture=version.architectures[0],
            ephemeral_mb=version.ephemeral_storage_mb,
            provisioned=environment.provisioned and not first,
            outcome=_outcome(failure, init_failure is not None),
        )
        self._sink.record(version.log_group_name, environment.stream_name, ended_ms, log, usage)
        if environment.telemetry is not None and environment.telemetry.active:
            self._emit_telemetry(environment.telemetry, version, request, result, failure, init_ms, max_mb, status)
        if environment.usable:
            self._idle.setdefault(key, []).append(environment)
        else:
            self._all.discard(environment)
            self._meter_allocation(environment, ended_ms)
            await environment.destroy()
        return Invocation(
            request_id=request.request_id,
            payload=result.payload,
            failure=failure,
            log=log,
            duration_ms=result.duration_ms,
            billed_duration_ms=billed_ms,
            init_duration_ms=init_ms,
            max_memory_used_mb=max_mb,
        )

    @staticmethod
    def _emit_telemetry(
        telemetry: Telemetry,
        version: FunctionVersion,
        request: InvokeRequest,
        result: InvokeResult,
        failure: InvocationFailure | None,
        init_ms: float | None,
        max_mb: int,
        status: str | None,
    ) -> None:
        """AWS's platform records for one invocation (and its environment's init, on the first)."""
        outcome = status or ("error" if failure is not None else "success")
        if init_ms is not None:
            init = {"initializationType": "on-demand", "phase": "init"}
            telemetry.emit(
                "platform",
                "platform.initStart",
                {**init, "functionName": version.name, "functionVersion": version.version, "runtimeVersion": version.runtime},
            )
            telemetry.emit("platform", "platform.initRuntimeDone", {**init, "status": "success"})
            telemetry.emit(
                "platform", "platform.initReport", {**init, "status": "success", "metrics": {"durationMs": round(init_ms, 3)}}
            )
        telemetry.emit("platform", "platform.start", {"requestId": request.request_id, "version": version.version})
        telemetry.emit_log(result.log)
        metrics = {"durationMs": round(result.duration_ms, 3), "producedBytes": len(result.payload)}
        telemetry.emit(
            "platform", "platform.runtimeDone", {"requestId": request.request_id, "status": outcome, "metrics": metrics}
        )
        report: dict[str, Any] = {
            "durationMs": round(result.duration_ms, 3),
            "billedDurationMs": loglines.billed_duration_ms(result.duration_ms, init_ms),
            "memorySizeMB": version.memory_mb,
            "maxMemoryUsedMB": max_mb,
        }
        if init_ms is not None:
            report["initDurationMs"] = round(init_ms, 3)
        telemetry.emit("platform", "platform.report", {"requestId": request.request_id, "status": outcome, "metrics": report})

    async def _cold_start(self, version: FunctionVersion, key: PoolKey) -> tuple[Environment, InvocationFailure | None]:
        """A new environment: restored from the version's SnapStart template where that applies,
        else initialised on demand. Returns it with its init failure, if any."""
        if self._snap_start(version):
            template = await self._snapshots.template(version, key)
            if template.failure is not None:
                return template.environment, template.failure
            environment = self._new_environment(version, key, "snap-start", template=template.environment.process)
        else:
            environment = self._new_environment(version, key)
        return environment, await environment.start()

    def published(self, version: FunctionVersion) -> asyncio.Future[Template] | None:
        """A version was just published: with SnapStart, initialise its template now (as AWS
        does when a version is published), not on its first invocation; returns that work."""
        if not self._snap_start(version):
            return None
        return self._snapshots.prepare(version, (version.name, version.version, version.revision_id))

    def _snap_start(self, version: FunctionVersion) -> bool:
        """Whether new environments of *version* are restored from a SnapStart template."""
        runtime = self._runtimes.get(version.runtime)
        return runtime is not None and applies(version, runtime, self._sandbox.snapshots, bool(self._extension_names(version)))

    def _runtime_version(self, version: FunctionVersion) -> tuple[str, str]:
        """The runtime version and its ARN, as INIT_START and RESTORE_START name them."""
        runtime = self._runtimes[version.runtime]
        return runtime.runtime_version, runtime_version_arn(self._settings.region, version.runtime)

    async def _make_template(self, version: FunctionVersion, key: PoolKey) -> Template:
        """Run the version's init once in a template; log it as AWS logs a snapshot's init (in a
        stream of its own) and meter its duration."""
        environment = self._new_environment(version, key, "snap-start", snapshot=True)
        started_ms = int(time.time() * 1000)
        failure = await environment.start()
        init_ms = environment.init_duration_ms or 0.0
        log = loglines.init_start_line(*self._runtime_version(version)).encode() + environment.take_log()
        log += loglines.init_report_line(init_ms, failure.error_type if failure else None).encode()
        ended_ms = int(time.time() * 1000)
        usage = UsageRecord(
            id=uuid.uuid4().hex,
            kind="snapshot",
            request_id="",
            attempt=0,
            account=self._settings.account_id,
            function=version.name,
            version=version.version,
            qualifier=None,
            invocation_type="SnapStart",
            start_ms=started_ms,
            end_ms=ended_ms,
            duration_ms=init_ms,
            init_duration_ms=init_ms,
            billed_ms=loglines.billed_duration_ms(0.0, init_ms),
            memory_mb=version.memory_mb,
            max_memory_used_mb=_memory_used_mb(version, environment.max_memory_kb),
            architecture=version.architectures[0],
            ephemeral_mb=version.ephemeral_storage_mb,
            provisioned=False,
            outcome="init_error" if failure else "success",
        )
        self._sink.record(version.log_group_name, environment.stream_name, ended_ms, log, usage)
        if failure is not None:
            await environment.destroy()
        return Template(environment, failure)

    def _new_environment(
        self,
        version: FunctionVersion,
        key: PoolKey,
        initialization: str = "on-demand",
        snapshot: bool = False,
        template: Any = None,
    ) -> Environment:
        """*snapshot*: a SnapStart template (kept out of the pools); *template*: restore from it."""
        runtime = self._runtimes[version.runtime]
        stream = loglines.log_stream_name(datetime.now(UTC), version.version, uuid.uuid4().hex)
        code_dir = self._code_dir(version.code_sha256_hex)
        spec = SandboxSpec(
            argv=runtime.argv(self._sandbox.code_path(code_dir), self._sandbox.runtime_path(self._settings.runtime_dir)),
            env=self.function_environment(version, runtime, stream, initialization),
            code_dir=self._code_dir(version.code_sha256_hex),
            runtime_dir=self._settings.runtime_dir,
            opt_dir=self._opt_dir(version),
            system_dirs=runtime.system_dirs(),
            memory_mb=version.memory_mb,
            ephemeral_storage_mb=version.ephemeral_storage_mb,
            uid=function_uid(version.name),
            extensions=self._extension_names(version),
            preload=runtime.preload,
            entry=runtime.entry,
            outbound=self._outbound(version.name),
            snapshot=snapshot,
            template=template,
        )
        extensions = Extensions(len(spec.extensions), version.name, version.version, version.handler) if spec.extensions else None
        environment = Environment(self._sandbox, spec, key, stream, runtime_api=runtime.speaks_runtime_api, extensions=extensions)
        environment.log_group = version.log_group_name
        environment.architecture = version.architectures[0]
        if not snapshot:
            self._all.add(environment)
        self._started += 1
        return environment

    def _extension_names(self, version: FunctionVersion) -> tuple[str, ...]:
        """The executables in the layers' extensions folder (the tree is immutable: cached)."""
        opt_dir = self._opt_dir(version)
        if opt_dir is None:
            return ()
        if opt_dir not in self._extension_cache:
            folder = Path(opt_dir) / "extensions"
            names = sorted(p.name for p in folder.iterdir() if p.is_file() and os.access(p, os.X_OK)) if folder.is_dir() else []
            self._extension_cache[opt_dir] = tuple(names)
        return self._extension_cache[opt_dir]

    def _opt_dir(self, version: FunctionVersion) -> str | None:
        return f"{self._settings.opt_root}/{version.opt_key}" if version.opt_key else None

    def function_environment(
        self, version: FunctionVersion, runtime: RuntimeSpec, stream: str, initialization: str = "on-demand"
    ) -> dict[str, str]:
        """Lambda's environment variables for *version*, then the function's own."""
        settings = self._settings
        runtime_dir = self._sandbox.runtime_path(settings.runtime_dir)
        opt_dir = self._opt_dir(version)
        opt = self._sandbox.opt_path(opt_dir) if opt_dir else "/opt"
        env = {
            "PATH": f"/usr/local/bin:/usr/bin/:/bin:{opt}/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "LD_LIBRARY_PATH": f"/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:{opt}/lib",
            **version.environment,
            "_HANDLER": version.handler,
            "AWS_REGION": settings.region,
            "AWS_DEFAULT_REGION": settings.region,
            "AWS_LAMBDA_FUNCTION_NAME": version.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(version.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": version.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": initialization,
            "AWS_ACCESS_KEY": settings.access_key_id,
            "AWS_ACCESS_KEY_ID": settings.access_key_id,
            "AWS_SECRET_ACCESS_KEY": settings.secret_access_key,
            "AWS_SESSION_TOKEN": "lambent-session",
            "AWS_ENDPOINT_URL": settings.endpoint_url,
            "LAMBDA_TASK_ROOT": self._sandbox.code_path(self._code_dir(version.code_sha256_hex)),
            "LAMBDA_RUNTIME_DIR": runtime_dir,
            "_LAMBENT_CHANNEL_FD": "3",
            "_LAMBENT_PYTHON_PATH": f"{runtime_dir}/python",
            "_LAMBENT_OPT": opt,
            "POWERTOOLS_TRACE_DISABLED": "true",
            # Where the sandbox measures the whole environment, the runtime need not measure itself.
            "_LAMBENT_SELF_MEASURE": "0" if self._sandbox.measures_memory else "1",
        }
        if initialization != "snap-start":  # not available to SnapStart functions, as on AWS
            env["AWS_LAMBDA_LOG_GROUP_NAME"] = version.log_group_name
            env["AWS_LAMBDA_LOG_STREAM_NAME"] = stream
        execution_env = runtime.execution_env()
        if execution_env is not None:
            env["AWS_EXECUTION_ENV"] = execution_env
        if runtime.family == "nodejs":
            env["NODE_PATH"] = f"{opt}/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task"
        if version.log_format == "JSON":
            env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
        if version.application_log_level:
            env["AWS_LAMBDA_LOG_LEVEL"] = version.application_log_level
        return env

    async def _spin_down(self, environment: Environment) -> None:
        """End an idle environment gracefully: extensions get SHUTDOWN, and what they wrote is logged."""
        self._meter_allocation(environment, int(time.time() * 1000))
        await environment.destroy(reason="spindown")
        tail = environment.take_log()
        if tail:
            group = environment.log_group
            self._sink.append(group, environment.stream_name, int(time.time() * 1000), tail)

    async def retire(self, name: str, keep_revision: str | None = None) -> None:
        """Stop the idle environments of *name* whose revision is not *keep_revision*.

        With no revision to keep (the function was deleted), its provisioned concurrency goes too."""
        if keep_revision is None:
            for key in [k for k in self._provisioned if k[0] == name]:
                del self._provisioned[key]
            await self._snapshots.retire(name)
        await self._spin_down_idle([k for k in self._idle if k[0] == name and k[2] != keep_revision])

    async def version_deleted(self, name: str, version: str) -> None:
        """A published version was deleted: its idle environments and SnapStart template go."""
        await self._spin_down_idle([k for k in self._idle if k[0] == name and k[1] == version])
        await self._snapshots.retire(name, version)

    async def _spin_down_idle(self, keys: list[PoolKey]) -> None:
        for key in keys:
            for environment in self._idle.pop(key):
                self._all.discard(environment)
                await self._spin_down(environment)

    # -- provisioned concurrency -------------------------------------------------------------

    def provision(self, version: FunctionVersion, count: int) -> None:
        """Keep *count* environments of *version* initialised ahead of invocations (0: stop)."""
        key: PoolKey = (version.name, version.version, version.revision_id)
        for environment in self._all:
            if environment.key == key and environment.provisioned and count == 0:
                self._meter_allocation(environment, int(time.time() * 1000))
                environment.provisioned = False  # reaped like any other once idle
        if count == 0:
            self._provisioned.pop(key, None)
            return
        self._provisioned[key] = ProvisionedState(version=version, requested=count)
        self._fill(key)

    def provisioned(self, version: FunctionVersion) -> ProvisionedState | None:
        state = self._provisioned.get((version.name, version.version, version.revision_id))
        if state is not None:
            # Initialised ones only (metered from the moment their init finished): READY must
            # mean that an invocation now finds a warm environment.
            state.allocated = sum(
                1
                for e in self._all
                if e.key == (version.name, version.version, version.revision_id)
                and e.provisioned
                and e.usable
                and e.metered_ms is not None
            )
        return state

    def _fill(self, key: PoolKey) -> None:
        state = self._provisioned.get(key)
        if state is None or state.filling:
            return
        state.filling = True
        task = asyncio.create_task(self._fill_until_ready(key, state))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _fill_until_ready(self, key: PoolKey, state: ProvisionedState) -> None:
        try:
            while self._provisioned.get(key) is state:
                alive = sum(1 for e in self._all if e.key == key and e.provisioned and e.usable)
                if alive >= state.requested:
                    return
                environment = self._new_environment(state.version, key, "provisioned-concurrency")
                environment.provisioned = True
                failure = await environment.start()
                if failure is not None:
                    self._all.discard(environment)
                    state.failure = f"{failure.error_type}: {failure.message}"
                    return
                environment.metered_ms = int(time.time() * 1000)
                self._idle.setdefault(key, []).append(environment)
        finally:
            state.filling = False

    def _meter_allocation(self, environment: Environment, now_ms: int) -> None:
        """Record a provisioned environment's allocation since it was last metered."""
        since = environment.metered_ms
        if since is None or now_ms <= since:
            return
        name, version, _revision = environment.key
        environment.metered_ms = now_ms if environment.provisioned and environment.usable else None
        self._sink.record_usage(
            UsageRecord(
                id=uuid.uuid4().hex,
                kind="provisioned",
                request_id="",
                attempt=0,
                account=self._settings.account_id,
                function=name,
                version=version,
                qualifier=None,
                invocation_type="Provisioned",
                start_ms=since,
                end_ms=now_ms,
                duration_ms=float(now_ms - since),
                init_duration_ms=None,
                billed_ms=now_ms - since,
                memory_mb=environment.spec.memory_mb,
                max_memory_used_mb=0,
                architecture=environment.architecture,
                ephemeral_mb=environment.spec.ephemeral_storage_mb,
                provisioned=True,
                outcome="allocated",
            )
        )

    async def _reap_forever(self) -> None:
        interval = max(0.05, min(5.0, self._settings.idle_timeout_s / 4))
        while True:
            await asyncio.sleep(interval)
            await self.reap_idle(time.monotonic())
            now_ms = int(time.time() * 1000)
            for environment in list(self._all):
                if environment.metered_ms is not None and now_ms - environment.metered_ms >= ALLOCATION_METER_MS:
                    self._meter_allocation(environment, now_ms)
            for key, state in list(self._provisioned.items()):
                if state.failure is None:
                    self._fill(key)  # replace provisioned environments that ended

    async def reap_idle(self, now: float) -> None:
        for key, pool in list(self._idle.items()):
            stale = [e for e in pool if now - e.last_used >= self._settings.idle_timeout_s and not e.provisioned]
            if not stale:
                continue
            pool[:] = [e for e in pool if e not in stale]
            if not pool:
                del self._idle[key]
            for environment in stale:
                self._all.discard(environment)
                self._reaped += 1
                await self._spin_down(environment)

    async def shutdown(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        self._provisioned.clear()
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        self._idle.clear()
        await self._snapshots.close()
        environments, self._all = list(self._all), set()
        await asyncio.gather(*(self._spin_down(e) for e in environments), return_exceptions=True)
        await self._sandbox.close()
