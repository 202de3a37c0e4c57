"""The real queue and stream servers the event-source-mapping tests poll, each started by its
fixture: a real client's round trip through it (redis-py's XADD/XREADGROUP, nats-py's JetStream
publish and pull fetch, aio-pika's publish and get, boto3's Kinesis put and get), then a stop
that leaves neither a process nor a listening port behind. Each skips, naming what is missing,
where its server is not installed (``make system`` and ``make peers`` install them)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import pytest

from tests.fixtures import kinesalite, nats_server, rabbitmq, redis_server
from tests.fixtures.daemon import port_open, processes_mentioning
from tests.fixtures.server import process_exists


class Peer(Protocol):
    start_s: float

    def start(self) -> Peer: ...
    def stop(self) -> None: ...
    def pids(self) -> list[int]: ...
    def ports(self) -> list[int]: ...


def skip_if_missing(absent: list[str], what: str) -> None:
    if absent:
        pytest.skip(f"{what} is not installed (missing {', '.join(absent)}; `make system` and `make peers` install it)")


def round_trip_then_stop(peer: Peer, base: Path, exchange: Callable[[], None]) -> None:
    """Start *peer*, run *exchange* against it, stop it; then none of its PIDs lives, none of its
    ports listens, and no live process names its directory."""
    peer.start()
    pids, ports = peer.pids(), peer.ports()
    try:
        assert pids and all(process_exists(pid) for pid in pids)
        assert all(port_open(port) for port in ports)
        exchange()
    finally:
        peer.stop()
    assert [pid for pid in pids if process_exists(pid)] == []
    assert [port for port in ports if port_open(port)] == []
    assert processes_mentioning(str(base)) == []


def test_redis_streams_round_trip(tmp_path: Path) -> None:
    skip_if_missing(redis_server.missing(), "Redis")
    import redis.asyncio

    server = redis_server.RedisServer(tmp_path)

    async def exchange() -> None:
        client = redis.asyncio.Redis.from_url(server.url)
        try:
            entry = await client.xadd("orders", {"id": "1", "body": "héllo"})
            await client.xgroup_create("orders", "lambent", id="0")
            read = await client.xreadgroup("lambent", "poller-1", {"orders": ">"}, count=10, block=1000)
            assert read == [[b"orders", [(entry, {b"id": b"1", b"body": "héllo".encode()})]]]
            assert await client.xack("orders", "lambent", entry) == 1
        finally:
            await client.aclose()

    round_trip_then_stop(server, tmp_path, lambda: asyncio.run(exchange()))


def test_redis_server_context_manager_yields_its_url(tmp_path: Path) -> None:
    skip_if_missing(redis_server.missing(), "Redis")
    import redis

    with redis_server.redis_server(tmp_path) as url:
        assert url.startswith("redis://127.0.0.1:")
        client = redis.Redis.from_url(url)
        assert client.ping() is True
        client.close()
    assert not port_open(int(url.rsplit(":", 1)[1]))


def test_nats_jetstream_round_trip(tmp_path: Path) -> None:
    skip_if_missing(nats_server.missing(), "NATS")
    import nats

    server = nats_server.NatsServer(tmp_path)

    async def exchange() -> None:
        connection = await nats.connect(server.url, connect_timeout=2, max_reconnect_attempts=0)
        try:
            jetstream = connection.jetstream()
            await jetstream.add_stream(name="ORDERS", subjects=["orders.>"])
            ack = await jetstream.publish("orders.new", b'{"id": 1}')
            assert (ack.stream, ack.seq) == ("ORDERS", 1)
            subscription = await jetstream.pull_subscribe("orders.>", durable="lambent")
            [message] = await subscription.fetch(1, timeout=5)
            assert (message.subject, message.data) == ("orders.new", b'{"id": 1}')
            await message.ack()
        finally:
            await connection.close()

    round_trip_then_stop(server, tmp_path, lambda: asyncio.run(exchange()))
    assert (tmp_path / "jetstream" / "jetstream").is_dir()  # JetStream kept its store in the directory


def test_rabbitmq_round_trip(tmp_path: Path) -> None:
    skip_if_missing(rabbitmq.missing(), "RabbitMQ")
    import aio_pika

    server = rabbitmq.RabbitMQ(tmp_path)

    async def exchange() -> None:
        connection = await aio_pika.connect(server.url, timeout=10)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue("orders", durable=True)
            await channel.default_exchange.publish(aio_pika.Message(b'{"id": 1}', message_id="m-1"), routing_key="orders")
            message = await queue.get(timeout=5, fail=True)
            assert message is not None
            assert (message.body, message.message_id) == (b'{"id": 1}', "m-1")
            await message.ack()

    round_trip_then_stop(server, tmp_path, lambda: asyncio.run(exchange()))
    assert list((tmp_path / "mnesia").glob("rabbit-*@localhost"))  # Mnesia stayed in the directory


def test_kinesis_round_trip(tmp_path: Path) -> None:
    skip_if_missing(kinesalite.missing(), "Kinesalite")
    server = kinesalite.Kinesalite(tmp_path)

    def exchange() -> None:
        kinesis = kinesalite.client(server.endpoint)
        kinesis.create_stream(StreamName="orders", ShardCount=1)
        description = kinesis.describe_stream(StreamName="orders")["StreamDescription"]
        assert description["StreamStatus"] == "ACTIVE"  # no CREATING delay
        put = kinesis.put_record(StreamName="orders", Data=b'{"id": 1}', PartitionKey="customer-7")
        iterator = kinesis.get_shard_iterator(StreamName="orders", ShardId=put["ShardId"], ShardIteratorType="TRIM_HORIZON")
        records = kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
        assert [(r["Data"], r["PartitionKey"], r["SequenceNumber"]) for r in records] == [
            (b'{"id": 1}', "customer-7", put["SequenceNumber"])
        ]

    round_trip_then_stop(server, tmp_path, exchange)
