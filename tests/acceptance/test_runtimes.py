"""Runtimes over the Runtime API: AWS's bash tutorial, Node.js, and AWS's own Python client."""

from __future__ import annotations

import base64
import importlib.metadata
import json
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.server import ROLE, Server
from tests.fixtures.zips import package

# AWS's custom-runtime tutorial, unmodified (the benchmark runs the same files).
TUTORIAL = Path(__file__).resolve().parent.parent / "fixtures" / "aws-bash-tutorial"
TUTORIAL_BOOTSTRAP = (TUTORIAL / "bootstrap").read_text()
TUTORIAL_FUNCTION = (TUTORIAL / "function.sh").read_text()


def deploy(lam: Any, name: str, runtime: str, handler: str, data: bytes, **kwargs: Any) -> None:
    lam.create_function(
        FunctionName=name, Runtime=runtime, Handler=handler, Role=ROLE, Code={"ZipFile": data}, MemorySize=1024, **kwargs
    )


def call(lam: Any, name: str, payload: Any) -> tuple[dict[str, Any], Any, str]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(payload).encode(), LogType="Tail")
    body = response["Payload"].read()
    return (
        response,
        json.loads(body) if body.startswith((b"{", b"[", b'"')) else body.decode(),
        base64.b64decode(response["LogResult"]).decode(),
    )


@pytest.fixture(scope="module")
def namespaces(server: Server) -> Server:
    health = json.loads(__import__("urllib.request").request.urlopen(f"{server.endpoint}/lambent/health").read())
    if health["sandbox"] != "namespaces":
        pytest.skip("AWS's tutorial needs bash as /bin/sh, which the namespaces sandbox gives (as Amazon Linux does)")
    return server


def test_aws_bash_tutorial_runtime(namespaces: Server, lam: Any, fn_name: str) -> None:
    data = package({"bootstrap": TUTORIAL_BOOTSTRAP, "function.sh": TUTORIAL_FUNCTION}, executable=("bootstrap", "function.sh"))
    deploy(lam, fn_name, "provided.al2023", "function.handler", data)
    for text in ("Hello", "again"):
        response, body, log = call(lam, fn_name, {"text": text})
        assert "FunctionError" not in response
        assert body == 'Echoing request: \'{"text": "' + text + "\"}'"
        assert '{"text": "' + text + '"}' in log  # what the function wrote to stderr


def _updated(lam: Any, name: str) -> None:
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})


