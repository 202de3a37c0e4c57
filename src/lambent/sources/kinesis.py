"""Kinesis Data Streams as a stream source. It reads any Kinesis API (AWS, Kinesalite,
LocalStack) through botocore's client, in worker threads of its own pool, and runs one reader
per shard (``sources.kinesis_shard``) under a lease in the store.

The poller lists the stream's shards and picks, with ``model.stream_shards``, which ones can be
read now and from where. It claims each one's lease (``EventSourceStore.claim_partition``) and
reads only the shards it holds. Leases are renewed every ``RENEW_S``, well inside ``LEASE_S``. A
renewal refused means another node took the shard: its reader stops at once and writes no
checkpoint. The shards are listed again every ``DISCOVER_S`` and whenever a shard is read
through, so the children of a split start once their parent ends. A stream it cannot reach is
retried with a backoff and reported as ``LastProcessingResult``, never raised. ``stop`` lets
every reader finish its batch in flight and checkpoint, then gives the leases back.

Only StreamName is sent, never StreamARN (Kinesalite knows no StreamARN), so a stream of
another account cannot be named.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from lambent.clock import Clock
from lambent.model import event_source_batch as batches
from lambent.model import stream_batch as rules
from lambent.model.event_source_mapping import Mapping
from lambent.model.stream_shards import Shard, Start, plan
from lambent.sources.kinesis_records import BACKOFF_S, ShardCounts, ShardNeeds
from lambent.sources.kinesis_shard import ShardReader
from lambent.sources.poller import InvokeBatch, PollerStatistics, Report, SendFailure
from lambent.store import EventSourceStore

log = logging.getLogger(__name__)
T = TypeVar("T")
#: How long a lease lasts, and how often it is renewed.
LEASE_S = 30.0
RENEW_S = 5.0
#: How often the shards are listed again (splits and merges).
DISCOVER_S = 10.0
#: How long an AT_TIMESTAMP GetShardIterator may take before the stream is read from its start.
AT_TIMESTAMP_TIMEOUT_S = 2.0


def stream_name(arn: str) -> str:
    """``arn:aws:kinesis:<region>:<account>:stream/<name>`` -> name."""
    return arn.split(":", 5)[-1].split("/", 1)[-1]


class KinesisClients:
    """One botocore Kinesis client and the threads its calls run in, shared by every Kinesis
    poller. A second client, with a short read timeout, serves only AT_TIMESTAMP iterators."""

    def __init__(self, region: str, endpoint_url: str | None, access_key_id: str, secret_access_key: str, threads: int = 32):
        self._region = region
        self._endpoint_url = endpoint_url
        self._credentials = (access_key_id, secret_access_key)
        self._threads = threads
        self._clients: dict[tuple[float, int], Any] = {}
        self._pool: ThreadPoolExecutor | None = None

    def client(self, read_timeout_s: float = 10.0, retries: int = 2) -> Any:
        if (read_timeout_s, retries) not in self._clients:
            import boto3
            from botocore.config import Config

            self._clients[(read_timeout_s, retries)] = boto3.client(
                "kinesis",
                region_name=self._region,
                endpoint_url=self._endpoint_url,
                aws_access_key_id=self._credentials[0],
                aws_secret_access_key=self._credentials[1],
                config=Config(
                    max_pool_connections=self._threads,
                    retries={"max_attempts": retries},  # legacy mode: retries after the first try
                    connect_timeout=5,
                    read_timeout=read_timeout_s,
                ),
            )
        return self._clients[(read_timeout_s, retries)]

    async def call(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="kinesis")
        return await asyncio.get_running_loop().run_in_executor(self._pool, lambda: work(*args, **kwargs))

    async def at_timestamp(self, **kwargs: Any) -> Any:
        """GetShardIterator AT_TIMESTAMP, given up after ``AT_TIMESTAMP_TIMEOUT_S``, tried once."""
        client = self.client(AT_TIMESTAMP_TIMEOUT_S, retries=0)
        return await self.call(client.get_shard_iterator, **kwargs)

    async def summary(self, arn: str) -> dict[str, Any]:
        """DescribeStreamSummary's StreamDescriptionSummary; raises botocore's ClientError
        (ResourceNotFoundException) when there is no such stream."""
        client = self.client()
        answer = await self.call(client.describe_stream_summary, StreamName=stream_name(arn))
        return dict(answer["StreamDescriptionSummary"])

    async def shards(self, arn: str) -> list[Shard]:
        """ListShards, every page."""
        client, found, token = self.client(), [], None
        while True:
            params = {"NextToken": token} if token else {"StreamName": stream_name(arn)}
            answer = await self.call(client.list_shards, **params)
            for shard in answer.get("Shards", []):
                parents = tuple(p for p in (shard.get("ParentShardId"), shard.get("AdjacentParentShardId")) if p)
                closed = "EndingSequenceNumber" in shard.get("SequenceNumberRange", {})
                found.append(Shard(shard_id=shard["ShardId"], parents=parents, closed=closed))
            token = answer.get("NextToken")
            if not token:
                return found

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


class KinesisPoller:
    def __init__(
        self,
        clients: KinesisClients,
        mapping: Mapping,
        *,
        invoke: InvokeBatch,
        report: Report,
        send_failure: SendFailure,
        clock: Clock,
        region: str,
        store: EventSourceStore,
        owner: str,
        role: Callable[[], str],
    ) -> None:
        self._clients = clients
        self._mapping = mapping
        self._clock = clock
        self._store = store
        self._owner = owner
        self._report = report
        self._counts = ShardCounts()
        self._invoke = invoke
        self._send_failure = send_failure
        self._region = region
        self._role = role
        self._readers: dict[str, tuple[ShardReader, asyncio.Task[None]]] = {}
        self._stopped = asyncio.Event()
        self._rediscover = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- the protocol ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._supervise())

    async def stop(self) -> None:
        self._stopped.set()
        self._rediscover.set()
        if self._task is not None:  # it claims nothing more once stopped
            await asyncio.gather(self._task, return_exceptions=True)
        for reader, _ in self._readers.values():
            reader.stop()
        await asyncio.gather(*(task for _, task in self._readers.values()), return_exceptions=True)

    async def checkpoint(self) -> None:
        await asyncio.gather(*(reader.checkpoint() for reader, _ in self._readers.values()), return_exceptions=True)

    def statistics(self) -> PollerStatistics:
        c = self._counts
        age = max(c.iterator_age_ms.values()) if c.iterator_age_ms else None
        return c.statistics(concurrency=c.in_flight, iterator_age_ms=age)

    # -- shards and leases ----------------------------------------------------------------------

    async def _supervise(self) -> None:
        failures, retention_s, listed_at = 0, None, -DISCOVER_S
        while not self._stopped.is_set():
            try:
                if retention_s is None:
                    summary = await self._clients.summary(self._mapping.source_arn or "")
                    retention_s = float(summary.get("RetentionPeriodHours", 24)) * 3600
                await self._renew()
                if self._rediscover.is_set() or self._clock.monotonic() - listed_at >= DISCOVER_S:
                    self._rediscover.clear()
                    listed_at = self._clock.monotonic()
                    await self._discover(retention_s)
                failures = 0
                wait = RENEW_S
            except Exception as refused:  # the stream: unreachable, gone, refusing
                wait = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
                failures += 1
                self._report(f"PROBLEM: Connection error. {refused}")
                log.warning("Kinesis stream %s unreachable (%s); trying again in %.1f s", self._mapping.source_arn, refused, wait)
            await self._wait(wait)

    async def _discover(self, retention_s: float) -> None:
        settings = self._mapping.settings
        shards = await self._clients.shards(self._mapping.source_arn or "")
        positions = await self._store.load_positions(self._mapping.uuid)
        chosen = plan(shards, positions, settings.starting_position or "LATEST", settings.starting_position_timestamp)
        for shard_id, start in chosen.items():
            if shard_id in self._readers or self._stopped.is_set():
                continue
            now = self._clock.time()
            if not await self._store.claim_partition(self._mapping.uuid, shard_id, self._owner, now + LEASE_S, now):
                continue  # another node reads it
            reader = ShardReader(self._needs(retention_s), shard_id)
            self._readers[shard_id] = (reader, asyncio.create_task(self._read(reader, start)))

    def _needs(self, retention_s: float) -> ShardNeeds:
        settings, arn = self._mapping.settings, self._mapping.source_arn or ""
        destination = settings.destination_config.on_failure if settings.destination_config else None
        return ShardNeeds(
            call=self._clients.call,
            at_timestamp=self._clients.at_timestamp,
            client=self._clients.client(),
            stream_name=stream_name(arn),
            stream_arn=arn,
            uuid=self._mapping.uuid,
            owner=self._owner,
            store=self._store,
            clock=self._clock,
            rules=rules.rules_of(settings, retention_s),
            filters=batches.filters(settings),
            invoke=self._invoke,
            report=self._report,
            send_failure=self._send_failure,
            destination=destination.destination if destination else None,
            function_arn=self._mapping.function_arn,
            region=self._region,
            role=self._role,
            counts=self._counts,
        )

    async def _read(self, reader: ShardReader, start: Start) -> None:
        """Run *reader*; then give its lease back (unless lost). A shard read through lists the
        shards again at once, for its children; a reader that failed is started again at the
        next listing, not before."""
        try:
            await reader.run(start)
        except Exception as refused:
            self._report(f"PROBLEM: Connection error. {refused}")
            log.warning("reading %s of %s stopped (%s); it starts again", reader.shard_id, self._mapping.source_arn, refused)
            await reader.checkpoint()
        finally:
            self._readers.pop(reader.shard_id, None)
            if not reader.lost:
                await self._store.release_partition(self._mapping.uuid, reader.shard_id, self._owner)
        if reader.ended and not self._stopped.is_set():
            self._rediscover.set()

    async def _renew(self) -> None:
        now = self._clock.time()
        for shard_id, (reader, _) in list(self._readers.items()):
            if not await self._store.claim_partition(self._mapping.uuid, shard_id, self._owner, now + LEASE_S, now):
                log.warning("lost the lease of %s of mapping %s", shard_id, self._mapping.uuid)
                reader.stop(lost=True)

    async def _wait(self, seconds: float) -> None:
        sleeping = asyncio.ensure_future(self._clock.sleep(seconds))
        woken = asyncio.ensure_future(self._rediscover.wait())
        await asyncio.wait({sleeping, woken}, return_when=asyncio.FIRST_COMPLETED)
        sleeping.cancel()
        woken.cancel()
