"""S3 bucket notifications of one account: which functions (and whether the default event bus)
hear of which objects' events in a bucket of an S3-compatible store, and the deliveries a push
from that store makes.

A bucket's configuration is AWS's NotificationConfiguration (``model.s3_event``), kept in memory
and written through the store first. Its push token is made once, on the first PUT, and kept
across later ones (the store's topic need not change); the push endpoint the store is given is
``<endpoint>/lambent/s3-events/<token>``. An empty configuration deletes the bucket's, and its
token with it.

A push (``receive``) is matched from memory: each record, translated to AWS's 2.1 record, is
delivered to every Lambda configuration whose event types and key filters it passes, as an
asynchronous invoke made as ``s3.amazonaws.com`` with the bucket's ARN as ``aws:SourceArn`` and
the owner's account as ``aws:SourceAccount``, so only a function whose resource policy allows
S3 runs (AWS's add-permission for S3). The first try is made before the push is answered, so
an event the store was told was taken is in Lambda's durable queue already; a refused try is
retried (``model.event_retry``'s defaults) in this process; there is no dead-letter queue, as
S3 has none. With ``EventBridgeConfiguration`` the record also goes to the account's default
bus as S3's ``aws.s3`` event.

Not done: S3's own SQS and SNS destinations; a store that pushes what it has not matched is
filtered here (RGW's own filters may narrow it first). Not shared between nodes (#21).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from lambent.clock import Clock, SystemClock
from lambent.errors import ResourceNotFoundException
from lambent.model import s3_event
from lambent.model.event_retry import limits
from lambent.model.iam_policy import Caller
from lambent.model.lambda_target import lambda_target
from lambent.model.s3_event import BucketNotification, NotificationConfiguration, StoreRecord
from lambent.services.event_delivery import Delivery
from lambent.store import BucketNotificationStore

S3 = Caller(arn="s3.amazonaws.com", account_id=None)
Deliver = Callable[[Delivery], Awaitable[None]]
Publish = Callable[[dict[str, Any]], Awaitable[None]]
#: Where a store pushes: the endpoint URL, then this, then the token.
INGEST_PREFIX = "/lambent/s3-events/"


def s3_delivery(account: str, region: str, item: s3_event.LambdaConfiguration, record: StoreRecord) -> Delivery | None:
    """What S3 delivers to *item*'s function for *record*; None if its ARN names no function."""
    function = lambda_target(item.lambda_function_arn)
    if function is None:
        return None
    body = json.dumps(
        {"Records": [s3_event.lambda_record(record, region, item.config_id or "")]}, separators=(",", ":"), ensure_ascii=False
    ).encode()
    return Delivery(
        function=function,
        caller=S3,
        context={"aws:SourceArn": s3_event.bucket_arn(record.bucket), "aws:SourceAccount": account},
        payload=lambda _attempt: body,
        limits=limits(None),
        dead_letter_arn=None,
        dead_letter_body=body,
        about={},
        label=f"s3 {record.event_name} s3://{record.bucket}/{record.key}",
    )


class BucketNotificationService:
    def __init__(
        self,
        store: BucketNotificationStore,
        account_id: str,
        region: str,
        endpoint_url: str,
        deliver: Deliver,
        publish: Publish,
        clock: Clock | None = None,
    ) -> None:
        """*publish* puts an event on the account's default bus."""
        self._store = store
        self.account_id = account_id
        self.region = region
        self._endpoint_url = endpoint_url.rstrip("/")
        self._deliver = deliver
        self._publish = publish
        self._clock = clock or SystemClock()
        self._buckets: dict[str, BucketNotification] = {}
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        self._buckets = {n.bucket: n for n in await self._store.load_bucket_notifications()}

    def push_endpoint(self, notification: BucketNotification) -> str:
        return f"{self._endpoint_url}{INGEST_PREFIX}{notification.token}"

    def get(self, bucket: str) -> BucketNotification | None:
        return self._buckets.get(bucket)

    async def put(self, bucket: str, configuration: NotificationConfiguration) -> BucketNotification | None:
        """Store *bucket*'s configuration (the empty one deletes it); the stored one, or None."""
        checked = s3_event.checked(configuration, lambda: str(uuid.uuid4()))
        async with self._lock:
            before = self._buckets.get(bucket)
            if not checked.lambda_function_configurations and checked.event_bridge_configuration is None:
                await self._store.delete_bucket_notification(bucket)
                self._buckets.pop(bucket, None)
                return None
            token = before.token if before is not None else secrets.token_urlsafe(32)
            after = BucketNotification(bucket=bucket, configuration=checked, token=token, updated_at=self._clock.time())
            await self._store.put_bucket_notification(after)
            self._buckets[bucket] = after
            return after

    async def receive(self, bucket: str, records: list[StoreRecord]) -> int:
        """Deliver what *records*, pushed for *bucket* with its token, match; how many
        deliveries and events were handed on. A record naming another bucket is not this
        token's to speak for: ResourceNotFoundException before anything is delivered."""
        notification = self._buckets.get(bucket)
        if notification is None:
            raise ResourceNotFoundException(f"Bucket {bucket} has no notification configuration.")
        if any(record.bucket != bucket for record in records):
            raise ResourceNotFoundException("A record names a bucket other than the push endpoint's.")
        handed = 0
        configuration = notification.configuration
        for record in records:
            for item in s3_event.matching(configuration, record.event_name, record.key):
                delivery = s3_delivery(self.account_id, self.region, item, record)
                if delivery is not None:
                    await self._deliver(delivery)
                    handed += 1
            if configuration.event_bridge_configuration is not None:
                event = s3_event.eventbridge_event(record, str(uuid.uuid4()), self.account_id, self.region)
                if event is not None:
                    await self._publish(event)
                    handed += 1
        return handed


def rendered(service: BucketNotificationService, notification: BucketNotification | None) -> dict[str, Any]:
    """GET's and PUT's answer: the configuration in AWS's shape, and the push endpoint."""
    if notification is None:
        return {}
    document: dict[str, Any] = msgspec.to_builtins(notification.configuration)
    document["PushEndpoint"] = service.push_endpoint(notification)
    return document
