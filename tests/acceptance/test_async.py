"""Asynchronous invocation: EventInvokeConfig, retries of function errors, destinations."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.function_logs import log_messages
from tests.fixtures.records import RECORDER, records
from tests.fixtures.server import Server, create
from tests.fixtures.sqs import receive, server_with_sqs, sqs_client


@pytest.fixture(scope="module")
def quick_retries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose 1 and 2 minute retry waits last 0.6 and 1.2 s."""
    server = Server(tmp_path_factory.mktemp("async") / "data", LAMBENT_ASYNC_RETRY_SCALE="0.01").start()
    yield server
    server.stop()


def starts(server: Server, function: str) -> list[str]:
    return [m.split()[2] for m in log_messages(server.client("logs"), function) if m.startswith("START RequestId:")]


def arn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:000000000000:function:{name}"


def test_event_invoke_config_api(quick_retries: Server, tmp_path: Path) -> None:
    lam = quick_retries.client()
    create(lam, "configured", "def handler(e, c):\n    return 1\n")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as missing:
        lam.get_function_event_invoke_config(FunctionName="configured")
    assert missing.value.response["Error"]["Message"] == (
        f"The function {arn('configured')}:$LATEST doesn't have an EventInvokeConfig"
    )
    put = lam.put_function_event_invoke_config(
        FunctionName="configured", MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": arn("configured")}}
    )
    assert put["FunctionArn"] == f"{arn('configured')}:$LATEST" and put["MaximumRetryAttempts"] == 1
    assert put["DestinationConfig"] == {"OnFailure": {"Destination": arn("configured")}}
    updated = lam.update_function_event_invoke_config(FunctionName="configured", MaximumEventAgeInSeconds=120)
    assert updated["MaximumRetryAttempts"] == 1 and updated["MaximumEventAgeInSeconds"] == 120
    assert len(lam.list_function_event_invoke_configs(FunctionName="configured")["FunctionEventInvokeConfigs"]) == 1
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.put_function_event_invoke_config(
            FunctionName="configured", DestinationConfig={"OnSuccess": {"Destination": "arn:aws:sns:us-east-1:000000000000:t"}}
        )
    with pytest.raises(lam.exceptions.ClientError) as invalid:
        lam.put_function_event_invoke_config(FunctionName="configured", MaximumRetryAttempts=3)
    assert invalid.value.response["Error"]["Code"] == "ValidationException"
    lam.delete_function_event_invoke_config(FunctionName="configured")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_event_invoke_config(FunctionName="configured")


def test_function_errors_are_retried_then_sent_to_the_failure_destination(quick_retries: Server) -> None:
    lam = quick_retries.client()
    create(lam, "failing", "def handler(event, context):\n    raise ValueError('always ' + event['k'])\n")
    create(lam, "failures", RECORDER)
    lam.put_function_event_invoke_config(
        FunctionName="failing", MaximumRetryAttempts=2, DestinationConfig={"OnFailure": {"Destination": arn("failures")}}
    )
    response = lam.invoke(FunctionName="failing", InvocationType="Event", Payload=b'{"k": "v"}')
    assert response["StatusCode"] == 202
    request_id = response["ResponseMetadata"]["RequestId"]
    (record,) = records(quick_retries, "failures", 1)
    assert record["version"] == "1.0"
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"{arn('failing')}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] == {"k": "v"}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorMessage"] == "always v"
    assert starts(quick_retries, "failing") == [request_id] * 3  # the same request id on every attempt


