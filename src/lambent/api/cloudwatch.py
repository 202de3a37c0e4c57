"""CloudWatch's metrics API subset: GetMetricStatistics, GetMetricData (metric statistics;
metric math is refused), ListMetrics and PutMetricData, in each of its three protocols
(``api/cloudwatch_wire.py``; the query protocol comes through ``api/root.py``).

Each operation: the input checked against botocore's ``cloudwatch`` model, the caller authorized
for ``cloudwatch:<Op>`` on ``*`` (CloudWatch's metric actions have no resource ARNs), one call
of ``services.metrics``, the answer in the request's protocol. Metrics are the caller's account's.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from lambent.api import cloudwatch_wire as wire
from lambent.api import inputs
from lambent.api.auth import Principal, principal
from lambent.api.guard import Guard
from lambent.clock import Clock
from lambent.errors import (
    ApiError,
    CloudWatchInvalidNextToken,
    CloudWatchInvalidParameterCombination,
    CloudWatchInvalidParameterValue,
    CloudWatchMissingParameter,
    UnknownOperation,
    ValidationError,
)
from lambent.model import constraints, metric_data
from lambent.model import metric_stats as stats
from lambent.model.limits import CLOUDWATCH_REQUEST_LIMIT_BYTES
from lambent.model.metric_series import SeriesKey, series_key
from lambent.services.metrics import MetricService

Operation = Callable[[dict[str, Any], str], Awaitable[dict[str, Any] | None]]
LIST_PAGE = 500
MAX_QUERIES = 500
DEFAULT_MAX_DATAPOINTS = 100_800
_RECENTLY_ACTIVE_S = {"PT3H": 3 * 3600}


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _time(ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)


def _pairs(dimensions: Any) -> list[tuple[str, str]]:
    return [(d["Name"], d["Value"]) for d in dimensions or []]


def _token(offset: int, request: Any) -> str:
    """A page token: where the next page starts, tied to the request it continues."""
    digest = hashlib.sha256(msgspec.json.encode(request)).hexdigest()[:16]
    return base64.urlsafe_b64encode(f"{offset}:{digest}".encode()).decode()


def _offset(token: str | None, request: Any) -> int:
    if not token:
        return 0
    try:
        offset, digest = base64.urlsafe_b64decode(token.encode()).decode().split(":")
        if digest == hashlib.sha256(msgspec.json.encode(request)).hexdigest()[:16]:
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise CloudWatchInvalidNextToken(f"The service cannot process the token: {token}")


class CloudWatchApi:
    def __init__(self, metrics: MetricService, guard: Guard, clock: Clock) -> None:
        self._metrics = metrics
        self._guard = guard
        self._clock = clock
        self.operations: dict[str, Operation] = {
            "GetMetricStatistics": self._statistics,
            "GetMetricData": self._data,
            "ListMetrics": self._list,
            "PutMetricData": self._put,
        }
        #: The query protocol's handlers, for ``RootApi`` (which parses, authorizes and renders).
        self.actions = {name: self._action(name) for name in self.operations}

    # -- the protocols ---------------------------------------------------------------------

    async def cbor(self, request: Request) -> Response:
        """``POST /service/GraniteServiceVersion20100801/operation/{operation}``."""
        try:
            params = wire.decode_cbor(await self._body(request, request.path_params["operation"]))
            return wire.cbor_response(await self._serve(request, request.path_params["operation"], params))
        except ApiError as refused:
            return wire.cbor_error(refused)

    async def json(self, request: Request) -> Response:
        """``POST /`` with ``X-Amz-Target: GraniteServiceVersion20100801.<Op>`` (awsJson1_0)."""
        operation = request.headers.get("x-amz-target", "").partition(".")[2]
        try:
            params = wire.decode_json(await self._body(request, operation))
            return wire.json_response(await self._serve(request, operation, params))
        except ApiError as refused:
            return wire.json_error(refused)

    @staticmethod
    async def _body(request: Request, operation: str) -> bytes:
        raw = await inputs.body(request, CLOUDWATCH_REQUEST_LIMIT_BYTES, operation)
        return wire.inflate(raw, request.headers.get("content-encoding"))

    async def _serve(self, request: Request, operation: str, params: Any) -> dict[str, Any] | None:
        handler = self.operations.get(operation)
        if handler is None:
            raise UnknownOperation(f"Operation {operation or '(none)'} is not supported.")
        if not isinstance(params, dict):
            raise ValidationError("The request body is not an object.")
        problems = constraints.violations(operation, params, service="cloudwatch")
        if problems:
            raise ValidationError(constraints.summary(problems))
        caller = principal(request)
        await self._guard.check(caller, f"cloudwatch:{operation}", "*", request.scope)
        return await handler(params, caller.account_id)

    def _action(self, name: str) -> Callable[[dict[str, Any], Principal], Awaitable[dict[str, Any] | None]]:
        async def action(params: dict[str, Any], caller: Principal) -> dict[str, Any] | None:
            return await self.operations[name](params, caller.account_id)

        return action

    # -- the operations --------------------------------------------------------------------

    async def _statistics(self, params: dict[str, Any], account: str) -> dict[str, Any]:
        plain, extended = params.get("Statistics") or [], params.get("ExtendedStatistics") or []
        if plain and extended:
            raise CloudWatchInvalidParameterCombination(
                "The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both."
            )
        if not plain and not extended:
            raise CloudWatchMissingParameter("The parameter Statistics or ExtendedStatistics is required.")
        for index, name in enumerate(extended, 1):
            if stats.percentile(name) is None:
                raise CloudWatchInvalidParameterValue(
                    f"The value {name} for parameter ExtendedStatistics.member.{index} is not supported."
                )
        period = int(params["Period"])
        stats.check_period(period)
        start, end = stats.window(_ms(wire.instant(params["StartTime"])), _ms(wire.instant(params["EndTime"])))
        stats.check_datapoints(start, end, period)
        key = series_key(account, params["Namespace"], params["MetricName"], _pairs(params.get("Dimensions")))
        points = await self._metrics.points(key, start, end, params.get("Unit"))
        datapoints = []
        for unit in sorted({p.unit for p in points}):
            merged = stats.periods([p for p in points if p.unit == unit], start, end, stats.period_ms(period))
            for begin in sorted(merged):
                point = merged[begin]
                datapoint: dict[str, Any] = {"Timestamp": _time(begin), "Unit": unit}
                for name in plain:
                    datapoint[name] = stats.value(point, name)
                found = {name: stats.value(point, name) for name in extended}
                if extended:
                    datapoint["ExtendedStatistics"] = {k: v for k, v in found.items() if v is not None}
                datapoints.append({k: v for k, v in datapoint.items() if v is not None})
        return {"Label": params["MetricName"], "Datapoints": datapoints}

    async def _data(self, params: dict[str, Any], account: str) -> dict[str, Any]:
        queries = params.get("MetricDataQueries") or []
        if not queries:
            raise CloudWatchMissingParameter("The parameter MetricDataQueries is required.")
        if len(queries) > MAX_QUERIES:
            raise CloudWatchInvalidParameterValue(
                f"The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}."
            )
        ids = [q["Id"] for q in queries]
        if len(set(ids)) != len(ids):
            raise CloudWatchInvalidParameterValue("The values for parameter MetricDataQueries.member.N.Id must be unique.")
        start_s, end_s = wire.instant(params["StartTime"]), wire.instant(params["EndTime"])
        start, end = stats.window(_ms(start_s), _ms(end_s))
        if end <= start:
            raise CloudWatchInvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.")
        descending = params.get("ScanBy", "TimestampDescending") == "TimestampDescending"
        limit = int(params.get("MaxDatapoints") or DEFAULT_MAX_DATAPOINTS)
        results: list[tuple[str, str, list[tuple[int, float]]]] = []
        for index, query in enumerate(queries, 1):
            where = f"MetricDataQueries.member.{index}"
            if query.get("Expression") is not None:
                raise CloudWatchInvalidParameterValue(
                    f"The parameter {where}.Expression is not supported: Lambent answers MetricStat queries, "
                    "not metric math or Metrics Insights."
                )
            metric_stat = query.get("MetricStat")
            if metric_stat is None:
                raise CloudWatchMissingParameter(f"The parameter {where}.MetricStat is required.")
            period = int(query.get("Period") or metric_stat["Period"])
            stats.check_period(period, f"{where}.MetricStat.Period")
            stats.check_statistic(metric_stat["Stat"], f"{where}.MetricStat.Stat")
            metric = metric_stat["Metric"]
            if "Namespace" not in metric or "MetricName" not in metric:
                raise CloudWatchMissingParameter(f"The parameter {where}.MetricStat.Metric.MetricName is required.")
            key = series_key(account, metric["Namespace"], metric["MetricName"], _pairs(metric.get("Dimensions")))
            values = await self._values(key, start, end, period, metric_stat["Stat"], metric_stat.get("Unit"))
            values.sort(reverse=descending)
            if query.get("ReturnData", True):
                results.append((query["Id"], query.get("Label") or metric["MetricName"], values))
        identity = [params["MetricDataQueries"], start_s, end_s, descending]
        skip = _offset(params.get("NextToken"), identity)
        return self._page(results, skip, limit, identity)

    async def _values(
        self, key: SeriesKey, start: int, end: int, period: int, stat: str, unit: str | None
    ) -> list[tuple[int, float]]:
        points = await self._metrics.points(key, start, end, unit)
        merged = stats.periods(points, start, end, stats.period_ms(period))
        found = ((begin, stats.value(point, stat)) for begin, point in merged.items())
        return [(begin, value) for begin, value in found if value is not None]

    @staticmethod
    def _page(results: list[tuple[str, str, list[tuple[int, float]]]], skip: int, limit: int, identity: Any) -> dict[str, Any]:
        """Results after the first *skip* datapoints (counted over all results in order), at
        most *limit* of them; ``PartialData`` where a result goes on in the next page."""
        page, seen, taken = [], 0, 0
        for query_id, label, values in results:
            first = max(0, skip - seen)
            seen += len(values)
            if first > len(values) or (first == len(values) and values):
                continue
            chosen = values[first : first + max(0, limit - taken)]
            taken += len(chosen)
            complete = first + len(chosen) == len(values)
            page.append(
                {
                    "Id": query_id,
                    "Label": label,
                    "Timestamps": [_time(at) for at, _ in chosen],
                    "Values": [float(v) for _, v in chosen],
                    "StatusCode": "Complete" if complete else "PartialData",
                }
            )
            if not complete:
                return {"MetricDataResults": page, "NextToken": _token(skip + taken, identity), "Messages": []}
        return {"MetricDataResults": page, "Messages": []}

    async def _list(self, params: dict[str, Any], account: str) -> dict[str, Any]:
        since = None
        if params.get("RecentlyActive") is not None:
            window = _RECENTLY_ACTIVE_S.get(params["RecentlyActive"])
            if window is None:
                raise CloudWatchInvalidParameterValue(
                    f"The value {params['RecentlyActive']} for parameter RecentlyActive is invalid."
                )
            since = _ms(self._clock.time() - window)
        found = await self._metrics.series(account, params.get("Namespace"), params.get("MetricName"), since)
        for wanted in params.get("Dimensions") or []:
            name, value = wanted["Name"], wanted.get("Value")
            found = [k for k in found if any(n == name and (value is None or v == value) for n, v in k.dimensions)]
        identity = [params.get(k) for k in ("Namespace", "MetricName", "Dimensions", "RecentlyActive")]
        skip = _offset(params.get("NextToken"), identity)
        chosen = found[skip : skip + LIST_PAGE]
        out: dict[str, Any] = {
            "Metrics": [
                {
                    "Namespace": key.namespace,
                    "MetricName": key.name,
                    "Dimensions": [{"Name": n, "Value": v} for n, v in key.dimensions],
                }
                for key in chosen
            ]
        }
        if skip + LIST_PAGE < len(found):
            out["NextToken"] = _token(skip + LIST_PAGE, identity)
        return out

    async def _put(self, params: dict[str, Any], account: str) -> None:
        items = []
        for raw in params.get("MetricData") or []:
            item = dict(raw)
            if item.get("Timestamp") is not None:
                item["Timestamp"] = wire.instant(item["Timestamp"])
            items.append(item)
        await self._metrics.put(metric_data.data(account, {**params, "MetricData": items}, self._clock.time()))
        return None
