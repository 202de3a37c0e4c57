"""Event source mappings from Amazon MQ for RabbitMQ as AWS has them, driven by boto3 against one
real server and one real RabbitMQ (the broker's ARN resolved by ``LAMBENT_MQ_BROKERS``, decision
0031): AWS's refusals and its ``aws:rmq`` record, a batch and a batching window with AWS's one
poller, a failed message requeued until a quorum queue's delivery limit dead-letters it, filters
that acknowledge what they drop, a disabled or deleted mapping that holds nothing, and a kill of
the server that loses no message."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest

from tests.fixtures import rabbitmq
from tests.fixtures.mappings import RECORDER, events_until, logged, server_beside, settled, wait_for
from tests.fixtures.server import Server, create, free_port

T = TypeVar("T")
BROKER = "arn:aws:mq:us-east-1:000000000000:broker:lambent:b-6b1e7c1e-7a2f-4b1a-9a39-0c2d1f5e8a11"
#: A broker the setting names whose server does not answer.
DEAD_BROKER = "arn:aws:mq:us-east-1:000000000000:broker:dead:b-00000000-0000-0000-0000-000000000000"
MQ_READER = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["mq:DescribeBroker", "secretsmanager:GetSecretValue"], "Resource": "*"}],
}
#: Fails every batch holding a message whose data is "bad", records every event.
FAILING = (
    "import base64, json\n"
    "def handler(event, context):\n"
    "    print('RECORD ' + json.dumps(event))\n"
    "    for records in event['rmqMessagesByQueue'].values():\n"
    "        if any(base64.b64decode(r['data']) == b'bad' for r in records):\n"
    "            raise Exception('bad message')\n"
)
#: Records each event, then takes a while, so that a kill finds a batch recorded and not acknowledged.
SLOW = "import json, time\ndef handler(event, context):\n    print('RECORD ' + json.dumps(event))\n    time.sleep(0.2)\n"


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    if rabbitmq.missing():
        pytest.skip(f"RabbitMQ is not installed (missing {', '.join(rabbitmq.missing())}; `make system` installs it)")
    base = tmp_path_factory.mktemp("esm-rabbitmq")
    dead = f"amqp://guest:guest@127.0.0.1:{free_port()}"

    def brokers(url: str) -> str:
        return json.dumps({BROKER: url, DEAD_BROKER: dead})

    with server_beside(base, rabbitmq.rabbitmq(base / "rabbitmq"), LAMBENT_MQ_BROKERS=brokers) as served:
        yield served


@pytest.fixture(scope="module")
def server(peers: tuple[Server, str]) -> Server:
    return peers[0]


@pytest.fixture(scope="module")
def url(peers: tuple[Server, str]) -> str:
    return peers[1]


@pytest.fixture(scope="module")
def reader(server: Server) -> str:
    """An execution role allowed what AWS asks of an Amazon MQ mapping's role."""
    iam = server.client("iam")
    arn = server.ensure_role("esm-mq-reader", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    iam.put_role_policy(RoleName="esm-mq-reader", PolicyName="mq", PolicyDocument=json.dumps(MQ_READER))
    return arn


def amqp(url: str, work: Callable[[Any], Awaitable[T]]) -> T:
    """*work* run with a channel of a connection of its own."""
    import aio_pika

    async def run() -> T:
        connection = await aio_pika.connect(url, timeout=10)
        async with connection:
            return await work(await connection.channel())

    return asyncio.run(run())


def declare(url: str, name: str, **arguments: Any) -> None:
    amqp(url, lambda channel: channel.declare_queue(name, durable=True, arguments=arguments or None))


def publish(url: str, queue: str, *bodies: bytes, **properties: Any) -> None:
    import aio_pika

    async def send(channel: Any) -> None:
        for body in bodies:
            await channel.default_exchange.publish(aio_pika.Message(body, **properties), routing_key=queue)

    amqp(url, send)


def counts(url: str, queue: str) -> tuple[int, int]:
    """(messages ready, consumers) of *queue*."""

    async def passive(channel: Any) -> tuple[int, int]:
        declared = (await channel.declare_queue(queue, passive=True)).declaration_result
        return int(declared.message_count), int(declared.consumer_count)

    return amqp(url, passive)


def mapping(lam: Any, function: str, queue: str, **extra: Any) -> str:
    return str(lam.create_event_source_mapping(FunctionName=function, EventSourceArn=BROKER, Queues=[queue], **extra)["UUID"])


def records_of(events: list[Any], queue: str) -> list[dict[str, Any]]:
    return [record for event in events for record in event["rmqMessagesByQueue"].get(f"{queue}::/", [])]


def data(records: list[dict[str, Any]]) -> list[bytes]:
    return [base64.b64decode(r["data"]) for r in records]


def logged_events(server: Server, function: str) -> list[Any]:
    return [event for _, event in logged(server, function)]


def refusal(raised: pytest.ExceptionInfo[Any]) -> tuple[str, str]:
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_a_message_reaches_the_function_as_awss_rmq_record(server: Server, url: str, reader: str) -> None:
    lam = server.client()
    create(lam, "mq-shape", RECORDER, Role=reader)
    declare(url, "orders")
    made = lam.create_event_source_mapping(FunctionName="mq-shape", EventSourceArn=BROKER, Queues=["orders"])
    assert (made["ResponseMetadata"]["HTTPStatusCode"], made["State"]) == (202, "Creating")
    uuid = made["UUID"]
    got = settled(lam, uuid)
    assert (got["State"], got["StateTransitionReason"], got["LastProcessingResult"]) == (
        "Enabled",
        "USER_INITIATED",
        "No records processed",
    )
    assert (got["EventSourceArn"], got["Queues"], got["BatchSize"], got["FunctionResponseTypes"]) == (BROKER, ["orders"], 100, [])
    for absent in ("Topics", "SelfManagedEventSource", "StartingPosition", "ParallelizationFactor"):
        assert absent not in got
    wait_for(lambda: counts(url, "orders")[1] == 1, what="the mapping's consumer")

    sent_at = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    publish(
        url,
        "orders",
        b'{"timeout": 0}',
        content_type="text/plain",
        headers={"header1": "value1", "numberInHeader": 10},
        delivery_mode=1,
        priority=3,
        expiration=60,
        message_id="m-1",
        correlation_id="c-1",
        reply_to="replies",
        timestamp=sent_at,
        type="order",
        user_id="guest",
        app_id="tests",
    )
    [event] = events_until(server, "mq-shape", lambda events: len(events) >= 1)
    assert list(event) == ["eventSource", "eventSourceArn", "rmqMessagesByQueue"]
    assert (event["eventSource"], event["eventSourceArn"], list(event["rmqMessagesByQueue"])) == (
        "aws:rmq",
        BROKER,
        ["orders::/"],
    )
    [record] = event["rmqMessagesByQueue"]["orders::/"]
    assert record == {
        "basicProperties": {
            "contentType": "text/plain",
            "contentEncoding": None,
            "headers": {"header1": {"bytes": [118, 97, 108, 117, 101, 49]}, "numberInHeader": 10},
            "deliveryMode": 1,
            "priority": 3,
            "correlationId": "c-1",
            "replyTo": "replies",
            "expiration": "60000",
            "messageId": "m-1",
            "timestamp": "Jan 2, 2024, 3:04:05 AM",
            "type": "order",
            "userId": "guest",
            "appId": "tests",
            "clusterId": None,
            "bodySize": 14,
        },
        "redelivered": False,
        "data": base64.b64encode(b'{"timeout": 0}').decode(),
    }
    wait_for(lambda: counts(url, "orders")[0] == 0, what="the message acknowledged")
    wait_for(lambda: lam.get_event_source_mapping(UUID=uuid)["LastProcessingResult"] == "OK", what="LastProcessingResult OK")

    refusals = [
        (
            {"EventSourceArn": BROKER.replace("b-6b1e", "b-0000")},
            f"Lambent knows no Amazon MQ broker {BROKER.replace('b-6b1e', 'b-0000')}: give its AMQP URL in the server's "
            "LAMBENT_MQ_BROKERS setting (a JSON object from broker ARNs to amqp:// URLs).",
        ),
        (
            {"FunctionResponseTypes": ["ReportBatchItemFailures"]},
            "Unsupported FunctionResponseTypes parameter for given event source mapping type.",
        ),
        ({"StartingPosition": "LATEST"}, "StartingPosition is not valid for Amazon MQ event sources."),
    ]
    for extra, message in refusals:
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
            lam.create_event_source_mapping(
                **{"FunctionName": "mq-shape", "EventSourceArn": BROKER, "Queues": ["other"], **extra}
            )
        assert refusal(raised) == ("InvalidParameterValueException", message)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.create_event_source_mapping(FunctionName="mq-shape", EventSourceArn=DEAD_BROKER, Queues=["orders"])
    assert refusal(raised)[1].startswith(f"Cannot connect to the Amazon MQ broker {DEAD_BROKER} (virtual host /): ")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.create_event_source_mapping(
            FunctionName="mq-shape",
            EventSourceArn=BROKER,
            Queues=["orders"],
            SourceAccessConfigurations=[{"Type": "VIRTUAL_HOST", "URI": "nowhere"}],
        )
    assert refusal(raised)[1].startswith(f"Cannot connect to the Amazon MQ broker {BROKER} (virtual host nowhere): ")
    unprivileged = server.ensure_role("esm-no-mq", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    create(lam, "mq-denied", RECORDER, Role=unprivileged)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        mapping(lam, "mq-denied", "orders")
    assert refusal(raised)[1] == "The function execution role does not have permissions to call DescribeBroker on MQ"
    iam = server.client("iam")
    broker_only = server.ensure_role("esm-mq-broker-only", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    allowed = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "mq:DescribeBroker", "Resource": BROKER}]}
    iam.put_role_policy(RoleName="esm-mq-broker-only", PolicyName="mq", PolicyDocument=json.dumps(allowed))
    create(lam, "mq-no-secret", RECORDER, Role=broker_only)
    secret = "arn:aws:secretsmanager:us-east-1:000000000000:secret:mq-login-AbCdEf"
    mapping(lam, "mq-no-secret", "orders")  # no secret named: none asked for
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        mapping(lam, "mq-no-secret", "other", SourceAccessConfigurations=[{"Type": "BASIC_AUTH", "URI": secret}])
    assert refusal(raised)[1] == "The function execution role does not have permissions to call GetSecretValue on Secrets Manager"
    with pytest.raises(lam.exceptions.ResourceConflictException):
        mapping(lam, "mq-shape", "orders")

    for made in lam.list_event_source_mappings(EventSourceArn=BROKER)["EventSourceMappings"]:
        lam.delete_event_source_mapping(UUID=made["UUID"])
    wait_for(lambda: counts(url, "orders")[1] == 0, what="the consumers gone with their mappings")


