"""The records the RabbitMQ, Redis Streams and NATS JetStream sources give functions and
filters (sources.rabbitmq, sources.redis_streams, sources.nats_jetstream): pure shaping, fed with
stand-ins of the clients' messages."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from lambent.sources import nats_jetstream, rabbitmq, redis_streams


def amqp_message(**given: Any) -> SimpleNamespace:
    """What aio-pika's IncomingMessage carries, every property unset unless given."""
    fields: dict[str, Any] = {
        "body": b"",
        "content_type": None,
        "content_encoding": None,
        "headers": {},
        "delivery_mode": None,
        "priority": None,
        "correlation_id": None,
        "reply_to": None,
        "expiration": None,
        "message_id": None,
        "timestamp": None,
        "type": None,
        "user_id": None,
        "app_id": None,
        "cluster_id": "",
        "redelivered": False,
    }
    return SimpleNamespace(**{**fields, **given})


@pytest.mark.parametrize(
    ("vhost", "url"),
    [
        ("/", "amqp://u:p@mq.example:5671/%2F"),
        ("dev", "amqp://u:p@mq.example:5671/dev"),
        ("a/b c", "amqp://u:p@mq.example:5671/a%2Fb%20c"),
    ],
)
def test_the_virtual_host_is_the_urls_quoted_path(vhost: str, url: str) -> None:
    assert rabbitmq.connection_url("amqp://u:p@mq.example:5671", vhost) == url
    assert rabbitmq.connection_url("amqp://u:p@mq.example:5671/other", vhost) == url


@pytest.mark.parametrize(
    ("when", "text"),
    [
        (datetime(1970, 1, 1, 0, 33, 41, tzinfo=UTC), "Jan 1, 1970, 12:33:41 AM"),
        (datetime(2024, 12, 25, 13, 5, 9, tzinfo=UTC), "Dec 25, 2024, 1:05:09 PM"),
        (datetime(2024, 7, 4, 12, 0, 0, tzinfo=UTC), "Jul 4, 2024, 12:00:00 PM"),
    ],
)
def test_timestamps_are_written_as_awss_records_write_them(when: datetime, text: str) -> None:
    assert rabbitmq.timestamp_text(when) == text


def test_the_rmq_record_has_awss_fields_in_awss_order() -> None:
    message = amqp_message(
        body=b'{"timeout":0}',
        content_type="text/plain",
        headers={"header1": "value1", "numberInHeader": 10, "raw": b"\x00\xff", "nested": {"k": "v"}, "n": Decimal("1.5")},
        delivery_mode=1,
        priority=34,
        expiration=60.0,
        timestamp=datetime(1970, 1, 1, 0, 33, 41, tzinfo=UTC),
        user_id="AIDACKCEVSQ6C2EXAMPLE",
        redelivered=True,
    )
    shaped = rabbitmq.record(message)
    assert list(shaped) == ["basicProperties", "redelivered", "data"]
    assert shaped["basicProperties"] == {
        "contentType": "text/plain",
        "contentEncoding": None,
        "headers": {
            "header1": {"bytes": [118, 97, 108, 117, 101, 49]},
            "numberInHeader": 10,
            "raw": {"bytes": [0, 255]},
            "nested": {"k": {"bytes": [118]}},
            "n": 1.5,
        },
        "deliveryMode": 1,
        "priority": 34,
        "correlationId": None,
        "replyTo": None,
        "expiration": "60000",
        "messageId": None,
        "timestamp": "Jan 1, 1970, 12:33:41 AM",
        "type": None,
        "userId": "AIDACKCEVSQ6C2EXAMPLE",
        "appId": None,
        "clusterId": None,
        "bodySize": 13,
    }
    assert shaped["redelivered"] is True
    assert base64.b64decode(shaped["data"]) == b'{"timeout":0}'
    assert rabbitmq.record(amqp_message(headers=None))["basicProperties"]["headers"] is None


def test_rmq_filters_see_data_decoded() -> None:
    shaped = rabbitmq.record(amqp_message(body=b'{"kind": "keep"}'))
    assert rabbitmq.filter_view(shaped, b'{"kind": "keep"}')["data"] == {"kind": "keep"}
    assert rabbitmq.filter_view(shaped, b"plain words")["data"] == "plain words"
    assert rabbitmq.event("arn:aws:mq:r:1:broker:b:b-1", "orders", "/", [shaped]) == {
        "eventSource": "aws:rmq",
        "eventSourceArn": "arn:aws:mq:r:1:broker:b:b-1",
        "rmqMessagesByQueue": {"orders::/": [shaped]},
    }


def test_a_redis_entry_becomes_a_record_with_its_ids_time() -> None:
    shaped = redis_streams.record("orders", "1700000000123-4", {b"body": b'{"n": 1}', b"raw": b"\xff", b"n": b"42"}, 2)
    assert shaped == {
        "stream": "orders",
        "id": "1700000000123-4",
        "timestamp": 1700000000123,
        "deliveryCount": 2,
        "fields": {"body": '{"n": 1}', "raw": "\ufffd", "n": "42"},
    }
    # objects and arrays are parsed for filters; a number's text stays text, as it was written
    assert redis_streams.filter_view(shaped)["fields"] == {"body": {"n": 1}, "raw": "\ufffd", "n": "42"}
    assert redis_streams.filter_view({**shaped, "fields": {"x": "{not json"}})["fields"] == {"x": "{not json"}


def test_a_jetstream_message_becomes_a_record() -> None:
    metadata = SimpleNamespace(
        sequence=SimpleNamespace(stream=7, consumer=3),
        timestamp=datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        num_delivered=1,
    )
    message = SimpleNamespace(subject="orders.new", data=b'{"id": 1}', headers={"h": "v"}, metadata=metadata)
    shaped = nats_jetstream.record(message)
    assert shaped == {
        "subject": "orders.new",
        "sequence": 7,
        "timestamp": 1704164645678,
        "deliveryCount": 1,
        "headers": {"h": "v"},
        "value": base64.b64encode(b'{"id": 1}').decode(),
    }
    assert nats_jetstream.filter_view(shaped, b'{"id": 1}')["value"] == {"id": 1}
    assert nats_jetstream.record(SimpleNamespace(**{**vars(message), "headers": None}))["headers"] == {}
    assert nats_jetstream.event("nats://h:4222", "ORDERS", [shaped]) == {
        "eventSource": "lambent:nats",
        "bootstrapServers": "nats://h:4222",
        "records": {"ORDERS": [shaped]},
    }
