"""When a handler started, for lines 15 and 16: the ``clock`` function logs it, the benchmark
reads it back.

``CLOCK_HANDLER``'s first statement reads the wall clock; it then prints that time with the
*mark* its event carries (at the top level, or in an EventBridge event's ``detail``) on a line
of its own. The benchmark reads those lines back through the Logs API (FilterLogEvents, signed
as the AWS CLI's ``aws logs`` is) once the invocations are done, so reading costs the measured
path nothing. Function and client are on this machine and read the same realtime clock.

Beside each measurement, its floor: the same function's asynchronous Invoke
(``X-Amz-Invocation-Type: Event``) from the client's send to the handler's start, measured the
same way in the same round (``async_invoke``).
"""

from __future__ import annotations

import json
import time
from typing import Any

import harness
from httpclient import Connection, build_request

FUNCTION = "clock"
CLOCK_HANDLER = """\
import json
import time


def handler(event, context):
    at = time.time()
    body = event.get("detail", event) if isinstance(event, dict) else {}
    print("CLOCK " + json.dumps({"at": at, "mark": body.get("mark")}))
    return {}
"""
PREFIX = "CLOCK "
#: Between two sends on the same connection: long enough for the handler to have run, so each
#: invocation finds the environment idle rather than queued behind the one before.
GAP_S = 0.05


def started_at(port: int, since: float, marks: set[str], timeout_s: float = 20.0) -> dict[str, float]:
    """Mark -> the handler's start time, for each of *marks* that ``clock`` logged since
    *since* (epoch seconds), once all are there or *timeout_s* has passed (a connection of its
    own: the caller's may have idled past the server's keep-alive)."""
    deadline = time.monotonic() + timeout_s
    found: dict[str, float] = {}
    while True:
        params: dict[str, Any] = {"logGroupName": f"/aws/lambda/{FUNCTION}", "startTime": int(since * 1000) - 1000}
        while True:  # every page
            with Connection("127.0.0.1", port) as conn:
                answer = harness.json11(conn, "Logs_20140328.FilterLogEvents", params)
            for event in answer["events"]:
                message = event["message"]
                if message.startswith(PREFIX):
                    record = json.loads(message[len(PREFIX) :])
                    if record["mark"] in marks:
                        found[record["mark"]] = float(record["at"])
            if "nextToken" not in answer:
                break
            params["nextToken"] = answer["nextToken"]
        if len(found) == len(marks) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def warm(conn: Connection) -> None:
    """Invoke ``clock`` and wait for its answer, so an environment is ready before anything is
    timed (an async invoke sent during a cold start would wait behind it: that is line 3's figure)."""
    response = conn.request("POST", harness.invoke_path(FUNCTION), b'{"mark": null}')
    if response.status != 200 or "x-amz-function-error" in response.headers:
        raise harness.BenchError(f"Invoke {FUNCTION}: {response.status} {response.body[:300]!r}")


def async_invoke(conn: Connection, mark: str) -> tuple[float, bool]:
    """One ``Event`` invoke of ``clock`` carrying *mark*: when it was sent, and whether it was accepted (202)."""
    body = json.dumps({"mark": mark}).encode()
    request = build_request(
        "POST", f"{conn.host}:{conn.port}", harness.invoke_path(FUNCTION), body, {"X-Amz-Invocation-Type": "Event"}
    )
    sent = time.time()
    return sent, conn.send_raw(request).status == 202


def delays(sent: dict[str, float], started: dict[str, float]) -> tuple[list[float], int]:
    """Seconds from each send to its handler's start, and how many sends never started one."""
    values = [started[mark] - at for mark, at in sent.items() if mark in started]
    return values, len(sent) - len(values)
