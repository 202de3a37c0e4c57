"""CloudWatch metrics against a real server: AWS/Lambda's series counted exactly from real
invocations, read with boto3 in each of CloudWatch's three protocols (awsJson1_0, botocore's
choice; RPC v2 CBOR; query) and with the AWS CLI; PutMetricData then ListMetrics; EMF lines
(Powertools' Metrics) becoming metrics; AWS-shaped refusals; Prometheus' AWS-named series."""

from __future__ import annotations

import datetime
import json
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.fixtures import web_frameworks
from tests.fixtures.cli import aws, lambent, table_rows
from tests.fixtures.cloudwatch import PROTOCOLS, around_now, client_speaking
from tests.fixtures.mappings import wait_for
from tests.fixtures.server import Server, create, make_zip

HANDLER = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"ok": True}
"""
CALLS, FAILURES, BY_ALIAS = 7, 3, 2
HOUR = 3600


@pytest.fixture(scope="module")
def invoked(server: Server, lam: Any) -> str:
    """A function invoked CALLS times, FAILURES of them failing, BY_ALIAS of them through alias ``live``."""
    name = "metrics-counted"
    create(lam, name, HANDLER)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    for index in range(CALLS):
        payload = json.dumps({"fail": index < FAILURES}).encode()
        lam.invoke(FunctionName=name, Payload=payload, **({"Qualifier": "live"} if index >= CALLS - BY_ALIAS else {}))
    cloudwatch = server.client("cloudwatch")
    wait_for(lambda: _sum(cloudwatch, "Invocations", {"FunctionName": name}) == CALLS, what="the invocations' metrics")
    return name


def _dimensions(dimensions: dict[str, str]) -> list[dict[str, str]]:
    return [{"Name": k, "Value": v} for k, v in dimensions.items()]


def _statistics(client: Any, metric: str, dimensions: dict[str, str], **extra: Any) -> list[dict[str, Any]]:
    params = {"Statistics": ["Sum", "SampleCount"], "Period": HOUR, **around_now(), **extra}
    answer = client.get_metric_statistics(
        Namespace=params.pop("Namespace", "AWS/Lambda"),
        MetricName=metric,
        Dimensions=_dimensions(dimensions),
        **{k: v for k, v in params.items() if v is not None},
    )
    return list(answer["Datapoints"])


def _sum(client: Any, metric: str, dimensions: dict[str, str], **extra: Any) -> float:
    return sum(point["Sum"] for point in _statistics(client, metric, dimensions, **extra))


def _data(client: Any, stat: str, metric: str, dimensions: dict[str, str], namespace: str = "AWS/Lambda") -> list[float]:
    query = {
        "Id": "q",
        "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": _dimensions(dimensions)},
            "Period": HOUR,
            "Stat": stat,
        },
    }
    answer = client.get_metric_data(MetricDataQueries=[query], **around_now())
    (result,) = answer["MetricDataResults"]
    assert result["StatusCode"] == "Complete"
    return list(result["Values"])


def test_invocations_and_errors_are_counted_exactly_per_dimension_set(server: Server, invoked: str) -> None:
    cloudwatch = server.client("cloudwatch")
    name, alias = {"FunctionName": invoked}, {"FunctionName": invoked, "Resource": f"{invoked}:live"}
    (point,) = _statistics(cloudwatch, "Invocations", name)
    assert (point["Sum"], point["SampleCount"], point["Unit"]) == (CALLS, CALLS, "Count")
    assert _sum(cloudwatch, "Errors", name) == FAILURES
    (errors,) = _statistics(cloudwatch, "Errors", name, Statistics=["Average"])
    assert errors["Average"] == pytest.approx(FAILURES / CALLS)
    assert _sum(cloudwatch, "Invocations", alias) == BY_ALIAS
    assert _sum(cloudwatch, "Errors", alias) == 0
    assert _sum(cloudwatch, "Invocations", {**alias, "ExecutedVersion": "1"}) == BY_ALIAS
    assert _sum(cloudwatch, "Invocations", {}) >= CALLS  # the account's, with the session's other functions


def test_duration_has_its_samples_and_percentiles(server: Server, invoked: str) -> None:
    cloudwatch = server.client("cloudwatch")
    (point,) = _statistics(cloudwatch, "Duration", {"FunctionName": invoked}, Statistics=["SampleCount", "Minimum", "Maximum"])
    assert (point["SampleCount"], point["Unit"]) == (CALLS, "Milliseconds")
    (extended,) = _statistics(
        cloudwatch, "Duration", {"FunctionName": invoked}, ExtendedStatistics=["p50", "p99", "p99.9"], Statistics=None
    )
    percentiles = extended["ExtendedStatistics"]
    assert point["Minimum"] <= percentiles["p50"] <= percentiles["p99"] <= percentiles["p99.9"] <= point["Maximum"]
    (p99,) = _data(cloudwatch, "p99", "Duration", {"FunctionName": invoked})
    assert p99 == pytest.approx(percentiles["p99"])


def test_concurrency_is_the_most_that_ran_at_once(server: Server, invoked: str) -> None:
    cloudwatch = server.client("cloudwatch")
    (point,) = _statistics(cloudwatch, "ConcurrentExecutions", {"FunctionName": invoked}, Statistics=["Maximum"])
    assert point["Maximum"] == 1  # invoked one after another


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_every_protocol_reads_the_same_counts(server: Server, invoked: str, protocol: str, tmp_path: Path) -> None:
    client = client_speaking(server, protocol, tmp_path)
    assert client.meta.service_model.resolved_protocol == protocol
    assert _sum(client, "Invocations", {"FunctionName": invoked}) == CALLS
    assert _data(client, "Sum", "Errors", {"FunctionName": invoked}) == [FAILURES]
    listed = client.list_metrics(
        Namespace="AWS/Lambda", MetricName="Invocations", Dimensions=[{"Name": "FunctionName", "Value": invoked}]
    )
    assert sorted(tuple(d["Name"] for d in m["Dimensions"]) for m in listed["Metrics"]) == [
        ("ExecutedVersion", "FunctionName", "Resource"),
        ("FunctionName",),
        ("FunctionName", "Resource"),
    ]
    with pytest.raises(ClientError) as refused:
        _statistics(client, "Invocations", {"FunctionName": invoked}, Period=61)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_the_aws_cli_shows_the_exact_counts(server: Server, invoked: str) -> None:
    window = {k: v.strftime("%Y-%m-%dT%H:%M:%SZ") for k, v in around_now().items()}
    shown = aws(
        server,
        "cloudwatch",
        "get-metric-statistics",
        "--namespace", "AWS/Lambda",
        "--metric-name", "Invocations",
        "--dimensions", f"Name=FunctionName,Value={invoked}",
        "--statistics", "Sum",
        "--period", str(HOUR),
        "--start-time", window["StartTime"],
        "--end-time", window["EndTime"],
    )  # fmt: skip
    assert [p["Sum"] for p in json.loads(shown.stdout)["Datapoints"]] == [CALLS]
    query = [
        {
            "Id": "errors",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/Lambda",
                    "MetricName": "Errors",
                    "Dimensions": [{"Name": "FunctionName", "Value": invoked}],
                },
                "Period": HOUR,
                "Stat": "Sum",
            },
        }
    ]
    shown = aws(
        server,
        "cloudwatch",
        "get-metric-data",
        "--metric-data-queries", json.dumps(query),
        "--start-time", window["StartTime"],
        "--end-time", window["EndTime"],
    )  # fmt: skip
    (result,) = json.loads(shown.stdout)["MetricDataResults"]
    assert (result["Id"], result["Values"], result["StatusCode"]) == ("errors", [FAILURES], "Complete")


def test_throttles_are_counted_and_are_not_invocations(server: Server, lam: Any) -> None:
    name = "metrics-throttled"
    create(lam, name, HANDLER)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    once = boto3.client(  # no retries: each call is one request, one throttle
        "lambda",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=server.credentials()[0],
        aws_secret_access_key=server.credentials()[1],
        config=Config(retries={"total_max_attempts": 1}),
    )
    for _ in range(2):
        with pytest.raises(once.exceptions.TooManyRequestsException):
            once.invoke(FunctionName=name, Payload=b"{}")
    cloudwatch = server.client("cloudwatch")
    wait_for(lambda: _sum(cloudwatch, "Throttles", {"FunctionName": name}) == 2, what="the throttles' metric")
    assert _statistics(cloudwatch, "Invocations", {"FunctionName": name}) == []


def test_put_metric_data_then_list_and_read_it(server: Server) -> None:
    cloudwatch = server.client("cloudwatch")
    dims = [{"Name": "Service", "Value": "checkout"}, {"Name": "Stage", "Value": "prod"}]
    # 300 data: past botocore's 10 KB, so it sends them gzipped
    data = [
        {"MetricName": "Latency", "Dimensions": dims, "Value": float(i % 100 + 1), "Unit": "Milliseconds"} for i in range(300)
    ]
    cloudwatch.put_metric_data(Namespace="Shop", MetricData=data)
    cloudwatch.put_metric_data(
        Namespace="Shop",
        MetricData=[
            {"MetricName": "Orders", "Values": [1, 2], "Counts": [5, 1], "Unit": "Count"},
            {
                "MetricName": "Orders",
                "StatisticValues": {"SampleCount": 2, "Sum": 10, "Minimum": 4, "Maximum": 6},
                "Unit": "Count",
            },
        ],
    )
    listed = cloudwatch.list_metrics(Namespace="Shop")["Metrics"]
    assert sorted((m["MetricName"], len(m["Dimensions"])) for m in listed) == [("Latency", 2), ("Orders", 0)]
    filtered = cloudwatch.list_metrics(Namespace="Shop", Dimensions=[{"Name": "Service", "Value": "checkout"}])["Metrics"]
    assert [m["MetricName"] for m in filtered] == ["Latency"]
    assert cloudwatch.list_metrics(Namespace="Shop", Dimensions=[{"Name": "Service", "Value": "cart"}])["Metrics"] == []
    (orders,) = _statistics(cloudwatch, "Orders", {}, Namespace="Shop", Statistics=["SampleCount", "Sum", "Minimum", "Maximum"])
    assert (orders["SampleCount"], orders["Sum"], orders["Minimum"], orders["Maximum"]) == (8, 17, 1, 6)
    shop = {d["Name"]: d["Value"] for d in dims}
    (latency,) = _statistics(cloudwatch, "Latency", shop, Namespace="Shop", ExtendedStatistics=["p50"], Statistics=None)
    assert latency["ExtendedStatistics"]["p50"] == pytest.approx(50, rel=0.02)
    assert _data(cloudwatch, "p50", "Orders", {}, namespace="Shop") == []  # a set of several values has no percentiles


def test_refusals_are_cloudwatchs(server: Server) -> None:
    cloudwatch = server.client("cloudwatch")
    cases = [
        (lambda: cloudwatch.put_metric_data(Namespace="AWS/Lambda", MetricData=[{"MetricName": "m", "Value": 1}]), "InvalidParameterValue"),
        (
            lambda: cloudwatch.put_metric_data(
                Namespace="Shop", MetricData=[{"MetricName": "m", "Value": 1, "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}]
            ),
            "InvalidParameterCombination",
        ),
        (lambda: cloudwatch.get_metric_data(MetricDataQueries=[{"Id": "m", "Expression": "SUM(METRICS())"}], **around_now()), "InvalidParameterValue"),
        (lambda: _statistics(cloudwatch, "Invocations", {}, Statistics=["Sum"], ExtendedStatistics=["p99"]), "InvalidParameterCombination"),
        (lambda: cloudwatch.get_metric_data(MetricDataQueries=[{"Id": "m", "MetricStat": {"Metric": {"Namespace": "A", "MetricName": "B"}, "Period": 60, "Stat": "Sum"}}], NextToken="garbage", **around_now()), "InvalidNextToken"),
    ]  # fmt: skip
    for call, code in cases:
        with pytest.raises(ClientError) as refused:
            call()
        assert refused.value.response["Error"]["Code"] == code


def test_get_metric_data_pages_by_max_datapoints(server: Server) -> None:
    cloudwatch = server.client("cloudwatch")
    start = datetime.datetime.now(datetime.UTC).replace(second=0, microsecond=0) - datetime.timedelta(minutes=10)
    cloudwatch.put_metric_data(
        Namespace="Paged",
        MetricData=[{"MetricName": "m", "Value": float(i), "Timestamp": start + datetime.timedelta(minutes=i)} for i in range(5)],
    )
    query = {"Id": "m", "MetricStat": {"Metric": {"Namespace": "Paged", "MetricName": "m"}, "Period": 60, "Stat": "Sum"}}
    window = {"StartTime": start, "EndTime": start + datetime.timedelta(minutes=10)}
    pages = list(
        cloudwatch.get_paginator("get_metric_data").paginate(
            MetricDataQueries=[query], ScanBy="TimestampAscending", MaxDatapoints=2, **window
        )
    )
    assert [[v for r in p["MetricDataResults"] for v in r["Values"]] for p in pages] == [[0, 1], [2, 3], [4]]
    assert [r["StatusCode"] for p in pages for r in p["MetricDataResults"]] == ["PartialData", "PartialData", "Complete"]


EMF_HANDLER = """
import json, time
def handler(event, context):
    print(json.dumps({
        "_aws": {"Timestamp": int(time.time() * 1000),
                 "CloudWatchMetrics": [{"Namespace": "Emf", "Dimensions": [["service"]], "Metrics": [{"Name": "items", "Unit": "Count"}]}]},
        "service": "basket", "items": event["items"]}))
    print("not a metric: " + json.dumps({"_aws": {}}))
    return "ok"
