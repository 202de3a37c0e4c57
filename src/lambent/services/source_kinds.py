"""Each kind of event source Lambent polls, in one table: what the execution role must be allowed
to do on it (checked at create, as AWS checks), what is checked of the source itself at create
and update (that it exists, and AWS's rules about it), and how its poller is built.

``SourceKinds`` is built once by the composition root with the clients the pollers share; a
kind whose client library or server is not configured is refused at create, saying why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from lambent.clock import Clock
from lambent.errors import InvalidParameterValueException
from lambent.model.event_source_mapping import Mapping
from lambent.model.event_source_rules import KIND_NAMES, check_settings
from lambent.model.function import FunctionVersion
from lambent.sources.kinesis import KinesisClients, KinesisPoller
from lambent.sources.poller import InvokeBatch, Poller, Report, SendFailure
from lambent.sources.queue_poller import QueuePoller
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


@dataclass(frozen=True, kw_only=True)
class SourceKind:
    #: The actions the function's execution role must be allowed on the source, in the order
    #: AWS asks for them, and the refusal when one is not.
    actions: tuple[str, ...]
    denied: Callable[[Mapping, str], str]
    check: Check
    build: Build


def _sqs_denied(mapping: Mapping, action: str) -> str:
    return f"The function execution role does not have permissions to call {action.split(':')[1]} on SQS"


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
    def __init__(self, sqs: SqsClients, kinesis: KinesisClients | None = None) -> None:
        self._sqs = sqs
        self._kinesis = kinesis
        self._kinds: dict[str, SourceKind] = {
            "sqs": SourceKind(
                actions=("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
                denied=_sqs_denied,
                check=self._check_sqs,
                build=self._build_sqs,
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

    def close(self) -> None:
        self._sqs.close()
        if self._kinesis is not None:
            self._kinesis.close()
