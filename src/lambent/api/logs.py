"""A subset of the CloudWatch Logs API (JSON 1.1, ``X-Amz-Target: Logs_20140328.<Op>``).

Log groups (create, delete, describe, retention), their streams (create, delete, describe) and
events (put, get, filter), so that boto3's ``logs`` client, the AWS CLI (``aws logs tail
--follow`` and ``filter-log-events --filter-pattern`` included) and ``lambent logs`` read and
write logs with the clients people already use.

Each operation: the body checked against botocore's model of ``logs`` (AWS's "N validation
errors detected" wording, as ``InvalidParameterException``), the caller authorized for
``logs:<Op>`` on the group's ARN (the stream's for its events), one service call, the result
rendered. Every refusal is JSON 1.1's ``{"__type", "message"}`` at 400.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.auth import principal
from lambent.api.guard import Guard
from lambent.api.render import json11_error, json11_response
from lambent.errors import ApiError, LogsInvalidParameter
from lambent.model import constraints
from lambent.model import log_groups as rules
from lambent.model.lambda_actions import log_group_arn
from lambent.model.limits import LOGS_REQUEST_LIMIT_BYTES
from lambent.model.log_groups import LogGroup, LogPosition, LogStream, parse_position
from lambent.services.logs import HEAD, Events, LogService
from lambent.settings import Settings

SERVICE = "Logs_20140328"
Handler = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


def _group_name(params: dict[str, Any]) -> str:
    """The group a request names, by ``logGroupName`` or by ``logGroupIdentifier`` (its name
    or ARN); AWS refuses both, and neither."""
    name, identifier = params.get("logGroupName"), params.get("logGroupIdentifier")
    if name is not None and identifier is not None:
        raise LogsInvalidParameter("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
    if identifier is not None:
        name = str(identifier)
        if name.startswith("arn:"):
            name = name.split(":log-group:", 1)[-1].removesuffix(":*")
    if not name:
        raise LogsInvalidParameter("Either logGroupName or logGroupIdentifier should be present")
    return str(name)


def _position(token: str | None, prefix: str = "") -> LogPosition | None:
    if token is None:
        return None
    found = parse_position(token.removeprefix(prefix)) if token.startswith(prefix) else None
    if found is None:
        raise LogsInvalidParameter(rules.INVALID_PAGING)
    return found


def _group_doc(region: str, account: str, group: LogGroup) -> dict[str, Any]:
    arn = rules.group_arn(region, account, group.name)
    doc: dict[str, Any] = {"logGroupName": group.name, "creationTime": group.created_ms}
    if group.retention_days is not None:
        doc["retentionInDays"] = group.retention_days
    doc.update(metricFilterCount=0, arn=f"{arn}:*", storedBytes=group.stored_bytes)
    if group.kms_key_id:
        doc["kmsKeyId"] = group.kms_key_id
    doc.update(logGroupClass=group.log_group_class, logGroupArn=arn)
    return doc


def _stream_doc(region: str, account: str, group: str, stream: LogStream) -> dict[str, Any]:
    doc: dict[str, Any] = {"logStreamName": stream.name, "creationTime": stream.created_ms}
    if stream.first_event_ms is not None:
        doc.update(firstEventTimestamp=stream.first_event_ms, lastEventTimestamp=stream.last_event_ms)
        doc["lastIngestionTime"] = stream.last_ingestion_ms
    doc["uploadSequenceToken"] = "1"
    doc["arn"] = rules.stream_arn(region, account, group, stream.name)
    doc["storedBytes"] = 0  # AWS reports 0 for streams since 2019
    return doc


def _token_of_name(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode()


def _name_of_token(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise LogsInvalidParameter(rules.INVALID_PAGING) from None


class LogsApi:
    def __init__(self, logs: LogService, guard: Guard, settings: Settings) -> None:
        self._logs = logs
        self._guard = guard
        self._settings = settings
        self.operations: dict[str, Handler] = {
            "CreateLogGroup": self._create_group,
            "DeleteLogGroup": self._delete_group,
            "DescribeLogGroups": self._describe_groups,
            "PutRetentionPolicy": self._put_retention,
            "DeleteRetentionPolicy": self._delete_retention,
            "CreateLogStream": self._create_stream,
            "DeleteLogStream": self._delete_stream,
            "DescribeLogStreams": self._describe_streams,
            "PutLogEvents": self._put_events,
            "GetLogEvents": self._get_events,
            "FilterLogEvents": self._filter_events,
        }

    async def dispatch(self, request: Request) -> Response:
        target = request.headers.get("x-amz-target", "")
        service, _, operation = target.partition(".")
        handler = self.operations.get(operation)
        if service != SERVICE or handler is None:
            return json11_error("UnknownOperationException", f"Operation {target or '(none)'} is not supported.", 400)
        try:
            params = msgspec.json.decode(await inputs.body(request, LOGS_REQUEST_LIMIT_BYTES, operation) or b"{}")
        except msgspec.DecodeError:
            return json11_error("SerializationException", "The request body is not valid JSON.")
        try:
            if not isinstance(params, dict):
                raise LogsInvalidParameter("The request body must be a JSON object.")
            problems = constraints.violations(operation, params, service="logs")
            if problems:
                raise LogsInvalidParameter(constraints.summary(problems))
            caller = principal(request)
            account = caller.account_id  # a log group named by its name is its caller's account's
            await self._guard.check(caller, f"logs:{operation}", self._resource(account, operation, params), request.scope)
            return json11_response(await handler(account, params))
        except ApiError as refused:
            return json11_error(refused.error_type, refused.message, refused.status)

    def _resource(self, account: str, operation: str, params: dict[str, Any]) -> str:
        region = self._settings.region
        if operation == "DescribeLogGroups":
            return f"arn:aws:logs:{region}:{account}:log-group:*"
        stream = params.get("logStreamName") if operation in ("PutLogEvents", "GetLogEvents") else None
        return log_group_arn(region, account, _group_name(params), str(stream or ""))

    # -- groups -----------------------------------------------------------------------------

    async def _create_group(self, account: str, params: dict[str, Any]) -> dict[str, Any]:
        await self._logs.create_group(account, params["logGroupName"], params.get("kmsKeyId"), params.get("logGroupClass"))
        return {}

    async def _delete_group(self, account: str, params: dict[str, Any]) -> dict[str, Any]:
        await self._logs.delete_group(account, params["logGroupName"])
        return {}

    async def _describe_groups(self, account: str, params: dict[str, Any]) -> dict[str, Any]:
        prefix, pattern = params.get("logGroupNamePrefix"), params.get("logGroupNamePattern")
        if prefix and pattern:
            raise LogsInvalidParameter("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
        limit = int(params.get("limit", rules.DESCRIBE_LIMIT))
        groups, last = await self._logs.groups(account, prefix, pattern, _name_of_token(params.get("nextToken")), limit)
        body: dict[str, Any] = {"logGroups": [_group_doc(self._settings.region, account, g) for g in groups]}
        if last is not None:
            body["nextToken"] = _token_of_name(last)
        return body

    async def _put_retention(self, account: str, params: dict[str, Any]) -> dict[str, Any]:
        await self._logs.put_retention(account, params["logGroupName"], int(params["retentionInDays"]))
        return {}

    async def _delete_retention(self, account: str, params: dict[str, Any]) -> dict[str, Any]:
        await self._logs.put_retention(account, params["logGroupName"], None)
        return {}

    # -- streams ----------------------------------------------------------------------------

    async def _create_stream(self, account: str, params: dict[str, Any]) -> dict[str, Any]:
        await self._logs.create_stream(account, params["logGroupName"], params["logStreamName"])
        return {}

    async def _delete_stream(self, account: str, params: dict[str, Any]) -> dict[str, Any]:
        await self._logs.delete_stream(account, params["logGroupName"], params["logStreamName"])
        return {}

    async def _describe_streams(self, account: str, params: dict[str, Any]) -> dict[str, Any]:
        group = _group_name(params)
        by_last = params.get("orderBy") == "LastEventTime"
        prefix = params.get("logStreamNamePrefix")
        if by_last and prefix:
            raise LogsInvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
        token = params.get("nextToken")
        if token is not None and not str(token).isdigit():
            raise LogsInvalidParameter(rules.INVALID_PAGING)
        limit = int(params.get("limit", rules.DESCRIBE_LIMIT))
        page, more = await self._logs.streams(
            account, group, prefix, by_last, bool(params.get("descending")), int(token or 0), limit
        )
        body: dict[str, Any] = {"logStreams": [_stream_doc(self._settings.region, account, group, s) for s in page]}
        if more is not None:
            body["nextToken"] = str(more)
        return body

    # -- events -----------------------------------------------------------------------------

    async def _put_events(self, account: str, params: dict[str, Any]) -> dict[str, Any]:
        events = [(int(e["timestamp"]), str(e["message"])) for e in params["logEvents"]]
        refused = await self._logs.put_events(account, params["logGroupName"], params["logStreamName"], events)
        body: dict[str, Any] = {"nextSequenceToken": "1"}
        info = {
            key: value
            for key, value in (
                ("tooNewLogEventStartIndex", refused.too_new_start),
                ("tooOldLogEventEndIndex", refused.too_old_end),
                ("expiredLogEventEndIndex", refused.expired_end),
            )
            if value >= 0
        }
        if info:
            body["rejectedLogEventsInfo"] = info
        return body

    async def _get_events(self, account: str, params: dict[str, Any]) -> dict[str, Any]:
        group = _group_name(params)
        token = params.get("nextToken")
        if token is not None and not str(token).startswith(("f/", "b/")):
            raise LogsInvalidParameter(rules.INVALID_PAGING)
        forward = str(token).startswith("f/") if token is not None else bool(params.get("startFromHead"))
        position = _position(str(token)[2:]) if token is not None else None
        limit = int(params.get("limit", rules.EVENTS_LIMIT))
        events = await self._logs.read(
            account, group, params["logStreamName"], params.get("startTime"), params.get("endTime"), position, forward, limit
        )
        first = events[0][0] if events else position
        last = events[-1][0] if events else position
        # At either end the token given comes back, so a reader knows it has reached it.
        return {
            "events": [{"timestamp": e.timestamp_ms, "message": e.message, "ingestionTime": e.ingestion_ms} for _, e in events],
            "nextForwardToken": f"f/{(last or HEAD).token()}",
            "nextBackwardToken": f"b/{(first or HEAD).token()}",
        }

    async def _filter_events(self, account: str, params: dict[str, Any]) -> dict[str, Any]:
        group = _group_name(params)
        streams, prefix = params.get("logStreamNames"), params.get("logStreamNamePrefix")
        if streams and prefix:
            raise LogsInvalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
        limit = int(params.get("limit", rules.EVENTS_LIMIT))
        found, more = await self._logs.search(
            account,
            group,
            streams,
            prefix,
            params.get("startTime"),
            params.get("endTime"),
            _position(params.get("nextToken")),
            limit,
            params.get("filterPattern"),
        )
        body: dict[str, Any] = {"events": _filtered(found), "searchedLogStreams": []}
        if more is not None:
            body["nextToken"] = more.token()
        return body


def _filtered(events: Events) -> list[dict[str, Any]]:
    return [
        {
            "logStreamName": e.stream,
            "timestamp": e.timestamp_ms,
            "message": e.message,
            "ingestionTime": e.ingestion_ms,
            "eventId": spot.event_id(),
        }
        for spot, e in events
    ]
