"""Event source mappings from Redis Streams (beyond AWS, decision 0031), driven by boto3 against a
real server and a real Redis (Debian's ``redis-server``, started here on loopback and stopped by
PID): the API through ``SelfManagedEventSource``, the record shape, a batching window, partial
failures retried and a poison entry dead-lettered, filters that acknowledge what they drop, a
disabled mapping that resumes where it stopped, and nothing lost across a SIGKILL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures import redis_server as peer
from tests.fixtures.records import RECORDER, records
from tests.fixtures.server import Server, create

if peer.missing():
    pytest.skip(f"needs {', '.join(peer.missing())} (make system installs it)", allow_module_level=True)

#: Fails the entries whose field ``kind`` is ``bad`` (batch item failures), records every event.
PARTIAL = (
    "import json\n"
    "def handler(event, context):\n"
    "    print('RECORD ' + json.dumps(event))\n"
    "    entries = [e for stream in event['records'].values() for e in stream]\n"
    "    return {'batchItemFailures': [{'itemIdentifier': e['id']} for e in entries if e['fields'].get('kind') == 'bad']}\n"
)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with peer.redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("esm-redis") / "data").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def redis(redis_url: str) -> Iterator[Any]:
    import redis as redis_py

    client = redis_py.Redis.from_url(redis_url)
    yield client
    client.close()


def source(redis_url: str) -> dict[str, Any]:
    return {"Endpoints": {"REDIS_URLS": [redis_url]}}


def settled(lam: Any, uuid: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found: dict[str, Any] = lam.get_event_source_mapping(UUID=uuid)
        if found["State"] in ("Enabled", "Disabled"):
            return found
        time.sleep(0.05)
    raise AssertionError(f"mapping {uuid} did not settle")


def wait_for(check: Any, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def entries(server: Server, function: str) -> list[dict[str, Any]]:
    return [e for event in records(server, function, 1, timeout_s=0.1) for stream in event["records"].values() for e in stream]


def pending(redis: Any, stream: str, uuid: str) -> int:
    return int(redis.xpending(stream, f"lambent-{uuid}")["pending"])


def test_a_mapping_reads_a_stream_with_the_documented_record(server: Server, redis_url: str, redis: Any) -> None:
    lam = server.client()
    create(lam, "redis-shape-fn", RECORDER)
    made = lam.create_event_source_mapping(
        FunctionName="redis-shape-fn", SelfManagedEventSource=source(redis_url), Topics=["orders"], BatchSize=5
    )
    assert made["State"] == "Creating"
    got = settled(lam, made["UUID"])
    assert got["State"] == "Enabled"
    assert got["SelfManagedEventSource"] == source(redis_url)
    assert (got["Topics"], got["BatchSize"], got["LastProcessingResult"]) == (["orders"], 5, "No records processed")
    assert "EventSourceArn" not in got
    entry_id = redis.xadd("orders", {"order": "o-1", "total": "12.5", b"raw": b"\xff\xfe"}).decode()
    wait_for(lambda: len(entries(server, "redis-shape-fn")) == 1)
    [event] = records(server, "redis-shape-fn", 1)
    assert list(event) == ["eventSource", "bootstrapServers", "records"]
    assert (event["eventSource"], event["bootstrapServers"]) == ("lambent:redis", redis_url)
    assert event["records"] == {
        "orders": [
            {
                "stream": "orders",
                "id": entry_id,
                "timestamp": int(entry_id.split("-")[0]),
                "fields": {"order": "o-1", "total": "12.5"},
                "binaryFields": {"raw": "//4="},
            }
        ]
    }
    wait_for(lambda: pending(redis, "orders", made["UUID"]) == 0)  # acknowledged
    assert lam.get_event_source_mapping(UUID=made["UUID"])["LastProcessingResult"] == "OK"
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.create_event_source_mapping(FunctionName="redis-shape-fn", SelfManagedEventSource=source(redis_url))
    assert raised.value.response["Error"]["Message"] == "Topics must name exactly one topic for Redis Streams event sources."
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.create_event_source_mapping(
            FunctionName="redis-shape-fn", SelfManagedEventSource=source("redis://127.0.0.1:1"), Topics=["orders"]
        )
    assert raised.value.response["Error"]["Message"].startswith("Cannot reach the Redis server at redis://127.0.0.1:1")
    lam.delete_event_source_mapping(UUID=made["UUID"])


def test_a_batching_window_waits_for_more(server: Server, redis_url: str, redis: Any) -> None:
    lam = server.client()
    create(lam, "redis-window-fn", RECORDER)
    uuid = lam.create_event_source_mapping(
        FunctionName="redis-window-fn",
        SelfManagedEventSource=source(redis_url),
        Topics=["window"],
        BatchSize=50,
        MaximumBatchingWindowInSeconds=2,
    )["UUID"]
    settled(lam, uuid)
    with redis.pipeline(transaction=True) as pipe:  # at once: the first blocked worker takes them all
        for i in range(8):
            pipe.xadd("window", {"n": str(i)})
        pipe.execute()
    added = time.time()
    wait_for(lambda: len(entries(server, "redis-window-fn")) == 8)
    events = records(server, "redis-window-fn", 1)
    assert [e["fields"]["n"] for stream in events[0]["records"].values() for e in stream] == [str(i) for i in range(8)]
    assert len(events) == 1
    logs = server.client("logs").filter_log_events(logGroupName="/aws/lambda/redis-window-fn")["events"]
    started = min(e["timestamp"] for e in logs) / 1000
    assert started - added >= 1.5  # the window held the batch open
    lam.delete_event_source_mapping(UUID=uuid)


def test_partial_failures_are_retried_and_a_poison_entry_is_dead_lettered(server: Server, redis_url: str, redis: Any) -> None:
    lam = server.client()
    create(lam, "redis-partial-fn", PARTIAL)
    uuid = lam.create_event_source_mapping(
        FunctionName="redis-partial-fn",
        SelfManagedEventSource=source(redis_url),
        Topics=["partial"],
        FunctionResponseTypes=["ReportBatchItemFailures"],
        MaximumRetryAttempts=2,
    )["UUID"]
    assert settled(lam, uuid)["MaximumRetryAttempts"] == 2
    good = redis.xadd("partial", {"kind": "good"}).decode()
    bad = redis.xadd("partial", {"kind": "bad"}).decode()
    wait_for(lambda: redis.xlen("partial:lambent-dead-letter") == 1, timeout_s=30)
    [(_, dead)] = redis.xrange("partial:lambent-dead-letter")
    assert dead == {b"kind": b"bad", b"lambent-reason": b"delivered 3 times", b"lambent-id": bad.encode()}
    seen = [e["id"] for e in entries(server, "redis-partial-fn")]
    assert seen.count(good) == 1  # acknowledged after its first success
    assert seen.count(bad) == 3  # delivered three times (MaximumRetryAttempts 2), then dead-lettered
    wait_for(lambda: pending(redis, "partial", uuid) == 0)
    lam.delete_event_source_mapping(UUID=uuid)


def test_filters_acknowledge_what_they_drop(server: Server, redis_url: str, redis: Any) -> None:
    lam = server.client()
    create(lam, "redis-filter-fn", RECORDER)
    pattern = json.dumps({"fields": {"kind": ["keep"]}})
    uuid = lam.create_event_source_mapping(
        FunctionName="redis-filter-fn",
        SelfManagedEventSource=source(redis_url),
        Topics=["filtered"],
        FilterCriteria={"Filters": [{"Pattern": pattern}]},
    )["UUID"]
    settled(lam, uuid)
    redis.xadd("filtered", {"kind": "drop"})
    kept = redis.xadd("filtered", {"kind": "keep"}).decode()
    wait_for(lambda: len(entries(server, "redis-filter-fn")) == 1)
    wait_for(lambda: pending(redis, "filtered", uuid) == 0)
    assert [e["id"] for e in entries(server, "redis-filter-fn")] == [kept]
    lam.delete_event_source_mapping(UUID=uuid)


def test_a_disabled_mapping_holds_nothing_and_resumes_where_it_stopped(server: Server, redis_url: str, redis: Any) -> None:
    lam = server.client()
    create(lam, "redis-toggle-fn", RECORDER)
    uuid = lam.create_event_source_mapping(
        FunctionName="redis-toggle-fn", SelfManagedEventSource=source(redis_url), Topics=["toggle"]
    )["UUID"]
    settled(lam, uuid)
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=False)["State"] == "Disabling"
    assert settled(lam, uuid)["State"] == "Disabled"
    while_off = redis.xadd("toggle", {"n": "while disabled"}).decode()
    time.sleep(1)
    assert entries(server, "redis-toggle-fn") == []
    assert pending(redis, "toggle", uuid) == 0  # read by no one
    lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    wait_for(lambda: [e["id"] for e in entries(server, "redis-toggle-fn")] == [while_off])
    lam.delete_event_source_mapping(UUID=uuid)


def test_a_sigkill_while_consuming_loses_nothing(server: Server, redis_url: str, redis: Any) -> None:
    lam = server.client()
    create(lam, "redis-crash-fn", RECORDER + "    import time\n    time.sleep(0.05)\n")
    uuid = lam.create_event_source_mapping(
        FunctionName="redis-crash-fn", SelfManagedEventSource=source(redis_url), Topics=["crash"], BatchSize=10
    )["UUID"]
    settled(lam, uuid)
    sent = [redis.xadd("crash", {"n": str(i)}).decode() for i in range(300)]
    wait_for(lambda: len(entries(server, "redis-crash-fn")) >= 20)
    server.kill_and_restart()
    wait_for(lambda: set(sent) <= {e["id"] for e in entries(server, "redis-crash-fn")}, timeout_s=60)
    seen = [e["id"] for e in entries(server, "redis-crash-fn")]
    print(f"Redis crash test: {len(sent)} sent, {len(set(seen))} processed, 0 lost, {len(seen) - len(set(seen))} duplicates")
    wait_for(lambda: pending(redis, "crash", uuid) == 0)
    server.client().delete_event_source_mapping(UUID=uuid)
