"""The platform's spans of sampled invocations, exported over OTLP/HTTP to the OpenTelemetry
collector a setting names (``otlp_endpoint``).

An invocation is sampled when its trace header says ``Sampled=1`` (``model.trace``: the
upstream's decision, or Lambda's own for an Active function). The invoker keeps that header on
the invocation's usage record; the ledger hands each committed batch's sampled records to
``SpanExporter.export`` on its worker thread, which makes the spans X-Ray shows for a Lambda
function, as OpenTelemetry spans in the request's trace (its id from the header's ``Root``, the
function span's parent from its ``Parent``):

- the function (``AWS::Lambda::Function``), from the invocation's start to its end, its status
  an error when the function failed;
- ``Initialization``, the environment's init, on a cold start (its ``lambent.init_duration_ms``
  is the Init Duration of the REPORT line; ``lambent.cold_start.sandbox_ms`` the sandbox's part,
  ``lambent.cold_start.runtime_and_code_ms`` the runtime's start and the init code's);
- ``Invocation``, the handler's run.

The spans are queued to OpenTelemetry's ``BatchSpanProcessor``, whose own thread sends them:
nothing on the invoke path, and a collector that is slow or down costs dropped spans, never a
wait. X-Ray's ``Overhead`` subsegment (the runtime's work after the response) is not made.
"""

from __future__ import annotations

from opentelemetry import trace as otel
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from lambent.model.billing import UsageRecord
from lambent.model.trace import otel_ids

_NS_PER_MS = 1_000_000


class SpanExporter:
    def __init__(self, endpoint: str, region: str, node: str) -> None:
        resource = Resource.create({"service.name": "lambent", "cloud.provider": "aws", "cloud.region": region, "host.id": node})
        self._provider = TracerProvider(resource=resource)
        self._provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")))
        self._tracer = self._provider.get_tracer("lambent.platform")
        self._region = region

    def export(self, records: list[UsageRecord]) -> None:
        for record in records:
            if record.trace is not None and record.kind == "invoke":
                self._spans(record, record.trace)

    def _spans(self, record: UsageRecord, header: str) -> None:
        ids = otel_ids(header)
        if ids is None:
            return
        trace_id, parent_id = ids
        upstream = SpanContext(trace_id, parent_id, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
        start_ns, end_ns = record.start_ms * _NS_PER_MS, record.end_ms * _NS_PER_MS
        init_ms = record.init_duration_ms or 0.0
        invocation_start_ns = max(start_ns, end_ns - int((record.duration_ms - init_ms) * _NS_PER_MS))
        function = self._tracer.start_span(
            record.function,
            context=otel.set_span_in_context(NonRecordingSpan(upstream)),
            kind=SpanKind.SERVER,
            start_time=start_ns,
            attributes={
                "aws.xray.origin": "AWS::Lambda::Function",
                "faas.name": record.function,
                "faas.version": record.version,
                "faas.invocation_id": record.request_id,
                "faas.coldstart": record.init_duration_ms is not None,
                "faas.trigger": "other" if record.invocation_type == "Event" else "http",
                "cloud.account.id": record.account,
                "aws.lambda.invocation_type": record.invocation_type,
                "lambent.outcome": record.outcome,
                "lambent.billed_duration_ms": record.billed_ms,
                "lambent.max_memory_used_mb": record.max_memory_used_mb,
            },
        )
        if record.outcome != "success":
            function.set_status(Status(StatusCode.ERROR, record.outcome))
        inside = otel.set_span_in_context(function)
        if record.init_duration_ms is not None:
            init = self._tracer.start_span(
                "Initialization",
                context=inside,
                start_time=invocation_start_ns - int(init_ms * _NS_PER_MS),
                attributes=_breakdown(record),
            )
            init.end(end_time=invocation_start_ns)
        invocation = self._tracer.start_span("Invocation", context=inside, start_time=invocation_start_ns)
        invocation.end(end_time=end_ns)
        function.end(end_time=end_ns)

    def close(self) -> None:
        """Send what is queued, then stop."""
        self._provider.shutdown()


def _breakdown(record: UsageRecord) -> dict[str, float]:
    """A cold start's parts: the init (AWS's Init Duration) and, of it, the sandbox's share."""
    init_ms = record.init_duration_ms or 0.0
    parts = {"lambent.init_duration_ms": init_ms}
    if record.sandbox_ms is not None:
        parts["lambent.cold_start.sandbox_ms"] = record.sandbox_ms
        parts["lambent.cold_start.runtime_and_code_ms"] = max(0.0, init_ms - record.sandbox_ms)
    return parts
