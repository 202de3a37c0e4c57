"""External extensions from a layer: registration, INVOKE and SHUTDOWN events, in the function's log."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.acceptance.test_runtimes import package
from tests.conftest import create

EXTENSION = r"""#!/usr/bin/python3.11
import http.client, json, os

host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
connection = http.client.HTTPConnection(host, int(port))
body = json.dumps({"events": ["INVOKE", "SHUTDOWN"]})
connection.request("POST", "/2020-01-01/extension/register", body=body, headers={"Lambda-Extension-Name": "probe"})
response = connection.getresponse()
identifier = response.getheader("Lambda-Extension-Identifier")
print("EXT REGISTERED", response.status, json.loads(response.read())["functionName"], flush=True)
while True:
    connection.request("GET", "/2020-01-01/extension/event/next", headers={"Lambda-Extension-Identifier": identifier})
    event = json.loads(connection.getresponse().read())
    if event["eventType"] == "INVOKE":
        print("EXT INVOKE", event["requestId"], event["invokedFunctionArn"], flush=True)
    else:
        print("EXT SHUTDOWN", event["shutdownReason"], flush=True)
"""


def test_extension_receives_invoke_and_shutdown(server: Any, lam: Any, fn_name: str) -> None:
    layer = lam.publish_layer_version(
        LayerName=f"{fn_name}-ext",
        Content={"ZipFile": package({"extensions/probe": EXTENSION}, executable=("extensions/probe",))},
    )
    create(
        lam,
        fn_name,
        "def handler(event, context):\n    print('handler ran')\n    return 'ok'\n",
        Layers=[layer["LayerVersionArn"]],
        MemorySize=512,
    )
    logs = []
    for _ in range(2):
        response = lam.invoke(FunctionName=fn_name, Payload=b"{}", LogType="Tail")
        assert json.loads(response["Payload"].read()) == "ok"
        request_id = response["ResponseMetadata"]["RequestId"]
        logs.append(__import__("base64").b64decode(response["LogResult"]).decode())
        # The invocation waited for the extension to finish with its INVOKE event.
        assert f"EXT INVOKE {request_id} arn:aws:lambda:us-east-1:000000000000:function:{fn_name}" in logs[-1]
    assert f"EXT REGISTERED 200 {fn_name}" in logs[0]
    lam.update_function_configuration(FunctionName=fn_name, Timeout=5)  # retires the environment: spindown
    events: list[str] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "EXT SHUTDOWN spindown" not in events:
        events = [e["message"] for e in server.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{fn_name}")["events"]]
        time.sleep(0.2)
    assert "EXT SHUTDOWN spindown" in events