def test_success_destination_and_no_retries(quick_retries: Server) -> None:
    lam = quick_retries.client()
    create(lam, "succeeding", "def handler(event, context):\n    return {'doubled': event['n'] * 2}\n")
    create(lam, "successes", RECORDER)
    lam.put_function_event_invoke_config(
        FunctionName="succeeding", DestinationConfig={"OnSuccess": {"Destination": arn("successes")}}
    )
    lam.invoke(FunctionName="succeeding", InvocationType="Event", Payload=b'{"n": 21}')
    (record,) = records(quick_retries, "successes", 1)
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responsePayload"] == {"doubled": 42} and "functionError" not in record["responseContext"]

    create(lam, "no-retries", "def handler(event, context):\n    raise KeyError('x')\n")
    create(lam, "no-retries-failures", RECORDER)
    lam.put_function_event_invoke_config(
        FunctionName="no-retries",
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": arn("no-retries-failures")}},
    )
    lam.invoke(FunctionName="no-retries", InvocationType="Event", Payload=b"{}")
    (record,) = records(quick_retries, "no-retries-failures", 1)
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestContext"]["condition"] == "RetriesExhausted"


def test_reserved_concurrency_zero_goes_straight_to_failure(quick_retries: Server) -> None:
    lam = quick_retries.client()
    create(lam, "stopped", "def handler(event, context):\n    return 1\n")
    create(lam, "stopped-failures", RECORDER)
    lam.put_function_event_invoke_config(
        FunctionName="stopped", DestinationConfig={"OnFailure": {"Destination": arn("stopped-failures")}}
    )
    lam.put_function_concurrency(FunctionName="stopped", ReservedConcurrentExecutions=0)
    lam.invoke(FunctionName="stopped", InvocationType="Event", Payload=b'{"a": 1}')
    (record,) = records(quick_retries, "stopped-failures", 1)
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert record["requestPayload"] == {"a": 1} and record["responsePayload"] is None
    assert starts(quick_retries, "stopped") == []


