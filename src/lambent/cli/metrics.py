"""``lambent metrics`` and ``lambent top``: a function's AWS/Lambda metrics in the terminal, read
through CloudWatch's GetMetricData with boto3 (as any other client reads them).

``metrics NAME`` draws one sparkline per metric over the last hour, day or week (invocations,
errors, throttles, duration p50 and p99, concurrency) with its total or peak. ``top`` lists every
function that ran in the last minutes with its invocations, errors and peak concurrency per
minute, redrawn every few seconds until interrupted (``--once``: one table).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, NamedTuple

import typer
from rich.live import Live
from rich.table import Table

from lambent.cli.console import EndpointOption, Target, fail, out

_BARS = "▁▂▃▄▅▆▇█"


class Span(NamedTuple):
    seconds: int
    period_s: int


SPANS = {"1h": Span(3600, 60), "24h": Span(86_400, 1800), "7d": Span(7 * 86_400, 3 * 3600)}


class Chart(NamedTuple):
    label: str
    metric: str
    stat: str
    unit: str  # how the summary reads: "sum", "max" or "ms"


CHARTS = (
    Chart("invocations", "Invocations", "Sum", "sum"),
    Chart("errors", "Errors", "Sum", "sum"),
    Chart("throttles", "Throttles", "Sum", "sum"),
    Chart("duration p50", "Duration", "p50", "ms"),
    Chart("duration p99", "Duration", "p99", "ms"),
    Chart("concurrency", "ConcurrentExecutions", "Maximum", "max"),
)


def sparkline(values: Sequence[float | None]) -> str:
    """One character per value, ``▁`` (the least) to ``█`` (the most); a blank where there is
    no datapoint; all ``▁`` when every value is the same."""
    present = [v for v in values if v is not None]
    if not present:
        return " " * len(values)
    low, high = min(present), max(present)
    spread = high - low
    out_chars = []
    for value in values:
        if value is None:
            out_chars.append(" ")
        elif spread == 0:
            out_chars.append(_BARS[0] if high == 0 else _BARS[len(_BARS) // 2])
        else:
            out_chars.append(_BARS[min(len(_BARS) - 1, int((value - low) / spread * len(_BARS)))])
    return "".join(out_chars)


def buckets(start: datetime, span: Span) -> list[datetime]:
    return [start + timedelta(seconds=i * span.period_s) for i in range(span.seconds // span.period_s)]


def _query(index: int, function: str, metric: str, stat: str, period_s: int) -> dict[str, Any]:
    return {
        "Id": f"m{index}",
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/Lambda",
                "MetricName": metric,
                "Dimensions": [{"Name": "FunctionName", "Value": function}],
            },
            "Period": period_s,
            "Stat": stat,
        },
    }


def _series(client: Any, queries: list[dict[str, Any]], start: datetime, end: datetime) -> dict[str, dict[datetime, float]]:
    """Each query's datapoints by timestamp, every page read."""
    found: dict[str, dict[datetime, float]] = {q["Id"]: {} for q in queries}
    params: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end, "ScanBy": "TimestampAscending"}
    while True:
        page = client.get_metric_data(**params)
        for result in page["MetricDataResults"]:
            found[result["Id"]].update(zip(result["Timestamps"], result["Values"], strict=True))
        if not page.get("NextToken"):
            return found
        params["NextToken"] = page["NextToken"]


def _window(span: Span) -> tuple[datetime, datetime]:
    now = datetime.now(UTC).replace(microsecond=0)
    end = now - timedelta(seconds=now.timestamp() % span.period_s) + timedelta(seconds=span.period_s)
    return end - timedelta(seconds=span.seconds), end


def _summary(chart: Chart, values: list[float]) -> str:
    if not values:
        return "-"
    if chart.unit == "sum":
        return f"{sum(values):,.0f}"
    if chart.unit == "max":
        return f"peak {max(values):,.0f}"
    return f"last {values[-1]:,.1f} ms"


