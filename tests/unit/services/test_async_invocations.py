"""Asynchronous invocations (services.invocations) on a fake clock, a fake invoker and a fake
destination sender, with the in-memory store: retries and their waits as the EventInvokeConfig
says, the maximum event age, the invocation records sent to destinations, the dead-letter queue
and back-off after throttles. Nothing sleeps: the clock moves when the test says."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import msgspec

from lambent.clock import FakeClock
from lambent.errors import InvocationFailure, TooManyRequestsException
from lambent.invoker.records import Invocation, InvokeRequest
from lambent.model.arns import FunctionRef
from lambent.model.event_invoke import EventInvokeConfigInput
from lambent.model.function import FunctionVersion
from lambent.services.destinations import SendToFunction
from lambent.services.event_configs import EventConfigService
from lambent.services.event_queue import EventQueue
from lambent.services.function_index import FunctionIndex
from lambent.services.invocations import InvocationService
from lambent.services.metering import MeterService, load_prices
from lambent.store import FunctionRecord
from lambent.store.memory import MemoryStore

REGION, ACCOUNT = "eu-central-1", "123456789012"
ON_SUCCESS = f"arn:aws:sqs:{REGION}:{ACCOUNT}:successes"
ON_FAILURE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:failures"
DLQ = f"arn:aws:sqs:{REGION}:{ACCOUNT}:dead-letters"
START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC).timestamp()


class FakeInvoker:
    """Runs nothing: answers each invocation with the next outcome ("ok", "error", "throttle")."""

    concurrency_limit = 100

    def __init__(self, clock: FakeClock, outcomes: list[str]) -> None:
        self._clock = clock
        self._outcomes = outcomes
        self.calls: list[tuple[float, int]] = []  # (time, attempt)

    async def invoke(
        self, version: FunctionVersion, request: InvokeRequest, reserved: int | None = None, reserved_total: int = 0
    ) -> Invocation:
        self.calls.append((self._clock.time() - START, request.attempt))
        outcome = self._outcomes.pop(0) if self._outcomes else "ok"
        if outcome == "throttle":
            raise TooManyRequestsException("Rate Exceeded.", Reason="ReservedFunctionConcurrentInvocationLimitExceeded")
        failure = InvocationFailure("it broke", "Runtime.HandlerError") if outcome == "error" else None
        return Invocation(
            request_id=request.request_id,
            payload=b"" if failure else b'{"answer": 42}',
            failure=failure,
            log=b"",
            duration_ms=1.0,
            billed_duration_ms=1,
            init_duration_ms=None,
            max_memory_used_mb=30,
        )


class FakeSender:
    """Keeps what would be delivered: (target, body as JSON or text, message attributes)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any, dict[str, str] | None]] = []

    async def deliver(
        self, target: str, body: bytes, to_function: SendToFunction, attributes: dict[str, str] | None = None
    ) -> None:
        try:
            document: Any = json.loads(body)
        except ValueError:
            document = body.decode()
        self.sent.append((target, document, attributes))


def latest(**changes: Any) -> FunctionVersion:
    fields: dict[str, Any] = {
        "name": "fn",
        "runtime": "python3.12",
        "handler": "app.handler",
        "role": "r",
        "code_sha256_hex": "00" * 32,
        "code_size": 1,
        "last_modified": "2026-03-01T10:00:00.000+0000",
        "revision_id": "rev",
        **changes,
    }
    return msgspec.convert(fields, FunctionVersion)


