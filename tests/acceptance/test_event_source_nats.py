"""Event source mappings from NATS JetStream (Lambent's own ``NATS_URLS`` endpoints, decision
0031), driven by boto3 against one real server and one real nats-server: the durable consumer a
mapping makes and deletes, the ``lambent:nats`` record, batches and batching windows, batch item
failures nak'ed with the redelivery wait and terminated at the delivery limit, filters that ack
what they drop, a disabled mapping that reads nothing, and a kill of the server that loses no
message."""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from tests.fixtures import nats_server
from tests.fixtures.mappings import RECORDER, events_until, logged, server_beside, settled, wait_for
from tests.fixtures.server import Server, create, free_port

T = TypeVar("T")
REDELIVERY_S = 1
MAX_DELIVERIES = 3
#: Fails the records whose value is "bad" (batch item failures), records every event.
PARTIAL = (
    "import base64, json\n"
    "def handler(event, context):\n"
    "    print('RECORD ' + json.dumps(event))\n"
    "    records = [r for rs in event['records'].values() for r in rs]\n"
    "    bad = [r for r in records if base64.b64decode(r['value']) == b'bad']\n"
    "    return {'batchItemFailures': [{'itemIdentifier': str(r['sequence'])} for r in bad]}\n"
)
#: Records each event, then takes a while, so that a kill finds batches recorded and not acked.
SLOW = "import json, time\ndef handler(event, context):\n    print('RECORD ' + json.dumps(event))\n    time.sleep(0.2)\n"
TERMINATED = "$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.>"


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    if nats_server.missing():
        pytest.skip("NATS is not installed (`make system` installs nats-server)")
    base = tmp_path_factory.mktemp("esm-nats")
    settings = {"LAMBENT_SOURCE_REDELIVERY_S": str(REDELIVERY_S), "LAMBENT_SOURCE_MAX_DELIVERIES": str(MAX_DELIVERIES)}
    with server_beside(base, nats_server.nats_server(base / "nats"), **settings) as served:
        yield served


@pytest.fixture(scope="module")
def server(peers: tuple[Server, str]) -> Server:
    return peers[0]


@pytest.fixture(scope="module")
def url(peers: tuple[Server, str]) -> str:
    return peers[1]


def jetstream(url: str, work: Callable[[Any], Awaitable[T]]) -> T:
    """*work* run with a JetStream context on a connection of its own."""
    import nats

    async def run() -> T:
        connection = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
        try:
            return await work(connection.jetstream())
        finally:
            await connection.close()

    return asyncio.run(run())


def add_stream(url: str, name: str, *subjects: str) -> None:
    jetstream(url, lambda js: js.add_stream(name=name, subjects=list(subjects)))


def publish(url: str, subject: str, *payloads: bytes, headers: dict[str, str] | None = None) -> list[int]:
    async def send(js: Any) -> list[int]:
        return [(await js.publish(subject, payload, headers=headers)).seq for payload in payloads]

    return jetstream(url, send)


def burst(url: str, subject: str, *payloads: bytes) -> None:
    """Published at once (core NATS, unacknowledged): all stored before a pull's next round trip."""
    import nats

    async def send() -> None:
        connection = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
        for payload in payloads:
            await connection.publish(subject, payload)
        await connection.flush()
        await connection.close()

    asyncio.run(send())


def consumer(url: str, stream: str, uuid: str) -> Any:
    return jetstream(url, lambda js: js.consumer_info(stream, f"lambent-{uuid}"))


def consumers(url: str, stream: str) -> list[str]:
    async def names(js: Any) -> list[str]:
        return [info.name for info in await js.consumers_info(stream)]

    return jetstream(url, names)


def mapping(lam: Any, function: str, url: str, stream: str, **extra: Any) -> str:
    made = lam.create_event_source_mapping(
        FunctionName=function, SelfManagedEventSource={"Endpoints": {"NATS_URLS": [url]}}, Topics=[stream], **extra
    )
    return str(made["UUID"])


def records_of(events: list[Any], stream: str) -> list[dict[str, Any]]:
    return [record for event in events for record in event["records"].get(stream, [])]


def values(records: list[dict[str, Any]]) -> list[bytes]:
    return [base64.b64decode(r["value"]) for r in records]


def logged_events(server: Server, function: str) -> list[Any]:
    return [event for _, event in logged(server, function)]


def settled_consumer(url: str, stream: str, uuid: str) -> bool:
    info = consumer(url, stream, uuid)
    return bool(info.num_ack_pending == 0 and info.num_pending == 0)


