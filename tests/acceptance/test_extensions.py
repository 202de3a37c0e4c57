"""External extensions from a layer: registration, INVOKE and SHUTDOWN events, in the function's log."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.fixtures.function_logs import log_messages
from tests.fixtures.server import create
from tests.fixtures.zips import package

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
        events = log_messages(server.client("logs"), fn_name)
        time.sleep(0.2)
    assert "EXT SHUTDOWN spindown" in events


TELEMETRY_EXTENSION = r"""#!/usr/bin/python3.11
import http.client, http.server, json, os, threading

class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        batch = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with open("/tmp/telemetry.jsonl", "a") as sink:
            for event in batch:
                sink.write(json.dumps(event) + "\n")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass

listener = http.server.HTTPServer(("sandbox.localdomain" if os.path.exists("/var/task") else "127.0.0.1", 0), Receiver)
threading.Thread(target=listener.serve_forever, daemon=True).start()
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
api = http.client.HTTPConnection(host, int(port))
api.request("POST", "/2020-01-01/extension/register", body=json.dumps({"events": ["INVOKE"]}),
            headers={"Lambda-Extension-Name": "telemetry"})
response = api.getresponse()
identifier = response.getheader("Lambda-Extension-Identifier")
response.read()
subscription = {"schemaVersion": "2022-12-13", "types": ["platform", "function"],
                "buffering": {"maxItems": 1000, "maxBytes": 262144, "timeoutMs": 25},
                "destination": {"protocol": "HTTP", "URI": "http://sandbox.localdomain:%d" % listener.server_address[1]}}
api.request("PUT", "/2022-07-01/telemetry", body=json.dumps(subscription), headers={"Lambda-Extension-Identifier": identifier})
response = api.getresponse()
print("TELEMETRY SUBSCRIBED", response.status, response.read().decode(), flush=True)
while True:
    api.request("GET", "/2020-01-01/extension/event/next", headers={"Lambda-Extension-Identifier": identifier})
    api.getresponse().read()
"""


def test_telemetry_records_reach_the_extension(lam: Any, fn_name: str) -> None:
    layer = lam.publish_layer_version(
        LayerName=f"{fn_name}-tel",
        Content={"ZipFile": package({"extensions/telemetry": TELEMETRY_EXTENSION}, executable=("extensions/telemetry",))},
    )
    code = (
        "import json, os\n"
        "def handler(event, context):\n"
        "    print('from the handler', event['n'])\n"
        "    if not os.path.exists('/tmp/telemetry.jsonl'):\n"
        "        return []\n"
        "    return [json.loads(line) for line in open('/tmp/telemetry.jsonl')]\n"
    )
    create(lam, fn_name, code, Layers=[layer["LayerVersionArn"]], MemorySize=512)
    first = lam.invoke(FunctionName=fn_name, Payload=b'{"n": 1}', LogType="Tail")
    first_id = first["ResponseMetadata"]["RequestId"]
    assert "TELEMETRY SUBSCRIBED 200 OK" in __import__("base64").b64decode(first["LogResult"]).decode()
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(0.2)
        events = json.loads(lam.invoke(FunctionName=fn_name, Payload=b'{"n": 2}')["Payload"].read())
        if any(e["type"] == "platform.report" and e["record"]["requestId"] == first_id for e in events):
            break
    types = [e["type"] for e in events]
    for expected in (
        "platform.initStart",
        "platform.initRuntimeDone",
        "platform.initReport",
        "platform.start",
        "platform.runtimeDone",
        "platform.report",
        "function",
    ):
        assert expected in types, types
    report = next(e for e in events if e["type"] == "platform.report" and e["record"]["requestId"] == first_id)
    assert report["record"]["status"] == "success"
    assert set(report["record"]["metrics"]) >= {
        "durationMs",
        "billedDurationMs",
        "memorySizeMB",
        "maxMemoryUsedMB",
        "initDurationMs",
    }
    assert report["record"]["metrics"]["memorySizeMB"] == 512
    assert {"time", "type", "record"} == set(report)
    assert "from the handler 1" in [e["record"] for e in events if e["type"] == "function"]