def test_a_full_batch_goes_at_once_and_a_window_waits(server: Server, url: str, reader: str) -> None:
    lam = server.client()
    create(lam, "mq-batch", RECORDER, Role=reader)
    declare(url, "batched")
    uuid = mapping(lam, "mq-batch", "batched", BatchSize=5, MaximumBatchingWindowInSeconds=3)
    settled(lam, uuid)
    wait_for(lambda: counts(url, "batched")[1] == 1, what="the mapping's consumer")
    full_sent = time.time() * 1000
    publish(url, "batched", *(str(i).encode() for i in range(5)))
    wait_for(lambda: len(logged(server, "mq-batch")) >= 1, what="the full batch")
    [(full_at, full)] = logged(server, "mq-batch")
    assert data(records_of([full], "batched")) == [b"0", b"1", b"2", b"3", b"4"]
    assert full_at - full_sent < 2500, "a full batch does not wait for its window"

    alone_sent = time.time() * 1000
    publish(url, "batched", b"alone")
    wait_for(lambda: len(logged(server, "mq-batch")) >= 2, what="the windowed batch")
    (alone_at, alone) = logged(server, "mq-batch")[1]
    assert data(records_of([alone], "batched")) == [b"alone"]
    assert 2800 <= alone_at - alone_sent < 4500, "a batch short of BatchSize waits out its window, and no longer"
    print(
        f"rabbitmq: a full batch invoked after {full_at - full_sent:.0f} ms, a lone message after {alone_at - alone_sent:.0f} ms (window 3 s)"
    )
    lam.delete_event_source_mapping(UUID=uuid)


