"""Each kind of event source Lambent polls, in one table: what the execution role must be allowed
to do on it (checked at create, as AWS checks), what is checked of the source itself at create
and update (that it exists and answers, and AWS's rules about it), how its poller is built, and
what is removed from the source when a mapping is deleted (a consumer group, a durable consumer).

``SourceKinds`` is built once by the composition root with the clients the pollers share and the
settings the queue sources need; a kind whose server is not configured (an Amazon MQ broker
missing from ``LAMBENT_MQ_BROKERS``) or does not answer is refused at create, saying why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from lambent.clock import Clock
from lambent.errors import InvalidParameterValueException
from lambent.model import event_source_mapping as model
from lambent.model.event_source_mapping import Mapping
from lambent.model.event_source_rules import KIND_NAMES, check_settings
from lambent.model.function import FunctionVersion
from lambent.sources import nats_jetstream, rabbitmq, redis_streams
from lambent.sources.kinesis import KinesisClients, KinesisPoller
from lambent.sources.poller import InvokeBatch, Poller, Report, SendFailure
from lambent.sources.queue_poller import QueuePoller, Redelivery
from lambent.sources.sqs import SqsClients, SqsQueue
from lambent.store import EventSourceStore


@dataclass(frozen=True, kw_only=True)
class PollerNeeds:
    """What a poller is built with, besides its mapping."""

    invoke: InvokeBatch
    report: Report
    send_failure: SendFailure
    clock: Clock
    region: str
    #: Where stream pollers keep their positions and leases (bound to the mapping's account).
    store: EventSourceStore
    #: Who this process is when it holds a lease (unique per server process).
    owner: str
    #: The function's execution role now (a record's ``invokeIdentityArn``).
    role: Callable[[], str] = lambda: ""


#: Builds the poller of a mapping.
Build = Callable[[Mapping, PollerNeeds], Poller]
#: Checks the source of a mapping for its function (raises InvalidParameterValueException).
Check = Callable[[Mapping, FunctionVersion], Awaitable[None]]
#: Removes what a deleted mapping made at its source; why it could not, or None.
Forget = Callable[[Mapping], Awaitable[str | None]]


def _source_arn(mapping: Mapping, action: str) -> str | None:
    return mapping.source_arn


@dataclass(frozen=True, kw_only=True)
class SourceKind:
    #: The actions the function's execution role must be allowed on the source, in the order
    #: AWS asks for them, and the refusal when one is not.
    actions: tuple[str, ...]
    denied: Callable[[Mapping, str], str]
    check: Check
    build: Build
    #: The resource each action is asked on (None: not asked); by default the source's ARN.
    resource: Callable[[Mapping, str], str | None] = _source_arn
    forget: Forget | None = None


def _sqs_denied(mapping: Mapping, action: str) -> str:
    return f"The function execution role does not have permissions to call {action.split(':')[1]} on SQS"


def _mq_denied(mapping: Mapping, action: str) -> str:
    service, name = action.split(":")
    where = "MQ" if service == "mq" else "Secrets Manager"
    return f"The function execution role does not have permissions to call {name} on {where}"


def _mq_resource(mapping: Mapping, action: str) -> str | None:
    """mq:DescribeBroker on the broker; secretsmanager:GetSecretValue on the BASIC_AUTH secret,
    when one is named (Lambent reads the credentials from the broker's URL, never the secret)."""
    if action.startswith("secretsmanager:"):
        return model.access(mapping.settings, "BASIC_AUTH")
    return mapping.source_arn


def _no_role(mapping: Mapping, action: str) -> str:
    return ""


def _stream(mapping: Mapping) -> str:
    return (mapping.settings.topics or [""])[0]


def _consumer(mapping: Mapping) -> str:
    """The Redis group or NATS durable consumer a mapping reads with."""
    return f"lambent-{mapping.uuid}"


def kinesis_denied(mapping: Mapping, action: str) -> str:
    return (
        f"Cannot access stream {mapping.source_arn}. Please ensure the role can perform the GetRecords, "
        "GetShardIterator, DescribeStream, ListShards, and ListStreams Actions on your stream in IAM."
    )


#: What the developer guide lists for a Kinesis mapping's role ("Execution role permissions"),
#: less SubscribeToShard, which only enhanced fan-out consumers use.
KINESIS_ACTIONS = (
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:ListShards",
)


class SourceKinds:
    def __init__(
        self,
        sqs: SqsClients,
        kinesis: KinesisClients | None = None,
        mq_brokers: dict[str, str] | None = None,
        redelivery: Redelivery | None = None,
    ) -> None:
        """*mq_brokers*: each Amazon MQ broker's ARN and its AMQP URL; *redelivery*: when Redis
        Streams and NATS JetStream deliver a message again, and how often."""
        self._sqs = sqs
        self._kinesis = kinesis
        self._brokers = dict(mq_brokers or {})
        self._redelivery = redelivery or Redelivery()
        self._kinds: dict[str, SourceKind] = {
            "sqs": SourceKind(
                actions=("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
                denied=_sqs_denied,
                check=self._check_sqs,
                build=self._build_sqs,
            ),
            "rabbitmq": SourceKind(
                actions=("mq:DescribeBroker", "secretsmanager:GetSecretValue"),
                denied=_mq_denied,
                resource=_mq_resource,
                check=self._check_rabbitmq,
                build=self._build_rabbitmq,
            ),
            "redis": SourceKind(
                actions=(), denied=_no_role, check=self._check_redis, build=self._build_redis, forget=self._forget_redis
            ),
            "nats": SourceKind(
                actions=(), denied=_no_role, check=self._check_nats, build=self._build_nats, forget=self._forget_nats
            ),
        }
        if kinesis is not None:
            self._kinds["kinesis"] = SourceKind(
                actions=KINESIS_ACTIONS, denied=kinesis_denied, check=self._check_kinesis, build=self._build_kinesis
            )

    def register(self, name: str, kind: SourceKind) -> None:
        """Add a kind (the composition root adds those whose clients it configured)."""
        self._kinds[name] = kind

    def kind(self, mapping: Mapping) -> SourceKind:
        found = self._kinds.get(mapping.kind)
        if found is None:
            raise InvalidParameterValueException(f"Lambent does not poll {KIND_NAMES[mapping.kind]} event sources.")
        return found

    async def _check_sqs(self, mapping: Mapping, function: FunctionVersion) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        arn = mapping.source_arn or ""
        try:
            facts = await self._sqs.facts(arn)
        except ClientError as refused:
            error = refused.response.get("Error", {})
            raise InvalidParameterValueException(
                f"Error occurred while ReceiveMessage. SQS Error Code: {error.get('Code')}. "
                f"SQS Error Message: {error.get('Message')}"
            ) from None
        except BotoCoreError as unreachable:
            raise InvalidParameterValueException(f"Error occurred while ReceiveMessage: {unreachable}") from None
        if facts.visibility_timeout_s < function.timeout_s:
            raise InvalidParameterValueException(
                f"Queue visibility timeout: {facts.visibility_timeout_s} seconds is less than "
                f"Function timeout: {function.timeout_s} seconds"
            )
        check_settings("sqs", mapping.settings, fifo=facts.fifo)

    def _build_sqs(self, mapping: Mapping, needs: PollerNeeds) -> Poller:
        source = SqsQueue(self._sqs, mapping.source_arn or "", needs.region)
        return QueuePoller(source, mapping.settings, needs.invoke, needs.report, needs.clock)

    async def _check_kinesis(self, mapping: Mapping, function: FunctionVersion) -> None:
        """The stream exists (DescribeStreamSummary)."""
        from botocore.exceptions import BotoCoreError, ClientError

        assert self._kinesis is not None
        try:
            await self._kinesis.summary(mapping.source_arn or "")
        except ClientError as refused:
            if refused.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise InvalidParameterValueException(f"Stream not found: {mapping.source_arn}") from None
            raise InvalidParameterValueException(f"Error occurred while DescribeStreamSummary: {refused}") from None
        except BotoCoreError as unreachable:
            raise InvalidParameterValueException(f"Error occurred while DescribeStreamSummary: {unreachable}") from None

    def _build_kinesis(self, mapping: Mapping, needs: PollerNeeds) -> Poller:
        assert self._kinesis is not None
        return KinesisPoller(
            self._kinesis,
            mapping,
            invoke=needs.invoke,
            report=needs.report,
            send_failure=needs.send_failure,
            clock=needs.clock,
            region=needs.region,
            store=needs.store,
            owner=needs.owner,
            role=needs.role,
        )

    # -- Amazon MQ for RabbitMQ ------------------------------------------------------------------

    def _broker_url(self, mapping: Mapping) -> str:
        arn = mapping.source_arn or ""
        url = self._brokers.get(arn)
        if url is None:
            raise InvalidParameterValueException(
                f"Lambent knows no Amazon MQ broker {arn}: give its AMQP URL in the server's LAMBENT_MQ_BROKERS "
                "setting (a JSON object from broker ARNs to amqp:// URLs)."
            )
        return rabbitmq.connection_url(url, model.virtual_host(mapping.settings))

    async def _check_rabbitmq(self, mapping: Mapping, function: FunctionVersion) -> None:
        why = await rabbitmq.probe(self._broker_url(mapping))
        if why is not None:
            raise InvalidParameterValueException(
                f"Cannot connect to the Amazon MQ broker {mapping.source_arn} "
                f"(virtual host {model.virtual_host(mapping.settings)}): {why}"
            )

    def _build_rabbitmq(self, mapping: Mapping, needs: PollerNeeds) -> Poller:
        queue = (mapping.settings.queues or [""])[0]
        source = rabbitmq.RabbitQueue(
            self._broker_url(mapping),
            queue,
            model.virtual_host(mapping.settings),
            mapping.source_arn or "",
            mapping.settings.batch_size or 100,
        )
        # AWS polls a RabbitMQ mapping with one consumer and one invocation at a time
        return QueuePoller(source, mapping.settings, needs.invoke, needs.report, needs.clock, max_workers=1)

    # -- Redis Streams and NATS JetStream ---------------------------------------------------------

    async def _check_redis(self, mapping: Mapping, function: FunctionVersion) -> None:
        why = await redis_streams.ensure_group(model.endpoints(mapping)[0], _stream(mapping), _consumer(mapping))
        if why is not None:
            raise InvalidParameterValueException(
                f"Cannot read stream {_stream(mapping)} of the Redis server {model.bootstrap_servers(mapping)}: {why}"
            )

    def _build_redis(self, mapping: Mapping, needs: PollerNeeds) -> Poller:
        source = redis_streams.RedisStream(
            model.endpoints(mapping)[0],
            model.bootstrap_servers(mapping),
            _stream(mapping),
            _consumer(mapping),
            needs.owner,
            self._redelivery,
            mapping.settings.batch_size or 100,
        )
        return QueuePoller(source, mapping.settings, needs.invoke, needs.report, needs.clock)

    async def _forget_redis(self, mapping: Mapping) -> str | None:
        return await redis_streams.forget(model.endpoints(mapping)[0], _stream(mapping), _consumer(mapping))

    async def _check_nats(self, mapping: Mapping, function: FunctionVersion) -> None:
        why = await nats_jetstream.ensure_consumer(
            model.endpoints(mapping), _stream(mapping), _consumer(mapping), self._redelivery, mapping.settings.batch_size or 100
        )
        if why is not None:
            raise InvalidParameterValueException(
                f"Cannot read stream {_stream(mapping)} of the NATS servers {model.bootstrap_servers(mapping)}: {why}"
            )

    def _build_nats(self, mapping: Mapping, needs: PollerNeeds) -> Poller:
        source = nats_jetstream.NatsStream(
            model.endpoints(mapping),
            model.bootstrap_servers(mapping),
            _stream(mapping),
            _consumer(mapping),
            self._redelivery,
            mapping.settings.batch_size or 100,
        )
        return QueuePoller(source, mapping.settings, needs.invoke, needs.report, needs.clock)

    async def _forget_nats(self, mapping: Mapping) -> str | None:
        return await nats_jetstream.forget(model.endpoints(mapping), _stream(mapping), _consumer(mapping))

    def close(self) -> None:
        self._sqs.close()
        if self._kinesis is not None:
            self._kinesis.close()
