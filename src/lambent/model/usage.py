"""What each metered thing leaves behind: its platform log lines and its usage record. Pure.

Three things are metered, and each is built here and nowhere else, with every time passed in:
an invocation (``START`` ... ``END``, ``REPORT``; kind ``invoke``), a SnapStart template's init
(``INIT_START`` ... ``INIT_REPORT``; kind ``snapshot``) and a stretch of a provisioned
environment's allocation (no lines; kind ``provisioned``). The fields every record of one
function version shares come from one ``Metered`` value, so the three cannot drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from lambent.model import logs as loglines
from lambent.model.billing import UsageRecord
from lambent.model.logs import Restore

TIMED_OUT = "Sandbox.Timedout"
OUT_OF_MEMORY = "Runtime.OutOfMemory"
#: Failures that end the environment: REPORT shows a Status (and the error's type) for them.
_ENDING = {TIMED_OUT: "timeout", "Runtime.ExitError": "error", OUT_OF_MEMORY: "error", "Runtime.InvalidEntrypoint": "error"}
_OUTCOMES = {TIMED_OUT: "timeout", OUT_OF_MEMORY: "out_of_memory", "Runtime.ExitError": "crash"}


class Metered(msgspec.Struct, frozen=True, kw_only=True):
    """What every usage record of one function version (or environment of it) shares."""

    account: str
    function: str
    version: str
    memory_mb: int
    architecture: str
    ephemeral_mb: int


class InvocationReport(msgspec.Struct, frozen=True, kw_only=True):
    """One invocation's whole log block, its usage record, and the figures REPORT shows."""

    log: bytes
    usage: UsageRecord
    #: REPORT's Status (``timeout`` / ``error``) when the failure ended the environment, else None.
    status: str | None
    max_memory_used_mb: int
    init_duration_ms: float | None
    billed_ms: int


def memory_used_mb(memory_mb: int, kb: int) -> int:
    """Max Memory Used as REPORT shows it: whole MB, at least 1, at most the memory size."""
    return min(memory_mb, max(1, round(kb / 1024)))


def outcome(error_type: str | None, during_init: bool) -> str:
    """The usage record's outcome: success, error, timeout, out_of_memory, crash or init_error."""
    if error_type is None:
        return "success"
    if during_init:
        return "init_error"
    return _OUTCOMES.get(error_type, "error")


def invocation_report(
    metered: Metered,
    *,
    usage_id: str,
    request_id: str,
    attempt: int,
    qualifier: str | None,
    invocation_type: str,
    start_ms: int,
    end_ms: int,
    duration_ms: float,
    max_memory_kb: int,
    error_type: str | None,
    init_failed: bool,
    init_duration_ms: float | None,
    restore: Restore | None,
    provisioned: bool,
    timeout_s: float,
    prelude: bytes,
    output: bytes,
) -> InvocationReport:
    """*prelude*: what comes before START (a restore's lines, the init's output); *output*: the
    invocation's own; *init_duration_ms*: only on an environment's first, on-demand invocation;
    *end_ms*: when it ended (the timeout line's moment too)."""
    status = _ENDING.get(error_type) if error_type is not None else None
    max_mb = metered.memory_mb if error_type == OUT_OF_MEMORY else memory_used_mb(metered.memory_mb, max_memory_kb)
    billed_ms = loglines.billed_duration_ms(duration_ms, init_duration_ms, restore)
    log = prelude + loglines.start_line(request_id, metered.version).encode() + output
    if error_type == TIMED_OUT:
        moment = datetime.fromtimestamp(end_ms / 1000, UTC)
        log += loglines.timeout_line(moment, request_id, timeout_s).encode()
    log += loglines.end_line(request_id).encode()
    log += loglines.report_line(
        request_id,
        duration_ms,
        metered.memory_mb,
        max_mb,
        init_duration_ms,
        status,
        error_type if status == "error" else None,
        restore,
    ).encode()
    usage = _record(
        metered,
        usage_id=usage_id,
        kind="invoke",
        request_id=request_id,
        attempt=attempt,
        qualifier=qualifier,
        invocation_type=invocation_type,
        start_ms=start_ms,
        end_ms=end_ms,
        duration_ms=duration_ms,
        init_duration_ms=init_duration_ms,
        billed_ms=billed_ms,
        max_memory_used_mb=max_mb,
        provisioned=provisioned,
        outcome=outcome(error_type, init_failed),
    )
    return InvocationReport(
        log=log, usage=usage, status=status, max_memory_used_mb=max_mb, init_duration_ms=init_duration_ms, billed_ms=billed_ms
    )


def snapshot_report(
    metered: Metered,
    *,
    usage_id: str,
    start_ms: int,
    end_ms: int,
    init_duration_ms: float,
    max_memory_kb: int,
    error_type: str | None,
    runtime_version: str,
    runtime_arn: str,
    output: bytes,
) -> tuple[bytes, UsageRecord]:
    """A SnapStart template's init, logged as AWS logs a snapshot's (INIT_START ... INIT_REPORT)
    and metered as on-demand duration with no request."""
    log = loglines.init_start_line(runtime_version, runtime_arn).encode() + output
    log += loglines.init_report_line(init_duration_ms, error_type).encode()
    usage = _record(
        metered,
        usage_id=usage_id,
        kind="snapshot",
        request_id="",
        attempt=0,
        qualifier=None,
        invocation_type="SnapStart",
        start_ms=start_ms,
        end_ms=end_ms,
        duration_ms=init_duration_ms,
        init_duration_ms=init_duration_ms,
        billed_ms=loglines.billed_duration_ms(0.0, init_duration_ms),
        max_memory_used_mb=memory_used_mb(metered.memory_mb, max_memory_kb),
        provisioned=False,
        outcome="init_error" if error_type else "success",
    )
    return log, usage


def allocation_usage(metered: Metered, *, usage_id: str, since_ms: int, now_ms: int) -> UsageRecord:
    """A provisioned environment allocated from *since_ms* to *now_ms* (billed to the ms)."""
    return _record(
        metered,
        usage_id=usage_id,
        kind="provisioned",
        request_id="",
        attempt=0,
        qualifier=None,
        invocation_type="Provisioned",
        start_ms=since_ms,
        end_ms=now_ms,
        duration_ms=float(now_ms - since_ms),
        init_duration_ms=None,
        billed_ms=now_ms - since_ms,
        max_memory_used_mb=0,
        provisioned=True,
        outcome="allocated",
    )


def _record(
    metered: Metered,
    *,
    usage_id: str,
    kind: str,
    request_id: str,
    attempt: int,
    qualifier: str | None,
    invocation_type: str,
    start_ms: int,
    end_ms: int,
    duration_ms: float,
    init_duration_ms: float | None,
    billed_ms: int,
    max_memory_used_mb: int,
    provisioned: bool,
    outcome: str,
) -> UsageRecord:
    return UsageRecord(
        id=usage_id,
        kind=kind,
        request_id=request_id,
        attempt=attempt,
        account=metered.account,
        function=metered.function,
        version=metered.version,
        qualifier=qualifier,
        invocation_type=invocation_type,
        start_ms=start_ms,
        end_ms=end_ms,
        duration_ms=duration_ms,
        init_duration_ms=init_duration_ms,
        billed_ms=billed_ms,
        memory_mb=metered.memory_mb,
        max_memory_used_mb=max_memory_used_mb,
        architecture=metered.architecture,
        ephemeral_mb=metered.ephemeral_mb,
        provisioned=provisioned,
        outcome=outcome,
    )