def test_aws_bash_tutorial_replayed_step_by_step(namespaces: Server, lam: Any, fn_name: str) -> None:
    """docs.aws.amazon.com/lambda/latest/dg/runtimes-walkthrough.html, every step in order:
    the runtime in the package, then moved into a layer, then a second layer version. On
    provided.al2023, as the tutorial now has it: AWS no longer lets one create ``provided``."""
    layer = f"{fn_name}-bash-runtime"
    function_zip = package(
        {"function.sh": TUTORIAL_FUNCTION, "bootstrap": TUTORIAL_BOOTSTRAP}, executable=("function.sh", "bootstrap")
    )
    deploy(lam, fn_name, "provided.al2023", "function.handler", function_zip)
    lam.get_waiter("function_active_v2").wait(FunctionName=fn_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    assert call(lam, fn_name, {"text": "Hello"})[1] == 'Echoing request: \'{"text": "Hello"}\''

    # Create a layer that only holds the runtime, and pull it into the function.
    runtime_zip = package({"bootstrap": TUTORIAL_BOOTSTRAP}, executable=("bootstrap",))
    first = lam.publish_layer_version(LayerName=layer, Content={"ZipFile": runtime_zip})
    assert first["Version"] == 1
    configured = lam.update_function_configuration(FunctionName=fn_name, Layers=[first["LayerVersionArn"]])
    assert [entry["Arn"] for entry in configured["Layers"]] == [first["LayerVersionArn"]]
    _updated(lam, fn_name)
    # Lambda uses the layer's runtime only once the package has none: the function code alone.
    lam.update_function_code(
        FunctionName=fn_name, ZipFile=package({"function.sh": TUTORIAL_FUNCTION}, executable=("function.sh",))
    )
    _updated(lam, fn_name)
    response, body, log = call(lam, fn_name, {"text": "Hello"})
    assert "FunctionError" not in response, body
    assert body == 'Echoing request: \'{"text": "Hello"}\''
    assert "##  Environment variables:" not in log

    # Update the runtime (it prints its environment), publish it as version 2, and use that.
    updated = TUTORIAL_BOOTSTRAP.replace(
        "set -euo pipefail\n", 'set -euo pipefail\n\necho "##  Environment variables:"\nenv\n', 1
    )
    second = lam.publish_layer_version(
        LayerName=layer, Content={"ZipFile": package({"bootstrap": updated}, executable=("bootstrap",))}
    )
    assert second["Version"] == 2
    lam.update_function_configuration(FunctionName=fn_name, Layers=[second["LayerVersionArn"]])
    _updated(lam, fn_name)
    response, body, log = call(lam, fn_name, {"text": "again"})
    assert "FunctionError" not in response, body
    assert body == 'Echoing request: \'{"text": "again"}\''
    assert "##  Environment variables:" in log and "_HANDLER=function.handler" in log

    # Share the layer with every account, as the tutorial does.
    shared = lam.add_layer_version_permission(
        LayerName=layer, VersionNumber=2, Principal="*", StatementId="publish", Action="lambda:GetLayerVersion"
    )
    assert json.loads(shared["Statement"]) == {
        "Sid": "publish",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "lambda:GetLayerVersion",
        "Resource": second["LayerVersionArn"],
    }
    # Clean up: with both layer versions deleted, the function that refers to version 2 still works.
    lam.delete_layer_version(LayerName=layer, VersionNumber=1)
    lam.delete_layer_version(LayerName=layer, VersionNumber=2)
    lam.update_function_configuration(FunctionName=fn_name, Description="a fresh environment")
    _updated(lam, fn_name)
    response, body, log = call(lam, fn_name, {"text": "after"})
    assert "FunctionError" not in response, body
    assert body == 'Echoing request: \'{"text": "after"}\'' and "##  Environment variables:" in log
    lam.delete_function(FunctionName=fn_name)


def test_custom_runtime_without_bootstrap_is_invalid_entrypoint(lam: Any, fn_name: str) -> None:
    """As AWS answers when neither the package nor a layer has a bootstrap (or it is not executable)."""
    deploy(lam, fn_name, "provided.al2023", "function.handler", package({"function.sh": TUTORIAL_FUNCTION}))
    response, body, log = call(lam, fn_name, {"text": "Hello"})
    request_id = response["ResponseMetadata"]["RequestId"]
    assert response["FunctionError"] == "Unhandled"
    task = (
        "/var/task"
        if "/var/task/" in body["errorMessage"]
        else body["errorMessage"].split("[")[1].split(" ")[0].rsplit("/", 1)[0]
    )
    assert body == {
        "errorMessage": f"RequestId: {request_id} Error: Couldn't find valid bootstrap(s): [{task}/bootstrap /opt/bootstrap]",
        "errorType": "Runtime.InvalidEntrypoint",
    }
    assert "Error Type: Runtime.InvalidEntrypoint" in log
    deploy(lam, fn_name + "-x", "provided.al2023", "function.handler", package({"bootstrap": TUTORIAL_BOOTSTRAP}))
    response, body, _ = call(lam, fn_name + "-x", {"text": "Hello"})
    request_id = response["ResponseMetadata"]["RequestId"]
    assert body == {
        "errorMessage": f"RequestId: {request_id} Error: fork/exec {task}/bootstrap: permission denied",
        "errorType": "Runtime.InvalidEntrypoint",
    }


def test_nodejs_commonjs_and_callback(lam: Any, fn_name: str) -> None:
    code = (
        "let count = 0;\n"
        "exports.handler = async (event, context) => {\n"
        "  count += 1;\n"
        "  console.log('cjs log', JSON.stringify(event));\n"
        "  return { count, name: context.functionName, id: context.awsRequestId, left: context.getRemainingTimeInMillis() > 0,\n"
        "           node: process.version, env: process.env.AWS_EXECUTION_ENV };\n"
        "};\n"
        "exports.callbackStyle = (event, context, callback) => { setTimeout(() => callback(null, { doubled: event.n * 2 }), 10); };\n"
    )
    deploy(lam, fn_name, "nodejs20.x", "index.handler", package({"index.js": code}))
    first = call(lam, fn_name, {"a": 1})
    second = call(lam, fn_name, {"a": 2})
    assert first[1]["count"] == 1 and second[1]["count"] == 2  # warm reuse keeps module state
    assert first[1]["name"] == fn_name and first[1]["left"] is True and first[1]["env"] == "AWS_Lambda_nodejs20.x"
    assert first[1]["id"] == first[0]["ResponseMetadata"]["RequestId"]
    assert 'cjs log {"a":1}' in first[2] and "Init Duration" in first[2] and "Init Duration" not in second[2]
    deploy(lam, fn_name + "-cb", "nodejs22.x", "index.callbackStyle", package({"index.js": code}))
    assert call(lam, fn_name + "-cb", {"n": 21})[1] == {"doubled": 42}


def test_nodejs_es_modules(lam: Any, fn_name: str) -> None:
    esm = "import { helper } from './lib.mjs';\nexport const handler = async (event) => ({ esm: helper(event.x) });\n"
    deploy(
        lam, fn_name, "nodejs20.x", "app.handler", package({"app.mjs": esm, "lib.mjs": "export const helper = (x) => x + 1;\n"})
    )
    assert call(lam, fn_name, {"x": 41})[1] == {"esm": 42}
    typed = package(
        {"app.js": "export const handler = async () => 'module via package.json';\n", "package.json": '{"type": "module"}'}
    )
    deploy(lam, fn_name + "-type", "nodejs22.x", "app.handler", typed)
    assert call(lam, fn_name + "-type", {})[1] == "module via package.json"


def test_nodejs_errors(lam: Any, fn_name: str) -> None:
    code = "exports.handler = async () => { const e = new TypeError('bad input'); throw e; };\n"
    deploy(lam, fn_name, "nodejs20.x", "index.handler", package({"index.js": code}))
    response, body, _ = call(lam, fn_name, {})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "TypeError" and body["errorMessage"] == "bad input"
    assert isinstance(body["trace"], list) and body["trace"][0] == "TypeError: bad input"

    deploy(lam, fn_name + "-missing", "nodejs20.x", "nothere.handler", package({"index.js": code}))
    body = call(lam, fn_name + "-missing", {})[1]
    assert body["errorType"] == "Runtime.ImportModuleError" and "Cannot find module 'nothere'" in body["errorMessage"]
    deploy(lam, fn_name + "-noexport", "nodejs20.x", "index.other", package({"index.js": code}))
    body = call(lam, fn_name + "-noexport", {})[1]
    assert body == {
        "errorType": "Runtime.HandlerNotFound",
        "errorMessage": "index.other is undefined or not exported",
        "trace": body["trace"],
    }


def _distribution_files(name: str) -> dict[str, bytes]:
    """The files pip installed for distribution *name*, by their path in site-packages."""
    files = importlib.metadata.files(name) or []
    return {
        str(f): f.locate().read_bytes()  # type: ignore[union-attr]
        for f in files
        if not str(f).endswith(".pyc") and ".dist-info/" not in str(f) and not str(f).startswith("..")
    }


def test_aws_python_runtime_interface_client(namespaces: Server, lam: Any, fn_name: str) -> None:
    """A package bringing awslambdaric from PyPI, started as AWS's container images start it."""
    files: dict[str, str | bytes] = {
        "bootstrap": '#!/bin/sh\ncd "$LAMBDA_TASK_ROOT"\nexec /usr/bin/python3.11 -m awslambdaric "$_HANDLER"\n',
        "app.py": "import awslambdaric, os\n"
        "def handler(event, context):\n"
        "    print('ric log', event)\n"
        "    return {'ric': awslambdaric.__file__.startswith('/var/task/'), 'id': context.aws_request_id,\n"
        "            'got': event, 'memory': context.memory_limit_in_mb}\n",
    }
    for distribution in ("awslambdaric", "simplejson", "snapshot-restore-py"):
        files.update(_distribution_files(distribution))
    deploy(lam, fn_name, "provided.al2023", "app.handler", package(files, executable=("bootstrap",)))
    response, body, log = call(lam, fn_name, {"k": "v"})
    assert "FunctionError" not in response, (body, log)
    assert body == {"ric": True, "id": response["ResponseMetadata"]["RequestId"], "got": {"k": "v"}, "memory": "1024"}
    assert "ric log {'k': 'v'}" in log
    failing = files | {"app.py": "def handler(event, context):\n    raise KeyError('nope')\n"}
    deploy(lam, fn_name + "-err", "provided.al2023", "app.handler", package(failing, executable=("bootstrap",)))
    response, body, _ = call(lam, fn_name + "-err", {})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "KeyError" and body["errorMessage"] == "'nope'"


PROBING_RUNTIME = r"""#!/usr/bin/python3.11
import http.client, json, os, sys

host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
connection = http.client.HTTPConnection(host, int(port))
base = "/2018-06-01/runtime"
later = {}


def call(method, path, body=None):
    connection.request(method, base + path, body=body)
    response = connection.getresponse()
    return response.status, {k.title(): v for k, v in response.getheaders()}, response.read()


def status(method, path, body=None):
    code, _headers, payload = call(method, path, body)
    return [code, json.loads(payload) if payload else None]


if os.environ.get("_HANDLER") == "init.fail":
    call("POST", "/init/error", json.dumps({"errorMessage": "cannot start", "errorType": "Custom.InitFailed"}).encode())
    sys.exit(1)
n = 0
while True:
    code, headers, event = call("GET", "/invocation/next")
    request_id = headers["Lambda-Runtime-Aws-Request-Id"]
    n += 1
    if n == 1:
        report = {
            "next headers": sorted(k for k in headers if k.startswith("Lambda-Runtime-")),
            "deadline": int(headers["Lambda-Runtime-Deadline-Ms"]) > 0,
            "next again while invoked": status("GET", "/invocation/next"),
            "unknown id": status("POST", "/invocation/not-the-id/response", b"{}"),
            "wrong path": status("GET", "/invocation/nothing"),
            "wrong method": status("POST", "/invocation/next", b"{}"),
        }
        print("posting", flush=True)
        code, _, _ = call("POST", f"/invocation/{request_id}/response", json.dumps(report).encode())
        later["first answer"] = code
        later["second answer"] = status("POST", f"/invocation/{request_id}/response", b"{}")
        later["error after response"] = status("POST", f"/invocation/{request_id}/error", b"{}")
    elif n == 2:
        call("POST", f"/invocation/{request_id}/response", json.dumps(later).encode())
    elif n == 3:
        later = {"too large": status("POST", f"/invocation/{request_id}/response", b"x" * (6 * 1024 * 1024 + 200))}
        print("after too large", json.dumps(later), flush=True)
    else:
        call("POST", f"/invocation/{request_id}/error", json.dumps({"errorMessage": "as asked", "errorType": "Ignored"}).encode())
"""


def test_runtime_api_status_codes(lam: Any, fn_name: str) -> None:
    data = package({"bootstrap": PROBING_RUNTIME}, executable=("bootstrap",))
    deploy(lam, fn_name, "provided.al2023", "probe.handler", data)
    response, first, log = call(lam, fn_name, {"n": 1})
    assert "FunctionError" not in response, first
    assert first["next headers"] == [
        "Lambda-Runtime-Aws-Request-Id",
        "Lambda-Runtime-Deadline-Ms",
        "Lambda-Runtime-Invoked-Function-Arn",
        "Lambda-Runtime-Trace-Id",
    ]
    assert first["deadline"] is True
    assert first["next again while invoked"][0] == 403
    assert first["next again while invoked"][1]["errorType"] == "InvalidStateTransition"
    assert first["unknown id"] == [400, {"errorMessage": "Invalid request ID: not-the-id", "errorType": "InvalidRequestID"}]
    assert first["wrong path"][0] == 404
    assert first["wrong method"][0] == 405
    second = call(lam, fn_name, {"n": 2})[1]
    assert second["first answer"] == 202
    assert second["second answer"][0] == 403 and second["second answer"][1]["errorType"] == "InvalidStateTransition"
    assert second["error after response"][0] == 403
    response, third, third_log = call(lam, fn_name, {"n": 3})
    assert response["FunctionError"] == "Unhandled" and third["errorType"] == "Function.ResponseSizeTooLarge"
    response, fourth, log = call(lam, fn_name, {"n": 4})
    # Printed after the 413 reached the runtime: in the third invocation's log or the fourth's.
    printed = third_log + log
    assert '"too large": [413, {"errorMessage"' in printed and '"errorType": "RequestEntityTooLarge"' in printed
    # The error type comes from Lambda-Runtime-Function-Error-Type when sent, else from the body.
    assert response["FunctionError"] == "Unhandled" and fourth["errorMessage"] == "as asked" and fourth["errorType"] == "Ignored"

    deploy(lam, fn_name + "-init", "provided.al2023", "init.fail", data)
    response, body, _ = call(lam, fn_name + "-init", {})
    assert response["FunctionError"] == "Unhandled"
    assert body == {"errorMessage": "cannot start", "errorType": "Custom.InitFailed"}
