"""Metering against a real server: usage records, reports, the CLI, Prometheus and budgets."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tests.fixtures.server import VENV_BIN, Server, create
from tests.fixtures.usage import api, reconcile, usage_records


@pytest.fixture(scope="module")
def metered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own, so that its totals are this module's invocations only."""
    server = Server(tmp_path_factory.mktemp("metering") / "data").start()
    yield server
    server.stop()


def test_each_invocation_is_metered_as_its_report_line_says(metered: Server) -> None:
    lam = metered.client()
    code = "import time\ndef handler(event, context):\n    time.sleep(event.get('sleep', 0))\n    return 1\n"
    create(lam, "metered", code, MemorySize=512, EphemeralStorage={"Size": 1024})
    create(lam, "metered-arm", code, Architectures=["arm64"])
    for _ in range(5):
        lam.invoke(FunctionName="metered", Payload=json.dumps({"sleep": 0.02}))
    lam.invoke(FunctionName="metered-arm", Payload=b"{}")
    records = reconcile(metered, "metered")
    assert len(records) == 5
    first = min(records, key=lambda r: r["start_ms"])
    assert first["init_duration_ms"] is not None and sum(r["init_duration_ms"] is not None for r in records) == 1
    # The init is billed: ceil(duration + init).
    assert first["billed_ms"] >= first["duration_ms"] + first["init_duration_ms"]
    for record in records:
        assert record["attempt"] == 1 and record["invocation_type"] == "RequestResponse" and record["outcome"] == "success"
        assert record["architecture"] == "x86_64" and record["memory_mb"] == 512 and record["ephemeral_mb"] == 1024
        assert record["requests"] == 1 and record["free_requests"] == 1  # inside the free tier
        assert record["tier1_mb_ms"] == record["billed_ms"] * 512 == record["free_mb_ms"]
        assert record["storage_mb_ms"] == record["billed_ms"] * 512  # 1,024 MB configured, 512 free
        assert Decimal(record["gb_seconds"]) == Decimal(record["billed_ms"]) / 1000 * Decimal(512) / 1024
        assert Decimal(record["ephemeral_gb_seconds"]) == Decimal(record["billed_ms"]) / 1000 * Decimal(512) / 1024
        assert record["duration_ms"] >= 20 and record["end_ms"] >= record["start_ms"]
    (arm,) = usage_records(metered, function="metered-arm")
    assert arm["architecture"] == "arm64"

    status, body = api(metered, "GET", "/usage?group_by=function&function=metered")
    assert status == 200
    (line,) = body["Usage"]
    billed_ms = sum(r["billed_ms"] for r in records)
    gb_s = Decimal(billed_ms * 512) / 1024000
    assert line["requests"] == 5 and line["billed_ms"] == billed_ms and Decimal(line["gb_seconds"]) == gb_s
    # Inside the free tier, only ephemeral storage costs: $0.0000000309 per GB-s above 512 MB.
    storage = Decimal(billed_ms * 512) / 1024000 * Decimal("0.0000000309")
    assert Decimal(line["cost_after_free_tier_usd"]) == storage
    assert Decimal(line["cost_usd"]) == 5 * Decimal("0.0000002") + gb_s * Decimal("0.0000166667") + storage


def test_usage_by_version_and_day_adds_up(metered: Server) -> None:
    lam = metered.client()
    create(lam, "versioned", "def handler(e, c):\n    return 2\n")
    lam.invoke(FunctionName="versioned")
    version = lam.publish_version(FunctionName="versioned")["Version"]
    lam.invoke(FunctionName="versioned", Qualifier=version)
    lam.invoke(FunctionName="versioned", Qualifier=version)
    status, body = api(metered, "GET", "/usage?group_by=function,version&period=day&function=versioned")
    assert status == 200
    by_version = {line["version"]: line for line in body["Usage"]}
    assert by_version["$LATEST"]["requests"] == 1 and by_version[version]["requests"] == 2
    assert {line["period"] for line in body["Usage"]} == {time.strftime("%Y-%m-%d", time.gmtime())}
    _, whole = api(metered, "GET", "/usage?group_by=account&period=month")
    (account,) = whole["Usage"]
    _, functions = api(metered, "GET", "/usage?group_by=function&period=month")
    assert account["requests"] == sum(line["requests"] for line in functions["Usage"])
    assert Decimal(account["cost_usd"]) == sum(Decimal(line["cost_usd"]) for line in functions["Usage"])
    status, bad = api(metered, "GET", "/usage?group_by=colour")
    assert status == 400 and bad["__type"] == "InvalidParameterValueException"
    status, bad = api(metered, "GET", "/usage?start=yesterday")
    assert status == 400 and "2026-11-27" in bad["message"]