"""


def test_emf_lines_become_metrics(server: Server, lam: Any) -> None:
    create(lam, "metrics-emf", EMF_HANDLER)
    for items in (2, 3, 5):
        lam.invoke(FunctionName="metrics-emf", Payload=json.dumps({"items": items}).encode())
    cloudwatch = server.client("cloudwatch")
    wait_for(lambda: _sum(cloudwatch, "items", {"service": "basket"}, Namespace="Emf") == 10, what="the EMF metric")
    (point,) = _statistics(cloudwatch, "items", {"service": "basket"}, Namespace="Emf", Statistics=["SampleCount", "Maximum"])
    assert (point["SampleCount"], point["Maximum"], point["Unit"]) == (3, 5, "Count")


POWERTOOLS_HANDLER = """
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

metrics = Metrics(namespace="Powertools", service="orders")

@metrics.log_metrics
def handler(event, context):
    metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=event["orders"])
    return "ok"
"""


def test_powertools_metrics_work_unchanged(server: Server, lam: Any) -> None:
    files = {
        k: v
        for k, v in web_frameworks.layer_files().items()
        if k.startswith(("python/aws_lambda_powertools/", "python/jmespath/", "python/typing_extensions"))
    }
    if not files:
        pytest.skip(f"the web frameworks' layer is not built (make runtimes, with {web_frameworks.RUNTIME})")
    layer = lam.publish_layer_version(LayerName="metrics-powertools", Content={"ZipFile": make_zip(files)})["LayerVersionArn"]
    create(
        lam, "metrics-powertools", POWERTOOLS_HANDLER, Runtime=web_frameworks.RUNTIME, Layers=[layer], MemorySize=256, Timeout=30
    )
    for orders in (1, 4):
        answer = lam.invoke(FunctionName="metrics-powertools", Payload=json.dumps({"orders": orders}).encode())
        assert "FunctionError" not in answer, answer["Payload"].read()
    cloudwatch = server.client("cloudwatch")
    wait_for(
        lambda: _sum(cloudwatch, "OrdersPlaced", {"service": "orders"}, Namespace="Powertools") == 5, what="Powertools' metric"
    )
    assert _data(cloudwatch, "Sum", "OrdersPlaced", {"service": "orders"}, namespace="Powertools") == [5]


def test_prometheus_shows_the_series_with_aws_names(server: Server, invoked: str) -> None:
    status, _headers, body = server.request("GET", "/metrics")
    assert status == 200
    lines = body.decode().splitlines()

    def value(metric: str, resource: str, version: str = "") -> float:
        labels = f'account="000000000000",executed_version="{version}",function_name="{invoked}",resource="{resource}"'
        (line,) = [line for line in lines if line.startswith(f"{metric}{{{labels}}}")]
        return float(line.rsplit(" ", 1)[1])

    assert value("aws_lambda_invocations_total", "") == CALLS - BY_ALIAS
    assert value("aws_lambda_invocations_total", f"{invoked}:live", "1") == BY_ALIAS
    assert value("aws_lambda_errors_total", "") == FAILURES
    assert value("aws_lambda_duration_milliseconds_count", "") == CALLS - BY_ALIAS


def test_query_protocol_from_a_raw_signed_form(server: Server, invoked: str) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    window = {k: v.strftime("%Y-%m-%dT%H:%M:%SZ") for k, v in around_now().items()}
    form = (
        f"Action=GetMetricStatistics&Version=2010-08-01&Namespace=AWS%2FLambda&MetricName=Invocations"
        f"&Dimensions.member.1.Name=FunctionName&Dimensions.member.1.Value={invoked}&Statistics.member.1=Sum"
        f"&Period={HOUR}&StartTime={window['StartTime']}&EndTime={window['EndTime']}"
    ).encode()
    request = AWSRequest(
        method="POST", url=f"{server.endpoint}/", data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    SigV4Auth(Credentials(*server.credentials()), "monitoring", "us-east-1").add_auth(request)
    sent = urllib.request.Request(f"{server.endpoint}/", data=form, method="POST", headers=dict(request.headers.items()))
    with urllib.request.urlopen(sent, timeout=30) as answer:
        text = answer.read().decode()
    assert "<GetMetricStatisticsResponse" in text and f"<Sum>{float(CALLS)}</Sum>" in text


def test_lambent_metrics_and_top_chart_the_exact_counts(server: Server, invoked: str) -> None:
    shown = lambent(server, "metrics", invoked, "--period", "1h")
    assert shown.returncode == 0, shown.stderr
    rows = {row[0]: row for row in table_rows(shown.stdout)}
    assert rows["invocations"][2] == str(CALLS) and rows["errors"][2] == str(FAILURES) and rows["throttles"][2] == "-"
    assert rows["concurrency"][2] == "peak 1" and rows["duration p99"][2].endswith(" ms")
    assert rows["invocations"][1] and set(rows["invocations"][1]) <= set("▁▂▃▄▅▆▇█ ")  # the minutes that had calls
    topped = lambent(server, "top", "--once")
    assert topped.returncode == 0, topped.stderr
    (mine,) = [row for row in table_rows(topped.stdout) if row[0] == invoked]
    assert (mine[1], mine[3], mine[4]) == (str(CALLS), str(FAILURES), "1")
    refused = lambent(server, "metrics", invoked, "--period", "2h")
    assert refused.returncode == 2 and "--period must be one of 1h, 24h, 7d" in refused.stdout
