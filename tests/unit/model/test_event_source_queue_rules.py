"""What the self-managed and Amazon MQ kinds take and refuse at create (model.event_source_rules),
and what their mappings are read for (model.event_source_mapping)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from lambent.errors import InvalidParameterValueException
from lambent.model import event_source_mapping as model
from lambent.model import event_source_rules as rules
from lambent.model.event_source_mapping import Mapping, MappingInput

BROKER = "arn:aws:mq:us-east-1:000000000000:broker:b:b-1234"


def spec(**members: Any) -> MappingInput:
    return msgspec.convert({"FunctionName": "f", **members}, MappingInput)


def redis(**members: Any) -> MappingInput:
    return spec(SelfManagedEventSource={"Endpoints": {"REDIS_URLS": ["redis://127.0.0.1:6379"]}}, Topics=["s"], **members)


def refusal(kind: model.Kind, given: MappingInput) -> str:
    with pytest.raises(InvalidParameterValueException) as raised:
        rules.check_source(kind, given)
        rules.check_settings(kind, given)
    return raised.value.message


def test_the_kinds_are_told_apart_by_arn_or_endpoints_key() -> None:
    assert model.kind_of(spec(EventSourceArn=BROKER)) == "rabbitmq"
    assert model.kind_of(redis()) == "redis"
    assert model.kind_of(spec(SelfManagedEventSource={"Endpoints": {"NATS_URLS": ["nats://h:4222"]}})) == "nats"


def test_what_each_kind_takes_passes() -> None:
    rules.check_source(
        "rabbitmq", spec(EventSourceArn=BROKER, Queues=["q"], SourceAccessConfigurations=[{"Type": "VIRTUAL_HOST", "URI": "dev"}])
    )
    rules.check_source("redis", redis())
    nats = spec(SelfManagedEventSource={"Endpoints": {"NATS_URLS": ["nats://a:4222", "tls://b:4222"]}}, Topics=["S"])
    rules.check_source("nats", nats)
    rules.check_settings("redis", redis(FunctionResponseTypes=["ReportBatchItemFailures"]))


def test_what_each_kind_refuses() -> None:
    assert refusal("rabbitmq", spec(EventSourceArn=BROKER, Queues=["q"], FunctionResponseTypes=["ReportBatchItemFailures"])) == (
        "Unsupported FunctionResponseTypes parameter for given event source mapping type."
    )
    assert refusal(
        "rabbitmq", spec(EventSourceArn=BROKER, Queues=["q"], SourceAccessConfigurations=[{"Type": "VPC_SUBNET", "URI": "s"}])
    ) == ("Unsupported SourceAccessConfigurations Type VPC_SUBNET for Amazon MQ event sources.")
    twice = [{"Type": "VIRTUAL_HOST", "URI": "a"}, {"Type": "VIRTUAL_HOST", "URI": "b"}]
    assert refusal("rabbitmq", spec(EventSourceArn=BROKER, Queues=["q"], SourceAccessConfigurations=twice)) == (
        "SourceAccessConfigurations may name one VIRTUAL_HOST for Amazon MQ event sources."
    )
    assert refusal("rabbitmq", spec(EventSourceArn=BROKER)) == "Queues must name exactly one queue for Amazon MQ event sources."
    two = spec(SelfManagedEventSource={"Endpoints": {"REDIS_URLS": ["redis://a", "redis://b"]}}, Topics=["s"])
    assert refusal("redis", two) == "REDIS_URLS must name exactly one Redis server."
    http = spec(SelfManagedEventSource={"Endpoints": {"REDIS_URLS": ["http://:secret@a"]}}, Topics=["s"])
    message = refusal("redis", http)
    assert message == "REDIS_URLS must hold Redis Streams URLs (redis://..., rediss://..., unix://...)."
    assert "secret" not in message
    assert refusal("redis", redis(SourceAccessConfigurations=[{"Type": "BASIC_AUTH", "URI": "x"}])) == (
        "SourceAccessConfigurations is not valid for Redis Streams event sources: credentials go in the URL."
    )
    assert refusal("redis", redis(StartingPosition="LATEST")) == "StartingPosition is not valid for Redis Streams event sources."
    assert refusal("nats", spec(SelfManagedEventSource={"Endpoints": {"NATS_URLS": ["nats://a"]}})) == (
        "Topics must name exactly one topic for NATS JetStream event sources."
    )


def test_records_name_the_endpoints_without_their_credentials() -> None:
    given = spec(SelfManagedEventSource={"Endpoints": {"NATS_URLS": ["nats://user:pw@a:4222", "tls://b:4222/x"]}}, Topics=["S"])
    mapping = Mapping(
        uuid="u",
        arn="a",
        kind="nats",
        function_name="f",
        qualifier=None,
        function_arn="fa",
        source_arn=None,
        settings=given,
        state="Enabled",
    )
    assert model.bootstrap_servers(mapping) == "nats://a:4222,tls://b:4222/x"


def test_the_virtual_host_is_slash_unless_named() -> None:
    assert model.virtual_host(spec(EventSourceArn=BROKER)) == "/"
    named = spec(
        EventSourceArn=BROKER,
        SourceAccessConfigurations=[{"Type": "BASIC_AUTH", "URI": "arn:s"}, {"Type": "VIRTUAL_HOST", "URI": "dev"}],
    )
    assert model.virtual_host(named) == "dev"
    assert model.access(named, "BASIC_AUTH") == "arn:s"
