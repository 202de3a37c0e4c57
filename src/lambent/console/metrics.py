"""A function's AWS/Lambda series for the console: totals over a window, and the charts' data
(one period per point, the same merge and statistics CloudWatch's GetMetricStatistics answers
with: ``model.metric_stats``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from lambent.console.shell import Shell, Visitor
from lambent.errors import InvalidParameterValueException
from lambent.model import metric_stats as stats
from lambent.model.lambda_metrics import NAMESPACE
from lambent.model.metric_series import series_key
from lambent.services.metrics import MetricService

#: Range name -> (its length, the period of one point), in seconds.
RANGES = {"1h": (3600, 60), "24h": (86400, 600), "7d": (7 * 86400, 3600)}
#: Chart series: (label, metric, statistic).
SERIES = (
    ("invocations", "Invocations", "Sum"),
    ("errors", "Errors", "Sum"),
    ("throttles", "Throttles", "Sum"),
    ("duration_p50", "Duration", "p50"),
    ("duration_p99", "Duration", "p99"),
    ("concurrency", "ConcurrentExecutions", "Maximum"),
)
_COUNTS = frozenset({"invocations", "errors", "throttles"})


async def totals(metrics: MetricService, account: str, function: str, start_ms: int, end_ms: int) -> dict[str, float]:
    """Sums of Invocations and Errors of *function* over [start, end)."""
    found = {}
    for metric in ("Invocations", "Errors"):
        key = series_key(account, NAMESPACE, metric, (("FunctionName", function),))
        found[metric] = sum(p.sum for p in await metrics.points(key, start_ms, end_ms, None))
    return found


async def chart_data(metrics: MetricService, account: str, function: str, end_ms: int, range_name: str) -> dict[str, Any]:
    """uPlot's columns: ``x`` (period starts, epoch seconds) and one list per series (counts
    are 0 in a period without samples, the others None), with each count's total."""
    length_s, period_s = RANGES[range_name]
    start, end = stats.window(end_ms - length_s * 1000, end_ms)
    step = stats.period_ms(period_s)
    xs = list(range(start, end, step))
    data: dict[str, Any] = {"range": range_name, "period_s": period_s, "x": [x // 1000 for x in xs]}
    cache: dict[str, dict[int, Any]] = {}
    for label, metric, statistic in SERIES:
        if metric not in cache:
            key = series_key(account, NAMESPACE, metric, (("FunctionName", function),))
            cache[metric] = stats.periods(await metrics.points(key, start, end, None), start, end, step)
        merged = cache[metric]
        values = [stats.value(merged[x], statistic) if x in merged else None for x in xs]
        if label in _COUNTS:
            values = [v or 0 for v in values]
            data[f"{label}_total"] = sum(values)
        data[label] = values
    return data


class MetricPages:
    def __init__(self, shell: Shell, metrics: MetricService) -> None:
        self._shell = shell
        self._metrics = metrics

    async def chart(self, request: Request, visitor: Visitor) -> Response:
        name = request.path_params["name"]
        range_name = request.query_params.get("range", "1h")
        if range_name not in RANGES:
            raise InvalidParameterValueException(f"range is one of {', '.join(RANGES)}.")
        await self._shell.allow(request, visitor, "GetFunction", name)
        await self._shell.check_action(request, visitor, "cloudwatch:GetMetricStatistics", "*")
        end = int(self._shell.clock.time() * 1000) + 60_000  # the current minute whole
        data = await chart_data(self._metrics, visitor.principal.account_id, name, end, range_name)
        return JSONResponse(data, headers={"cache-control": "no-store"})
