"""The bucket notification service on the in-memory store: a configuration kept with a token
that survives later PUTs, the empty one deleting it, and a push delivering each matching record
as S3 does (AWS's record, ``s3.amazonaws.com`` with the bucket as source, no dead-letter queue)
and, with EventBridgeConfiguration, S3's event to the default bus."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from lambent.clock import FakeClock
from lambent.errors import ResourceNotFoundException
from lambent.model import s3_event
from lambent.model.s3_event import NotificationConfiguration
from lambent.services.event_delivery import Delivery
from lambent.services.s3_notifications import BucketNotificationService, rendered
from lambent.store.memory import MemoryStore

ACCOUNT = "111122223333"
FN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"
SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "s3_events"


def config(**members: Any) -> NotificationConfiguration:
    return msgspec.convert(members, NotificationConfiguration)


class World:
    def __init__(self, store: MemoryStore | None = None) -> None:
        self.store = store or MemoryStore(ACCOUNT)
        self.deliveries: list[Delivery] = []
        self.events: list[dict[str, Any]] = []
        self.service = BucketNotificationService(
            self.store, ACCOUNT, "us-east-1", "http://127.0.0.1:9000/", self.deliver, self.publish, clock=FakeClock(5.0)
        )

    async def deliver(self, delivery: Delivery) -> None:
        self.deliveries.append(delivery)

    async def publish(self, event: dict[str, Any]) -> None:
        self.events.append(event)


def records(name: str, **changes: str) -> list[s3_event.StoreRecord]:
    body = json.loads((SAMPLES / name).read_text())
    body["Records"][0]["s3"]["object"].update(changes)
    return s3_event.parse_records(body)


TWO = config(
    LambdaFunctionConfigurations=[
        {"Id": "created", "LambdaFunctionArn": FN + "made", "Events": ["s3:ObjectCreated:*"]},
        {
            "Id": "removed-in",
            "LambdaFunctionArn": FN + "gone",
            "Events": ["s3:ObjectRemoved:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "in/"}]}},
        },
    ],
    EventBridgeConfiguration={},
)


def test_a_configuration_keeps_its_token_and_the_empty_one_deletes_it() -> None:
    async def scenario() -> None:
        w = World()
        first = await w.service.put("inbox", TWO)
        assert first is not None
        assert rendered(w.service, first)["PushEndpoint"] == f"http://127.0.0.1:9000/lambent/s3-events/{first.token}"
        assert len(first.token) >= 40
        second = await w.service.put("inbox", config(EventBridgeConfiguration={}))
        assert second is not None and second.token == first.token
        again = World(w.store)
        await again.service.load()
        assert again.service.get("inbox") == second
        assert await w.service.put("inbox", config()) is None
        assert w.service.get("inbox") is None
        assert await w.store.load_bucket_notifications() == []
        other = await w.service.put("inbox", TWO)
        assert other is not None and other.token != first.token

    asyncio.run(scenario())


def test_a_push_delivers_awss_record_to_each_matching_function() -> None:
    async def scenario() -> None:
        w = World()
        await w.service.put("inbox", TWO)
        assert await w.service.receive("inbox", records("rgw-put.json")) == 2
        (delivery,) = w.deliveries
        assert delivery.function.arn == FN + "made"
        assert delivery.caller.arn == "s3.amazonaws.com"
        assert delivery.context == {"aws:SourceArn": "arn:aws:s3:::inbox", "aws:SourceAccount": ACCOUNT}
        assert delivery.dead_letter_arn is None
        assert (delivery.limits.attempts, delivery.limits.age_s) == (185, 86400)
        (record,) = json.loads(delivery.payload(1))["Records"]
        assert record["s3"]["configurationId"] == "created"
        assert record["s3"]["object"]["key"] == "in/hello+w%C3%B6rld%2Ba%3Db%26c.txt"
        (event,) = w.events
        assert (event["source"], event["detail-type"], event["account"]) == ("aws.s3", "Object Created", ACCOUNT)

    asyncio.run(scenario())


def test_filters_decide_which_functions_hear_of_a_delete() -> None:
    async def scenario() -> None:
        w = World()
        await w.service.put("inbox", TWO)
        await w.service.receive("inbox", records("rgw-delete.json"))
        await w.service.receive("inbox", records("rgw-delete.json", key="out/copy.txt"))
        assert [d.function.name for d in w.deliveries] == ["gone"]
        assert [e["detail-type"] for e in w.events] == ["Object Deleted", "Object Deleted"]

    asyncio.run(scenario())


def test_a_push_for_another_bucket_or_none_configured_is_refused() -> None:
    async def scenario() -> None:
        w = World()
        with pytest.raises(ResourceNotFoundException):
            await w.service.receive("inbox", records("rgw-put.json"))
        await w.service.put("outbox", TWO)
        with pytest.raises(ResourceNotFoundException):
            await w.service.receive("outbox", records("rgw-put.json"))
        assert w.deliveries == [] and w.events == []

    asyncio.run(scenario())
