"""The trace header a function sees (``_X_AMZN_TRACE_ID``), through boto3 against the session's
real server: an incoming ``X-Amzn-Trace-Id``'s root and sampling decision are honoured and
propagated; an Active function samples a request that came without a decision by X-Ray's default
rule (the first each second); PassThrough never samples on its own. A server exporting to a
test-local OTLP receiver sends each sampled invocation's spans, and no others."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.mappings import wait_for
from tests.fixtures.otlp import Receiver, otlp_receiver
from tests.fixtures.server import Server, create
from tests.fixtures.usage import usage_records

SHOW_TRACE = "import os\ndef handler(event, context):\n    return os.environ.get('_X_AMZN_TRACE_ID')\n"
UPSTREAM = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled={}"


def fields(header: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in header.split(";"))


def _header_from_payload(request: Any, **_: Any) -> None:
    body = json.loads(request.body or b"{}")
    if isinstance(body, dict) and body.get("trace"):
        request.headers["X-Amzn-Trace-Id"] = body["trace"]


@pytest.fixture(scope="module")
def traced(server: Server) -> Any:
    """A Lambda client that sends ``X-Amzn-Trace-Id`` when an invoke's payload names one."""
    client = server.client()
    client.meta.events.register("before-send.lambda.Invoke", _header_from_payload)
    return client


def seen(client: Any, name: str, trace: str | None = None) -> dict[str, str]:
    answer = client.invoke(FunctionName=name, Payload=json.dumps({"trace": trace}))
    return fields(json.loads(answer["Payload"].read()))


def test_an_active_function_honours_the_upstream_decision_and_samples_on_its_own(traced: Any, fn_name: str) -> None:
    create(traced, fn_name, SHOW_TRACE, TracingConfig={"Mode": "Active"})
    assert seen(traced, fn_name)["Sampled"] == "1"  # the reservoir's first request this second
    refused = seen(traced, fn_name, UPSTREAM.format(0))
    assert (refused["Root"], refused["Sampled"]) == ("1-67891233-abcdef012345678912345678", "0")
    assert refused["Parent"] != "53995c3f42cd8ad8" and refused["Lineage"] == "1"  # Lambda's own segment
    assert seen(traced, fn_name, UPSTREAM.format(1))["Sampled"] == "1"


def test_pass_through_propagates_and_never_samples_on_its_own(traced: Any, fn_name: str) -> None:
    create(traced, fn_name, SHOW_TRACE)
    assert traced.get_function_configuration(FunctionName=fn_name)["TracingConfig"] == {"Mode": "PassThrough"}
    assert seen(traced, fn_name)["Sampled"] == "0"
    upstream = seen(traced, fn_name, UPSTREAM.format(1))
    assert (upstream["Root"], upstream["Sampled"]) == ("1-67891233-abcdef012345678912345678", "1")
    assert seen(traced, fn_name, UPSTREAM.format("?"))["Sampled"] == "0"


@pytest.fixture(scope="module")
def exporting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Receiver]]:
    """A server of its own exporting spans to a test-local OTLP receiver (its batches sent every
    200 ms rather than OpenTelemetry's default 5 s)."""
    with otlp_receiver() as receiver:
        server = Server(
            tmp_path_factory.mktemp("tracing") / "data", LAMBENT_OTLP_ENDPOINT=receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY="200"
        ).start()
        try:
            yield server, receiver
        finally:
            server.stop()


def spans_of(receiver: Receiver, trace_hex: str, count: int) -> list[Any]:
    def found() -> list[Any]:
        with receiver.lock:
            return [s for s in receiver.spans if s.trace_id.hex() == trace_hex]

    wait_for(lambda: len(found()) >= count, what=f"{count} spans of trace {trace_hex}")
    return found()


def trace_hex(header: dict[str, str]) -> str:
    _, stamp, rest = header["Root"].split("-")
    return stamp + rest


def test_sampled_invocations_export_the_function_its_init_and_its_invocation(exporting: tuple[Server, Receiver]) -> None:
    server, receiver = exporting
    lam = server.client()
    lam.meta.events.register("before-send.lambda.Invoke", _header_from_payload)
    create(lam, "traced", SHOW_TRACE, TracingConfig={"Mode": "Active"})
    cold = seen(lam, "traced")
    assert cold["Sampled"] == "1"
    spans = {s.name: s for s in spans_of(receiver, trace_hex(cold), 3)}
    assert set(spans) == {"traced", "Initialization", "Invocation"}
    function = spans["traced"]
    assert function.parent_span_id.hex() == cold["Parent"]  # the header the function saw names its segment's parent
    assert spans["Initialization"].parent_span_id == function.span_id == spans["Invocation"].parent_span_id
    attributes = {a.key: a.value for a in function.attributes}
    assert attributes["faas.coldstart"].bool_value is True and attributes["faas.name"].string_value == "traced"
    assert attributes["aws.xray.origin"].string_value == "AWS::Lambda::Function"
    assert function.start_time_unix_nano <= spans["Initialization"].start_time_unix_nano
    assert spans["Initialization"].end_time_unix_nano <= spans["Invocation"].start_time_unix_nano
    assert spans["Invocation"].end_time_unix_nano == function.end_time_unix_nano
    init = {a.key: a.value.double_value for a in spans["Initialization"].attributes}
    assert 0 < init["lambent.cold_start.sandbox_ms"] <= init["lambent.init_duration_ms"]
    assert init["lambent.cold_start.runtime_and_code_ms"] == pytest.approx(
        init["lambent.init_duration_ms"] - init["lambent.cold_start.sandbox_ms"]
    )
    (first, *_) = usage_records(server, function="traced")  # the invocation records say the same
    assert (first["trace"].split(";")[0], first["sandbox_ms"]) == (f"Root={cold['Root']}", init["lambent.cold_start.sandbox_ms"])
    (resource,) = {tuple(sorted(r.items())) for r in receiver.resources}
    assert dict(resource)["service.name"] == "lambent"

    warm = seen(lam, "traced", UPSTREAM.format(1).replace("abcdef01", "12345678"))  # an upstream sampled it
    names = sorted(s.name for s in spans_of(receiver, trace_hex(warm), 2))
    assert names == ["Invocation", "traced"]  # warm: no init


def test_unsampled_invocations_export_nothing(exporting: tuple[Server, Receiver]) -> None:
    server, receiver = exporting
    lam = server.client()
    lam.meta.events.register("before-send.lambda.Invoke", _header_from_payload)
    create(lam, "untraced", SHOW_TRACE)
    quiet = seen(lam, "untraced")
    marker = seen(lam, "untraced", UPSTREAM.format(1).replace("abcdef01", "fedcba98"))
    spans_of(receiver, trace_hex(marker), 2)  # the later, sampled one's spans are in: so would the first's be
    with receiver.lock:
        assert [s for s in receiver.spans if s.trace_id.hex() == trace_hex(quiet)] == []
