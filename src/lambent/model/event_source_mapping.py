"""Event source mappings as records: what CreateEventSourceMapping and UpdateEventSourceMapping
take, what a mapping is, its ARN, its source kind and its state machine. Pure.

A mapping reads one source and invokes one function with batches of its records. The source is
named by ``EventSourceArn`` (an SQS queue, a Kinesis stream, an Amazon MQ broker), or, for the
self-managed sources, by ``SelfManagedEventSource.Endpoints`` with the stream or subject in
``Topics``: Kafka's ``KAFKA_BOOTSTRAP_SERVERS`` as AWS has it, and Lambent's own keys beyond
AWS, ``REDIS_URLS`` (Redis Streams) and ``NATS_URLS`` (NATS JetStream), decision 0031.

The state machine is AWS's: a mapping is ``Creating`` until its poller runs (then ``Enabled``,
or ``Disabled`` when created so), ``Enabling``/``Disabling``/``Updating`` while a change is
applied, ``Deleting`` until its poller stopped and its leases are gone. A change is refused
while one is being applied (``ResourceInUseException``). Every change is the user's, so
``StateTransitionReason`` is ``USER_INITIATED`` (``User action`` for streams, as AWS words it).
"""

from __future__ import annotations

from typing import Literal

import msgspec

#: The kinds of source Lambent polls.
Kind = Literal["sqs", "kinesis", "rabbitmq", "kafka", "redis", "nats"]
#: Which kinds are streams (positions per shard or partition, ordered) rather than queues.
STREAMS: frozenset[str] = frozenset({"kinesis", "kafka"})
#: The Endpoints keys that name a self-managed source, each with its kind.
ENDPOINT_KINDS: dict[str, Kind] = {"KAFKA_BOOTSTRAP_SERVERS": "kafka", "REDIS_URLS": "redis", "NATS_URLS": "nats"}
#: Where a change is being applied: no other change is taken until it is.
BUSY_STATES = frozenset({"Creating", "Enabling", "Disabling", "Updating", "Deleting"})
USER_INITIATED = "USER_INITIATED"
NO_RECORDS = "No records processed"


class FilterSpec(msgspec.Struct, frozen=True, kw_only=True, rename="pascal", omit_defaults=True):
    pattern: str | None = None


class FilterCriteria(msgspec.Struct, frozen=True, kw_only=True, rename="pascal", omit_defaults=True):
    filters: list[FilterSpec] | None = None


class OnFailure(msgspec.Struct, frozen=True, kw_only=True, rename="pascal", omit_defaults=True):
    destination: str | None = None


class DestinationConfig(msgspec.Struct, frozen=True, kw_only=True, rename="pascal", omit_defaults=True):
    on_failure: OnFailure | None = None
    on_success: OnFailure | None = None


class ScalingConfig(msgspec.Struct, frozen=True, kw_only=True, rename="pascal", omit_defaults=True):
    maximum_concurrency: int | None = None


class MetricsConfig(msgspec.Struct, frozen=True, kw_only=True, rename="pascal", omit_defaults=True):
    metrics: list[str] | None = None