def test_a_failed_message_is_requeued_until_the_quorum_queues_limit_dead_letters_it(
    server: Server, url: str, reader: str
) -> None:
    lam = server.client()
    create(lam, "mq-poison", FAILING, Role=reader)
    declare(url, "poison.dlq")
    declare(
        url,
        "poison",
        **{
            "x-queue-type": "quorum",
            "x-delivery-limit": 2,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": "poison.dlq",
        },
    )
    uuid = mapping(lam, "mq-poison", "poison")
    settled(lam, uuid)
    wait_for(lambda: counts(url, "poison")[1] == 1, what="the mapping's consumer")
    publish(url, "poison", b"good")
    events_until(server, "mq-poison", lambda events: len(events) >= 1)
    publish(url, "poison", b"bad")
    wait_for(lambda: counts(url, "poison.dlq")[0] == 1, what="the bad message dead-lettered")
    records = records_of(logged_events(server, "mq-poison"), "poison")
    assert data(records) == [b"good", b"bad", b"bad", b"bad"]  # delivered, then requeued twice: the limit
    assert [r["redelivered"] for r in records] == [False, False, True, True]
    assert [r["basicProperties"]["headers"] for r in records[1:]] == [None, {"x-delivery-count": 1}, {"x-delivery-count": 2}]
    assert counts(url, "poison")[0] == 0
    assert "failed again (x-delivery-count 2)" in server.log_text()  # a message that keeps failing is never silent
    got = lam.get_event_source_mapping(UUID=uuid)
    assert got["LastProcessingResult"] == "PROBLEM: Function call failed"
    lam.delete_event_source_mapping(UUID=uuid)


