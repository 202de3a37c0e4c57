"""Lambent's own API for what AWS leaves to its billing console: usage reports, the raw usage
records, budgets, and Prometheus counters.

    GET    /lambent/2026-11-27/usage?group_by=function,version&period=day|month
               &function=&version=&start=YYYY-MM-DD&end=YYYY-MM-DD      totals and cost
    GET    /lambent/2026-11-27/usage/records?function=&request_id=&after=&limit=
    GET    /lambent/2026-11-27/budgets
    PUT    /lambent/2026-11-27/budgets/{name}     {"Limit": "5", "Unit": "USD", "Action": ...}
    GET    /lambent/2026-11-27/budgets/{name}     the budget, this month's spend and alerts
    DELETE /lambent/2026-11-27/budgets/{name}
    GET    /metrics                               Prometheus text format

Errors are AWS-shaped, like the rest of the API. Usage and budgets are the caller's account's
(an ``account`` filter names no other); the Prometheus counters are every account's, for the
server's operator (``GetMetrics`` is authorized in the default account).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import msgspec
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.cells import ACCOUNT_SCOPE_KEY
from lambent.api.render import empty_response, json_response
from lambent.errors import InvalidParameterValueException
from lambent.model.budget import Budget
from lambent.model.limits import BUDGET_REQUEST_LIMIT_BYTES
from lambent.services.metering import MeterService
from lambent.services.usage_reports import UsageReports

PREFIX = "/lambent/2026-11-27"
GROUPS = ("account", "function", "version")
PERIODS = ("day", "month")
FILTERS = ("account", "function", "version", "request_id", "outcome", "kind")


def _day(text: str, name: str) -> str:
    """*text* if it is a date (YYYY-MM-DD), else InvalidParameterValueException."""
    try:
        return f"{datetime.strptime(text, '%Y-%m-%d'):%Y-%m-%d}"
    except ValueError:
        raise InvalidParameterValueException(f"{name} must be a date like 2026-11-27, not {text!r}.") from None


def _filters(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    return {name: request.query_params[name] for name in allowed if request.query_params.get(name)}


class _Collector:
    def __init__(self, collect: Callable[[], Iterator[Metric]]) -> None:
        self._collect = collect

    def collect(self) -> Iterator[Metric]:
        return self._collect()


def _own(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    """The filters of *request*, the account always the one the request acts in."""
    return {**_filters(request, allowed), "account": request.scope[ACCOUNT_SCOPE_KEY]}


class UsageApi:
    def __init__(self, meter: MeterService, reports: UsageReports, metrics: Callable[[], Iterator[Metric]] | None = None) -> None:
        """*metrics*: more series for ``/metrics`` (AWS/Lambda's, from ``services.metrics``)."""
        self._meter = meter
        self._reports = reports
        self._registry = CollectorRegistry(auto_describe=False)
        self._registry.register(_Collector(meter.collect))
        if metrics is not None:
            self._registry.register(_Collector(metrics))

    async def usage(self, request: Request) -> Response:
        group_by = [g for g in request.query_params.get("group_by", "function").split(",") if g]
        if any(g not in GROUPS for g in group_by):
            raise InvalidParameterValueException(f"group_by takes {', '.join(GROUPS)}, separated by commas.")
        period = request.query_params.get("period") or None
        if period is not None and period not in PERIODS:
            raise InvalidParameterValueException("period is day or month.")
        start = request.query_params.get("start")
        end = request.query_params.get("end")
        lines = await self._reports.report(
            group_by,
            period,
            _own(request, ("function", "version")),
            _day(start, "start") if start else None,
            _day(end, "end") if end else None,
        )
        rows = [{k: v for k, v in msgspec.structs.asdict(line).items() if v is not None} for line in lines]
        return json_response({"Usage": rows})

    async def records(self, request: Request) -> Response:
        try:
            after = int(request.query_params.get("after", "0"))
            limit = int(request.query_params.get("limit", "1000"))
        except ValueError:
            raise InvalidParameterValueException("after and limit are integers.") from None
        if not 1 <= limit <= 10_000:
            raise InvalidParameterValueException("limit is from 1 to 10000.")
        records, next_after = await self._reports.records(_own(request, FILTERS), after, limit)
        document: dict[str, object] = {"Records": records}
        if next_after is not None:
            document["NextAfter"] = next_after
        return json_response(document)

    async def list_budgets(self, request: Request) -> Response:
        return json_response({"Budgets": msgspec.to_builtins(self._meter.list_budgets(request.scope[ACCOUNT_SCOPE_KEY]))})

    async def put_budget(self, request: Request) -> Response:
        body = inputs.decode(await inputs.json_body(request, BUDGET_REQUEST_LIMIT_BYTES, "PutBudget"), Budget)
        item = msgspec.structs.replace(body, name=request.path_params["name"])
        made = await self._meter.put_budget(request.scope[ACCOUNT_SCOPE_KEY], item)
        return json_response(msgspec.to_builtins(made))

    async def get_budget(self, request: Request) -> Response:
        return json_response(await self._meter.budget_status(request.scope[ACCOUNT_SCOPE_KEY], request.path_params["name"]))

    async def delete_budget(self, request: Request) -> Response:
        await self._meter.delete_budget(request.scope[ACCOUNT_SCOPE_KEY], request.path_params["name"])
        return empty_response()

    async def metrics(self, _request: Request) -> Response:
        return Response(generate_latest(self._registry), media_type="text/plain; version=0.0.4; charset=utf-8")
