"""Sizes at and just over AWS's limits: environment variables and packages, whole error bodies.

Sources: AWS's quotas page (4 KB of environment variables; 50 MB zipped for a direct upload;
250 MB unzipped); AWS's words for each refusal as earlier Lambent issues recorded them from
AWS's answers (the 4 KB message names the string it measured: the variables as compact JSON).
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from tests.fixtures.aws_errors import aws_error, wire_error
from tests.fixtures.server import ROLE, RUNTIME, create, make_zip

CODE = "def handler(event, context):\n    return 1\n"
TOO_LARGE = (
    "Lambda was unable to configure your environment variables because the environment variables you have "
    "provided exceeded the 4KB limit. String measured: "
)


def _variables(measured: int) -> dict[str, str]:
    """One variable whose compact JSON is *measured* bytes."""
    return {"BIG": "x" * (measured - len('{"BIG":""}'))}


def _updated(lam: Any, name: str) -> None:
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})


@pytest.mark.parametrize("measured", [4095, 4096])
def test_environment_variables_up_to_4_kb_are_kept(lam: Any, fn_name: str, measured: int) -> None:
    create(lam, fn_name, CODE, Environment={"Variables": _variables(measured)})
    assert lam.get_function_configuration(FunctionName=fn_name)["Environment"] == {"Variables": _variables(measured)}
    lam.update_function_configuration(FunctionName=fn_name, Environment={"Variables": _variables(measured - 1)})
    _updated(lam, fn_name)
    assert lam.get_function_configuration(FunctionName=fn_name)["Environment"] == {"Variables": _variables(measured - 1)}


def test_environment_variables_over_4_kb_are_refused(lam: Any, fn_name: str) -> None:
    over = _variables(4097)
    refusal = aws_error(400, "InvalidParameterValueException", TOO_LARGE + json.dumps(over, separators=(",", ":")))
    zipped = make_zip({"app.py": CODE})
    assert (
        wire_error(
            lam,
            lambda: lam.create_function(
                FunctionName=fn_name,
                Runtime=RUNTIME,
                Role=ROLE,
                Handler="app.handler",
                Code={"ZipFile": zipped},
                Environment={"Variables": over},
            ),
        )
        == refusal
    )
    create(lam, fn_name, CODE)
    assert (
        wire_error(lam, lambda: lam.update_function_configuration(FunctionName=fn_name, Environment={"Variables": over}))
        == refusal
    )


def _unzips_to(size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", CODE)
        with archive.open("zeros.bin", "w", force_zip64=True) as sink:
            remaining = size - len(CODE)
            while remaining > 0:
                chunk = min(remaining, 1 << 20)
                sink.write(bytes(chunk))
                remaining -= chunk
    return buffer.getvalue()


def test_a_package_over_250_mb_unzipped_is_refused(lam: Any, fn_name: str) -> None:
    over = _unzips_to(250 * 1024 * 1024 + 1)
    refusal = aws_error(400, "InvalidParameterValueException", "Unzipped size must be smaller than 262144000 bytes")
    assert (
        wire_error(
            lam,
            lambda: lam.create_function(
                FunctionName=fn_name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler", Code={"ZipFile": over}
            ),
        )
        == refusal
    )
    create(lam, fn_name, CODE)
    assert wire_error(lam, lambda: lam.update_function_code(FunctionName=fn_name, ZipFile=over)) == refusal


def test_a_create_request_over_the_direct_upload_limit_is_refused(lam: Any, fn_name: str) -> None:
    assert wire_error(
        lam,
        lambda: lam.create_function(
            FunctionName=fn_name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler", Code={"ZipFile": b"\0" * (53 * 1024 * 1024)}
        ),
    ) == aws_error(
        413, "RequestEntityTooLargeException", "Request must be smaller than 70167211 bytes for the CreateFunction operation"
    )