def test_accepted_events_survive_a_killed_server(tmp_path: Path) -> None:
    """Every 202 is kept: SIGKILL the server mid-run, restart it, and every event still runs.

    The function records each request id it ran in a file of the test's; the process sandbox
    lets it write there (this checks the queue, not isolation)."""
    import signal
    import threading

    out = tmp_path / "ran.txt"
    server = Server(tmp_path / "data", LAMBENT_SANDBOX="process").start()
    accepted: list[str] = []
    try:
        lam = server.client()
        code = (
            "import os, time\n"
            "def handler(event, context):\n"
            "    time.sleep(0.2)\n"
            "    with open(os.environ['OUT'], 'a') as sink:\n"
            "        sink.write(context.aws_request_id + '\\n')\n"
        )
        create(lam, "recorded", code, Environment={"Variables": {"OUT": str(out)}})
        lock = threading.Lock()

        def send(count: int) -> None:
            client = server.client()
            for _ in range(count):
                response = client.invoke(FunctionName="recorded", InvocationType="Event", Payload=b"{}")
                assert response["StatusCode"] == 202
                with lock:
                    accepted.append(response["ResponseMetadata"]["RequestId"])

        threads = [threading.Thread(target=send, args=(50,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)  # mid-run: most events are queued or running
        server.process.wait()
        server.process = None
    finally:
        server.stop()
    ran_before = set(out.read_text().split()) if out.exists() else set()
    assert len(ran_before) < len(accepted)  # the kill really interrupted the work
    server.start()
    try:
        deadline = time.monotonic() + 60
        ran: list[str] = []
        while time.monotonic() < deadline:
            ran = out.read_text().split() if out.exists() else []
            if set(accepted) <= set(ran):
                break
            time.sleep(0.3)
        lost = set(accepted) - set(ran)
        duplicates = len(ran) - len(set(ran))
        print(f"accepted {len(accepted)}, ran before the kill {len(ran_before)}, lost {len(lost)}, duplicates {duplicates}")
        assert lost == set()
    finally:
        server.stop()


LOOP = (
    "import json, boto3\n"
    "def handler(event, context):\n"
    "    print('HOP', event['n'], flush=True)\n"
    "    if event['n'] < event['stop']:\n"
    "        try:\n"
    "            boto3.client('lambda').invoke(FunctionName=context.function_name, InvocationType='Event',\n"
    "                                          Payload=json.dumps({'n': event['n'] + 1, 'stop': event['stop']}))\n"
    "        except Exception as exc:\n"
    "            print('REFUSED', type(exc).__name__, flush=True)\n"
)


def hops(server: Server, function: str, settle_s: float = 3.0, timeout_s: float = 60) -> tuple[list[int], list[str]]:
    """The hop numbers the function logged and its refusals, once the log stops growing."""
    logs = server.client("logs")
    deadline, last, stable_since = time.monotonic() + timeout_s, -1, time.monotonic()
    messages: list[str] = []
    while time.monotonic() < deadline:
        messages = log_messages(logs, function)
        if len(messages) != last:
            last, stable_since = len(messages), time.monotonic()
        elif time.monotonic() - stable_since > settle_s:
            break
        time.sleep(0.3)
    return [int(m.split()[1]) for m in messages if m.startswith("HOP ")], [m for m in messages if m.startswith("REFUSED")]


def test_recursive_loop_is_stopped_after_16_invocations(quick_retries: Server) -> None:
    lam = quick_retries.client()
    assert lam.get_function_recursion_config(FunctionName=quick_retries_name(lam, "looping"))["RecursiveLoop"] == "Terminate"
    lam.invoke(FunctionName="looping", InvocationType="Event", Payload=json.dumps({"n": 1, "stop": 40}).encode())
    seen, refused = hops(quick_retries, "looping")
    assert seen == list(range(1, 17))
    assert refused == ["REFUSED RecursiveInvocationException"]


def test_recursive_loop_allowed(quick_retries: Server) -> None:
    lam = quick_retries.client()
    quick_retries_name(lam, "allowed-loop")
    assert lam.put_function_recursion_config(FunctionName="allowed-loop", RecursiveLoop="Allow")["RecursiveLoop"] == "Allow"
    lam.invoke(FunctionName="allowed-loop", InvocationType="Event", Payload=json.dumps({"n": 1, "stop": 20}).encode())
    seen, refused = hops(quick_retries, "allowed-loop")
    assert seen == list(range(1, 21)) and refused == []


def quick_retries_name(lam: Any, name: str) -> str:
    create(lam, name, LOOP, MemorySize=1769, Timeout=30)
    return name


def test_invoke_async_legacy_api(quick_retries: Server) -> None:
    lam = quick_retries.client()
    create(lam, "legacy", RECORDER)
    response = lam.invoke_async(FunctionName="legacy", InvokeArgs=b'{"old": "api"}')
    assert response["Status"] == 202
    assert records(quick_retries, "legacy", 1)[0] == {"old": "api"}
    with pytest.raises(lam.exceptions.ClientError) as error:
        lam.invoke_async(FunctionName="legacy", InvokeArgs=b'{"pad": "' + b"x" * (256 * 1024) + b'"}')
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_chaos_ten_thousand_events_with_the_server_killed_repeatedly(tmp_path: Path) -> None:
    """10,000 Event invokes while the server is SIGKILLed and restarted every few seconds:
    every acknowledged event runs (lost = 0); duplicates are counted and reported."""
    import threading

    from botocore.exceptions import BotoCoreError, ClientError

    out = tmp_path / "ran.txt"
    server = Server(tmp_path / "data", LAMBENT_SANDBOX="process").start()
    code = (
        "import os\n"
        "def handler(event, context):\n"
        "    with open(os.environ['OUT'], 'a') as sink:\n"
        "        sink.write(context.aws_request_id + '\\n')\n"
    )
    create(server.client(), "chaos", code, Environment={"Variables": {"OUT": str(out)}}, MemorySize=512)
    total, accepted, lock = 10_000, [], threading.Lock()
    remaining = [total]
    sending = threading.Event()
    sending.set()

    def sender() -> None:
        client = server.client(connect_timeout=1)
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            while True:  # the same logical event until the server acknowledges it
                try:
                    response = client.invoke(FunctionName="chaos", InvocationType="Event", Payload=b"{}")
                except (BotoCoreError, ClientError, OSError):
                    time.sleep(0.05)
                    continue
                if response["StatusCode"] == 202:
                    with lock:
                        accepted.append(response["ResponseMetadata"]["RequestId"])
                    break

    kills = 0
    threads = [threading.Thread(target=sender) for _ in range(16)]
    for thread in threads:
        thread.start()
    try:
        while any(thread.is_alive() for thread in threads):
            time.sleep(2.5)
            if not any(thread.is_alive() for thread in threads):
                break
            server.kill_and_restart()
            kills += 1
        for thread in threads:
            thread.join()
        deadline = time.monotonic() + 180
        ran: list[str] = []
        while time.monotonic() < deadline:
            ran = out.read_text().split() if out.exists() else []
            if set(accepted) <= set(ran):
                break
            time.sleep(0.5)
    finally:
        server.stop()
    lost = set(accepted) - set(ran)
    duplicates = len(ran) - len(set(ran))
    print(
        f"chaos: {len(accepted)} acknowledged, server killed {kills} times, lost {len(lost)}, "
        f"ran {len(ran)} times in all, duplicates {duplicates}"
    )
    assert len(accepted) == total
    assert kills >= 2
    assert lost == set()


@pytest.fixture(scope="module")
def with_sqs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A server whose SQS destinations go to moto's SQS server, a stand-in on 127.0.0.1."""
    with server_with_sqs(tmp_path_factory.mktemp("sqs") / "data", LAMBENT_ASYNC_RETRY_SCALE="0.01") as served:
        yield served


def test_sqs_destination_and_dead_letter_queue(with_sqs: tuple[Server, str]) -> None:
    server, endpoint = with_sqs
    sqs = sqs_client(endpoint)
    failures_url = sqs.create_queue(QueueName="failures")["QueueUrl"]
    dead_url = sqs.create_queue(QueueName="dead-letters")["QueueUrl"]
    lam = server.client()
    create(
        lam,
        "to-sqs",
        "def handler(event, context):\n    raise RuntimeError('no')\n",
        DeadLetterConfig={"TargetArn": "arn:aws:sqs:us-east-1:000000000000:dead-letters"},
    )
    lam.put_function_event_invoke_config(
        FunctionName="to-sqs",
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:failures"}},
    )
    request_id = lam.invoke(FunctionName="to-sqs", InvocationType="Event", Payload=b'{"order": 7}')["ResponseMetadata"][
        "RequestId"
    ]
    record = json.loads(receive(sqs, failures_url)["Body"])
    assert record["requestContext"]["requestId"] == request_id
    assert record["requestContext"]["condition"] == "RetriesExhausted" and record["requestContext"]["approximateInvokeCount"] == 2
    dead = receive(sqs, dead_url)
    assert json.loads(dead["Body"]) == {"order": 7}  # the original event, as AWS sends it
    assert dead["MessageAttributes"]["RequestID"]["StringValue"] == request_id
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_function_configuration(
            FunctionName="to-sqs", DeadLetterConfig={"TargetArn": "arn:aws:sns:us-east-1:000000000000:t"}
        )


def test_webhook_destination(with_sqs: tuple[Server, str]) -> None:
    import http.server
    import threading

    received: list[dict[str, Any]] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    hook = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        server, _ = with_sqs
        lam = server.client()
        create(lam, "to-hook", "def handler(event, context):\n    return event['v'] + 1\n")
        url = f"arn:aws:lambent-webhook:::http://127.0.0.1:{hook.server_address[1]}/lambda-results"
        lam.put_function_event_invoke_config(FunctionName="to-hook", DestinationConfig={"OnSuccess": {"Destination": url}})
        lam.invoke(FunctionName="to-hook", InvocationType="Event", Payload=b'{"v": 41}')
        deadline = time.monotonic() + 20
        while not received and time.monotonic() < deadline:
            time.sleep(0.1)
        assert received and received[0]["responsePayload"] == 42
        assert received[0]["requestContext"]["condition"] == "Success"
    finally:
        hook.shutdown()
