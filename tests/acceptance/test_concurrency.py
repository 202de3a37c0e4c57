"""Reserved concurrency and throttles, through boto3, each with AWS's Reason."""

from __future__ import annotations

import base64
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.server import Server, create

SLOW = "import time\ndef handler(event, context):\n    time.sleep(event.get('s', 0))\n    return 'ok'\n"


def concurrent_calls(lam: Any, name: str, count: int, seconds: float) -> list[Any]:
    """*count* invokes at once; each result is the payload or the throttle error."""
    results: list[Any] = [None] * count

    def one(index: int) -> None:
        try:
            response = lam.invoke(FunctionName=name, Payload=json.dumps({"s": seconds}).encode())
            results[index] = json.loads(response["Payload"].read())
        except lam.exceptions.TooManyRequestsException as exc:
            results[index] = exc.response

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_reserved_concurrency(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, SLOW)
    assert lam.get_function_concurrency(FunctionName=fn_name).get("ReservedConcurrentExecutions") is None
    assert lam.put_function_concurrency(FunctionName=fn_name, ReservedConcurrentExecutions=1)["ReservedConcurrentExecutions"] == 1
    assert lam.get_function(FunctionName=fn_name)["Concurrency"] == {"ReservedConcurrentExecutions": 1}
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 999

    results = concurrent_calls(lam, fn_name, 3, 1.0)
    throttles = [r for r in results if r != "ok"]
    assert results.count("ok") == 1 and len(throttles) == 2, results
    for throttle in throttles:
        assert throttle["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert throttle["Error"]["Code"] == "TooManyRequestsException"
        assert throttle["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
        assert throttle["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"

    lam.put_function_concurrency(FunctionName=fn_name, ReservedConcurrentExecutions=0)
    with pytest.raises(lam.exceptions.TooManyRequestsException) as error:
        lam.invoke(FunctionName=fn_name, Payload=b"{}")
    assert error.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert error.value.response["Error"]["Message"] == "Rate Exceeded."

    with pytest.raises(lam.exceptions.InvalidParameterValueException) as refused:
        lam.put_function_concurrency(FunctionName=fn_name, ReservedConcurrentExecutions=901)
    assert refused.value.response["Error"]["Message"] == (
        "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
        "below its minimum value of [100]."
    )
    lam.delete_function_concurrency(FunctionName=fn_name)
    assert lam.get_function_concurrency(FunctionName=fn_name).get("ReservedConcurrentExecutions") is None
    assert lam.invoke(FunctionName=fn_name, Payload=b"{}")["StatusCode"] == 200


def test_account_limit_throttles_unreserved_functions(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", LAMBENT_CONCURRENCY_LIMIT="2").start()
    try:
        lam = server.client()
        create(lam, "slow", SLOW)
        assert lam.get_account_settings()["AccountLimit"]["ConcurrentExecutions"] == 2
        results = concurrent_calls(lam, "slow", 4, 1.0)
        throttles = [r for r in results if r != "ok"]
        assert results.count("ok") == 2 and len(throttles) == 2, results
        assert {t["Reason"] for t in throttles} == {"ConcurrentInvocationLimitExceeded"}
        # Invocation requests are limited to ten times the concurrency per second: 20/s here.
        dry: list[Any] = []

        def burst() -> None:  # 240 calls: throttled unless they take over 11 s (20 a second + 20 burst)
            for _ in range(60):
                try:
                    dry.append(lam.invoke(FunctionName="slow", InvocationType="DryRun", Payload=b"{}")["StatusCode"])
                except lam.exceptions.TooManyRequestsException as exc:
                    dry.append(exc.response["Reason"])

        callers = [threading.Thread(target=burst) for _ in range(4)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join()
        assert "CallerRateLimitExceeded" in dry and 204 in dry, dry
    finally:
        server.stop()


def test_deleting_a_reserved_function_returns_its_reservation(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, SLOW)
    before = lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
    lam.put_function_concurrency(FunctionName=fn_name, ReservedConcurrentExecutions=50)
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == before - 50
    lam.delete_function(FunctionName=fn_name)
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == before


def test_provisioned_concurrency(lam: Any, fn_name: str) -> None:
    code = "import os\ndef handler(event, context):\n    return os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']\n"
    create(lam, fn_name, code)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as error:
        lam.put_provisioned_concurrency_config(FunctionName=fn_name, Qualifier="$LATEST", ProvisionedConcurrentExecutions=1)
    assert error.value.response["Error"]["Message"] == (
        "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
    )
    lam.publish_version(FunctionName=fn_name)
    lam.create_alias(FunctionName=fn_name, Name="live", FunctionVersion="1")
    put = lam.put_provisioned_concurrency_config(FunctionName=fn_name, Qualifier="live", ProvisionedConcurrentExecutions=2)
    assert put["RequestedProvisionedConcurrentExecutions"] == 2
    assert put["Status"] in ("IN_PROGRESS", "READY")
    deadline = time.monotonic() + 20
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = lam.get_provisioned_concurrency_config(FunctionName=fn_name, Qualifier="live")
        if status["Status"] == "READY":
            break
        time.sleep(0.1)
    assert status["Status"] == "READY" and status["AllocatedProvisionedConcurrentExecutions"] == 2
    listed = lam.list_provisioned_concurrency_configs(FunctionName=fn_name)["ProvisionedConcurrencyConfigs"]
    assert [c["FunctionArn"].rsplit(":", 1)[1] for c in listed] == ["live"]

    # The first invoke finds a provisioned environment: no Init Duration, the provisioned init type.
    response = lam.invoke(FunctionName=fn_name, Qualifier="live", Payload=b"{}", LogType="Tail")
    assert json.loads(response["Payload"].read()) == "provisioned-concurrency"
    assert "Init Duration" not in base64.b64decode(response["LogResult"]).decode()
    # Beyond the provisioned two, invocations spill over to on-demand environments.
    slow = concurrent_calls(lam, f"{fn_name}:live", 3, 0)
    assert all(result in ("provisioned-concurrency", "on-demand") for result in slow), slow

    lam.delete_provisioned_concurrency_config(FunctionName=fn_name, Qualifier="live")
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.get_provisioned_concurrency_config(FunctionName=fn_name, Qualifier="live")


def test_scale_out_rate_throttles_new_environments(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", LAMBENT_SCALE_OUT_LIMIT="2").start()
    try:
        lam = server.client()
        create(lam, "scaling", SLOW)
        results = concurrent_calls(lam, "scaling", 4, 1.0)
        throttles = [r for r in results if r != "ok"]
        assert results.count("ok") == 2 and len(throttles) == 2, results
        assert {t["Reason"] for t in throttles} == {"FunctionInvocationRateLimitExceeded"}
        # Warm environments serve without starting new ones: no throttle.
        assert concurrent_calls(lam, "scaling", 2, 0) == ["ok", "ok"]
        create(lam, "reserved-scaling", SLOW)
        lam.put_function_concurrency(FunctionName="reserved-scaling", ReservedConcurrentExecutions=10)
        reserved = concurrent_calls(lam, "reserved-scaling", 3, 1.0)
        assert {r["Reason"] for r in reserved if r != "ok"} == {"ReservedFunctionInvocationRateLimitExceeded"}
    finally:
        server.stop()


def test_a_burst_on_a_fresh_server_starts_every_environment(tmp_path: Path) -> None:
    """The first environments of a new server are set up concurrently (once, a race on the
    sandbox's skeleton root answered one of them with a 500)."""
    server = Server(tmp_path / "data").start()
    try:
        lam = server.client()
        create(lam, "burst", SLOW)
        assert concurrent_calls(lam, "burst", 8, 0.3) == ["ok"] * 8
    finally:
        server.stop()
