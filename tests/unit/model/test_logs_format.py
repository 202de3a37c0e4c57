"""Platform log lines, byte for byte as AWS writes them (lambent.model.logs)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.model.limits import TAIL_BYTES
from lambent.model.logs import (
    Restore,
    billed_duration_ms,
    billed_restore_ms,
    end_line,
    init_report_line,
    iso_millis,
    log_stream_name,
    report_line,
    restore_lines,
    start_line,
    tail,
    timeout_line,
)

REQUEST_ID = "8f5c3b4e-1d2a-4c6b-9e7f-0a1b2c3d4e5f"
TOKEN = "0123456789abcdef0123456789abcdef"

# --- billed duration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration_ms", "billed"),
    [
        (0.0, 1),
        (0.001, 1),
        (0.5, 1),
        (1.0, 1),
        (1.001, 2),
        (1.5, 2),
        (99.99, 100),
        (100.0, 100),
        (100.01, 101),
        (899_999.2, 900_000),
        # Float noise from subtracting clock readings is not a billed millisecond.
        (2.0000000000000004, 2),
        ((1.3 - 1.2) * 10_000, 1000),
        (-3.0, 1),
    ],
)
def test_billed_duration_examples(duration_ms: float, billed: int) -> None:
    assert billed_duration_ms(duration_ms) == billed


def test_billed_duration_is_an_int() -> None:
    assert type(billed_duration_ms(12.3)) is int


@given(st.floats(min_value=1.0, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_billed_duration_rounds_up_to_the_millisecond(duration_ms: float) -> None:
    billed = billed_duration_ms(duration_ms)
    # Rounded to 6 decimals first, so up to half a nanosecond of excess is forgiven.
    assert billed >= duration_ms - 5e-7 * (1 + 1e-9) - duration_ms * 1e-15
    assert billed - duration_ms < 1
    assert billed == max(1, math.ceil(round(duration_ms, 6)))


@given(st.integers(min_value=1, max_value=10**9))
def test_whole_milliseconds_are_billed_as_they_are(whole: int) -> None:
    assert billed_duration_ms(float(whole)) == whole


@given(st.floats(min_value=-1e6, max_value=1.0, allow_nan=False, allow_infinity=False))
def test_billed_duration_is_at_least_one_millisecond(duration_ms: float) -> None:
    assert billed_duration_ms(duration_ms) == 1


@given(
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
)
def test_billed_duration_is_monotonic(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert billed_duration_ms(low) <= billed_duration_ms(high)


# --- START / END / REPORT ----------------------------------------------------------------


def test_start_line() -> None:
    assert start_line(REQUEST_ID, "$LATEST") == f"START RequestId: {REQUEST_ID} Version: $LATEST\n"
    assert start_line("r", "7") == "START RequestId: r Version: 7\n"


def test_end_line() -> None:
    assert end_line(REQUEST_ID) == f"END RequestId: {REQUEST_ID}\n"


def test_report_line_exact() -> None:
    assert report_line(REQUEST_ID, 1.234, 128, 40) == (
        f"REPORT RequestId: {REQUEST_ID}\tDuration: 1.23 ms\tBilled Duration: 2 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 40 MB\t\n"
    )


def test_report_line_with_init_duration_after_max_memory() -> None:
    # Since August 2025 the init is billed: Billed Duration is ceil(duration + init).
    assert report_line("r", 100.0, 1024, 77, init_duration_ms=250.456) == (
        "REPORT RequestId: r\tDuration: 100.00 ms\tBilled Duration: 351 ms\t"
        "Memory Size: 1024 MB\tMax Memory Used: 77 MB\tInit Duration: 250.46 ms\t\n"
    )


def test_report_line_of_a_restored_environment() -> None:
    # As AWS's SnapStart REPORT: no Init Duration; Billed Duration = ceil(Duration) + Billed Restore.
    restore = Restore(duration_ms=474.161, billed_ms=billed_restore_ms(358.2))
    assert report_line("r", 127.52, 512, 124, restore=restore) == (
        "REPORT RequestId: r\tDuration: 127.52 ms\tBilled Duration: 487 ms\tMemory Size: 512 MB\t"
        "Max Memory Used: 124 MB\tRestore Duration: 474.16 ms\tBilled Restore Duration: 359 ms\t\n"
    )


def test_restore_and_snapshot_init_lines() -> None:
    arn = "arn:aws:lambda:us-east-1::runtime:lambent-python3.12"
    assert restore_lines("python:3.12.1", arn, 8.126) == (
        f"RESTORE_START Runtime Version: python:3.12.1\tRuntime Version ARN: {arn}\nRESTORE_REPORT Restore Duration: 8.13 ms\n"
    )
    assert init_report_line(812.3) == "INIT_REPORT Init Duration: 812.30 ms\tPhase: init\tStatus: success\n"
    assert init_report_line(5.0, "Runtime.ImportModuleError") == (
        "INIT_REPORT Init Duration: 5.00 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError\n"
    )


def test_report_line_zero_init_duration_is_still_shown() -> None:
    assert "\tInit Duration: 0.00 ms\t" in report_line("r", 1.0, 128, 40, init_duration_ms=0.0)


def test_report_line_without_init_duration_has_none() -> None:
    assert "Init Duration" not in report_line("r", 1.0, 128, 40, init_duration_ms=None)


def test_report_line_status_and_error_type_come_last() -> None:
    line = report_line("r", 3000.0, 128, 50, init_duration_ms=1.0, status="timeout", error_type="Sandbox.Timedout")
    assert line.endswith("\tInit Duration: 1.00 ms\tStatus: timeout\tError Type: Sandbox.Timedout\t\n")
    assert "Error Type" not in report_line("r", 1.0, 128, 40, error_type="Runtime.ExitError")


@given(
    duration=st.floats(min_value=0, max_value=900_000, allow_nan=False, allow_infinity=False),
    memory=st.integers(min_value=128, max_value=10240),
    used=st.integers(min_value=0, max_value=10240),
    init=st.none() | st.floats(min_value=0, max_value=10_000, allow_nan=False, allow_infinity=False),
)
def test_report_line_fields(duration: float, memory: int, used: int, init: float | None) -> None:
    line = report_line("id-1", duration, memory, used, init_duration_ms=init)
    assert line.endswith("\t\n")
    fields = line[:-2].split("\t")
    expected = [
        "REPORT RequestId: id-1",
        f"Duration: {duration:.2f} ms",
        f"Billed Duration: {billed_duration_ms(duration, init)} ms",
        f"Memory Size: {memory} MB",
        f"Max Memory Used: {used} MB",
    ]
    if init is not None:
        expected.append(f"Init Duration: {init:.2f} ms")
    assert fields == expected
    assert re.fullmatch(r"Duration: \d+\.\d{2} ms", fields[1])


# --- timestamps, streams, timeouts --------------------------------------------------------


def test_timeout_line_exact() -> None:
    moment = datetime(2024, 1, 2, 3, 4, 5, 678_901, tzinfo=UTC)
    assert timeout_line(moment, REQUEST_ID, 3) == (f"2024-01-02T03:04:05.678Z {REQUEST_ID} Task timed out after 3.00 seconds\n")


def test_timeout_line_converts_to_utc_and_truncates_milliseconds() -> None:
    moment = datetime(2024, 1, 2, 5, 4, 5, 999_999, tzinfo=timezone(timedelta(hours=2)))
    assert timeout_line(moment, "r", 900) == "2024-01-02T03:04:05.999Z r Task timed out after 900.00 seconds\n"


def test_iso_millis_pads_milliseconds() -> None:
    assert iso_millis(datetime(2024, 12, 31, 23, 59, 59, 7_000, tzinfo=UTC)) == "2024-12-31T23:59:59.007Z"


def test_log_stream_name_exact() -> None:
    moment = datetime(2024, 3, 9, 12, 0, tzinfo=UTC)
    assert log_stream_name(moment, "$LATEST", TOKEN) == f"2024/03/09/[$LATEST]{TOKEN}"


def test_log_stream_name_uses_the_utc_date() -> None:
    moment = datetime(2024, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-2)))
    assert log_stream_name(moment, "3", TOKEN) == f"2025/01/01/[3]{TOKEN}"


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)),
    st.binary(min_size=16, max_size=16).map(bytes.hex),
)
def test_log_stream_name_shape(moment: datetime, token: str) -> None:
    name = log_stream_name(moment, "$LATEST", token)
    match = re.fullmatch(r"(\d{4})/(\d{2})/(\d{2})/\[\$LATEST\]([0-9a-f]{32})", name)
    assert match is not None
    assert tuple(int(part) for part in match.groups()[:3]) == (moment.year, moment.month, moment.day)
    assert match[4] == token


# --- tail ----------------------------------------------------------------------------------


def test_tail_keeps_the_last_4_kib() -> None:
    log = bytes(range(256)) * 20
    assert TAIL_BYTES == 4096
    assert tail(log) == log[-4096:]
    assert len(tail(log)) == 4096
    assert tail(b"short") == b"short"
