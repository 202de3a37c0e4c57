"""S3 bucket notifications: Lambent's stand-in for PutBucketNotificationConfiguration, and the
endpoint an S3-compatible store pushes its events to.

    PUT  /lambent/2026-11-27/buckets/{bucket}/notification   AWS's NotificationConfiguration
                                                            (JSON): the stored one, with its
                                                            PushEndpoint for the store
    GET  /lambent/2026-11-27/buckets/{bucket}/notification   the same ({} when none)
    POST /lambent/s3-events/{token}                         a store's push: {"Records": [...]}

The first two are authorized as ``s3:PutBucketNotification`` and ``s3:GetBucketNotification`` on
the bucket's ARN, in the caller's account. The push carries no signature (RGW's HTTP endpoint
cannot sign): the token in its path is the secret, compared in constant time; a token no
configuration has is 403 and reaches no handler. Its body is read within
``INGEST_LIMIT_BYTES`` (413 past it), refused 400 if it is no JSON object of S3 event records,
and answered 200 ``{"Delivered": n}`` once every delivery's first try was made.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from lambent.api import inputs
from lambent.api.body import read_body
from lambent.api.cells import RequestCells
from lambent.api.render import json_response
from lambent.errors import AccessDeniedException, InvalidRequestContentException
from lambent.model import s3_event
from lambent.model.s3_event import NotificationConfiguration
from lambent.services.cells import Cell
from lambent.services.s3_notifications import rendered

#: The cell of the account a push token belongs to, and the bucket it is for; None if no
#: configuration has the token.
FindToken = Callable[[str], Awaitable[tuple[Cell, str] | None]]


class BucketNotificationsApi:
    def __init__(self, cells: RequestCells, find: FindToken) -> None:
        self._cells = cells
        self._find = find

    async def put(self, request: Request) -> Response:
        document = await inputs.json_body(request, s3_event.CONFIG_LIMIT_BYTES, "PutBucketNotificationConfiguration")
        configuration = inputs.decode(document, NotificationConfiguration)
        service = (await self._cells.of(request.scope)).s3_notifications
        stored = await service.put(request.path_params["bucket"], configuration)
        return json_response(rendered(service, stored))

    async def get(self, request: Request) -> Response:
        service = (await self._cells.of(request.scope)).s3_notifications
        return json_response(rendered(service, service.get(request.path_params["bucket"])))

    async def ingest(self, request: Request) -> Response:
        token = request.path_params["token"]
        found = await self._find(token)
        notification = found[0].s3_notifications.get(found[1]) if found is not None else None
        if found is None or notification is None or not hmac.compare_digest(notification.token.encode(), token.encode()):
            raise AccessDeniedException("The push token is not valid.")
        cell, bucket = found
        body = await read_body(request.receive, s3_event.INGEST_LIMIT_BYTES, "S3Event", request.headers.get("content-length"))
        try:
            records = s3_event.parse_records(msgspec.json.decode(body))
        except (msgspec.DecodeError, s3_event.BadRecord) as refused:
            raise InvalidRequestContentException(f"Could not read the S3 event records: {refused}") from None
        delivered = await cell.s3_notifications.receive(bucket, records)
        return json_response({"Delivered": delivered})