class World:
    def __init__(self, outcomes: list[str], version: FunctionVersion) -> None:
        self.clock = FakeClock(START)
        store = MemoryStore()
        self.index = FunctionIndex(REGION, ACCOUNT)
        self.index.load([FunctionRecord(name="fn", tags={}, versions={"$LATEST": version})], {"fn": 20001})
        self.invoker = FakeInvoker(self.clock, outcomes)
        self.sender = FakeSender()
        self.configs = EventConfigService(store, self.index, REGION, ACCOUNT, self.clock)
        meter = MeterService(store, load_prices(None), self.clock)
        queue = EventQueue(store, self.clock)
        self.service = InvocationService(self.index, self.invoker, self.configs, queue, self.sender, meter, clock=self.clock)

    async def configure(self, **members: Any) -> None:
        await self.configs.put(FunctionRef(name="fn"), msgspec.convert(members, EventInvokeConfigInput), merge=False)

    async def send(self, payload: bytes = b'{"k": 1}') -> str:
        outcome = await self.service.invoke(FunctionRef(name="fn"), payload, "Event")
        assert outcome.status == 202
        await settle()
        return outcome.request_id

    async def advance(self, seconds: int) -> None:
        await self.clock.advance(seconds)
        await settle()


async def settle() -> None:
    """Let every task that can run, run (the fake clock does not move)."""
    for _ in range(200):
        await asyncio.sleep(0)


@asynccontextmanager
async def world(outcomes: list[str], version: FunctionVersion | None = None, started: bool = True) -> AsyncIterator[World]:
    w = World(outcomes, version or latest())
    if started:
        await w.service.start()
    try:
        yield w
    finally:
        await w.service.close()


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


def record_of(w: World, target: str) -> dict[str, Any]:
    (document,) = [body for sent_to, body, _attributes in w.sender.sent if sent_to == target]
    assert isinstance(document, dict)
    return document


# --- retries ---------------------------------------------------------------------------------


def test_a_function_error_is_retried_twice_one_then_two_minutes_later() -> None:
    async def scenario() -> None:
        async with world(["error", "error", "error"]) as w:
            await w.configure(DestinationConfig={"OnFailure": {"Destination": ON_FAILURE}})
            await w.send()
            assert w.invoker.calls == [(0, 1)]
            await w.advance(59)
            assert len(w.invoker.calls) == 1
            await w.advance(1)
            assert w.invoker.calls == [(0, 1), (60, 2)]
            await w.advance(119)
            assert len(w.invoker.calls) == 2 and w.sender.sent == []
            await w.advance(1)
            assert w.invoker.calls == [(0, 1), (60, 2), (180, 3)]
            record = record_of(w, ON_FAILURE)
            assert record["requestContext"]["condition"] == "RetriesExhausted"
            assert record["requestContext"]["approximateInvokeCount"] == 3
            await w.advance(3600)
            assert len(w.invoker.calls) == 3  # no more attempts

    run(scenario)


