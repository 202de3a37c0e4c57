"""The invoker: runs an invocation on a warm or new environment of a function version.

It composes the parts, each in its own module: ``Admission`` (throttles and the scale-out
rate), the ``Pool`` (most recently used idle environment per version and revision, reaping),
the ``EnvironmentFactory`` (spec, variables, uid), ``ProvisionedConcurrency``, ``Snapshots``
(SnapStart templates) and the platform's telemetry records. The invocation's log lines and
usage record come from the pure ``model.usage``. Time is read from the injected ``Clock`` only.

Guarantees: an environment serves one invocation at a time; one that failed is never reused;
nothing here touches the database (logs and usage go to a ``LogSink`` that writes in batches
off the hot path). As the services' ``FunctionEvents`` listener it ends idle environments that a
change, a deletion or a version's deletion made stale.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from lambent.clock import Clock
from lambent.errors import (
    InvocationFailure,
    RuntimeExitError,
    RuntimeInvalidEntrypoint,
    RuntimeOutOfMemory,
    SandboxTimedOut,
)
from lambent.invoker.admission import Admission
from lambent.invoker.directory import FunctionDirectory, RoleSessions, StaticSessions
from lambent.invoker.environment import Environment, InvokeResult
from lambent.invoker.factory import EnvironmentFactory
from lambent.invoker.platform_telemetry import emit_invocation
from lambent.invoker.pool import Pool
from lambent.invoker.provisioned import ALLOCATION_METER_MS, ProvisionedConcurrency, ProvisionedState
from lambent.invoker.records import Invocation, InvokeRequest, InvokerSettings, InvokerStatistics, LogSink, PoolKey
from lambent.invoker.snapshots import Snapshots, Template
from lambent.model import logs as loglines
from lambent.model.channel import InvokeMessage
from lambent.model.function import FunctionVersion
from lambent.model.logs import INIT_RETRY_TIMED_OUT, platform_text, timed_out_text
from lambent.model.trace import decision
from lambent.model.usage import invocation_report, snapshot_report
from lambent.runtimes import RuntimeSpec
from lambent.sandbox import Protection, Sandbox

__all__ = [
    "ALLOCATION_METER_MS",
    "Invocation",
    "InvokeRequest",
    "Invoker",
    "InvokerSettings",
    "InvokerStatistics",
    "LogSink",
    "PoolKey",
    "ProvisionedState",
]


def _key(version: FunctionVersion) -> PoolKey:
    return (version.name, version.version, version.revision_id)


class Invoker:
    def __init__(
        self,
        sandbox: Sandbox,
        runtimes: Mapping[str, RuntimeSpec],
        settings: InvokerSettings,
        sink: LogSink,
        code_dir: Callable[[str], str],
        directory: FunctionDirectory,
        clock: Clock,
        sessions: RoleSessions | None = None,
    ) -> None:
        """*code_dir* maps a package's sha256 (hex) to its extracted, read-only directory;
        *directory* says each function's uid and whether it gets a route out; *sessions* issues
        environments their role's credentials (None: one fixed stand-in key, for tests)."""
        self._clock = clock
        self._sandbox = sandbox
        self._settings = settings
        self._sink = sink
        self._admission = Admission(clock, settings.concurrency_limit, settings.scale_out_limit)
        self._pool = Pool()
        self._factory = EnvironmentFactory(sandbox, runtimes, settings, directory, code_dir, clock, sessions or StaticSessions())
        self._provisioned = ProvisionedConcurrency(
            self._pool,
            lambda version, key: self._new_environment(version, key, "provisioned-concurrency"),
            sink,
            clock,
            settings.account_id,
        )
        self._snapshots = Snapshots(self._make_template)
        self._reaper: asyncio.Task[None] | None = None

    @property
    def concurrency_limit(self) -> int:
        return self._settings.concurrency_limit

    def protections(self) -> list[Protection]:
        return self._sandbox.protections()

    def statistics(self) -> InvokerStatistics:
        pool = self._pool
        return InvokerStatistics(
            environments=len(pool), busy=self._admission.busy, idle=pool.idle, started=pool.started, reaped=pool.reaped
        )

    def concurrency_peaks(self) -> tuple[int, int, dict[str, int]]:
        """The most executions that ran at once since the last call: in all, of unreserved
        functions, per function (``Admission.take_peaks``)."""
        return self._admission.take_peaks()

    def start(self) -> None:
        self._reaper = asyncio.create_task(self._reap_forever())

    # -- the hot path ------------------------------------------------------------------------

    async def invoke(
        self, version: FunctionVersion, request: InvokeRequest, reserved: int | None = None, reserved_total: int = 0
    ) -> Invocation:
        """Run *request* on *version*, within the function's reserved concurrency (None: the
        unreserved pool, which is the account limit less *reserved_total*)."""
        name = version.name
        new_environment = not self._pool.has_idle(_key(version))
        self._admission.admit(name, reserved, reserved_total, new_environment)
        try:
            return await self._invoke(version, request)
        finally:
            self._admission.release(name, reserved)

    async def _invoke(self, version: FunctionVersion, request: InvokeRequest) -> Invocation:
        clock = self._clock
        started_ms = int(clock.time() * 1000)
        key = _key(version)
        environment = self._pool.take(key, self._clock.monotonic())
        init_failure: InvocationFailure | None = None
        first = environment is None
        restore: loglines.Restore | None = None
        if environment is None:
            environment, init_failure = await self._cold_start(version, key, request.request_id)
            if environment.restore_hooks_ms is not None:
                billed_restore = loglines.billed_restore_ms(environment.restore_hooks_ms)
                restore = loglines.Restore(environment.init_duration_ms or 0.0, billed_restore)
        prelude = environment.take_log()  # the init's output comes before START
        # The stream (not the LogResult tail) opens an environment's life with INIT_START, as
        # AWS logs an on-demand or provisioned init; a restored one has its RESTORE_START.
        announce = environment.invocations == 0 and restore is None
        if restore is not None:
            prelude = loglines.restore_lines(*self._factory.runtime_version(version), restore.duration_ms).encode() + prelude
        init_ms = 0.0  # an init retried in the invoke phase: part of the invocation's Duration
        if init_failure is not None and _tried_again(environment):
            # AWS tries a failed init once more in the invoke phase, the invocation waiting on
            # it, under the function's timeout rather than the init phase's 10 s.
            prelude += loglines.init_report_line(environment.init_duration_ms or 0.0, init_failure.error_type).encode()
            self._pool.discard(environment)
            await environment.destroy()
            environment = self._new_environment(version, key)
            init_failure = await environment.start(request.request_id, float(version.timeout_s))
            init_ms = environment.init_duration_ms or 0.0
            prelude += environment.take_log()
            if isinstance(init_failure, SandboxTimedOut):
                # AWS logs this init as an error of unknown type, then the invocation's timeout.
                prelude += loglines.init_report_line(init_ms, INIT_RETRY_TIMED_OUT, phase="invoke").encode()
                init_failure = SandboxTimedOut(platform_text(request.request_id, timed_out_text(version.timeout_s)))
            elif init_failure is not None:
                prelude += loglines.init_report_line(init_ms, init_failure.error_type, phase="invoke").encode()
        if init_failure is not None:
            log = environment.take_log()
            result = InvokeResult(payload=b"", failure=init_failure, duration_ms=init_ms, max_memory_kb=0, log=log)
        else:
            remaining_s = max(0.0, version.timeout_s - init_ms / 1000)
            message = InvokeMessage(
                id=request.request_id,
                deadline_ms=int(clock.time() * 1000 + remaining_s * 1000),
                arn=request.invoked_arn,
                trace_id=request.trace_id,
                client_context=request.client_context,
                identity=request.identity,
            )
            result = await environment.invoke(message, request.payload, remaining_s, float(version.timeout_s), request.stream)
            if init_ms:
                result = msgspec.structs.replace(result, duration_ms=result.duration_ms + init_ms)
        failure = result.failure
        ended_ms = int(clock.time() * 1000)
        report = invocation_report(
            self._factory.metered(version),
            usage_id=uuid.uuid4().hex,
            request_id=request.request_id,
            attempt=request.attempt,
            qualifier=request.qualifier,
            invocation_type=request.invocation_type,
            start_ms=started_ms,
            end_ms=ended_ms,
            duration_ms=result.duration_ms,
            max_memory_kb=result.max_memory_kb,
            error_type=failure.error_type if failure is not None else None,
            init_failed=init_failure is not None,
            init_duration_ms=environment.init_duration_ms if first and restore is None and init_failure is None else None,
            restore=restore,
            provisioned=environment.provisioned and not first,
            timeout_s=version.timeout_s,
            prelude=prelude,
            output=result.log + _platform_error(failure),
        )
        stream_log = report.log
        if announce:
            stream_log = loglines.init_start_line(*self._factory.runtime_version(version)).encode() + stream_log
        usage = report.usage
        if request.trace_id is not None and decision(request.trace_id):  # sampled: its spans are exported
            usage = msgspec.structs.replace(usage, trace=request.trace_id)
        if usage.init_duration_ms is not None and environment.sandbox_ms is not None:
            usage = msgspec.structs.replace(usage, sandbox_ms=round(environment.sandbox_ms, 3))
        self._sink.record(version.log_group_name, environment.stream_name, ended_ms, stream_log, usage)
        if environment.telemetry is not None and environment.telemetry.active:
            emit_invocation(
                environment.telemetry,
                version,
                request.request_id,
                output=result.log,
                produced_bytes=len(result.payload) if result.streamed_bytes is None else result.streamed_bytes,
                duration_ms=result.duration_ms,
                failed=failure is not None,
                init_ms=report.init_duration_ms,
                max_memory_used_mb=report.max_memory_used_mb,
                status=report.status,
            )
        if environment.usable:
            self._pool.release(environment)
        else:
            self._pool.discard(environment)
            self._provisioned.meter(environment, ended_ms)
            await environment.destroy()
        return Invocation(
            request_id=request.request_id,
            payload=result.payload,
            failure=failure,
            log=report.log,
            duration_ms=result.duration_ms,
            billed_duration_ms=report.billed_ms,
            init_duration_ms=report.init_duration_ms,
            max_memory_used_mb=report.max_memory_used_mb,
        )

    async def _cold_start(
        self, version: FunctionVersion, key: PoolKey, request_id: str
    ) -> tuple[Environment, InvocationFailure | None]:
        """A new environment for invocation *request_id*: restored from the version's SnapStart
        template where that applies, else initialised on demand. Returns it with its init
        failure, if any."""
        if self._factory.snap_start(version):
            template = await self._snapshots.template(version, key)
            if template.failure is not None:
                return template.environment, template.failure
            environment = self._new_environment(version, key, "snap-start", template=template.environment.process)
        else:
            environment = self._new_environment(version, key)
        return environment, await environment.start(request_id)

    def _new_environment(
        self,
        version: FunctionVersion,
        key: PoolKey,
        initialization: str = "on-demand",
        snapshot: bool = False,
        template: Any = None,
    ) -> Environment:
        """*snapshot*: a SnapStart template (kept out of the pools); *template*: restore from it."""
        environment = self._factory.build(version, key, initialization, snapshot, template)
        self._pool.add(environment, live=not snapshot)
        return environment

    # -- SnapStart ---------------------------------------------------------------------------

    def version_published(self, version: FunctionVersion) -> asyncio.Future[Template] | None:
        """A version was just published: with SnapStart, initialise its template now (as AWS
        does when a version is published), not on its first invocation; returns that work."""
        if not self._factory.snap_start(version):
            return None
        return self._snapshots.prepare(version, _key(version))

    async def _make_template(self, version: FunctionVersion, key: PoolKey) -> Template:
        """Run the version's init once in a template; log it as AWS logs a snapshot's init (in a
        stream of its own) and meter its duration."""
        environment = self._new_environment(version, key, "snap-start", snapshot=True)
        started_ms = int(self._clock.time() * 1000)
        failure = await environment.start()
        runtime_version, runtime_arn = self._factory.runtime_version(version)
        output = environment.take_log()
        ended_ms = int(self._clock.time() * 1000)
        log, usage = snapshot_report(
            self._factory.metered(version),
            usage_id=uuid.uuid4().hex,
            start_ms=started_ms,
            end_ms=ended_ms,
            init_duration_ms=environment.init_duration_ms or 0.0,
            max_memory_kb=environment.max_memory_kb,
            error_type=failure.error_type if failure else None,
            runtime_version=runtime_version,
            runtime_arn=runtime_arn,
            output=output,
        )
        self._sink.record(version.log_group_name, environment.stream_name, ended_ms, log, usage)
        if failure is not None:
            await environment.destroy()
        return Template(environment, failure)

    # -- the functions' events (the services' FunctionEvents listener) -----------------------

    async def function_changed(self, name: str, revision_id: str | None) -> None:
        """$LATEST of *name* now has *revision_id*: idle environments of other revisions are
        stale. None: every idle environment of *name* is (its network tag changed, say)."""
        await self._spin_down_idle(lambda key: key[0] == name and (revision_id is None or key[2] != revision_id))

    async def function_deleted(self, name: str) -> None:
        """*name* is gone: its idle environments, provisioned concurrency and templates go."""
        self._provisioned.forget(name)
        await self._snapshots.retire(name)
        await self._spin_down_idle(lambda key: key[0] == name)

    async def version_deleted(self, name: str, version: str) -> None:
        """A published version was deleted: its idle environments and SnapStart template go."""
        await self._spin_down_idle(lambda key: key[0] == name and key[1] == version)
        await self._snapshots.retire(name, version)

    def code_dirs_in_use(self) -> set[str]:
        """The code directories of every live environment (the services' package collector
        spares them: a tree must not vanish under an environment still running it)."""
        return {environment.spec.code_dir for environment in self._pool}

    async def _spin_down_idle(self, stale: Callable[[PoolKey], bool]) -> None:
        for environment in self._pool.take_idle(stale):
            await self._spin_down(environment)

    async def _spin_down(self, environment: Environment) -> None:
        """End an idle environment gracefully: extensions get SHUTDOWN, and what they wrote is logged."""
        self._provisioned.meter(environment, int(self._clock.time() * 1000))
        await environment.destroy(reason="spindown")
        tail = environment.take_log()
        if tail:
            self._sink.append(environment.log_group, environment.stream_name, int(self._clock.time() * 1000), tail)

    # -- provisioned concurrency -------------------------------------------------------------

    def provision(self, version: FunctionVersion, count: int) -> None:
        """Keep *count* environments of *version* initialised ahead of invocations (0: stop)."""
        self._provisioned.provision(version, count)

    def provisioned(self, version: FunctionVersion) -> ProvisionedState | None:
        return self._provisioned.state(version)

    # -- reaping and the end -----------------------------------------------------------------

    async def _reap_forever(self) -> None:
        interval = max(0.05, min(5.0, self._settings.idle_timeout_s / 4))
        while True:
            await self._clock.sleep(interval)
            await self.reap_idle(self._clock.monotonic())
            self._provisioned.tick()

    async def reap_idle(self, now: float) -> None:
        """End the environments idle for the idle timeout by monotonic *now*."""
        for environment in self._pool.reap(now, self._settings.idle_timeout_s):
            await self._spin_down(environment)

    async def shutdown(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        await self._provisioned.close()
        await self._snapshots.close()
        environments = self._pool.clear()
        await asyncio.gather(*(self._spin_down(e) for e in environments), return_exceptions=True)
        await self._sandbox.close()


def _platform_error(failure: InvocationFailure | None) -> bytes:
    """The line the platform logs before END for a runtime it saw go away (or never start)."""
    if isinstance(failure, RuntimeExitError | RuntimeOutOfMemory | RuntimeInvalidEntrypoint):
        return loglines.platform_error_line(failure.message, failure.error_type).encode()
    return b""


def _tried_again(environment: Environment) -> bool:
    """Whether AWS tries this environment's failed init again in the invoke phase: an on-demand
    one's, whether it failed or ran out of the init phase's 10 s (not a SnapStart restore's)."""
    spec = environment.spec
    return not spec.snapshot and spec.template is None
