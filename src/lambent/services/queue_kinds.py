"""The self-managed queue sources beyond AWS (decision 0031), as ``SourceKind``s: no ARN, so no
execution-role check; at create, the server must answer; the poller is the shared queue loop over
the source's client. Redis Streams here; each kind's client library is one of Lambent's
dependencies, so every kind is always on."""

from __future__ import annotations

from lambent.errors import InvalidParameterValueException
from lambent.model import event_source_mapping as model
from lambent.model.event_source_mapping import Mapping
from lambent.model.function import FunctionVersion
from lambent.services.source_kinds import PollerNeeds, SourceKind
from lambent.sources.poller import Poller
from lambent.sources.queue_poller import QueuePoller
from lambent.sources.redis_streams import MAX_DELIVERIES, RedisStream, group_name

#: How long a create waits for a self-managed server to answer.
ANSWER_TIMEOUT_S = 3.0


def _endpoint(mapping: Mapping) -> str:
    urls = model.endpoints(mapping)
    if not urls:
        raise InvalidParameterValueException("SelfManagedEventSource.Endpoints must name the server.")
    return urls[0]


def _deliveries(mapping: Mapping) -> int | None:
    """How often an entry is delivered before it is dead-lettered (None: forever)."""
    retries = mapping.settings.maximum_retry_attempts
    if retries is None:
        return MAX_DELIVERIES
    return None if retries == -1 else retries + 1


async def _check_redis(mapping: Mapping, function: FunctionVersion) -> None:
    import redis.asyncio as redis
    from redis.exceptions import RedisError

    url = _endpoint(mapping)
    try:
        client = redis.from_url(url, socket_connect_timeout=ANSWER_TIMEOUT_S, socket_timeout=ANSWER_TIMEOUT_S)
    except ValueError as invalid:
        raise InvalidParameterValueException(f"REDIS_URLS: {url} is not a Redis URL ({invalid}).") from None
    try:
        await client.ping()
    except (RedisError, OSError) as unreachable:
        raise InvalidParameterValueException(f"Cannot reach the Redis server at {url}: {unreachable}") from None
    finally:
        await client.aclose()


def _build_redis(mapping: Mapping, needs: PollerNeeds) -> Poller:
    topics = mapping.settings.topics or [""]
    source = RedisStream(_endpoint(mapping), topics[0], group_name(mapping.uuid), needs.owner, _deliveries(mapping))
    return QueuePoller(source, mapping.settings, needs.invoke, needs.report, needs.clock)


def _nobody_to_ask(mapping: Mapping, action: str) -> str:
    return ""


REDIS = SourceKind(actions=(), denied=_nobody_to_ask, check=_check_redis, build=_build_redis)
