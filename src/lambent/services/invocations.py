"""Invocations: synchronous, asynchronous (``Event``) and dry runs of a resolved version.

Event invocations are answered 202 once durably queued (``EventQueue``); a fixed number of
workers drain the queue, so accepting does not wait for running. Function errors are retried as
the function's EventInvokeConfig says (``model.event_invoke``); throttles and platform errors
with backoff (1 s doubling to 5 min) within the event's maximum age; the outcome goes to the
configured destination. Delivery is at least once, with the same request id on every attempt.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec

from lambent.clock import Clock, SystemClock
from lambent.errors import (
    InvalidRequestContentException,
    RecursiveInvocationException,
    RequestEntityTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
    ResponseSizeTooLarge,
    SandboxSetupError,
    TooManyRequestsException,
)
from lambent.invoker.records import Invocation, InvokeRequest
from lambent.invoker.response_stream import ResponseStream
from lambent.model import payload as payload_json
from lambent.model.arns import FunctionRef, parse_function_ref
from lambent.model.concurrency import REQUESTS_PER_CONCURRENCY, RequestRate
from lambent.model.event_invoke import EventInvokeConfig, after_function_error, failure_condition, invocation_record
from lambent.model.function import FunctionVersion
from lambent.model.limits import ASYNC_PAYLOAD_LIMIT_BYTES, SYNC_PAYLOAD_LIMIT_BYTES, SYNC_RESPONSE_LIMIT_BYTES
from lambent.model.trace import Sampler, decision, is_loop, lineage, next_header
from lambent.services.alerts import AlertOutbox
from lambent.services.destinations import SendToFunction, dead_letter_attributes
from lambent.services.event_configs import EventConfigService
from lambent.services.event_queue import EventQueue, QueuedEvent
from lambent.services.function_index import FunctionIndex
from lambent.services.metering import MeterService
from lambent.services.metrics import MetricService

#: What the edges that serve invocations use of the invoker's records, re-exported here.
__all__ = ["Invocation", "InvocationService", "InvokeOutcome", "ResponseStream"]

log = logging.getLogger(__name__)
MAXIMUM_BACKOFF_S = 300.0
#: How often the dispatcher looks for retries that fell due (new events wake it at once).
POLL_S = 0.1


class Runner(Protocol):
    """What invocations ask of the invoker."""

    @property
    def concurrency_limit(self) -> int: ...

    async def invoke(
        self, version: FunctionVersion, request: InvokeRequest, reserved: int | None = None, reserved_total: int = 0
    ) -> Invocation: ...


class Sender(Protocol):
    """What invocations ask of the destinations (``Destinations``)."""

    async def deliver(
        self, target: str, body: bytes, to_function: SendToFunction, attributes: dict[str, str] | None = None
    ) -> None: ...


class InvokeOutcome(msgspec.Struct, kw_only=True):
    status: int
    executed_version: str
    request_id: str
    invocation: Invocation | None = None


def _json_or_text(data: bytes) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError:
        return data.decode("utf-8", "replace")


def _client_context(encoded: str | None) -> dict[str, Any] | None:
    if not encoded:
        return None
    try:
        import base64

        value = json.loads(base64.b64decode(encoded, validate=True))
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequestContentException("Client context must be a valid Base64-encoded JSON object.") from None
    if not isinstance(value, dict):
        raise InvalidRequestContentException("Client context must be a valid Base64-encoded JSON object.")
    return value


class InvocationService:
    def __init__(
        self,
        functions: FunctionIndex,
        invoker: Runner,
        event_configs: EventConfigService,
        queue: EventQueue,
        destinations: Sender,
        meter: MeterService,
        workers: int = 32,
        retry_scale: float = 1.0,
        clock: Clock | None = None,
        alerts: AlertOutbox | None = None,
        route: Callable[[str], Awaitable[InvocationService]] | None = None,
        metrics: MetricService | None = None,
    ) -> None:
        """*retry_scale* multiplies AWS's 1 and 2 minute waits between retries (tests shrink it);
        *alerts*: the meter's budget alerts, which this service delivers. The queue holds every
        account's events: the one service ``start``ed drains it, and *route* gives the service
        of an event's account (None: every event is this service's)."""
        self._route = route
        self._metrics = metrics
        self._alerts = alerts
        self._destinations = destinations
        self._meter = meter
        self._clock = clock or SystemClock()
        self._sampler = Sampler()  # per process: each node keeps its own reservoir (as each X-Ray SDK does)
        self._event_configs = event_configs
        self._retry_scale = retry_scale
        self._rate = RequestRate(REQUESTS_PER_CONCURRENCY * invoker.concurrency_limit)
        self._queue = queue
        self._in_flight = 0
        self._functions = functions
        self._invoker = invoker
        self._workers = workers
        self._background: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        put_back = await self._queue.open()
        if put_back:
            log.warning("%d asynchronous invocations cut short by a stop are queued again", put_back)
        self._spawn(self._dispatch())
        if self._alerts is not None:
            self._spawn(self._deliver_alerts(self._alerts))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def invoke(
        self,
        ref: FunctionRef,
        payload: bytes,
        invocation_type: str,
        client_context: str | None = None,
        trace_id: str | None = None,
        stream: ResponseStream | None = None,
    ) -> InvokeOutcome:
        """*stream*: where the function's response goes if it streams it (InvokeWithResponseStream,
        a RESPONSE_STREAM URL), ended once the invocation is; it learns the executed version and
        request id before the function runs."""
        version = self._functions.resolve(ref, random.random())  # noqa: S311 - traffic split, not crypto
        if (reason := self._rate.admit(self._clock.monotonic())) is not None:
            self.count("Throttles", ref.name, ref.qualifier)
            raise TooManyRequestsException("Rate Exceeded.", Reason=reason, retryAfterSeconds="1")
        if version.state != "Active":
            raise ResourceConflictException(
                "The operation cannot be performed at this time. "
                f"The function is currently in the following state: {version.state}"
            )
        limit = ASYNC_PAYLOAD_LIMIT_BYTES if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT_BYTES
        if len(payload) > limit:
            raise RequestEntityTooLargeException(f"Request must be smaller than {limit} bytes for the InvokeFunction operation")
        payload_json.check(payload)
        context = _client_context(client_context)
        request_id = str(uuid.uuid4())
        if is_loop(trace_id) and self._functions.recursive_loop(ref.name) == "Terminate":
            log.warning("recursive loop stopped: %s invoked after %d invocations in a chain", ref.name, lineage(trace_id))
            self.count("RecursiveInvocationsDropped", ref.name, ref.qualifier)
            raise RecursiveInvocationException(
                "Lambda detected that the function is being invoked in a recursive loop with other AWS resources "
                "and stopped the function's invocation."
            )
        now = self._clock.time()
        # Lambda's own sampling decision, for an Active function's request that came without one.
        draw = random.random()  # noqa: S311 - a sampling draw, not crypto
        sample = version.tracing_mode == "Active" and decision(trace_id) is None and self._sampler.sample(now, draw)
        trace_id = next_header(trace_id, now, sample)
        if invocation_type != "DryRun":
            self._meter.check(self._functions.account_id, ref.name)
        if invocation_type == "DryRun":
            return InvokeOutcome(status=204, executed_version=version.version, request_id=request_id)
        request = InvokeRequest(
            request_id=request_id,
            payload=payload,
            client_context=context,
            trace_id=trace_id,
            invoked_arn=self._functions.arn(ref.name, ref.qualifier),
            qualifier=ref.qualifier,
            stream=stream,
        )
        if invocation_type == "Event":
            await self._queue.put(
                QueuedEvent(
                    account=self._functions.account_id,
                    function=ref.name,
                    qualifier=ref.qualifier,
                    request_id=request_id,
                    payload=payload,
                    client_context=context,
                    trace_id=trace_id,
                    accepted_at=self._clock.time(),
                )
            )
            self.count("AsyncEventsReceived", ref.name, ref.qualifier)
            return InvokeOutcome(status=202, executed_version=version.version, request_id=request_id)
        if stream is not None:
            stream.executed_version, stream.request_id = version.version, request_id
        try:
            invocation = await self._invoker.invoke(
                version, request, self._functions.reserved(ref.name), self._functions.reserved_total()
            )
        except TooManyRequestsException:
            self.count("Throttles", ref.name, ref.qualifier, executed_version=version.version)
            raise
        finally:
            if stream is not None:
                stream.end()
        if invocation.failure is None and len(invocation.payload) > SYNC_RESPONSE_LIMIT_BYTES:
            invocation.failure = ResponseSizeTooLarge(
                f"Response payload size ({len(invocation.payload)} bytes) exceeded maximum allowed payload "
                f"size ({SYNC_RESPONSE_LIMIT_BYTES} bytes)."
            )
        if invocation.failure is not None:
            invocation.payload = json.dumps(invocation.failure.document()).encode()
        return InvokeOutcome(status=200, executed_version=version.version, request_id=request_id, invocation=invocation)

    async def _dispatch(self) -> None:
        """Lease due events while workers are free; wake on new events, or to find due retries."""
        while True:
            free = self._workers - self._in_flight
            events = await self._queue.claim(free) if free > 0 else []
            for event in events:
                self._in_flight += 1
                self._spawn(self._run(event))
            if not events or free <= len(events):
                self._queue.wake.clear()
                await self._wait(POLL_S)

    async def _wait(self, seconds: float) -> None:
        """Until the queue is woken, or *seconds* pass on the clock."""
        woken = asyncio.ensure_future(self._queue.wake.wait())
        timer = asyncio.ensure_future(self._clock.sleep(seconds))
        try:
            await asyncio.wait((woken, timer), return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            timer.cancel()

    async def _run(self, event: QueuedEvent) -> None:
        try:
            await (await self._service_of(event.account)).attempt(event)
        except Exception:
            log.exception("asynchronous invocation %s of %s failed", event.request_id, event.function)
        finally:
            self._in_flight -= 1
            self._queue.wake.set()

    async def _service_of(self, account: str) -> InvocationService:
        """The invocations of *account* ("": of an event queued before accounts, the default's)."""
        if self._route is None or account in ("", self._functions.account_id):
            return self
        return await self._route(account)

    async def attempt(self, event: QueuedEvent) -> None:
        """One attempt of a queued *event* of this service's account, and what follows it."""
        config = self._event_configs.effective(event.function, event.qualifier)
        age = self._clock.time() - event.accepted_at
        try:
            version = self._functions.resolve(FunctionRef(name=event.function, qualifier=event.qualifier), random.random())  # noqa: S311
        except ResourceNotFoundException:
            log.warning("asynchronous invocation %s dropped: function %s was deleted", event.request_id, event.function)
            await self._queue.done(event)
            return
        if age > config.maximum_age_s:
            await self._conclude(event, config, "EventAgeExceeded", version, None)
            return
        reserved = self._functions.reserved(event.function)
        request = InvokeRequest(
            request_id=event.request_id,
            payload=event.payload,
            client_context=event.client_context,
            trace_id=event.trace_id,
            invoked_arn=self._functions.arn(event.function, event.qualifier),
            qualifier=event.qualifier,
            invocation_type="Event",
            attempt=event.attempts + 1,
        )
        try:
            self._meter.check(self._functions.account_id, event.function)
            self.count("AsyncEventAge", event.function, event.qualifier, age * 1000, version.version)
            invocation = await self._invoker.invoke(version, request, reserved, self._functions.reserved_total())
        except TooManyRequestsException as exc:
            self.count("Throttles", event.function, event.qualifier, executed_version=version.version)
            if reserved == 0:  # AWS: a function stopped by reservation 0 goes to OnFailure without retries
                await self._conclude(event, config, "RetriesExhausted", version, None)
            else:
                await self._back_off(event, exc)
            return
        except SandboxSetupError as exc:
            await self._back_off(event, exc)
            return
        event.attempts += 1
        if invocation.failure is None:
            await self._conclude(event, config, "Success", version, invocation)
            return
        delay = after_function_error(config, event.attempts, age, self._retry_scale)
        if delay is None:
            await self._conclude(event, config, failure_condition(config, event.attempts), version, invocation)
        else:
            await self._queue.retry(event, delay)

    async def _deliver_alerts(self, alerts: AlertOutbox) -> None:
        while True:
            alert = await alerts.get()
            try:
                service = await self._service_of(alert.account)
                await self._destinations.deliver(alert.target, alert.body, service.send_to_function)
            except Exception as exc:
                log.error("budget %s: alert to %s failed: %s", alert.budget, alert.target, exc)

    async def send_to_function(self, arn: str, body: bytes) -> None:
        await self.invoke(parse_function_ref(arn, self._functions.region, self._functions.account_id), body, "Event")

    async def _back_off(self, event: QueuedEvent, reason: Exception) -> None:
        """Throttles and platform failures: retry from 1 s doubling to 5 min, within the event's age."""
        delay = min(MAXIMUM_BACKOFF_S, 2.0**event.backoffs)
        event.backoffs += 1
        log.info("asynchronous invocation %s of %s retried in %.0f s: %s", event.request_id, event.function, delay, reason)
        await self._queue.retry(event, delay)

    async def _conclude(
        self,
        event: QueuedEvent,
        config: EventInvokeConfig,
        condition: str,
        version: FunctionVersion,
        invocation: Invocation | None,
    ) -> None:
        """Send the invocation record to the destination for *condition*, if any; the event is done."""
        destination = config.on_success if condition == "Success" else config.on_failure
        failure = invocation.failure if invocation is not None else None
        if condition != "Success":
            self.count("AsyncEventsDropped", event.function, event.qualifier)
        if condition != "Success" and version.dead_letter_target_arn:
            # The dead-letter queue gets the original event, as AWS sends it.
            attributes = dead_letter_attributes(event.request_id, failure.document() if failure else None)
            try:
                await self._destinations.deliver(version.dead_letter_target_arn, event.payload, self.send_to_function, attributes)
            except Exception as exc:
                log.error("asynchronous invocation %s: dead-letter queue failed: %s", event.request_id, exc)
                self.count("DeadLetterErrors", event.function, event.qualifier)
        if destination is None:
            if condition != "Success":
                log.warning("asynchronous invocation %s of %s ended: %s", event.request_id, event.function, condition)
            await self._queue.done(event)
            return
        response: Any = None
        if invocation is not None:
            response = failure.document() if failure is not None else _json_or_text(invocation.payload)
        record = invocation_record(
            moment=datetime.fromtimestamp(self._clock.time(), UTC),
            request_id=event.request_id,
            function_arn=self._functions.arn(event.function, event.qualifier or "$LATEST"),
            condition=condition,
            attempts=event.attempts,
            request_payload=_json_or_text(event.payload),
            executed_version=version.version,
            function_error="Unhandled" if failure is not None else None,
            response_payload=response,
        )
        try:
            await self._destinations.deliver(destination, json.dumps(record).encode(), self.send_to_function)
        except Exception as exc:  # the destination may be gone: the record is lost, loudly
            log.error("asynchronous invocation %s: destination %s failed: %s", event.request_id, destination, exc)
            self.count("DestinationDeliveryFailures", event.function, event.qualifier)
        await self._queue.done(event)

    def count(
        self, metric: str, function: str, qualifier: str | None, value: float = 1.0, executed_version: str | None = None
    ) -> None:
        """One event of Lambda's *metric* of this account (no I/O: ``MetricService.count``), for
        what this service does and for the pollers' IteratorAge."""
        if self._metrics is not None:
            self._metrics.count(self._functions.account_id, metric, function, qualifier, value, executed_version)

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