def metrics(
    name: Annotated[str, typer.Argument(help="Function name.")],
    period: Annotated[str, typer.Option("--period", help="How far back: 1h, 24h or 7d.")] = "1h",
    endpoint_url: EndpointOption = None,
) -> None:
    """A function's invocations, errors, throttles, duration and concurrency as sparklines."""
    span = SPANS.get(period)
    if span is None:
        out.print(f"[red]--period must be one of {', '.join(SPANS)}[/red]")
        raise typer.Exit(2)
    client = Target(endpoint_url).client("cloudwatch")
    start, end = _window(span)
    queries = [_query(i, name, chart.metric, chart.stat, span.period_s) for i, chart in enumerate(CHARTS)]
    try:
        found = _series(client, queries, start, end)
    except Exception as exc:
        raise fail(exc) from None
    table = Table(title=f"{name}: last {period}, one column per {span.period_s // 60} min", title_justify="left")
    for column in ("metric", "chart", "summary"):
        table.add_column(column, no_wrap=True)
    slots = buckets(start, span)
    for index, chart in enumerate(CHARTS):
        points = {stamp.astimezone(UTC): value for stamp, value in found[f"m{index}"].items()}
        values = [points.get(slot) for slot in slots]
        table.add_row(chart.label, sparkline(values), _summary(chart, [v for v in values if v is not None]))
    out.print(table)


def _active_functions(client: Any) -> list[str]:
    names: set[str] = set()
    for page in client.get_paginator("list_metrics").paginate(Namespace="AWS/Lambda", MetricName="Invocations"):
        for metric in page["Metrics"]:
            dimensions = metric.get("Dimensions", [])
            if len(dimensions) == 1 and dimensions[0]["Name"] == "FunctionName":
                names.add(dimensions[0]["Value"])
    return sorted(names)


def top_table(client: Any, minutes: int) -> Table:
    """Per function that ran: invocations, errors and peak concurrency per minute over the last
    *minutes* (the newest minute last in each sparkline)."""
    span = Span(minutes * 60, 60)
    start, end = _window(span)
    names = _active_functions(client)
    table = Table(title=f"functions, last {minutes} min (one column per minute)", title_justify="left")
    for column in ("function", "invocations", "per minute", "errors", "peak concurrency"):
        table.add_column(column, no_wrap=True)
    wanted = (("Invocations", "Sum"), ("Errors", "Sum"), ("ConcurrentExecutions", "Maximum"))
    queries = [
        _query(i * 3 + j, name, metric, stat, 60) for i, name in enumerate(names) for j, (metric, stat) in enumerate(wanted)
    ]
    found = _series(client, queries, start, end) if queries else {}
    slots = buckets(start, span)
    rows = []
    for i, name in enumerate(names):
        calls, errors, peak = (found[f"m{i * 3 + j}"] for j in range(3))
        per_minute = {stamp.astimezone(UTC): value for stamp, value in calls.items()}
        total = sum(calls.values())
        rows.append(
            (total, name, sparkline([per_minute.get(s) for s in slots]), sum(errors.values()), max(peak.values(), default=0))
        )
    for total, name, line, error_count, highest in sorted(rows, key=lambda row: (-row[0], row[1])):
        table.add_row(name, f"{total:,.0f}", line, f"{error_count:,.0f}", f"{highest:,.0f}")
    return table


def top(
    minutes: Annotated[int, typer.Option("--minutes", min=1, max=60, help="How many minutes back.")] = 10,
    interval: Annotated[float, typer.Option("--interval", min=0.5, help="Seconds between redraws.")] = 2.0,
    once: Annotated[bool, typer.Option("--once", help="Print one table and exit.")] = False,
    endpoint_url: EndpointOption = None,
) -> None:
    """Live invocations, errors and concurrency per function."""
    client = Target(endpoint_url).client("cloudwatch")
    try:
        if once:
            out.print(top_table(client, minutes))
            return
        with Live(top_table(client, minutes), console=out, refresh_per_second=4) as live:
            while True:
                time.sleep(interval)
                live.update(top_table(client, minutes))
    except KeyboardInterrupt:
        return
    except Exception as exc:
        raise fail(exc) from None
