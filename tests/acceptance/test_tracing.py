"""The trace header a function sees (``_X_AMZN_TRACE_ID``), through boto3 against the session's
real server: an incoming ``X-Amzn-Trace-Id``'s root and sampling decision are honoured and
propagated; an Active function samples a request that came without a decision by X-Ray's default
rule (the first each second); PassThrough never samples on its own."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures.server import Server, create

SHOW_TRACE = "import os\ndef handler(event, context):\n    return os.environ.get('_X_AMZN_TRACE_ID')\n"
UPSTREAM = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled={}"


def fields(header: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in header.split(";"))


@pytest.fixture(scope="module")
def traced(server: Server) -> Any:
    """A Lambda client that sends ``X-Amzn-Trace-Id`` when an invoke's payload names one."""
    client = server.client()

    def add_header(request: Any, **_: Any) -> None:
        body = json.loads(request.body or b"{}")
        if isinstance(body, dict) and body.get("trace"):
            request.headers["X-Amzn-Trace-Id"] = body["trace"]

    client.meta.events.register("before-send.lambda.Invoke", add_header)
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
