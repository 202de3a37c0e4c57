"""Lambda's platform log lines and names, formatted exactly as AWS formats them. Pure.

    START RequestId: <id> Version: <v>
    END RequestId: <id>
    REPORT RequestId: <id>\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t
        Max Memory Used: 40 MB\t[Init Duration: 9.87 ms\t]   (one line)

Durations carry two decimals; Billed Duration is the duration, plus the Init Duration when the
line has one, rounded up to the millisecond. An environment restored from a SnapStart snapshot
has no Init Duration (its init ran when the version was published) but, on its first REPORT,
``Restore Duration: 8.12 ms\tBilled Restore Duration: 1 ms\t``, the billed part (the runtime's
after-restore work) added to Billed Duration; its log starts with RESTORE_START and
RESTORE_REPORT lines, and the snapshot's init logs INIT_START ... INIT_REPORT.
"""

from __future__ import annotations

import math
import signal
from datetime import UTC, datetime
from typing import NamedTuple

from lambent.model.limits import TAIL_BYTES

_SIGNAL_TEXT = {
    signal.SIGKILL: "killed",
    signal.SIGTERM: "terminated",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGBUS: "bus error",
    signal.SIGFPE: "floating point exception",
    signal.SIGILL: "illegal instruction",
    signal.SIGINT: "interrupt",
    signal.SIGHUP: "hangup",
}


def platform_text(request_id: str, reason: str) -> str:
    """A failure the platform words, prefixed as AWS prefixes it when an invocation is waiting."""
    return f"RequestId: {request_id} Error: {reason}" if request_id else reason


def platform_error_line(message: str, error_type: str) -> str:
    """``RequestId: <id> Error: Runtime exited ...`` then the error type on the next line, as AWS
    logs a runtime that went away (or never started) before END."""
    return f"{message}\n{error_type}\n"


def exit_reason(status: int) -> str:
    """Why AWS says the runtime went away: exiting cleanly is ``Runtime exited without providing
    a reason`` (it never answered); otherwise ``Runtime exited with error: exit status 1``."""
    if status == 0:
        return "Runtime exited without providing a reason"
    return f"Runtime exited with error: {exit_text(status)}"


def exit_text(status: int) -> str:
    """How AWS words a runtime's exit: ``exit status 1`` or ``signal: killed``."""
    if status < 0:
        sig = -status
        try:
            name = _SIGNAL_TEXT.get(signal.Signals(sig), f"signal {sig}")
        except ValueError:
            name = f"signal {sig}"
        return f"signal: {name}"
    return f"exit status {status}"


class Restore(NamedTuple):
    """How an environment restored from a SnapStart snapshot came to be."""

    duration_ms: float
    billed_ms: int


def billed_duration_ms(duration_ms: float, init_duration_ms: float | None = None, restore: Restore | None = None) -> int:
    """Duration rounded up to the whole millisecond, at least 1 ms; with the init's duration
    when there was one (AWS bills INIT for every function since August 2025); plus the Billed
    Restore Duration of an environment restored from a SnapStart snapshot."""
    billed = max(1, math.ceil(round(duration_ms + (init_duration_ms or 0.0), 6)))
    return billed + (restore.billed_ms if restore is not None else 0)


def billed_restore_ms(hooks_ms: float) -> int:
    """Billed Restore Duration: the runtime's own restore work (its after-restore hooks), rounded
    up; restoring the snapshot itself is not billed, as on AWS."""
    return math.ceil(round(hooks_ms, 6))


def restore_lines(runtime_version: str, runtime_arn: str, restore_ms: float) -> str:
    return _phase_start("RESTORE_START", runtime_version, runtime_arn) + f"RESTORE_REPORT Restore Duration: {restore_ms:.2f} ms\n"


def init_start_line(runtime_version: str, runtime_arn: str) -> str:
    return _phase_start("INIT_START", runtime_version, runtime_arn)


def _phase_start(phase: str, runtime_version: str, runtime_arn: str) -> str:
    return f"{phase} Runtime Version: {runtime_version}\tRuntime Version ARN: {runtime_arn}\n"


def init_report_line(init_ms: float, error_type: str | None = None, phase: str = "init") -> str:
    """*phase*: ``init``, or ``invoke`` for the init AWS tries again while the invocation waits;
    an init that ran out of time is ``Status: timeout`` with no Error Type, as AWS logs it."""
    status = "success" if error_type is None else "timeout" if error_type == "Sandbox.Timedout" else "error"
    line = f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: {phase}\tStatus: {status}"
    return line + (f"\tError Type: {error_type}\n" if status == "error" else "\n")


def start_line(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}\n"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}\n"


def report_line(
    request_id: str,
    duration_ms: float,
    memory_mb: int,
    max_memory_used_mb: int,
    init_duration_ms: float | None = None,
    status: str | None = None,
    error_type: str | None = None,
    restore: Restore | None = None,
) -> str:
    billed = billed_duration_ms(duration_ms, init_duration_ms, restore)
    line = (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {billed} ms\tMemory Size: {memory_mb} MB\t"
        f"Max Memory Used: {max_memory_used_mb} MB\t"
    )
    if init_duration_ms is not None:
        line += f"Init Duration: {init_duration_ms:.2f} ms\t"
    if restore is not None:
        line += f"Restore Duration: {restore.duration_ms:.2f} ms\tBilled Restore Duration: {restore.billed_ms} ms\t"
    if status is not None:
        line += f"Status: {status}\t"
        if error_type is not None:
            line += f"Error Type: {error_type}\t"
    return line + "\n"


# An init retried in the invoke phase that runs out of the function's timeout: AWS's
# INIT_REPORT names no timeout but this type, and the timeout follows START (record in
# decision 0013).
INIT_RETRY_TIMED_OUT = "Runtime.Unknown"


def timed_out_text(timeout_s: float) -> str:
    return f"Task timed out after {timeout_s:.2f} seconds"


def timeout_line(moment: datetime, request_id: str, timeout_s: float) -> str:
    return f"{iso_millis(moment)} {request_id} {timed_out_text(timeout_s)}\n"


def iso_millis(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def log_stream_name(moment: datetime, version: str, token_hex: str) -> str:
    """``YYYY/MM/DD/[<version>]<32 hex>``, one stream per execution environment."""
    return f"{moment.astimezone(UTC):%Y/%m/%d}/[{version}]{token_hex}"


def tail(log: bytes) -> bytes:
    """The last 4 KB of an invocation's log, as ``X-Amz-Log-Result`` carries it (before base64)."""
    return log[-TAIL_BYTES:]
