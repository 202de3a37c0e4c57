"""Invoke through the HTTP API with boto3: results, AWS's error documents, logs, warm reuse."""

from __future__ import annotations

import base64
import json
import math
import re
import threading
import time
import urllib.request
from typing import Any

import pytest

from tests.fixtures.function_logs import log_messages
from tests.fixtures.server import ROLE, create, environment_gone, make_zip

REQUEST_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def call(lam: Any, name: str, payload: bytes = b"{}", **kwargs: Any) -> tuple[dict[str, Any], Any, str]:
    response = lam.invoke(FunctionName=name, Payload=payload, LogType="Tail", **kwargs)
    body = response["Payload"].read()
    log = base64.b64decode(response.get("LogResult", "")).decode()
    return response, json.loads(body) if body else None, log


def test_result_headers_and_log_tail(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, "def handler(event, context):\n    print('from the function')\n    return event['x'] * 2\n")
    response, result, log = call(lam, fn_name, b'{"x": 21}')
    assert response["StatusCode"] == 200 and result == 42
    assert response["ExecutedVersion"] == "$LATEST"
    request_id = response["ResponseMetadata"]["RequestId"]
    lines = log.splitlines()
    assert lines[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert lines[1] == "from the function"
    assert lines[2] == f"END RequestId: {request_id}"
    assert re.fullmatch(
        rf"REPORT RequestId: {request_id}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\t"
        r"Max Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms\t",
        lines[3],
    ), lines[3]
    duration = float(re.search(r"Duration: (\d+\.\d\d) ms", lines[3]).group(1))  # type: ignore[union-attr]
    billed = int(re.search(r"Billed Duration: (\d+) ms", lines[3]).group(1))  # type: ignore[union-attr]
    init = float(re.search(r"Init Duration: (\d+\.\d\d) ms", lines[3]).group(1))  # type: ignore[union-attr]
    # The init is billed (AWS, since August 2025): ceil(duration + init), each shown to 0.01 ms.
    assert math.ceil(duration + init - 0.01) <= billed <= math.ceil(duration + init + 0.01)
    used = int(re.search(r"Max Memory Used: (\d+) MB", lines[3]).group(1))  # type: ignore[union-attr]
    assert 1 <= used <= 128


def test_max_memory_used_is_measured(lam: Any, fn_name: str) -> None:
    code = "def handler(event, context):\n    block = bytearray(event['mb'] << 20)\n    return len(block)\n"
    create(lam, fn_name, code, MemorySize=512)
    used = []
    for mb in (0, 100, 200):
        log = call(lam, fn_name, json.dumps({"mb": mb}).encode())[2]
        used.append(int(re.search(r"Max Memory Used: (\d+) MB", log).group(1)))  # type: ignore[union-attr]
    assert used[0] < 100 <= used[1] < 200 <= used[2] <= 512, used


def test_warm_reuse_and_init_duration_once(lam: Any, fn_name: str) -> None:
    code = (
        "import uuid\nENV = uuid.uuid4().hex\ncount = 0\ndef handler(event, context):\n    global count\n    count += 1\n"
        "    open('/tmp/' + context.function_name, 'a').write('x')\n"
        "    return [count, ENV, len(open('/tmp/' + context.function_name).read())]\n"
    )
    create(lam, fn_name, code)
    results, logs = [], []
    for _ in range(4):
        _, result, log = call(lam, fn_name)
        results.append(result)
        logs.append(log)
    assert [r[0] for r in results] == [1, 2, 3, 4]  # module globals persist
    assert len({r[1] for r in results}) == 1  # one environment
    assert [r[2] for r in results] == [1, 2, 3, 4]  # and its /tmp
    assert "Init Duration" in logs[0]
    assert all("Init Duration" not in log for log in logs[1:])


def test_concurrent_invokes_get_separate_environments(lam: Any, fn_name: str) -> None:
    code = "import time, uuid\nENV = uuid.uuid4().hex\ndef handler(event, context):\n    time.sleep(0.5)\n    return ENV\n"
    create(lam, fn_name, code)
    results: list[str] = []

    def one() -> None:
        results.append(call(lam, fn_name)[1])

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 4
    # That all four run at once is checked on the fake clock (tests/unit/invoker/test_pool.py);
    # how long they take together is a bench line (bench/timing.py), not an assert.


def test_unhandled_error(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, "def helper():\n    raise ValueError('boom')\n\ndef handler(event, context):\n    helper()\n")
    response, body, log = call(lam, fn_name)
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert list(body) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert body["errorMessage"] == "boom" and body["errorType"] == "ValueError"
    assert body["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert body["stackTrace"][0].startswith('  File "') and "in handler" in body["stackTrace"][0]
    assert "in helper" in body["stackTrace"][1] and "raise ValueError('boom')" in body["stackTrace"][1]
    assert "bootstrap" not in json.dumps(body["stackTrace"])
    assert "[ERROR] ValueError: boom" in log
    # The environment survives a handled-by-runtime error and is reused.
    assert "Init Duration" not in call(lam, fn_name)[2]


@pytest.mark.parametrize(
    ("files", "handler", "error_type", "message"),
    [
        (
            {"other.py": "x = 1\n"},
            "app.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'app': No module named 'app'",
        ),
        (
            {"app.py": "def other(e, c):\n    pass\n"},
            "app.handler",
            "Runtime.HandlerNotFound",
            "Handler 'handler' missing on module 'app'",
        ),
        (
            {"app.py": "def handler(e, c)\n    pass\n"},
            "app.handler",
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module 'app': ",
        ),
        (
            {"app.py": "def handler(e, c):\n    pass\n"},
            "apphandler",
            "Runtime.MalformedHandlerName",
            "Bad handler 'apphandler': not enough values to unpack (expected 2, got 1)",
        ),
        ({"app.py": "raise KeyError('at import')\n"}, "app.handler", "KeyError", "'at import'"),
    ],
    ids=["import", "missing-handler", "syntax", "malformed", "init-exception"],
)
def test_init_errors(lam: Any, fn_name: str, files: dict[str, str], handler: str, error_type: str, message: str) -> None:
    lam.create_function(
        FunctionName=fn_name,
        Runtime="python3.12",
        Handler=handler,
        Role=ROLE,
        Code={"ZipFile": make_zip(files)},
    )
    response, body, log = call(lam, fn_name)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == error_type
    assert body["errorMessage"].startswith(message), body["errorMessage"]
    assert body["requestId"] == ""
    assert isinstance(body["stackTrace"], list)
    if error_type == "Runtime.UserCodeSyntaxError":
        assert "(app.py, line 1)" in body["errorMessage"]
        assert body["stackTrace"][0].startswith('  File "') and "Line 1" in body["stackTrace"][0]
    assert f"[ERROR] {error_type}:" in log and "START RequestId:" in log and "REPORT RequestId:" in log


def test_handler_in_a_package_and_context(lam: Any, fn_name: str) -> None:
    code = (
        "import os\n"
        "def handler(event, context):\n"
        "    keys = ['AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION',\n"
        "            'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_REGION', 'AWS_DEFAULT_REGION',\n"
        "            'AWS_EXECUTION_ENV', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR', '_HANDLER', 'TZ',\n"
        "            'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY',\n"
        "            'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'MY_SETTING']\n"
        "    return {\n"
        "        'env': {k: os.environ.get(k) for k in keys},\n"
        "        'cwd': os.getcwd(),\n"
        "        'ctx': {k: getattr(context, k) for k in ['aws_request_id', 'function_name', 'function_version',\n"
        "                'invoked_function_arn', 'memory_limit_in_mb', 'log_group_name', 'log_stream_name']},\n"
        "        'remaining': context.get_remaining_time_in_millis(),\n"
        "        'custom': context.client_context.custom if context.client_context else None,\n"
        "        'identity': context.identity.cognito_identity_id,\n"
        "    }\n"
    )
    create(
        lam,
        fn_name,
        {"pkg/__init__.py": "", "pkg/app.py": code},
        Handler="pkg/app.handler",
        MemorySize=256,
        Timeout=7,
        Environment={"Variables": {"MY_SETTING": "on"}},
    )
    client_context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    response, body, _ = call(lam, fn_name, ClientContext=client_context)
    env, ctx = body["env"], body["ctx"]
    assert ctx["aws_request_id"] == response["ResponseMetadata"]["RequestId"]
    assert ctx["function_name"] == fn_name and ctx["function_version"] == "$LATEST"
    assert ctx["invoked_function_arn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{fn_name}"
    assert ctx["memory_limit_in_mb"] == "256"
    assert ctx["log_group_name"] == f"/aws/lambda/{fn_name}"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", ctx["log_stream_name"])
    assert 6000 < body["remaining"] <= 7000
    assert body["custom"] == {"k": "v"} and body["identity"] is None
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == fn_name and env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST" and env["_HANDLER"] == "pkg/app.handler"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12" and env["TZ"] == ":UTC"
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == ctx["log_stream_name"]
    assert env["LAMBDA_TASK_ROOT"] == body["cwd"]
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"] and env["AWS_SESSION_TOKEN"]
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:") and env["MY_SETTING"] == "on"


def test_timeout(lam: Any, fn_name: str) -> None:
    code = (
        "import os, subprocess, time\n"
        "def handler(event, context):\n"
        "    child = subprocess.Popen(['sleep', '300'])\n"
        "    os.system('setsid sleep 301 &')\n"
        "    print('child', os.getuid(), child.pid, flush=True)\n"
        "    time.sleep(30)\n"
    )
    create(lam, fn_name, code, Timeout=1)
    # When it times out is checked on the fake clock (tests/unit/invoker/test_timeouts.py); how
    # long the caller waits is a bench line (bench/timing.py), not an assert.
    response, body, log = call(lam, fn_name)
    assert response["FunctionError"] == "Unhandled"
    request_id = response["ResponseMetadata"]["RequestId"]
    assert body == {
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds",
        "errorType": "Sandbox.Timedout",
    }
    assert re.search(rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z {request_id} Task timed out after 1.00 seconds", log)
    assert "Status: timeout" in log
    uid, child = (int(n) for n in re.search(r"child (\d+) (\d+)", log).groups())  # type: ignore[union-attr]
    assert environment_gone(uid, child, 1.0)
    # The next invoke gets a fresh environment.
    assert "Init Duration" in call(lam, fn_name)[2]


def test_crash_is_runtime_exit_error(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, "import os\ndef handler(event, context):\n    os._exit(3)\n")
    response, body, _ = call(lam, fn_name)
    request_id = response["ResponseMetadata"]["RequestId"]
    assert body == {
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status 3",
        "errorType": "Runtime.ExitError",
    }
    create(lam, fn_name + "-kill", "import os, signal\ndef handler(event, context):\n    os.kill(os.getpid(), signal.SIGKILL)\n")
    response, body, _ = call(lam, fn_name + "-kill")
    assert body["errorMessage"].endswith("Runtime exited with error: signal: killed")


def test_payload_limits(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, "def handler(event, context):\n    return 'x' * event['n']\n")
    with pytest.raises(lam.exceptions.ClientError) as error:
        lam.invoke(FunctionName=fn_name, Payload=json.dumps({"n": 1, "pad": "y" * (6 * 1024 * 1024)}).encode())
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert error.value.response["Error"] == {
        "Code": "RequestEntityTooLargeException",
        "Message": "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
    }
    response, body, _ = call(lam, fn_name, json.dumps({"n": 7 * 1024 * 1024}).encode())
    assert response["FunctionError"] == "Unhandled"
    assert body == {
        "errorMessage": f"Response payload size ({7 * 1024 * 1024 + 2} bytes) exceeded maximum allowed payload size (6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }
    _, body, _ = call(lam, fn_name, json.dumps({"n": 6 * 1024 * 1024}).encode())
    assert len(body) == 6 * 1024 * 1024  # just under the limit passes


def test_non_json_payload(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, "def handler(event, context):\n    return event\n")
    with pytest.raises(lam.exceptions.InvalidRequestContentException) as error:
        lam.invoke(FunctionName=fn_name, Payload=b"Hello World")
    assert error.value.response["Error"]["Message"].startswith(
        "Could not parse request body into json: Could not parse payload into json: "
    )
    assert call(lam, fn_name, b"")[1] == {}


def test_invocation_types(lam: Any, server: Any, fn_name: str) -> None:
    create(lam, fn_name, "import time\ndef handler(event, context):\n    print('ran', event['mark'])\n    return 1\n")
    dry = lam.invoke(FunctionName=fn_name, InvocationType="DryRun", Payload=b'{"mark": "dry"}')
    assert dry["StatusCode"] == 204
    event = lam.invoke(FunctionName=fn_name, InvocationType="Event", Payload=b'{"mark": "async"}')
    assert event["StatusCode"] == 202
    logs = server.client("logs")
    deadline = time.monotonic() + 10
    messages: list[str] = []
    while time.monotonic() < deadline:
        messages = log_messages(logs, fn_name)
        if "ran async" in messages:
            break
        time.sleep(0.1)
    assert "ran async" in messages
    assert "ran dry" not in messages
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName=fn_name + "-missing", Payload=b"{}")


def test_function_calls_another_through_the_injected_endpoint(lam: Any, fn_name: str) -> None:
    create(lam, fn_name + "-callee", "def handler(event, context):\n    return {'doubled': event['n'] * 2}\n")
    caller = (
        "import json, boto3\n"
        "def handler(event, context):\n"
        "    client = boto3.client('lambda')\n"
        f"    response = client.invoke(FunctionName='{fn_name}-callee', Payload=json.dumps({{'n': event['n']}}))\n"
        "    return json.loads(response['Payload'].read())\n"
    )
    create(lam, fn_name, caller, Timeout=30)
    assert call(lam, fn_name, b'{"n": 21}')[1] == {"doubled": 42}


def test_logs_are_stored_per_function(lam: Any, server: Any, fn_name: str) -> None:
    create(
        lam,
        fn_name,
        "import logging\nlogging.getLogger().setLevel(logging.INFO)\n"
        "def handler(event, context):\n    logging.info('via logging')\n    return 1\n",
    )
    response, _, _ = call(lam, fn_name)
    request_id = response["ResponseMetadata"]["RequestId"]
    logs = server.client("logs")
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{fn_name}")["events"]
    messages = [e["message"] for e in events]
    # The stream opens the environment's life with INIT_START (the LogResult tail does not).
    assert re.fullmatch(
        r"INIT_START Runtime Version: python:3\.12\.\d+\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:lambent-python3\.12",
        messages[0],
    ), messages[0]
    assert messages[1] == f"START RequestId: {request_id} Version: $LATEST"
    assert re.fullmatch(rf"\[INFO\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{request_id}\tvia logging", messages[2])
    assert messages[-1].startswith(f"REPORT RequestId: {request_id}")
    warm = call(lam, fn_name)[0]["ResponseMetadata"]["RequestId"]
    later = [e["message"] for e in logs.filter_log_events(logGroupName=f"/aws/lambda/{fn_name}")["events"]]
    assert later[: len(messages)] == messages and later[len(messages)] == f"START RequestId: {warm} Version: $LATEST"
    assert sum(m.startswith("INIT_START") for m in later) == 1, "a warm environment announces no second init"
    streams = logs.describe_log_streams(logGroupName=f"/aws/lambda/{fn_name}")["logStreams"]
    assert len(streams) == 1 and streams[0]["logStreamName"] == events[0]["logStreamName"]


def test_health_and_unknown_paths(server: Any) -> None:
    with urllib.request.urlopen(f"{server.endpoint}/lambent/health") as response:
        health = json.loads(response.read())
    assert health["status"] == "ok" and health["sandbox"] in ("namespaces", "process")
    assert all({"name", "active", "reason"} <= set(p) for p in health["protections"])
    status, headers, _body = server.request("GET", "/2015-03-31/nothing-here")
    assert status == 404
    assert headers["x-amzn-ErrorType"] == "UnknownOperationException"