def test_cli_and_prometheus_show_the_same_totals(metered: Server) -> None:
    lam = metered.client()
    create(lam, "counted", "def handler(e, c):\n    return 3\n")
    for _ in range(3):
        lam.invoke(FunctionName="counted")
    env = metered.cli_env(LAMBENT_ENDPOINT_URL=metered.endpoint, COLUMNS="200")
    command = [str(VENV_BIN / "lambent"), "usage", "--function", "counted"]
    as_json = json.loads(subprocess.run([*command, "--format", "json"], check=True, capture_output=True, env=env).stdout)
    (line,) = as_json
    assert line["function"] == "counted" and line["requests"] == 3
    as_csv = list(
        csv.DictReader(
            io.StringIO(subprocess.run([*command, "--format", "csv"], check=True, capture_output=True, env=env, text=True).stdout)
        )
    )
    assert as_csv[0]["requests"] == "3" and as_csv[0]["billed_ms"] == str(line["billed_ms"])
    table = subprocess.run([*command, "--by", "version", "--period", "day"], check=True, capture_output=True, env=env, text=True)
    assert "counted" in table.stdout and "$LATEST" in table.stdout
    status, _headers, answer = metered.request("GET", "/metrics")
    assert status == 200
    metrics = answer.decode()
    labels = 'account="000000000000",architecture="x86_64",function="counted",version="$LATEST"'
    assert f"lambent_usage_requests_total{{{labels}}} 3.0" in metrics
    assert f"lambent_usage_billed_milliseconds_total{{{labels}}} {float(line['billed_ms'])}" in metrics


def test_a_throttle_budget_stops_a_function_at_its_cap(metered: Server) -> None:
    lam = metered.client()
    code = "import time\ndef handler(e, c):\n    time.sleep(0.1)\n    return 4\n"
    create(lam, "capped", code, MemorySize=1024)
    create(lam, "uncapped", "def handler(e, c):\n    return 5\n")
    create(lam, "alerts", "import json\ndef handler(event, context):\n    print('ALERT ' + json.dumps(event))\n")
    alerts_arn = "arn:aws:lambda:us-east-1:000000000000:function:alerts"
    status, made = api(
        metered,
        "PUT",
        "/budgets/capped-cap",
        {
            "Limit": "0.5",
            "Unit": "GB-s",
            "Action": "THROTTLE",
            "FunctionName": "capped",
            "Thresholds": [100, 50],
            "Notify": alerts_arn,
        },
    )
    assert status == 200 and made["Thresholds"] == [50, 100]
    throttled = None
    for attempt in range(20):
        try:
            lam.invoke(FunctionName="capped")
        except lam.exceptions.TooManyRequestsException as exc:
            throttled = (attempt, exc.response)
            break
    assert throttled is not None, "the budget never throttled"
    attempt, response = throttled
    assert response["Error"]["Message"] == "Budget capped-cap is exhausted for this month."
    assert response["Reason"] == "BudgetExceeded" and int(response["ResponseMetadata"]["HTTPHeaders"]["retry-after"]) > 0
    records = usage_records(metered, function="capped")
    spent = Decimal(sum(r["billed_ms"] * r["memory_mb"] for r in records)) / 1024000
    # Throttled at the cap: the invocations before it stayed below, the last one crossed it.
    assert len(records) == attempt and spent >= Decimal("0.5")
    assert spent - Decimal(records[-1]["billed_ms"] * 1024) / 1024000 < Decimal("0.5")
    lam.invoke(FunctionName="uncapped")  # other functions are not capped
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        lam.invoke(FunctionName="capped", InvocationType="Event")
    status, state = api(metered, "GET", "/budgets/capped-cap")
    assert state["Exhausted"] and state["Throttling"] and Decimal(state["Spent"]) == spent
    assert [a["Threshold"] for a in state["Alerts"]] == [50, 100]
    deadline = time.monotonic() + 10
    delivered: list[dict[str, Any]] = []
    while time.monotonic() < deadline and len(delivered) < 2:
        events = metered.client("logs").filter_log_events(logGroupName="/aws/lambda/alerts", filterPattern="ALERT")["events"]
        delivered = [json.loads(e["message"][len("ALERT ") :]) for e in events]
        time.sleep(0.1)
    assert sorted(d["threshold"] for d in delivered) == [50, 100]
    assert all(d["budget"] == "capped-cap" and d["unit"] == "GB-s" for d in delivered)
    # Raising the cap lets the function run again.
    status, _ = api(
        metered, "PUT", "/budgets/capped-cap", {"Limit": "100", "Unit": "GB-s", "Action": "THROTTLE", "FunctionName": "capped"}
    )
    assert status == 200
    assert lam.invoke(FunctionName="capped")["StatusCode"] == 200
    status, listed = api(metered, "GET", "/budgets")
    assert [b["Name"] for b in listed["Budgets"]] == ["capped-cap"]
    assert api(metered, "DELETE", "/budgets/capped-cap")[0] == 204
    status, missing = api(metered, "GET", "/budgets/capped-cap")
    assert status == 404 and missing["__type"] == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Limit": "zero"}, "Budget Limit 'zero' is not a number."),
        ({"Limit": "-1"}, "Budget Limit must be greater than 0."),
        ({"Limit": "1", "Unit": "EUR"}, "Budget Unit must be one of USD, GB-s."),
        ({"Limit": "1", "Action": "PANIC"}, "Budget Action must be one of ALERT, THROTTLE."),
        ({"Limit": "1", "Thresholds": [0]}, "Budget Thresholds must be percentages from 1 to 1000."),
        ({"Limit": "1", "Notify": "mailto:me"}, "Budget Notify must be a function, SQS queue or lambent-webhook ARN."),
    ],
)
def test_bad_budgets_are_refused(metered: Server, body: dict[str, Any], message: str) -> None:
    status, error = api(metered, "PUT", "/budgets/bad", body)
    assert status == 400 and error["__type"] == "InvalidParameterValueException" and error["message"] == message


