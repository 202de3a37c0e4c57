"""What CreateEventSourceMapping and UpdateEventSourceMapping refuse per kind of source, in AWS's
words, the defaults they fill in, the kinds their sources name, and the states they answer."""

from __future__ import annotations

import pytest

from lambent.errors import InvalidParameterValueException
from lambent.model import event_source_mapping as model
from lambent.model import event_source_rules as rules
from lambent.model.event_source_mapping import (
    FilterCriteria,
    FilterSpec,
    MappingInput,
    MappingUpdate,
    ScalingConfig,
    SelfManagedEventSource,
)

SQS = "arn:aws:sqs:us-east-1:123456789012:q"
KINESIS = "arn:aws:kinesis:us-east-1:123456789012:stream/s"
MQ = "arn:aws:mq:us-east-1:123456789012:broker:b:b-1234"


def refusal(call: object) -> str:
    with pytest.raises(InvalidParameterValueException) as raised:
        call()  # type: ignore[operator]
    return raised.value.message


def test_the_source_names_its_kind() -> None:
    assert model.kind_of(MappingInput(event_source_arn=SQS)) == "sqs"
    assert model.kind_of(MappingInput(event_source_arn=KINESIS)) == "kinesis"
    assert model.kind_of(MappingInput(event_source_arn=MQ)) == "rabbitmq"
    assert model.kind_of(MappingInput(event_source_arn="arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x")) is None
    redis = SelfManagedEventSource(endpoints={"REDIS_URLS": ["redis://127.0.0.1:6379"]})
    assert model.kind_of(MappingInput(self_managed_event_source=redis)) == "redis"
    both = SelfManagedEventSource(endpoints={"REDIS_URLS": ["r"], "NATS_URLS": ["n"]})
    assert model.kind_of(MappingInput(self_managed_event_source=both)) is None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            MappingInput(batch_size=11),
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
        ),
        (
            MappingInput(parallelization_factor=2),
            "Unsupported ParallelizationFactor parameter for given event source mapping type.",
        ),
        (
            MappingInput(maximum_retry_attempts=3),
            "Unsupported MaximumRetryAttempts parameter for given event source mapping type.",
        ),
        (
            MappingInput(bisect_batch_on_function_error=False),
            "Unsupported BisectBatchOnFunctionError parameter for given event source mapping type.",
        ),
        (MappingInput(filter_criteria=FilterCriteria(filters=[FilterSpec(pattern="[1]")])), "Invalid filter pattern definition."),
        (MappingInput(function_response_types=["Everything"]), "FunctionResponseTypes may only contain ReportBatchItemFailures."),
    ],
)
def test_sqs_refuses_what_it_does_not_take(settings: MappingInput, message: str) -> None:
    assert refusal(lambda: rules.check_settings("sqs", settings)) == message


def test_sqs_takes_big_batches_with_a_window_but_not_on_fifo_queues() -> None:
    rules.check_settings("sqs", MappingInput(batch_size=10000, maximum_batching_window_in_seconds=1))
    rules.check_settings("sqs", MappingInput(scaling_config=ScalingConfig(maximum_concurrency=2)))
    windowed = MappingInput(batch_size=5, maximum_batching_window_in_seconds=1)
    assert refusal(lambda: rules.check_settings("sqs", windowed, fifo=True)) == "Batching window is not supported for FIFO queues"


def test_streams_take_their_settings_and_refuse_a_queues() -> None:
    rules.check_settings(
        "kinesis", MappingInput(parallelization_factor=10, maximum_retry_attempts=0, bisect_batch_on_function_error=True)
    )
    rules.check_settings("kinesis", MappingInput(maximum_record_age_in_seconds=-1))
    assert refusal(lambda: rules.check_settings("kinesis", MappingInput(maximum_record_age_in_seconds=59))) == (
        "MaximumRecordAgeInSeconds must be -1 or between 60 and 604800."
    )
    scaled = MappingInput(scaling_config=ScalingConfig(maximum_concurrency=5))
    assert (
        refusal(lambda: rules.check_settings("kinesis", scaled))
        == "Unsupported ScalingConfig parameter for given event source mapping type."
    )


def test_the_starting_position_is_a_streams_alone() -> None:
    assert refusal(lambda: rules.check_source("kinesis", MappingInput(event_source_arn=KINESIS))) == (
        "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null."
    )
    assert refusal(lambda: rules.check_source("sqs", MappingInput(event_source_arn=SQS, starting_position="LATEST"))) == (
        "StartingPosition is not valid for SQS event sources."
    )
    stamped = MappingInput(event_source_arn=KINESIS, starting_position="LATEST", starting_position_timestamp=1.0)
    assert refusal(lambda: rules.check_source("kinesis", stamped)) == "Timestamp only valid with StartingPosition AT_TIMESTAMP"
    rules.check_source(
        "kinesis", MappingInput(event_source_arn=KINESIS, starting_position="AT_TIMESTAMP", starting_position_timestamp=1.0)
    )
    assert "Queues" in refusal(lambda: rules.check_source("rabbitmq", MappingInput(event_source_arn=MQ)))
    redis = SelfManagedEventSource(endpoints={"REDIS_URLS": ["redis://x"]})
    assert "Topics" in refusal(lambda: rules.check_source("redis", MappingInput(self_managed_event_source=redis)))


def test_defaults_are_awss_per_kind() -> None:
    sqs = rules.settle("sqs", MappingInput(event_source_arn=SQS))
    assert (sqs.batch_size, sqs.maximum_batching_window_in_seconds, sqs.function_response_types) == (10, 0, [])
    assert sqs.maximum_retry_attempts is None and sqs.parallelization_factor is None
    kinesis = rules.settle("kinesis", MappingInput(event_source_arn=KINESIS, batch_size=7))
    assert (kinesis.batch_size, kinesis.parallelization_factor, kinesis.maximum_retry_attempts) == (7, 1, -1)
    assert (
        kinesis.maximum_record_age_in_seconds,
        kinesis.bisect_batch_on_function_error,
        kinesis.tumbling_window_in_seconds,
    ) == (-1, False, 0)


def test_an_update_changes_only_what_it_gives() -> None:
    current = rules.settle("sqs", MappingInput(event_source_arn=SQS, batch_size=5))
    merged = rules.merge(current, MappingUpdate(function_name="other", enabled=False))
    assert (merged.batch_size, merged.enabled, merged.event_source_arn, merged.function_name) == (5, False, SQS, None)


def test_updates_answer_the_state_they_lead_through() -> None:
    enabled = model.Mapping(
        uuid="u",
        arn="a",
        kind="sqs",
        function_name="f",
        qualifier=None,
        function_arn="fa",
        source_arn=SQS,
        settings=MappingInput(),
        state="Enabled",
    )
    assert model.transition(enabled, enabled=False) == "Disabling"
    assert model.transition(enabled, enabled=True) == "Updating"
    disabled = model.Mapping(**{**{f: getattr(enabled, f) for f in enabled.__struct_fields__}, "state": "Disabled"})
    assert model.transition(disabled, enabled=True) == "Enabling"
    assert model.transition(disabled, enabled=False) == "Updating"
    assert (
        enabled.busy is False
        and model.Mapping(**{**{f: getattr(enabled, f) for f in enabled.__struct_fields__}, "state": "Creating"}).busy
    )
    assert model.transition_reason("sqs") == "USER_INITIATED"
    assert model.transition_reason("kinesis") == "User action"
