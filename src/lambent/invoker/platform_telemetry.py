"""The platform records of one invocation, for an environment's Telemetry API subscribers.

AWS's schema (2022-12-13): on an environment's first, on-demand invocation ``platform.initStart``,
``initRuntimeDone`` and ``initReport``; then on each ``platform.start``, one ``function`` record
per line the function wrote, ``platform.runtimeDone`` and ``platform.report``.
"""

from __future__ import annotations

from typing import Any

from lambent.invoker.telemetry import Telemetry
from lambent.model import logs as loglines
from lambent.model.function import FunctionVersion


def emit_invocation(
    telemetry: Telemetry,
    version: FunctionVersion,
    request_id: str,
    *,
    output: bytes,
    produced_bytes: int,
    duration_ms: float,
    failed: bool,
    init_ms: float | None,
    max_memory_used_mb: int,
    status: str | None,
) -> None:
    """*status*: REPORT's (``timeout``/``error``) when the failure ended the environment."""
    outcome = status or ("error" if failed else "success")
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
    telemetry.emit("platform", "platform.start", {"requestId": request_id, "version": version.version})
    telemetry.emit_log(output)
    metrics = {"durationMs": round(duration_ms, 3), "producedBytes": produced_bytes}
    telemetry.emit("platform", "platform.runtimeDone", {"requestId": request_id, "status": outcome, "metrics": metrics})
    report: dict[str, Any] = {
        "durationMs": round(duration_ms, 3),
        "billedDurationMs": loglines.billed_duration_ms(duration_ms, init_ms),
        "memorySizeMB": version.memory_mb,
        "maxMemoryUsedMB": max_memory_used_mb,
    }
    if init_ms is not None:
        report["initDurationMs"] = round(init_ms, 3)
    telemetry.emit("platform", "platform.report", {"requestId": request_id, "status": outcome, "metrics": report})