def test_unknown_budget_fields_are_refused(metered: Server) -> None:
    status, error = api(metered, "PUT", "/budgets/bad", {"Limit": "1", "Colour": "red"})
    assert status == 400 and error["__type"] == "InvalidRequestContentException"


def test_provisioned_concurrency_is_metered_apart(metered: Server) -> None:
    """Invocations served by provisioned environments are priced at the provisioned duration
    rate, outside the free tier; the allocation itself is billed for the time it was kept."""
    lam = metered.client()
    create(lam, "kept-warm", "def handler(e, c):\n    return 6\n", MemorySize=1024)
    version = lam.publish_version(FunctionName="kept-warm")["Version"]
    lam.put_provisioned_concurrency_config(FunctionName="kept-warm", Qualifier=version, ProvisionedConcurrentExecutions=1)
    deadline = time.monotonic() + 30
    while lam.get_provisioned_concurrency_config(FunctionName="kept-warm", Qualifier=version)["Status"] != "READY":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    ready_at = time.time()
    lam.invoke(FunctionName="kept-warm", Qualifier=version)
    time.sleep(0.5)
    lam.delete_provisioned_concurrency_config(FunctionName="kept-warm", Qualifier=version)
    released_at = time.time()
    records = usage_records(metered, function="kept-warm")
    (served,) = [r for r in records if r["kind"] == "invoke"]
    assert served["provisioned"] and served["init_duration_ms"] is None and served["qualifier"] == version, {
        k: served[k] for k in ("provisioned", "init_duration_ms", "qualifier", "version")
    }
    assert served["pc_duration_mb_ms"] == served["billed_ms"] * 1024 and served["tier1_mb_ms"] == 0
    assert served["free_mb_ms"] == 0 and served["requests"] == 1
    allocated = [r for r in records if r["kind"] == "provisioned"]
    assert allocated, records
    kept_ms = sum(r["billed_ms"] for r in allocated)
    assert (released_at - ready_at) * 1000 - 1000 <= kept_ms <= (released_at - ready_at) * 1000 + 1000
    assert all(r["pc_allocated_mb_ms"] == r["billed_ms"] * 1024 and r["requests"] == 0 for r in allocated)
    _, report = api(metered, "GET", "/usage?group_by=version&function=kept-warm")
    line = next(item for item in report["Usage"] if item["version"] == version)
    assert Decimal(line["provisioned_gb_seconds"]) == Decimal(kept_ms) / 1000
