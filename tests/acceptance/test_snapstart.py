"""SnapStart against a real server with boto3: a published version initialises once, with AWS's
runtime hooks (snapshot_restore_py), and its environments are restored from that state.

Restoring needs the ``namespaces`` sandbox with user namespaces; elsewhere versions initialise
on demand, which the server says, and these tests are skipped with the reason.
"""

from __future__ import annotations

import base64
import json
import math
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.fixtures.server import Server, create
from tests.fixtures.snapstart import publish_snapstart, wait_active

CODE = r"""
import os, random, time
from snapshot_restore_py import register_after_restore, register_before_snapshot

TOKEN = random.random()  # made once, by the snapshot's init
ORDER = []


def note(what):
    ORDER.append(what)


register_before_snapshot(note, "before-1")
register_before_snapshot(note, "before-2")
register_after_restore(note, "after-1")


@register_after_restore
def after_2():
    note("after-2")


with open("/tmp/made-by-init", "w") as made:
    made.write("init")
print("init ran")


def handler(event, context):
    if event.get("write"):
        with open("/tmp/" + event["write"], "w") as mine:
            mine.write(event["write"])
    time.sleep(event.get("sleep", 0))
    return {
        "token": TOKEN,
        "order": ORDER,
        "type": os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE"),
        "log_env": [k for k in ("AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME") if k in os.environ],
        "tmp": sorted(os.listdir("/tmp")),
        "random": random.random(),
    }
"""
REPORT = re.compile(
    r"REPORT RequestId: \S+\tDuration: (?P<duration>\d+\.\d\d) ms\tBilled Duration: (?P<billed>\d+) ms\t"
    r"Memory Size: \d+ MB\tMax Memory Used: \d+ MB\t(?P<rest>.*)$",
    re.MULTILINE,
)


@pytest.fixture(scope="module")
def restorable(server: Server) -> Server:
    health = json.loads(__import__("urllib.request").request.urlopen(f"{server.endpoint}/lambent/health").read())
    snapstart = next((p for p in health["protections"] if p["name"].startswith("SnapStart")), None)
    if snapstart is None or not snapstart["active"]:
        pytest.skip(f"environments are not restored here ({snapstart['reason'] if snapstart else health['sandbox']})")
    return server


@pytest.fixture(scope="module")
def published(restorable: Server, lam: Any) -> tuple[str, str]:
    name = "snapstart-hooks"
    create(lam, name, CODE, SnapStart={"ApplyOn": "PublishedVersions"})
    answer = lam.publish_version(FunctionName=name)
    # As on AWS, a SnapStart version is Pending until its snapshot is made (init included).
    assert (answer["State"], answer["StateReasonCode"]) == ("Pending", "Creating")
    version: str = answer["Version"]
    wait_active(lam, name, version)
    return name, version


def invoke(lam: Any, name: str, qualifier: str, event: dict[str, Any]) -> tuple[dict[str, Any], str]:
    response = lam.invoke(FunctionName=name, Qualifier=qualifier, Payload=json.dumps(event).encode(), LogType="Tail")
    body = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, body
    return body, base64.b64decode(response["LogResult"]).decode()