def test_maximum_retry_attempts_zero_sends_the_first_failure_at_once() -> None:
    async def scenario() -> None:
        async with world(["error"]) as w:
            await w.configure(MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": ON_FAILURE}})
            await w.send()
            assert w.invoker.calls == [(0, 1)]
            assert record_of(w, ON_FAILURE)["requestContext"]["condition"] == "RetriesExhausted"
            await w.advance(600)
            assert len(w.invoker.calls) == 1

    run(scenario)


def test_a_success_after_a_retry_goes_to_on_success_with_the_attempt_count() -> None:
    async def scenario() -> None:
        async with world(["error", "ok"]) as w:
            await w.configure(
                MaximumRetryAttempts=1,
                DestinationConfig={"OnSuccess": {"Destination": ON_SUCCESS}, "OnFailure": {"Destination": ON_FAILURE}},
            )
            await w.send()
            await w.advance(60)
            assert w.invoker.calls == [(0, 1), (60, 2)]
            assert [target for target, _body, _attributes in w.sender.sent] == [ON_SUCCESS]
            assert record_of(w, ON_SUCCESS)["requestContext"]["approximateInvokeCount"] == 2

    run(scenario)


def test_throttles_back_off_one_second_doubling_and_keep_the_attempt_number() -> None:
    async def scenario() -> None:
        async with world(["throttle", "throttle", "ok"]) as w:
            await w.configure(DestinationConfig={"OnSuccess": {"Destination": ON_SUCCESS}})
            await w.send()
            await w.advance(1)
            await w.advance(2)
            assert w.invoker.calls == [(0, 1), (1, 1), (3, 1)]  # a throttle is not an attempt
            assert record_of(w, ON_SUCCESS)["requestContext"]["approximateInvokeCount"] == 1

    run(scenario)


# --- maximum event age -----------------------------------------------------------------------


def test_a_retry_that_would_come_after_the_maximum_age_is_not_made() -> None:
    async def scenario() -> None:
        async with world(["error", "error", "error"]) as w:
            await w.configure(MaximumEventAgeInSeconds=100, DestinationConfig={"OnFailure": {"Destination": ON_FAILURE}})
            await w.send()
            await w.advance(60)
            assert w.invoker.calls == [(0, 1), (60, 2)]  # 60 + 120 s would be past 100 s: no third
            record = record_of(w, ON_FAILURE)
            assert record["requestContext"]["condition"] == "EventAgeExceeded"
            assert record["requestContext"]["approximateInvokeCount"] == 2
            await w.advance(600)
            assert len(w.invoker.calls) == 2

    run(scenario)


def test_an_event_older_than_its_maximum_age_goes_to_on_failure_untried() -> None:
    async def scenario() -> None:
        async with world([], started=False) as w:
            await w.configure(MaximumEventAgeInSeconds=60, DestinationConfig={"OnFailure": {"Destination": ON_FAILURE}})
            request_id = await w.send()
            await w.advance(61)  # queued, and no worker yet
            await w.service.start()
            await settle()
            assert w.invoker.calls == []
            record = record_of(w, ON_FAILURE)
            assert record["requestContext"] == {
                "requestId": request_id,
                "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn:$LATEST",
                "condition": "EventAgeExceeded",
                "approximateInvokeCount": 0,
            }
            assert record["responsePayload"] is None

    run(scenario)


# --- destinations -----------------------------------------------------------------------------


def test_the_success_record_has_aws_shape() -> None:
    async def scenario() -> None:
        async with world(["ok"]) as w:
            await w.configure(DestinationConfig={"OnSuccess": {"Destination": ON_SUCCESS}})
            request_id = await w.send(b'{"k": 1}')
            assert record_of(w, ON_SUCCESS) == {
                "version": "1.0",
                "timestamp": "2026-03-01T10:00:00.000Z",
                "requestContext": {
                    "requestId": request_id,
                    "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn:$LATEST",
                    "condition": "Success",
                    "approximateInvokeCount": 1,
                },
                "requestPayload": {"k": 1},
                "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
                "responsePayload": {"answer": 42},
            }

    run(scenario)


def test_the_failure_record_carries_the_error_document_and_function_error() -> None:
    async def scenario() -> None:
        async with world(["error"]) as w:
            await w.configure(MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": ON_FAILURE}})
            await w.send(b"[1, 2]")
            record = record_of(w, ON_FAILURE)
            assert record["requestPayload"] == [1, 2]
            assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
            assert record["responsePayload"] == {"errorMessage": "it broke", "errorType": "Runtime.HandlerError"}

    run(scenario)


def test_the_dead_letter_queue_gets_the_original_event_with_aws_attributes() -> None:
    async def scenario() -> None:
        async with world(["error"], latest(dead_letter_target_arn=DLQ)) as w:
            await w.configure(MaximumRetryAttempts=0)
            request_id = await w.send(b'{"k": 1}')
            ((target, body, attributes),) = w.sender.sent
            assert (target, body) == (DLQ, {"k": 1})
            assert attributes == {
                "RequestID": request_id,
                "ErrorCode": "200",
                "ErrorMessage": json.dumps({"errorMessage": "it broke", "errorType": "Runtime.HandlerError"}),
            }

    run(scenario)


def test_without_a_destination_nothing_is_sent_and_the_event_is_done() -> None:
    async def scenario() -> None:
        async with world(["error"]) as w:
            await w.configure(MaximumRetryAttempts=0)
            await w.send()
            await w.advance(3600)
            assert w.sender.sent == [] and len(w.invoker.calls) == 1

    run(scenario)
