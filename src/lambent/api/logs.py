"""A subset of the CloudWatch Logs API (JSON 1.1, ``X-Amz-Target: Logs_20140328.<Op>``).

Enough for ``aws logs filter-log-events`` / ``get-log-events`` / ``describe-log-streams`` and for
``lambent logs --follow`` to read functions' logs with the clients people already use.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from lambent.api.control import read_body
from lambent.api.render import request_id
from lambent.model.limits import LOG_EVENTS_PAGE_LIMIT
from lambent.services.logs import LogService

_encode = msgspec.json.Encoder()


def _error(code: str, message: str, status: int = 400) -> Response:
    body = {"__type": code, "message": message}
    return Response(
        _encode.encode(body),
        status_code=status,
        media_type="application/x-amz-json-1.1",
        headers={"x-amzn-RequestId": request_id(), "x-amzn-ErrorType": code},
    )


def _ok(body: dict[str, Any]) -> Response:
    return Response(_encode.encode(body), media_type="application/x-amz-json-1.1", headers={"x-amzn-RequestId": request_id()})


class LogsApi:
    def __init__(self, logs: LogService) -> None:
        self._logs = logs

    async def dispatch(self, request: Request) -> Response:
        target = request.headers.get("x-amz-target", "")
        service, _, operation = target.partition(".")
        handler = {
            "FilterLogEvents": self._filter,
            "GetLogEvents": self._get,
            "DescribeLogStreams": self._streams,
        }.get(operation)
        if service != "Logs_20140328" or handler is None:
            return _error("UnknownOperationException", f"Operation {target or '(none)'} is not supported.", 400)
        try:
            params = msgspec.json.decode(await read_body(request, 1 << 20, operation) or b"{}")
        except msgspec.DecodeError:
            return _error("SerializationException", "The request body is not valid JSON.")
        if not isinstance(params, dict) or not isinstance(params.get("logGroupName"), str):
            return _error("InvalidParameterException", "logGroupName is required.")
        return await handler(params)

    async def _filter(self, params: dict[str, Any]) -> Response:
        limit = min(int(params.get("limit", LOG_EVENTS_PAGE_LIMIT)), LOG_EVENTS_PAGE_LIMIT)
        token = str(params.get("nextToken", "0"))
        events, more_after = await self._logs.filter(
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
        return _ok(body)

    async def _get(self, params: dict[str, Any]) -> Response:
        stream = params.get("logStreamName")
        if not isinstance(stream, str):
            return _error("InvalidParameterException", "logStreamName is required.")
        token = str(params.get("nextToken", "f/0"))
        after = int(token[2:]) if token.startswith("f/") and token[2:].isdigit() else 0
        limit = min(int(params.get("limit", LOG_EVENTS_PAGE_LIMIT)), LOG_EVENTS_PAGE_LIMIT)
        events, _more = await self._logs.filter(
            params["logGroupName"], [stream], params.get("startTime"), params.get("endTime"), after, limit, None
        )
        last = events[-1].event_id if events else after
        return _ok(
            {
                "events": [{"timestamp": e.timestamp_ms, "message": e.message, "ingestionTime": e.ingestion_ms} for e in events],
                "nextForwardToken": f"f/{last}",
                "nextBackwardToken": f"b/{events[0].event_id if events else after}",
            }
        )

    async def _streams(self, params: dict[str, Any]) -> Response:
        group = params["logGroupName"]
        streams = await self._logs.streams(group)
        if params.get("descending") or params.get("orderBy") == "LastEventTime":
            streams.sort(key=lambda s: s[2], reverse=bool(params.get("descending")))
        return _ok(
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
