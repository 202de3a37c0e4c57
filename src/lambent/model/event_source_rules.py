"""What CreateEventSourceMapping and UpdateEventSourceMapping refuse, per kind of source, in
AWS's words, and the defaults AWS fills in for what is left out. Pure.

The API model's constraints (ranges, lengths, enums) are checked before, at the edge; these are
the rules the model cannot say: which settings a kind of source takes at all, the batch size a
batching window allows, the filter patterns, the starting position streams need. Settings of
another kind of source are refused rather than ignored, as AWS refuses them.
"""

from __future__ import annotations

import msgspec

from lambent.errors import InvalidParameterValueException
from lambent.model import event_pattern
from lambent.model.event_source_mapping import ENDPOINT_KINDS, STREAMS, Kind, MappingInput, MappingSettings

#: (default, largest) BatchSize per kind; SQS allows more than 10 only with a batching window.
BATCH_SIZES: dict[str, tuple[int, int]] = {
    "sqs": (10, 10000),
    "kinesis": (100, 10000),
    "rabbitmq": (100, 10000),
    "kafka": (100, 10000),
    "redis": (100, 10000),
    "nats": (100, 10000),
}
SQS_UNWINDOWED_BATCH = 10
#: Kinds that take no ``FunctionResponseTypes``: Amazon MQ's records have no identifier to name.
NO_ITEM_FAILURES = frozenset({"rabbitmq"})
#: The ``SourceAccessConfigurations`` types Amazon MQ for RabbitMQ takes: its secret (whose
#: permission is checked; the credentials are the broker's setting's) and its virtual host.
MQ_ACCESS_TYPES = ("BASIC_AUTH", "VIRTUAL_HOST")
#: The URL schemes of Lambent's own self-managed sources' endpoints.
ENDPOINT_SCHEMES = {"redis": ("redis://", "rediss://", "unix://"), "nats": ("nats://", "tls://")}
MAX_FILTERS = 5
#: Settings only streams take (and their names in refusals).
STREAM_ONLY = {
    "parallelization_factor": "ParallelizationFactor",
    "maximum_retry_attempts": "MaximumRetryAttempts",
    "maximum_record_age_in_seconds": "MaximumRecordAgeInSeconds",
    "bisect_batch_on_function_error": "BisectBatchOnFunctionError",
    "tumbling_window_in_seconds": "TumblingWindowInSeconds",
    "destination_config": "DestinationConfig",
}
#: AWS's names of the kinds in its refusals.
KIND_NAMES = {
    "sqs": "SQS",
    "kinesis": "Kinesis",
    "rabbitmq": "Amazon MQ",
    "kafka": "Kafka",
    "redis": "Redis Streams",
    "nats": "NATS JetStream",
}


def _refuse(message: str) -> InvalidParameterValueException:
    return InvalidParameterValueException(message)


def check_settings(kind: Kind, settings: MappingSettings, fifo: bool = False) -> None:
    """Refuse what *kind* does not take among *settings* (the merged settings of a create or an
    update). *fifo*: the source is an SQS FIFO queue."""
    name = KIND_NAMES[kind]
    if kind not in STREAMS:
        for field, label in STREAM_ONLY.items():
            value = getattr(settings, field)
            if value is not None and not (field == "destination_config" and _empty_destination(value)):
                raise _refuse(f"Unsupported {label} parameter for given event source mapping type.")
    if kind == "sqs":
        window = settings.maximum_batching_window_in_seconds or 0
        if (settings.batch_size or 0) > SQS_UNWINDOWED_BATCH and window == 0:
            raise _refuse("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10")
        if fifo and (settings.batch_size or 0) > SQS_UNWINDOWED_BATCH:
            raise _refuse("BatchSize must be between 1 and 10 for FIFO queues.")
        if fifo and window:
            raise _refuse("Batching window is not supported for FIFO queues")
    elif settings.scaling_config is not None and settings.scaling_config.maximum_concurrency is not None:
        raise _refuse("Unsupported ScalingConfig parameter for given event source mapping type.")
    limit = BATCH_SIZES[kind][1]
    if settings.batch_size is not None and not 1 <= settings.batch_size <= limit:
        raise _refuse(f"BatchSize must be between 1 and {limit} for {name} event sources.")
    age = settings.maximum_record_age_in_seconds
    if age is not None and age != -1 and not 60 <= age <= 604800:
        raise _refuse("MaximumRecordAgeInSeconds must be -1 or between 60 and 604800.")
    types = settings.function_response_types or []
    if any(t != "ReportBatchItemFailures" for t in types):
        raise _refuse("FunctionResponseTypes may only contain ReportBatchItemFailures.")
    if types and kind in NO_ITEM_FAILURES:  # AWS's batch item failures are for streams, Kafka and SQS
        raise _refuse("Unsupported FunctionResponseTypes parameter for given event source mapping type.")
    check_filters(settings)


def _empty_destination(value: object) -> bool:
    return msgspec.to_builtins(value) in ({}, {"OnFailure": {}})