def concurrently(lam: Any, name: str, qualifier: str, events: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    with ThreadPoolExecutor(len(events)) as pool:
        return list(pool.map(lambda event: invoke(lam, name, qualifier, event), events))


def test_runtimes_aws_does_not_offer_it_on_are_refused(lam: Any, fn_name: str) -> None:
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as refused:
        create(
            lam, fn_name, "def handler(e, c):\n    return 1\n", Runtime="python3.11", SnapStart={"ApplyOn": "PublishedVersions"}
        )
    assert refused.value.response["Error"]["Message"] == "python3.11 is not supported for SnapStart enabled functions."
    create(lam, fn_name, "def handler(e, c):\n    return 1\n", Runtime="python3.11")
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_function_configuration(FunctionName=fn_name, SnapStart={"ApplyOn": "PublishedVersions"})
    assert lam.get_function_configuration(FunctionName=fn_name)["SnapStart"]["ApplyOn"] == "None"


def test_a_published_version_is_optimised_and_latest_is_not(lam: Any, published: tuple[str, str]) -> None:
    name, version = published
    assert lam.get_function_configuration(FunctionName=name, Qualifier=version)["SnapStart"] == {
        "ApplyOn": "PublishedVersions",
        "OptimizationStatus": "On",
    }
    assert lam.get_function_configuration(FunctionName=name)["SnapStart"]["OptimizationStatus"] == "Off"


def test_init_runs_once_and_every_environment_resumes_from_it(lam: Any, published: tuple[str, str]) -> None:
    name, version = published
    results = concurrently(lam, name, version, [{"sleep": 0.6}] * 3)
    bodies = [body for body, _log in results]
    assert len({body["token"] for body in bodies}) == 1  # one init, three environments
    for body in bodies:
        # Before the snapshot in reverse order of registration, after a restore in order (AWS's rule).
        assert body["order"] == ["before-2", "before-1", "after-1", "after-2"]
        assert body["type"] == "snap-start"
        assert body["log_env"] == []  # not available to SnapStart functions, as on AWS
    assert len({body["random"] for body in bodies}) == 3  # the random module is reseeded in each


def test_each_restored_environment_has_its_own_tmp_with_what_init_left(lam: Any, published: tuple[str, str]) -> None:
    name, version = published
    results = concurrently(lam, name, version, [{"write": f"env-{i}", "sleep": 0.6} for i in range(3)])
    for i, (body, _log) in enumerate(results):
        assert body["tmp"] == sorted(["made-by-init", f"env-{i}"]), body["tmp"]


def test_a_restore_is_logged_and_billed_as_aws_does(lam: Any, published: tuple[str, str]) -> None:
    name, version = published
    logs = [log for _body, log in concurrently(lam, name, version, [{"sleep": 0.6}] * 4)]
    restored = [log for log in logs if "RESTORE_START" in log]
    assert restored, "four concurrent invocations should need at least one new environment"
    log = restored[0]
    assert re.search(r"^RESTORE_START Runtime Version: python:3\.12\.\d+\tRuntime Version ARN: arn:aws:lambda:", log, re.M)
    restore_ms = float(re.search(r"^RESTORE_REPORT Restore Duration: (\d+\.\d\d) ms$", log, re.M).group(1))  # type: ignore[union-attr]
    report = REPORT.search(log)
    assert report is not None, log
    rest = report.group("rest")
    assert "Init Duration" not in rest
    fields = re.match(r"Restore Duration: (\d+\.\d\d) ms\tBilled Restore Duration: (\d+) ms\t", rest)
    assert fields is not None, rest
    assert float(fields.group(1)) == restore_ms
    billed_restore = int(fields.group(2))
    assert billed_restore <= math.ceil(restore_ms)
    # Duration is shown to 0.01 ms but billed from the unrounded figure: 602.004 shows as
    # 602.00 and bills 603.
    duration = float(report.group("duration"))
    billed = int(report.group("billed")) - billed_restore
    assert max(1, math.ceil(duration - 0.005)) <= billed <= max(1, math.ceil(duration + 0.005)), report.group(0)


def test_the_snapshot_init_is_logged_in_a_stream_of_its_own(server: Server, published: tuple[str, str]) -> None:
    name, _version = published
    logs = server.client("logs")
    messages = [e["message"] for e in logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]]
    text = "".join(messages)
    assert re.search(r"INIT_START Runtime Version: python:3\.12\.\d+\t", text)
    assert "init ran" in text
    assert re.search(r"INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: success", text)


def test_latest_initialises_on_demand(lam: Any, published: tuple[str, str]) -> None:
    name, _version = published
    body, log = invoke(lam, name, "$LATEST", {})
    assert body["type"] == "on-demand"
    assert body["order"] == []
    assert "RESTORE_START" not in log


def test_an_init_that_fails_fails_the_invocation_and_is_tried_again(restorable: Server, lam: Any, fn_name: str) -> None:
    code = "import os\nif not os.path.exists('/tmp/x'):\n    raise ValueError('no snapshot today')\ndef handler(e, c):\n    return 1\n"
    version = publish_snapstart(lam, fn_name, code)
    for _ in range(2):
        response = lam.invoke(FunctionName=fn_name, Qualifier=version)
        assert response["FunctionError"] == "Unhandled"
        error = json.loads(response["Payload"].read())
        assert error["errorType"] == "ValueError"
        assert error["errorMessage"] == "no snapshot today"


def test_an_after_restore_hook_that_fails_fails_the_invocation(restorable: Server, lam: Any, fn_name: str) -> None:
    code = (
        "from snapshot_restore_py import register_after_restore\n"
        "@register_after_restore\n"
        "def broken():\n    raise RuntimeError('cannot reconnect')\n"
        "def handler(e, c):\n    return 1\n"
    )
    version = publish_snapstart(lam, fn_name, code)
    response = lam.invoke(FunctionName=fn_name, Qualifier=version)
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert (error["errorType"], error["errorMessage"]) == ("RuntimeError", "cannot reconnect")


def test_a_version_is_pending_while_its_snapshot_is_made(restorable: Server, lam: Any, fn_name: str) -> None:
    code = "import time\ntime.sleep(1.5)\ndef handler(e, c):\n    return 'ready'\n"
    create(lam, fn_name, code, SnapStart={"ApplyOn": "PublishedVersions"})
    version = lam.publish_version(FunctionName=fn_name)["Version"]
    assert lam.get_function_configuration(FunctionName=fn_name, Qualifier=version)["State"] == "Pending"
    with pytest.raises(lam.exceptions.ResourceConflictException) as refused:
        lam.invoke(FunctionName=fn_name, Qualifier=version)
    assert refused.value.response["Error"]["Message"] == (
        "The operation cannot be performed at this time. The function is currently in the following state: Pending"
    )
    wait_active(lam, fn_name, version)
    assert json.loads(lam.invoke(FunctionName=fn_name, Qualifier=version)["Payload"].read()) == "ready"