class SourceAccess(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    Type: str | None = None
    URI: str | None = None


class SelfManagedEventSource(msgspec.Struct, frozen=True, kw_only=True, rename="pascal", omit_defaults=True):
    endpoints: dict[str, list[str]] | None = None


class MappingSettings(msgspec.Struct, frozen=True, kw_only=True, rename="pascal", omit_defaults=True):
    """The settings a mapping is made with or changed to, as the API names them: the members
    CreateEventSourceMapping and UpdateEventSourceMapping share. None: not given."""

    function_name: str | None = None
    enabled: bool | None = None
    batch_size: int | None = None
    maximum_batching_window_in_seconds: int | None = None
    filter_criteria: FilterCriteria | None = None
    function_response_types: list[str] | None = None
    scaling_config: ScalingConfig | None = None
    destination_config: DestinationConfig | None = None
    maximum_retry_attempts: int | None = None
    maximum_record_age_in_seconds: int | None = None
    bisect_batch_on_function_error: bool | None = None
    parallelization_factor: int | None = None
    tumbling_window_in_seconds: int | None = None
    metrics_config: MetricsConfig | None = None
    source_access_configurations: list[SourceAccess] | None = None
    kms_key_arn: str | None = msgspec.field(default=None, name="KMSKeyArn")


class MappingInput(MappingSettings, frozen=True, kw_only=True, rename="pascal", omit_defaults=True, forbid_unknown_fields=True):
    """CreateEventSourceMapping's body: the shared settings, and what names the source."""

    event_source_arn: str | None = None
    starting_position: str | None = None
    starting_position_timestamp: float | None = None
    topics: list[str] | None = None
    queues: list[str] | None = None
    self_managed_event_source: SelfManagedEventSource | None = None
    tags: dict[str, str] | None = None


class MappingUpdate(MappingSettings, frozen=True, kw_only=True, rename="pascal", omit_defaults=True, forbid_unknown_fields=True):
    """UpdateEventSourceMapping's body (the UUID is in the path)."""


class Mapping(msgspec.Struct, frozen=True, kw_only=True):
    """One event source mapping: its identity, its settled settings (defaults filled in for its
    kind: ``model.event_source_rules.settle``) and where its state machine stands."""

    uuid: str
    arn: str
    kind: Kind
    #: The function invoked: its unqualified name and the qualifier named, if any.
    function_name: str
    qualifier: str | None
    function_arn: str
    #: What names the source: its ARN (None for self-managed sources).
    source_arn: str | None
    settings: MappingInput
    state: str
    state_transition_reason: str = USER_INITIATED
    last_modified: float = 0.0
    last_processing_result: str = NO_RECORDS
    #: The state the change being applied leads to (``Enabled``, ``Disabled``, or None: deleted).
    target_state: str | None = "Enabled"

    @property
    def enabled(self) -> bool:
        return self.settings.enabled is not False

    @property
    def busy(self) -> bool:
        return self.state in BUSY_STATES


def mapping_arn(region: str, account: str, uuid: str) -> str:
    return f"arn:aws:lambda:{region}:{account}:event-source-mapping:{uuid}"


def kind_of(spec: MappingInput) -> Kind | None:
    """The kind of source *spec* names, or None: it names none Lambent polls."""
    if spec.event_source_arn:
        parts = spec.event_source_arn.split(":")
        service = parts[2] if len(parts) > 2 else ""
        return {"sqs": "sqs", "kinesis": "kinesis", "mq": "rabbitmq", "kafka": "kafka"}.get(service)  # type: ignore[return-value]
    endpoints = spec.self_managed_event_source.endpoints if spec.self_managed_event_source else None
    keys = [key for key in endpoints or {} if key in ENDPOINT_KINDS]
    return ENDPOINT_KINDS[keys[0]] if len(keys) == 1 else None


def endpoints(mapping: Mapping) -> list[str]:
    """The self-managed source's endpoints (its one Endpoints list), or []."""
    source = mapping.settings.self_managed_event_source
    lists = list((source.endpoints or {}).values()) if source else []
    return lists[0] if lists else []


def bootstrap_servers(mapping: Mapping) -> str:
    """The endpoints as records name them (``bootstrapServers``): comma-joined, without the
    credentials a URL may carry."""
    return ",".join(_without_credentials(url) for url in endpoints(mapping))


def _without_credentials(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    return f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"


def access(settings: MappingInput, kind: str) -> str | None:
    """The ``URI`` of the mapping's ``SourceAccessConfigurations`` entry of Type *kind*, if any."""
    for entry in settings.source_access_configurations or []:
        if entry.Type == kind:
            return entry.URI
    return None


def virtual_host(settings: MappingInput) -> str:
    """The RabbitMQ virtual host a mapping reads (``VIRTUAL_HOST``, default ``/``)."""
    return access(settings, "VIRTUAL_HOST") or "/"


def transition_reason(kind: Kind) -> str:
    """``StateTransitionReason`` after a user's change: AWS words it per kind of source."""
    return "User action" if kind in STREAMS else USER_INITIATED


def settled_state(enabled: bool) -> str:
    return "Enabled" if enabled else "Disabled"


def transition(current: Mapping, enabled: bool) -> str:
    """The state UpdateEventSourceMapping answers with: ``Enabling`` or ``Disabling`` when it
    turns the mapping on or off, else ``Updating``."""
    if enabled and current.state == "Disabled":
        return "Enabling"
    if not enabled and current.state == "Enabled":
        return "Disabling"
    return "Updating"
