"""Invoke, whole responses: payloads AWS cannot parse, runtimes that exit, and custom runtimes
without a bootstrap.

Sources (AWS's answers as its users recorded them; the developer guide names the cases but not
the texts): ``InvalidRequestContentException`` "Could not parse request body into json: Could
not parse payload into json: Unrecognized token 'test': ... at [Source: (byte[])"test data";
line: 1, column: 6]" (alexcasalboni/aws-lambda-power-tuning#148), "... Invalid UTF-8 start byte
0x97 ..." (awsdocs/aws-lambda-developer-guide#382), with ``Type: User`` (the shape of every
Lambda client error); ``Runtime.ExitError`` "RequestId: <id> Error: Runtime exited without
providing a reason" (ballerina-platform/module-ballerinax-aws.lambda#229, brefphp/laravel-bridge#45)
and "... Runtime exited with error: exit status 137" in the init phase (aws/aws-lambda-dotnet#480);
``Runtime.InvalidEntrypoint`` "RequestId: <id> Error: Couldn't find valid bootstrap(s):
[/var/task/bootstrap /opt/bootstrap]" (aws/aws-lambda-dotnet#1671, bakdata/aws-lambda-r-runtime#62).
"""

from __future__ import annotations

import base64
import json
import re
import urllib.request
from typing import Any

import pytest

from tests.fixtures.aws_errors import aws_error, wire_error
from tests.fixtures.server import ROLE, RUNTIME, Server, make_zip

PREFIX = "Could not parse request body into json: Could not parse payload into json: "
VALUES = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
FAST = {"Delay": 0.1, "MaxAttempts": 100}


def _function(lam: Any, name: str, code: str, runtime: str = RUNTIME, files: bytes | None = None) -> None:
    package = files if files is not None else make_zip({"app.py": code})
    handler = "app.handler" if files is None else "function.handler"
    lam.create_function(FunctionName=name, Role=ROLE, Runtime=runtime, Handler=handler, Code={"ZipFile": package})
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=FAST)


def _invoke(lam: Any, name: str) -> tuple[str, dict[str, Any]]:
    response = lam.invoke(FunctionName=name, Payload=b"{}")
    whole = {key: response[key] for key in ("StatusCode", "FunctionError", "ExecutedVersion") if key in response}
    whole["Payload"] = json.loads(response["Payload"].read())
    return response["ResponseMetadata"]["RequestId"], whole


def _failed(message: str, error_type: str) -> dict[str, Any]:
    return {
        "StatusCode": 200,
        "FunctionError": "Unhandled",
        "ExecutedVersion": "$LATEST",
        "Payload": {"errorMessage": message, "errorType": error_type},
    }


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            b"test data",
            f"Unrecognized token 'test': was expecting {VALUES}\n at [Source: (byte[])\"test data\"; line: 1, column: 6]",
        ),
        (b"\xe0\x97", 'Invalid UTF-8 start byte 0x97\n at [Source: (byte[])"\ufffd\ufffd"; line: 1, column: 3]'),
        (
            b'{"a": 1,}',
            "Unexpected character ('}' (code 125)): was expecting double-quote to start field name\n"
            ' at [Source: (byte[])"{"a": 1,}"; line: 1, column: 10]',
        ),
    ],
)
def test_a_payload_that_is_not_json(lam: Any, fn_name: str, payload: bytes, message: str) -> None:
    _function(lam, fn_name, "def handler(event, context):\n    return event\n")
    error = wire_error(lam, lambda: lam.invoke(FunctionName=fn_name, Payload=payload))
    assert error == aws_error(400, "InvalidRequestContentException", PREFIX + message)


def test_a_runtime_that_exits_with_status_0_gave_no_reason(lam: Any, fn_name: str) -> None:
    _function(lam, fn_name, "import os\ndef handler(event, context):\n    os._exit(0)\n")
    request_id, whole = _invoke(lam, fn_name)
    assert whole == _failed(f"RequestId: {request_id} Error: Runtime exited without providing a reason", "Runtime.ExitError")


def test_a_runtime_that_exits_with_an_error_in_either_phase(lam: Any, fn_name: str) -> None:
    _function(lam, fn_name, "import os\ndef handler(event, context):\n    os._exit(4)\n")
    request_id, whole = _invoke(lam, fn_name)
    assert whole == _failed(f"RequestId: {request_id} Error: Runtime exited with error: exit status 4", "Runtime.ExitError")
    _function(lam, fn_name + "-init", "import os\nos._exit(2)\ndef handler(event, context):\n    return 1\n")
    request_id, whole = _invoke(lam, fn_name + "-init")
    assert whole == _failed(f"RequestId: {request_id} Error: Runtime exited with error: exit status 2", "Runtime.ExitError")


def test_a_custom_runtime_without_bootstrap(server: Server, lam: Any, fn_name: str) -> None:
    health = json.loads(urllib.request.urlopen(f"{server.endpoint}/lambent/health").read())
    if health["sandbox"] != "namespaces":
        pytest.skip("/var/task and /opt are where they are on AWS only in the namespaces sandbox")
    _function(lam, fn_name, "", runtime="provided.al2023", files=make_zip({"function.sh": "handler () { echo x; }\n"}))
    request_id, whole = _invoke(lam, fn_name)
    assert whole == _failed(
        f"RequestId: {request_id} Error: Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]",
        "Runtime.InvalidEntrypoint",
    )


def test_an_init_over_10_s_is_tried_again_under_the_function_timeout(lam: Any, fn_name: str) -> None:
    """AWS gives the init phase 10 s, then tries the init once more in the invoke phase under the
    function's own timeout; when that runs out too, the invocation is the timeout (decision 0013)."""
    code = "import time\ntime.sleep(60)\ndef handler(event, context):\n    return 1\n"
    lam.create_function(
        FunctionName=fn_name,
        Role=ROLE,
        Runtime=RUNTIME,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": code})},
        Timeout=3,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=fn_name, WaiterConfig=FAST)
    response = lam.invoke(FunctionName=fn_name, Payload=b"{}", LogType="Tail")
    request_id = response["ResponseMetadata"]["RequestId"]
    whole = {key: response[key] for key in ("StatusCode", "FunctionError", "ExecutedVersion")}
    whole["Payload"] = json.loads(response["Payload"].read())
    assert whole == _failed(f"RequestId: {request_id} Error: Task timed out after 3.00 seconds", "Sandbox.Timedout")
    lines = base64.b64decode(response["LogResult"]).decode().splitlines()
    assert re.fullmatch(r"INIT_REPORT Init Duration: 10\d{3}\.\d\d ms\tPhase: init\tStatus: timeout", lines[0]), lines
    assert re.fullmatch(
        r"INIT_REPORT Init Duration: 3\d{3}\.\d\d ms\tPhase: invoke\tStatus: error\tError Type: Runtime.Unknown", lines[1]
    ), lines
    assert lines[2] == f"START RequestId: {request_id} Version: $LATEST"
    assert re.fullmatch(
        rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z {request_id} Task timed out after 3.00 seconds", lines[3]
    ), lines
    assert lines[4] == f"END RequestId: {request_id}"
    assert re.match(rf"REPORT RequestId: {request_id}\tDuration: 3\d{{3}}\.\d\d ms\t", lines[5]), lines
