"""The AWS CLI and the ``lambent`` CLI against a real server; state surviving a restart."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.fixtures.cli import aws
from tests.fixtures.server import ROLE, RUNTIME, VENV_BIN, Server, create, environment_gone, make_zip

HELLO = "def handler(event, context):\n    print('hello from', context.function_name)\n    return {'got': event}\n"


def lambent(server: Server, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = server.cli_env(LAMBENT_ENDPOINT_URL=server.endpoint, COLUMNS="200")
    return subprocess.run([str(VENV_BIN / "lambent"), *args], capture_output=True, text=True, env=env, input=stdin, timeout=120)


def test_aws_cli_lifecycle(server: Server, tmp_path: Path, fn_name: str) -> None:
    package = tmp_path / "function.zip"
    package.write_bytes(make_zip({"app.py": HELLO}))
    created = json.loads(
        aws(
            server,
            "lambda",
            "create-function",
            "--function-name",
            fn_name,
            "--runtime",
            RUNTIME,
            "--handler",
            "app.handler",
            "--role",
            ROLE,
            "--zip-file",
            f"fileb://{package}",
        ).stdout
    )
    assert created["FunctionName"] == fn_name and created["Handler"] == "app.handler"
    aws(server, "lambda", "wait", "function-active-v2", "--function-name", fn_name)

    out = tmp_path / "out.json"
    invoked = json.loads(
        aws(
            server, "lambda", "invoke", "--function-name", fn_name, "--payload", '{"k": "v"}', "--log-type", "Tail", str(out)
        ).stdout
    )
    assert invoked["StatusCode"] == 200 and invoked["ExecutedVersion"] == "$LATEST"
    assert json.loads(out.read_text()) == {"got": {"k": "v"}}
    assert f"hello from {fn_name}" in base64.b64decode(invoked["LogResult"]).decode()

    got = json.loads(aws(server, "lambda", "get-function", "--function-name", fn_name).stdout)
    assert got["Configuration"]["State"] == "Active"
    listed = json.loads(aws(server, "lambda", "list-functions").stdout)
    assert fn_name in [f["FunctionName"] for f in listed["Functions"]]
    updated = json.loads(
        aws(server, "lambda", "update-function-configuration", "--function-name", fn_name, "--memory-size", "1024").stdout
    )
    assert updated["MemorySize"] == 1024

    aws(server, "lambda", "delete-function", "--function-name", fn_name)
    missing = aws(server, "lambda", "get-function", "--function-name", fn_name, check=False)
    assert missing.returncode in (254, 255)  # v2 and v1 exit statuses for a service error
    assert "ResourceNotFoundException" in missing.stderr and f"function:{fn_name}" in missing.stderr


def test_aws_cli_validation_error(server: Server, tmp_path: Path, fn_name: str) -> None:
    package = tmp_path / "function.zip"
    package.write_bytes(make_zip({"app.py": HELLO}))
    result = aws(
        server,
        "lambda",
        "create-function",
        "--function-name",
        fn_name,
        "--runtime",
        RUNTIME,
        "--handler",
        "app.handler",
        "--role",
        ROLE,
        "--zip-file",
        f"fileb://{package}",
        "--timeout",
        "901",
        check=False,
    )
    assert result.returncode in (254, 255)
    assert "(ValidationException)" in result.stderr
    assert "Member must have value less than or equal to 900" in result.stderr


def test_aws_cli_reads_logs(server: Server, lam: Any, fn_name: str) -> None:
    create(lam, fn_name, HELLO)
    lam.invoke(FunctionName=fn_name, Payload=b"{}")
    events = json.loads(aws(server, "logs", "filter-log-events", "--log-group-name", f"/aws/lambda/{fn_name}").stdout)
    assert f"hello from {fn_name}" in [e["message"] for e in events["events"]]


def test_lambent_cli(server: Server, tmp_path: Path, fn_name: str) -> None:
    source = tmp_path / "src"
    (source / "lib").mkdir(parents=True)
    (source / "app.py").write_text(
        "from lib.util import twice\ndef handler(event, context):\n"
        "    print('cli log line')\n    return twice(event.get('n', 1))\n"
    )
    (source / "lib" / "__init__.py").write_text("")
    (source / "lib" / "util.py").write_text("def twice(n):\n    return n * 2\n")
    deployed = lambent(server, "deploy", fn_name, str(source), "--runtime", RUNTIME)
    assert deployed.returncode == 0, deployed.stderr
    assert deployed.stdout.startswith(f"created arn:aws:lambda:us-east-1:000000000000:function:{fn_name}")

    invoked = lambent(server, "invoke", fn_name, '{"n": 21}', "--tail")
    assert invoked.returncode == 0, invoked.stderr
    assert invoked.stdout.strip() == "42"
    assert "cli log line" in invoked.stderr and "REPORT RequestId:" in invoked.stderr
    assert lambent(server, "invoke", fn_name, "-", stdin='{"n": 5}').stdout.strip() == "10"
    payload = tmp_path / "payload.json"
    payload.write_text('{"n": 7}')
    assert lambent(server, "invoke", fn_name, f"@{payload}").stdout.strip() == "14"

    (source / "lib" / "util.py").write_text("def twice(n):\n    return n * 3\n")
    redeployed = lambent(server, "deploy", fn_name, str(source), "--runtime", RUNTIME, "--memory", "256")
    assert redeployed.stdout.startswith("updated ")
    assert lambent(server, "invoke", fn_name, '{"n": 2}').stdout.strip() == "6"

    listed = lambent(server, "ls", "--json")
    row = next(f for f in json.loads(listed.stdout) if f["FunctionName"] == fn_name)
    assert row["MemorySize"] == 256

    logs = lambent(server, "logs", fn_name)
    assert logs.returncode == 0 and "cli log line" in logs.stdout and "START RequestId:" in logs.stdout

    failing = lambent(server, "invoke", fn_name, "not json")
    assert failing.returncode == 1 and "InvalidRequestContentException" in failing.stderr

    removed = lambent(server, "rm", fn_name)
    assert removed.returncode == 0 and f"deleted {fn_name}" in removed.stdout
    gone = lambent(server, "invoke", fn_name)
    assert gone.returncode == 1 and "ResourceNotFoundException" in gone.stderr


def test_lambent_logs_follow(server: Server, lam: Any, fn_name: str) -> None:
    create(lam, fn_name, "def handler(event, context):\n    print('follow', event['i'])\n")
    env = server.cli_env(LAMBENT_ENDPOINT_URL=server.endpoint)
    follower = subprocess.Popen(
        [str(VENV_BIN / "lambent"), "logs", fn_name, "--follow"], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        for i in range(3):
            lam.invoke(FunctionName=fn_name, Payload=json.dumps({"i": i}).encode())
            time.sleep(0.3)
        seen: list[str] = []
        deadline = time.monotonic() + 10
        assert follower.stdout is not None
        os.set_blocking(follower.stdout.fileno(), False)
        while time.monotonic() < deadline and "follow 2" not in seen:
            line = follower.stdout.readline()
            if line:
                seen.append(line.strip())
            else:
                time.sleep(0.05)
        assert [s for s in seen if s.startswith("follow")] == ["follow 0", "follow 1", "follow 2"]
    finally:
        follower.terminate()
        follower.wait(5)


def test_state_survives_restart_and_environments_stop(tmp_path: Path) -> None:
    server = Server(tmp_path / "data").start()
    try:
        lam = server.client()
        create(lam, "survivor", "import os\ndef handler(e, c):\n    return [os.getuid(), os.getpid()]\n", Tags={"keep": "yes"})
        uid, pid = json.loads(lam.invoke(FunctionName="survivor", Payload=b"{}")["Payload"].read())
        assert not environment_gone(uid, pid, 0)
    finally:
        server.stop()
    assert environment_gone(uid, pid, 0)  # the server stopped its environments
    server.start()
    try:
        lam = server.client()
        assert lam.get_function(FunctionName="survivor")["Tags"] == {"keep": "yes"}
        assert json.loads(lam.invoke(FunctionName="survivor", Payload=b"{}")["Payload"].read())[0] == uid
    finally:
        server.stop()


def test_idle_environments_are_reaped(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", LAMBENT_IDLE_TIMEOUT_S="0.5").start()
    try:
        lam = server.client()
        code = "import os, time\nSTARTED = time.time()\ndef handler(e, c):\n    return [os.getuid(), os.getpid(), STARTED]\n"
        create(lam, "idle", code)
        uid, pid, started = json.loads(lam.invoke(FunctionName="idle", Payload=b"{}")["Payload"].read())
        assert environment_gone(uid, pid, 5)
        again = json.loads(lam.invoke(FunctionName="idle", Payload=b"{}")["Payload"].read())
        assert again[2] != started  # a new environment ran the init again
    finally:
        server.stop()