def test_filters_drop_and_acknowledge_what_they_do_not_match(server: Server, url: str, reader: str) -> None:
    lam = server.client()
    create(lam, "mq-filter", RECORDER, Role=reader)
    declare(url, "filtered")
    pattern = '{"data": {"kind": ["keep"]}}'
    uuid = mapping(lam, "mq-filter", "filtered", FilterCriteria={"Filters": [{"Pattern": pattern}]})
    assert settled(lam, uuid)["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    wait_for(lambda: counts(url, "filtered")[1] == 1, what="the mapping's consumer")
    publish(url, "filtered", b'{"kind": "drop"}', b"not json", b'{"kind": "keep", "n": 1}')
    events_until(server, "mq-filter", lambda events: len(events) >= 1)
    wait_for(lambda: counts(url, "filtered")[0] == 0, what="dropped messages acknowledged")
    time.sleep(0.5)
    assert data(records_of(logged_events(server, "mq-filter"), "filtered")) == [b'{"kind": "keep", "n": 1}']
    lam.delete_event_source_mapping(UUID=uuid)


def test_a_disabled_or_deleted_mapping_holds_nothing(server: Server, url: str, reader: str) -> None:
    lam = server.client()
    create(lam, "mq-toggle", RECORDER, Role=reader)
    declare(url, "toggled")
    uuid = mapping(lam, "mq-toggle", "toggled")
    settled(lam, uuid)
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=False)["State"] == "Disabling"
    assert settled(lam, uuid)["State"] == "Disabled"
    publish(url, "toggled", b"while disabled")
    time.sleep(1.5)
    assert logged(server, "mq-toggle") == []
    assert counts(url, "toggled") == (1, 0)  # ready in the queue, no consumer holding it
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=True)["State"] == "Enabling"
    settled(lam, uuid)
    [event] = events_until(server, "mq-toggle", lambda events: len(events) >= 1)
    assert data(records_of([event], "toggled")) == [b"while disabled"]
    wait_for(lambda: counts(url, "toggled")[0] == 0, what="the message acknowledged")
    lam.delete_event_source_mapping(UUID=uuid)
    wait_for(lambda: counts(url, "toggled") == (0, 0), what="no consumer left")


def test_a_killed_server_loses_no_message(server: Server, url: str, reader: str) -> None:
    lam = server.client()
    create(lam, "mq-crash", SLOW, Role=reader)
    declare(url, "crashing")
    uuid = mapping(lam, "mq-crash", "crashing", BatchSize=10)
    settled(lam, uuid)
    wait_for(lambda: counts(url, "crashing")[1] == 1, what="the mapping's consumer")
    total = 300
    sent: list[bytes] = []

    def produce() -> None:
        import aio_pika

        async def send(channel: Any) -> None:
            for i in range(total):
                await channel.default_exchange.publish(aio_pika.Message(str(i).encode()), routing_key="crashing")
                sent.append(str(i).encode())
                await asyncio.sleep(0.01)

        amqp(url, send)

    producer = threading.Thread(target=produce)
    producer.start()
    wait_for(lambda: len(logged(server, "mq-crash")) >= 3, what="batches before the kill")
    server.kill_and_restart()
    producer.join()
    events = events_until(server, "mq-crash", lambda events: set(data(records_of(events, "crashing"))) >= set(sent), timeout_s=40)
    records = records_of(events, "crashing")
    seen = Counter(data(records))
    lost = set(sent) - set(seen)
    duplicates = sum(count - 1 for count in seen.values())
    taken_back = [r for r in records if r["redelivered"]]
    print(
        f"rabbitmq: a kill while {total} messages were published: {len(lost)} lost, {duplicates} logged twice, {len(taken_back)} redelivered"
    )
    assert lost == set()
    assert taken_back, "the messages the killed server held were requeued and delivered again"
    wait_for(lambda: counts(url, "crashing")[0] == 0, what="nothing left in the queue")
    lam.delete_event_source_mapping(UUID=uuid)