def check_filters(settings: MappingSettings) -> None:
    """Each filter pattern must be an event pattern (``model.event_pattern``), at most five."""
    filters = settings.filter_criteria.filters if settings.filter_criteria else None
    if filters is None:
        return
    if len(filters) > MAX_FILTERS:
        raise _refuse(f"Invalid filter pattern definition: a mapping takes at most {MAX_FILTERS} filters.")
    for spec in filters:
        try:
            event_pattern.parse(spec.pattern or "")
        except event_pattern.EventPatternError as invalid:
            raise _refuse("Invalid filter pattern definition.") from invalid


def check_source(kind: Kind, spec: MappingInput) -> None:
    """Refuse a create whose source-naming members do not fit *kind*."""
    name = KIND_NAMES[kind]
    if kind in STREAMS:
        if spec.starting_position is None:
            raise _refuse(
                "1 validation error detected: Value null at 'startingPosition' "
                "failed to satisfy constraint: Member must not be null."
            )
        if spec.starting_position == "AT_TIMESTAMP" and spec.starting_position_timestamp is None:
            raise _refuse("StartingPositionTimestamp must be specified when StartingPosition is AT_TIMESTAMP.")
        if spec.starting_position != "AT_TIMESTAMP" and spec.starting_position_timestamp is not None:
            raise _refuse("Timestamp only valid with StartingPosition AT_TIMESTAMP")
    elif spec.starting_position is not None or spec.starting_position_timestamp is not None:
        raise _refuse(f"StartingPosition is not valid for {name} event sources.")
    if kind in ("kafka", "redis", "nats") and (not spec.topics or len(spec.topics) != 1):
        raise _refuse(f"Topics must name exactly one topic for {name} event sources.")
    if kind == "rabbitmq" and (not spec.queues or len(spec.queues) != 1):
        raise _refuse("Queues must name exactly one queue for Amazon MQ event sources.")
    if kind not in ("kafka", "redis", "nats") and spec.topics:
        raise _refuse(f"Topics is not valid for {name} event sources.")
    if kind != "rabbitmq" and spec.queues:
        raise _refuse(f"Queues is not valid for {name} event sources.")
    if kind == "rabbitmq":
        _check_mq_access(spec)
    if kind in ENDPOINT_SCHEMES:
        _check_endpoints(kind, spec)


def _check_mq_access(spec: MappingInput) -> None:
    types = [entry.Type for entry in spec.source_access_configurations or []]
    for kind in types:
        if kind not in MQ_ACCESS_TYPES:
            raise _refuse(f"Unsupported SourceAccessConfigurations Type {kind} for Amazon MQ event sources.")
        if types.count(kind) > 1:
            raise _refuse(f"SourceAccessConfigurations may name one {kind} for Amazon MQ event sources.")


def _check_endpoints(kind: Kind, spec: MappingInput) -> None:
    """Lambent's own sources: credentials go in the endpoint's URL, so no access configurations;
    Redis is one server (redis-py speaks to one), NATS any of a cluster's."""
    name = KIND_NAMES[kind]
    if spec.source_access_configurations:
        raise _refuse(f"SourceAccessConfigurations is not valid for {name} event sources: credentials go in the URL.")
    urls = (
        [url for urls in (spec.self_managed_event_source.endpoints or {}).values() for url in urls]
        if spec.self_managed_event_source
        else []
    )
    if kind == "redis" and len(urls) != 1:
        raise _refuse("REDIS_URLS must name exactly one Redis server.")
    schemes = ENDPOINT_SCHEMES[kind]
    if not all(url.startswith(schemes) for url in urls):  # the URL is not echoed: it may hold a password
        key = next(key for key, of in ENDPOINT_KINDS.items() if of == kind)
        raise _refuse(f"{key} must hold {name} URLs ({', '.join(s + '...' for s in schemes)}).")


def settle(kind: Kind, spec: MappingInput) -> MappingInput:
    """*spec* with AWS's defaults for *kind* filled in where it left a setting out."""
    defaults: dict[str, object] = {
        "batch_size": BATCH_SIZES[kind][0],
        "maximum_batching_window_in_seconds": 0,
        "function_response_types": [],
    }
    if kind in STREAMS:
        defaults.update(
            parallelization_factor=1,
            maximum_retry_attempts=-1,
            maximum_record_age_in_seconds=-1,
            bisect_batch_on_function_error=False,
            tumbling_window_in_seconds=0,
        )
    given = {field: value for field, value in defaults.items() if getattr(spec, field) is None}
    return msgspec.structs.replace(spec, **given)


def merge(current: MappingInput, update: MappingSettings) -> MappingInput:
    """The settings after UpdateEventSourceMapping: what it gives replaces, the rest stays."""
    given = {field: getattr(update, field) for field in update.__struct_fields__ if getattr(update, field) is not None}
    given.pop("function_name", None)
    return msgspec.structs.replace(current, **given)
