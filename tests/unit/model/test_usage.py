"""model/usage.py: the one builder of platform lines and usage records, with time passed in."""

from __future__ import annotations

from typing import Any

from lambent.model.logs import Restore
from lambent.model.usage import (
    InvocationReport,
    Metered,
    allocation_usage,
    invocation_report,
    memory_used_mb,
    outcome,
    snapshot_report,
)

METERED = Metered(
    account="000000000000", function="fn", version="$LATEST", memory_mb=128, architecture="arm64", ephemeral_mb=1024
)


def report(**changes: Any) -> InvocationReport:
    fields: dict[str, Any] = {
        "usage_id": "u1",
        "request_id": "req",
        "attempt": 2,
        "qualifier": "live",
        "invocation_type": "Event",
        "start_ms": 1_767_225_600_000,
        "end_ms": 1_767_225_601_500,
        "duration_ms": 12.344,
        "max_memory_kb": 40 * 1024,
        "error_type": None,
        "init_failed": False,
        "init_duration_ms": 100.5,
        "restore": None,
        "provisioned": False,
        "timeout_s": 3,
        "prelude": b"init output\n",
        "output": b"hello\n",
    }
    fields.update(changes)
    return invocation_report(METERED, **fields)


def test_an_invocation_logs_start_its_output_end_and_report_and_bills_the_init() -> None:
    built = report()
    assert built.log.decode().split("\n") == [
        "init output",
        "START RequestId: req Version: $LATEST",
        "hello",
        "END RequestId: req",
        "REPORT RequestId: req\tDuration: 12.34 ms\tBilled Duration: 113 ms\tMemory Size: 128 MB\t"
        "Max Memory Used: 40 MB\tInit Duration: 100.50 ms\t",
        "",
    ]
    usage = built.usage
    assert (usage.id, usage.kind, usage.request_id, usage.attempt, usage.qualifier) == ("u1", "invoke", "req", 2, "live")
    assert (usage.account, usage.function, usage.version, usage.architecture) == ("000000000000", "fn", "$LATEST", "arm64")
    assert (usage.start_ms, usage.end_ms, usage.billed_ms, usage.max_memory_used_mb) == (
        1_767_225_600_000,
        1_767_225_601_500,
        113,
        40,
    )
    assert (usage.memory_mb, usage.ephemeral_mb, usage.outcome, usage.invocation_type) == (128, 1024, "success", "Event")
    assert built.status is None and built.billed_ms == 113


def test_a_timeout_has_its_line_at_the_end_time_and_a_status() -> None:
    built = report(error_type="Sandbox.Timedout", init_duration_ms=None, timeout_s=1, duration_ms=1000.0)
    log = built.log.decode()
    assert "2026-01-01T00:00:01.500Z req Task timed out after 1.00 seconds\nEND RequestId: req\n" in log
    assert log.endswith("Status: timeout\t\n") and "Error Type" not in log
    assert built.usage.outcome == "timeout" and built.status == "timeout"


def test_an_out_of_memory_shows_the_whole_memory_used_and_its_error_type() -> None:
    built = report(error_type="Runtime.OutOfMemory", max_memory_kb=10)
    assert built.max_memory_used_mb == 128 and built.usage.outcome == "out_of_memory"
    assert built.log.endswith(b"Status: error\tError Type: Runtime.OutOfMemory\t\n")


def test_a_function_error_has_no_status_and_an_init_failure_is_init_error() -> None:
    assert report(error_type="ValueError").status is None
    assert report(error_type="ValueError").usage.outcome == "error"
    assert report(error_type="Runtime.ImportModuleError", init_failed=True).usage.outcome == "init_error"
    assert report(error_type="Runtime.ExitError").usage.outcome == "crash"


def test_a_restore_is_billed_and_shown_on_report() -> None:
    built = report(init_duration_ms=None, restore=Restore(8.123, 2), duration_ms=1.0)
    assert built.billed_ms == 3
    assert b"Restore Duration: 8.12 ms\tBilled Restore Duration: 2 ms\t" in built.log


def test_a_snapshot_init_is_logged_as_aws_logs_it_and_metered_without_a_request() -> None:
    log, usage = snapshot_report(
        METERED,
        usage_id="s1",
        start_ms=10,
        end_ms=20,
        init_duration_ms=250.25,
        max_memory_kb=2048,
        error_type=None,
        runtime_version="python:3.12.1",
        runtime_arn="arn:rt",
        output=b"loading\n",
    )
    assert log == (
        b"INIT_START Runtime Version: python:3.12.1\tRuntime Version ARN: arn:rt\nloading\n"
        b"INIT_REPORT Init Duration: 250.25 ms\tPhase: init\tStatus: success\n"
    )
    assert (usage.kind, usage.request_id, usage.attempt, usage.invocation_type) == ("snapshot", "", 0, "SnapStart")
    assert (usage.duration_ms, usage.init_duration_ms, usage.billed_ms, usage.max_memory_used_mb) == (250.25, 250.25, 251, 2)
    assert usage.outcome == "success" and not usage.provisioned
    failed_log, failed = snapshot_report(
        METERED,
        usage_id="s2",
        start_ms=10,
        end_ms=20,
        init_duration_ms=5.0,
        max_memory_kb=0,
        error_type="Runtime.ImportModuleError",
        runtime_version="v",
        runtime_arn="a",
        output=b"",
    )
    assert failed.outcome == "init_error" and failed_log.endswith(b"Status: error\tError Type: Runtime.ImportModuleError\n")


def test_an_allocation_is_billed_to_the_millisecond() -> None:
    usage = allocation_usage(METERED, usage_id="a1", since_ms=1_000, now_ms=61_000)
    assert (usage.kind, usage.invocation_type, usage.outcome, usage.provisioned) == (
        "provisioned",
        "Provisioned",
        "allocated",
        True,
    )
    assert (usage.start_ms, usage.end_ms, usage.duration_ms, usage.billed_ms) == (1_000, 61_000, 60_000.0, 60_000)
    assert (usage.max_memory_used_mb, usage.init_duration_ms, usage.memory_mb) == (0, None, 128)


def test_memory_used_is_whole_megabytes_between_one_and_the_size() -> None:
    assert [memory_used_mb(128, kb) for kb in (0, 1536, 40 * 1024, 10**9)] == [1, 2, 40, 128]
    assert outcome(None, True) == "success"
