"""Event source mappings from Redis Streams (Lambent's own ``REDIS_URLS`` endpoints, decision
0031), driven by boto3 against one real server and one real Redis: the consumer group a mapping
makes and deletes, the ``lambent:redis`` record, batches and batching windows, batch item
failures retried after the redelivery wait and dead-lettered past the delivery limit, filters
that acknowledge what they drop, a disabled mapping that reads nothing, and a kill of the server
that loses no entry."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures import redis_server
from tests.fixtures.mappings import RECORDER, events_until, logged, server_beside, settled, wait_for
from tests.fixtures.server import Server, create, free_port

#: Seconds before a failed or orphaned entry is claimed again, and deliveries before it is dead.
REDELIVERY_S = 1
MAX_DELIVERIES = 3
#: Fails the records whose ``body`` field is "bad" (batch item failures), records every event.
PARTIAL = (
    "import json\n"
    "def handler(event, context):\n"
    "    print('RECORD ' + json.dumps(event))\n"
    "    records = [r for rs in event['records'].values() for r in rs]\n"
    "    return {'batchItemFailures': [{'itemIdentifier': r['id']} for r in records if r['fields'].get('body') == 'bad']}\n"
)
#: Records each event, then takes a while, so that a kill finds batches recorded and not acknowledged.
SLOW = "import json, time\ndef handler(event, context):\n    print('RECORD ' + json.dumps(event))\n    time.sleep(0.2)\n"


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    if redis_server.missing():
        pytest.skip("Redis is not installed (`make system` installs redis-server)")
    base = tmp_path_factory.mktemp("esm-redis")
    settings = {"LAMBENT_SOURCE_REDELIVERY_S": str(REDELIVERY_S), "LAMBENT_SOURCE_MAX_DELIVERIES": str(MAX_DELIVERIES)}
    with server_beside(base, redis_server.redis_server(base / "redis"), **settings) as served:
        yield served


@pytest.fixture(scope="module")
def server(peers: tuple[Server, str]) -> Server:
    return peers[0]


@pytest.fixture(scope="module")
def url(peers: tuple[Server, str]) -> str:
    return peers[1]


@pytest.fixture
def redis(url: str) -> Iterator[Any]:
    import redis as redis_py

    client = redis_py.Redis.from_url(url, decode_responses=True)
    yield client
    client.close()


def mapping(lam: Any, function: str, url: str, stream: str, **extra: Any) -> str:
    made = lam.create_event_source_mapping(
        FunctionName=function, SelfManagedEventSource={"Endpoints": {"REDIS_URLS": [url]}}, Topics=[stream], **extra
    )
    return str(made["UUID"])


def entries_of(events: list[Any], stream: str) -> list[dict[str, Any]]:
    return [record for event in events for record in event["records"].get(stream, [])]


def logged_events(server: Server, function: str) -> list[Any]:
    return [event for _, event in logged(server, function)]


def pending(redis: Any, stream: str, uuid: str) -> int:
    return int(redis.xpending(stream, f"lambent-{uuid}")["pending"])


def groups(redis: Any, stream: str) -> list[str]:
    return [group["name"] for group in redis.xinfo_groups(stream)]


def test_an_entry_reaches_the_function_as_a_lambent_redis_record(server: Server, url: str, redis: Any) -> None:
    lam = server.client()
    create(lam, "redis-shape", RECORDER)
    made = lam.create_event_source_mapping(
        FunctionName="redis-shape", SelfManagedEventSource={"Endpoints": {"REDIS_URLS": [url]}}, Topics=["orders"]
    )
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert made["State"] == "Creating"
    uuid = made["UUID"]
    assert groups(redis, "orders") == [f"lambent-{uuid}"]  # made with the mapping, at $ (MKSTREAM)
    got = settled(lam, uuid)
    assert (got["State"], got["StateTransitionReason"], got["LastProcessingResult"]) == (
        "Enabled",
        "USER_INITIATED",
        "No records processed",
    )
    assert got["Topics"] == ["orders"]
    assert got["SelfManagedEventSource"] == {"Endpoints": {"REDIS_URLS": [url]}}
    assert (got["BatchSize"], got["MaximumBatchingWindowInSeconds"]) == (100, 0)
    for absent in ("EventSourceArn", "StartingPosition", "ParallelizationFactor", "Queues"):
        assert absent not in got

    entry = redis.xadd("orders", {"body": '{"hello": "world"}', "n": "1"})
    [event] = events_until(server, "redis-shape", lambda events: len(events) >= 1)
    assert list(event) == ["eventSource", "bootstrapServers", "records"]
    assert (event["eventSource"], event["bootstrapServers"]) == ("lambent:redis", url)
    [record] = event["records"]["orders"]
    assert list(record) == ["stream", "id", "timestamp", "deliveryCount", "fields"]
    assert record == {
        "stream": "orders",
        "id": entry,
        "timestamp": int(entry.split("-")[0]),
        "deliveryCount": 1,
        "fields": {"body": '{"hello": "world"}', "n": "1"},
    }
    wait_for(lambda: pending(redis, "orders", uuid) == 0, what="the entry acknowledged")
    wait_for(lambda: lam.get_event_source_mapping(UUID=uuid)["LastProcessingResult"] == "OK", what="LastProcessingResult OK")

    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        mapping(lam, "redis-shape", f"redis://127.0.0.1:{free_port()}", "orders")
    assert raised.value.response["Error"]["Message"].startswith(
        "Cannot read stream orders of the Redis server redis://127.0.0.1:"
    )
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        mapping(lam, "redis-shape", url, "orders", FunctionResponseTypes=["ReportBatchItemFailures"], StartingPosition="LATEST")
    assert raised.value.response["Error"]["Message"] == "StartingPosition is not valid for Redis Streams event sources."
    with pytest.raises(lam.exceptions.ResourceConflictException):
        mapping(lam, "redis-shape", url, "orders")

    assert lam.delete_event_source_mapping(UUID=uuid)["State"] == "Deleting"
    wait_for(lambda: groups(redis, "orders") == [], what="the group destroyed with the mapping")


def test_a_full_batch_goes_at_once_and_a_window_waits(server: Server, url: str, redis: Any) -> None:
    lam = server.client()
    create(lam, "redis-batch", RECORDER)
    uuid = mapping(lam, "redis-batch", url, "batched", BatchSize=5, MaximumBatchingWindowInSeconds=3)
    settled(lam, uuid)
    pipe = redis.pipeline(transaction=True)  # one write: the first blocked read takes them all
    for i in range(5):
        pipe.xadd("batched", {"n": str(i)})
    full_sent = time.time() * 1000
    pipe.execute()
    wait_for(lambda: len(logged(server, "redis-batch")) >= 1, what="the full batch")
    [(full_at, full)] = logged(server, "redis-batch")
    assert [r["fields"]["n"] for r in entries_of([full], "batched")] == ["0", "1", "2", "3", "4"]
    assert full_at - full_sent < 2500, "a full batch does not wait for its window"

    alone_sent = time.time() * 1000
    redis.xadd("batched", {"n": "alone"})
    wait_for(lambda: len(logged(server, "redis-batch")) >= 2, what="the windowed batch")
    (alone_at, alone) = logged(server, "redis-batch")[1]
    assert [r["fields"]["n"] for r in entries_of([alone], "batched")] == ["alone"]
    assert 2800 <= alone_at - alone_sent < 4500, "a batch short of BatchSize waits out its window, and no longer"
    print(
        f"redis: a full batch invoked after {full_at - full_sent:.0f} ms, a lone entry after {alone_at - alone_sent:.0f} ms (window 3 s)"
    )
    lam.delete_event_source_mapping(UUID=uuid)


def test_failed_items_come_back_then_go_to_the_dead_letter_stream(server: Server, url: str, redis: Any) -> None:
    lam = server.client()
    create(lam, "redis-partial", PARTIAL)
    uuid = mapping(lam, "redis-partial", url, "partial", FunctionResponseTypes=["ReportBatchItemFailures"])
    settled(lam, uuid)
    pipe = redis.pipeline(transaction=True)
    pipe.xadd("partial", {"body": "good"})
    pipe.xadd("partial", {"body": "bad"})
    good, bad = pipe.execute()
    wait_for(lambda: redis.xlen("partial:dead-letter") == 1, timeout_s=20, what="the bad entry dead-lettered")
    [(_, dead)] = redis.xrange("partial:dead-letter")
    assert dead == {
        "body": "bad",
        "lambent-source-id": bad,
        "lambent-deliveries": str(MAX_DELIVERIES),
        "lambent-group": f"lambent-{uuid}",
    }
    seen = entries_of(events_until(server, "redis-partial", lambda events: len(events) >= MAX_DELIVERIES), "partial")
    assert [r["id"] for r in seen].count(good) == 1  # acknowledged after its first success
    assert [r["deliveryCount"] for r in seen if r["id"] == bad] == [1, 2, 3]  # claimed again after each failure
    assert pending(redis, "partial", uuid) == 0
    time.sleep(REDELIVERY_S * 2)
    assert len(entries_of(logged_events(server, "redis-partial"), "partial")) == len(seen)  # and no more
    lam.delete_event_source_mapping(UUID=uuid)


def test_filters_drop_and_acknowledge_what_they_do_not_match(server: Server, url: str, redis: Any) -> None:
    lam = server.client()
    create(lam, "redis-filter", RECORDER)
    pattern = '{"fields": {"kind": ["keep"]}}'
    uuid = mapping(lam, "redis-filter", url, "filtered", FilterCriteria={"Filters": [{"Pattern": pattern}]})
    settled(lam, uuid)
    for fields in ({"kind": "drop"}, {"body": "not json"}, {"kind": "keep", "n": "1"}):
        redis.xadd("filtered", fields)
    events = events_until(server, "redis-filter", lambda events: len(events) >= 1)
    wait_for(lambda: pending(redis, "filtered", uuid) == 0, what="dropped entries acknowledged")
    time.sleep(0.5)
    assert [r["fields"] for r in entries_of(logged_events(server, "redis-filter"), "filtered")] == [{"kind": "keep", "n": "1"}]
    assert len(events) == 1
    lam.delete_event_source_mapping(UUID=uuid)


def test_a_disabled_mapping_reads_nothing_and_a_deleted_one_leaves_no_group(server: Server, url: str, redis: Any) -> None:
    lam = server.client()
    create(lam, "redis-toggle", RECORDER)
    uuid = mapping(lam, "redis-toggle", url, "toggled")
    settled(lam, uuid)
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=False)["State"] == "Disabling"
    assert settled(lam, uuid)["State"] == "Disabled"
    entry = redis.xadd("toggled", {"n": "while disabled"})
    time.sleep(1.5)
    assert logged(server, "redis-toggle") == []
    [group] = redis.xinfo_groups("toggled")
    assert (group["pending"], group["lag"]) == (0, 1)  # nothing read, nothing held: it waits in the stream
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=True)["State"] == "Enabling"
    settled(lam, uuid)
    [event] = events_until(server, "redis-toggle", lambda events: len(events) >= 1)
    assert [r["id"] for r in event["records"]["toggled"]] == [entry]
    wait_for(lambda: pending(redis, "toggled", uuid) == 0, what="the entry acknowledged")
    lam.delete_event_source_mapping(UUID=uuid)
    wait_for(lambda: groups(redis, "toggled") == [], what="the group destroyed")


def test_a_killed_server_loses_no_entry(server: Server, url: str, redis: Any) -> None:
    lam = server.client()
    create(lam, "redis-crash", SLOW)
    uuid = mapping(lam, "redis-crash", url, "crashing", BatchSize=10)
    settled(lam, uuid)
    total = 300
    sent: list[str] = []

    def produce() -> None:
        for i in range(total):
            redis.xadd("crashing", {"n": str(i)})
            sent.append(str(i))
            time.sleep(0.01)

    producer = threading.Thread(target=produce)
    producer.start()
    wait_for(lambda: len(logged(server, "redis-crash")) >= 3, what="batches before the kill")
    server.kill_and_restart()
    producer.join()
    events = events_until(
        server,
        "redis-crash",
        lambda events: {r["fields"]["n"] for r in entries_of(events, "crashing")} >= set(sent),
        timeout_s=30,
    )
    seen = Counter(r["fields"]["n"] for r in entries_of(events, "crashing"))
    lost = set(sent) - set(seen)
    duplicates = sum(count - 1 for count in seen.values())
    # what the killed server was invoking never reached the logs: the restart read it again
    taken_back = {r["fields"]["n"] for r in entries_of(events, "crashing") if r["deliveryCount"] > 1}
    print(
        f"redis: a kill while {total} entries were produced: {len(lost)} lost, {duplicates} logged twice, {len(taken_back)} taken back"
    )
    assert lost == set()
    assert taken_back, "the entries the killed server held were delivered again"
    wait_for(lambda: pending(redis, "crashing", uuid) == 0, what="nothing left pending")
    lam.delete_event_source_mapping(UUID=uuid)