def test_a_message_reaches_the_function_as_a_lambent_nats_record(server: Server, url: str) -> None:
    lam = server.client()
    create(lam, "nats-shape", RECORDER)
    add_stream(url, "ORDERS", "orders.>")
    made = lam.create_event_source_mapping(
        FunctionName="nats-shape", SelfManagedEventSource={"Endpoints": {"NATS_URLS": [url]}}, Topics=["ORDERS"]
    )
    assert made["State"] == "Creating"
    uuid = made["UUID"]
    info = consumer(url, "ORDERS", uuid)  # made with the mapping
    assert (info.config.deliver_policy, info.config.ack_policy) == ("new", "explicit")
    assert (info.config.ack_wait, info.config.max_deliver) == (REDELIVERY_S, MAX_DELIVERIES)
    got = settled(lam, uuid)
    assert (got["State"], got["LastProcessingResult"], got["Topics"]) == ("Enabled", "No records processed", ["ORDERS"])
    assert got["SelfManagedEventSource"] == {"Endpoints": {"NATS_URLS": [url]}}

    before_ms = time.time() * 1000
    [sequence] = publish(url, "orders.new", b'{"hello": "world"}', headers={"h": "v"})
    [event] = events_until(server, "nats-shape", lambda events: len(events) >= 1)
    assert list(event) == ["eventSource", "bootstrapServers", "records"]
    assert (event["eventSource"], event["bootstrapServers"]) == ("lambent:nats", url)
    [record] = event["records"]["ORDERS"]
    assert list(record) == ["subject", "sequence", "timestamp", "deliveryCount", "headers", "value"]
    assert {k: v for k, v in record.items() if k != "timestamp"} == {
        "subject": "orders.new",
        "sequence": sequence,
        "deliveryCount": 1,
        "headers": {"h": "v"},
        "value": base64.b64encode(b'{"hello": "world"}').decode(),
    }
    assert before_ms - 1000 <= record["timestamp"] <= time.time() * 1000
    wait_for(lambda: settled_consumer(url, "ORDERS", uuid), what="the message acked")

    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        mapping(lam, "nats-shape", f"nats://127.0.0.1:{free_port()}", "ORDERS")
    assert raised.value.response["Error"]["Message"].startswith("Cannot read stream ORDERS of the NATS servers nats://127.0.0.1:")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        mapping(lam, "nats-shape", url, "NOPE")
    assert (
        raised.value.response["Error"]["Message"]
        == f"Cannot read stream NOPE of the NATS servers {url}: there is no JetStream stream NOPE"
    )
    assert consumers(url, "ORDERS") == [f"lambent-{uuid}"]

    lam.delete_event_source_mapping(UUID=uuid)
    wait_for(lambda: consumers(url, "ORDERS") == [], what="the consumer deleted with the mapping")


def test_a_full_batch_goes_at_once_and_a_window_waits(server: Server, url: str) -> None:
    lam = server.client()
    create(lam, "nats-batch", RECORDER)
    add_stream(url, "BATCHED", "batched")
    uuid = mapping(lam, "nats-batch", url, "BATCHED", BatchSize=5, MaximumBatchingWindowInSeconds=3)
    settled(lam, uuid)
    full_sent = time.time() * 1000
    burst(url, "batched", *(str(i).encode() for i in range(5)))
    wait_for(lambda: len(logged(server, "nats-batch")) >= 1, what="the full batch")
    [(full_at, full)] = logged(server, "nats-batch")
    assert values(records_of([full], "BATCHED")) == [b"0", b"1", b"2", b"3", b"4"]
    assert full_at - full_sent < 2500, "a full batch does not wait for its window"

    alone_sent = time.time() * 1000
    publish(url, "batched", b"alone")
    wait_for(lambda: len(logged(server, "nats-batch")) >= 2, what="the windowed batch")
    (alone_at, alone) = logged(server, "nats-batch")[1]
    assert values(records_of([alone], "BATCHED")) == [b"alone"]
    assert 2800 <= alone_at - alone_sent < 4500, "a batch short of BatchSize waits out its window, and no longer"
    print(
        f"nats: a full batch invoked after {full_at - full_sent:.0f} ms, a lone message after {alone_at - alone_sent:.0f} ms (window 3 s)"
    )
    lam.delete_event_source_mapping(UUID=uuid)


