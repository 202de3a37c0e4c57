"""A subset of the CloudWatch Logs API (JSON 1.1, ``X-Amz-Target: Logs_20140328.<Op>``).

Enough for ``aws logs filter-log-events`` / ``get-log-events`` / ``describe-log-streams`` and for
``lambent logs --follow`` to read functions' logs with the clients people already use.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.auth import principal
from lambent.api.guard import Guard
from lambent.api.render import json11_error, json11_response
from lambent.errors import AccessDeniedException
from lambent.model.lambda_actions import log_group_arn
from lambent.model.limits import LOG_EVENTS_PAGE_LIMIT, LOGS_REQUEST_LIMIT_BYTES
from lambent.services.logs import LogService
from lambent.settings import Settings


class LogsApi:
    def __init__(self, logs: LogService, guard: Guard, settings: Settings) -> None:
        self._logs = logs
        self._guard = guard
        self._settings = settings

    async def dispatch(self, request: Request) -> Response:
        target = request.headers.get("x-amz-target", "")
        service, _, operation = target.partition(".")
        handler = {
            "FilterLogEvents": self._filter,
            "GetLogEvents": self._get,
            "DescribeLogStreams": self._streams,
        }.get(operation)
        if service != "Logs_20140328" or handler is None:
            return json11_error("UnknownOperationException", f"Operation {target or '(none)'} is not supported.", 400)
        try:
            params = msgspec.json.decode(await inputs.body(request, LOGS_REQUEST_LIMIT_BYTES, operation) or b"{}")
        except msgspec.DecodeError:
            return json11_error("SerializationException", "The request body is not valid JSON.")
        if not isinstance(params, dict) or not isinstance(params.get("logGroupName"), str):
            return json11_error("InvalidParameterException", "logGroupName is required.")
        caller = principal(request)
        account = caller.account_id  # a log group named by its name is its caller's account's
        group = log_group_arn(self._settings.region, account, params["logGroupName"])
        try:
            await self._guard.check(caller, f"logs:{operation}", group, request.scope)
        except AccessDeniedException as denied:
            return json11_error(denied.error_type, denied.message, denied.status)
        return await handler(account, params)

    async def _filter(self, account: str, params: dict[str, Any]) -> Response:
        limit = min(int(params.get("limit", LOG_EVENTS_PAGE_LIMIT)), LOG_EVENTS_PAGE_LIMIT)
        token = str(params.get("nextToken", "0"))
        events, more_after = await self._logs.filter(
            account,
            params["logGroupName"],
            params.get("logStreamNames"),
            params.get("startTime"),
            params.get("endTime"),
            int(token) if token.isdigit() else 0,
            limit,
            params.get("filterPattern") or None,
        )
        body: dict[str, Any] = {
            "events": [
                {
                    "logStreamName": e.stream,
                    "timestamp": e.timestamp_ms,
                    "message": e.message,
                    "ingestionTime": e.ingestion_ms,
                    "eventId": f"{e.event_id}",
                }
                for e in events
            ],
            "searchedLogStreams": [],
        }
        if more_after is not None:
            body["nextToken"] = str(more_after)
        return json11_response(body)

    async def _get(self, account: str, params: dict[str, Any]) -> Response:
        stream = params.get("logStreamName")
        if not isinstance(stream, str):
            return json11_error("InvalidParameterException", "logStreamName is required.")
        token = str(params.get("nextToken", "f/0"))
        after = int(token[2:]) if token.startswith("f/") and token[2:].isdigit() else 0
        limit = min(int(params.get("limit", LOG_EVENTS_PAGE_LIMIT)), LOG_EVENTS_PAGE_LIMIT)
        events, _more = await self._logs.filter(
            account, params["logGroupName"], [stream], params.get("startTime"), params.get("endTime"), after, limit, None
        )
        last = events[-1].event_id if events else after
        return json11_response(
            {
                "events": [{"timestamp": e.timestamp_ms, "message": e.message, "ingestionTime": e.ingestion_ms} for e in events],
                "nextForwardToken": f"f/{last}",
                "nextBackwardToken": f"b/{events[0].event_id if events else after}",
            }
        )

    async def _streams(self, account: str, params: dict[str, Any]) -> Response:
        group = params["logGroupName"]
        streams = await self._logs.streams(account, group)
        if params.get("descending") or params.get("orderBy") == "LastEventTime":
            streams.sort(key=lambda s: s[2], reverse=bool(params.get("descending")))
        return json11_response(
            {
                "logStreams": [
                    {
                        "logStreamName": name,
                        "creationTime": first,
                        "firstEventTimestamp": first,
                        "lastEventTimestamp": last,
                        "lastIngestionTime": last,
                        "storedBytes": 0,
                        "arn": f"arn:aws:logs:::log-group:{group}:log-stream:{name}",
                    }
                    for name, first, last in streams
                ]
            }
        )