def test_failed_items_come_back_after_the_wait_then_are_terminated(server: Server, url: str) -> None:
    lam = server.client()
    create(lam, "nats-partial", PARTIAL)
    add_stream(url, "PARTIAL", "partial")
    add_stream(url, "ADVISORIES", TERMINATED)  # JetStream keeps its advisories where a stream takes them
    uuid = mapping(lam, "nats-partial", url, "PARTIAL", FunctionResponseTypes=["ReportBatchItemFailures"])
    settled(lam, uuid)
    good, bad = publish(url, "partial", b"good", b"bad")
    wait_for(
        lambda: jetstream(url, lambda js: js.stream_info("ADVISORIES")).state.messages == 1, what="the bad message terminated"
    )
    seen = records_of(events_until(server, "nats-partial", lambda events: len(events) >= MAX_DELIVERIES), "PARTIAL")
    assert [r["sequence"] for r in seen].count(good) == 1
    bad_seen = [r for r in seen if r["sequence"] == bad]
    assert [r["deliveryCount"] for r in bad_seen] == [1, 2, 3]
    gaps = [later["timestamp"] for later in bad_seen]  # the stream's time: the same for each delivery
    assert len(set(gaps)) == 1
    wait_for(lambda: settled_consumer(url, "PARTIAL", uuid), what="nothing pending")
    time.sleep(REDELIVERY_S * 2)
    assert len(records_of(logged_events(server, "nats-partial"), "PARTIAL")) == len(seen)  # and no more
    lam.delete_event_source_mapping(UUID=uuid)


def test_filters_drop_and_ack_what_they_do_not_match(server: Server, url: str) -> None:
    lam = server.client()
    create(lam, "nats-filter", RECORDER)
    add_stream(url, "FILTERED", "filtered.*")
    pattern = '{"value": {"kind": ["keep"]}}'
    uuid = mapping(lam, "nats-filter", url, "FILTERED", FilterCriteria={"Filters": [{"Pattern": pattern}]})
    settled(lam, uuid)
    publish(url, "filtered.a", b'{"kind": "drop"}', b"not json", b'{"kind": "keep", "n": 1}')
    events_until(server, "nats-filter", lambda events: len(events) >= 1)
    wait_for(lambda: settled_consumer(url, "FILTERED", uuid), what="dropped messages acked")
    time.sleep(0.5)
    assert values(records_of(logged_events(server, "nats-filter"), "FILTERED")) == [b'{"kind": "keep", "n": 1}']
    lam.delete_event_source_mapping(UUID=uuid)


def test_a_disabled_mapping_reads_nothing_and_a_deleted_one_leaves_no_consumer(server: Server, url: str) -> None:
    lam = server.client()
    create(lam, "nats-toggle", RECORDER)
    add_stream(url, "TOGGLED", "toggled")
    uuid = mapping(lam, "nats-toggle", url, "TOGGLED")
    settled(lam, uuid)
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=False)["State"] == "Disabling"
    assert settled(lam, uuid)["State"] == "Disabled"
    [sequence] = publish(url, "toggled", b"while disabled")
    time.sleep(1.5)
    assert logged(server, "nats-toggle") == []
    info = consumer(url, "TOGGLED", uuid)
    assert (info.num_pending, info.num_ack_pending) == (1, 0)  # waiting in the stream, held by no one
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=True)["State"] == "Enabling"
    settled(lam, uuid)
    [event] = events_until(server, "nats-toggle", lambda events: len(events) >= 1)
    assert [r["sequence"] for r in event["records"]["TOGGLED"]] == [sequence]
    wait_for(lambda: settled_consumer(url, "TOGGLED", uuid), what="the message acked")
    lam.delete_event_source_mapping(UUID=uuid)
    wait_for(lambda: consumers(url, "TOGGLED") == [], what="the consumer deleted")


def test_a_killed_server_loses_no_message(server: Server, url: str) -> None:
    lam = server.client()
    create(lam, "nats-crash", SLOW)
    add_stream(url, "CRASHING", "crashing")
    uuid = mapping(lam, "nats-crash", url, "CRASHING", BatchSize=10)
    settled(lam, uuid)
    total = 300
    sent: list[bytes] = []

    def produce() -> None:
        async def send(js: Any) -> None:
            for i in range(total):
                await js.publish("crashing", str(i).encode())
                sent.append(str(i).encode())
                await asyncio.sleep(0.01)

        jetstream(url, send)

    producer = threading.Thread(target=produce)
    producer.start()
    wait_for(lambda: len(logged(server, "nats-crash")) >= 3, what="batches before the kill")
    server.kill_and_restart()
    producer.join()

    def complete(events: list[Any]) -> bool:
        return set(values(records_of(events, "CRASHING"))) >= set(sent)

    events = events_until(server, "nats-crash", complete, timeout_s=30)
    records = records_of(events, "CRASHING")
    seen = Counter(values(records))
    lost = set(sent) - set(seen)
    duplicates = sum(count - 1 for count in seen.values())
    taken_back = {r["sequence"] for r in records if r["deliveryCount"] > 1}
    print(
        f"nats: a kill while {total} messages were published: {len(lost)} lost, {duplicates} logged twice, {len(taken_back)} taken back"
    )
    assert lost == set()
    assert taken_back, "the messages the killed server held were delivered again"
    wait_for(lambda: settled_consumer(url, "CRASHING", uuid), what="nothing left pending")
    lam.delete_event_source_mapping(UUID=uuid)
