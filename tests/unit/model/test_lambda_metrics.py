"""AWS/Lambda's metrics from a usage record, with AWS's dimension sets."""

from __future__ import annotations

import msgspec

from lambent.model.lambda_metrics import dimension_sets, from_usage
from tests.fixtures.usage import NOV, record


def test_dimension_sets_by_how_the_function_was_invoked() -> None:
    assert dimension_sets("Invocations", "f", None, "$LATEST") == [(("FunctionName", "f"),), ()]
    assert dimension_sets("Invocations", "f", "3", "3") == [
        (("FunctionName", "f"),),
        (("FunctionName", "f"), ("Resource", "f:3")),
        (),
    ]
    assert dimension_sets("AsyncEventsReceived", "f", "live", "3") == [
        (("FunctionName", "f"),),
        (("FunctionName", "f"), ("Resource", "f:live")),
        (("ExecutedVersion", "3"), ("FunctionName", "f"), ("Resource", "f:live")),
    ]


def test_an_invocation_is_one_invocation_an_error_flag_and_its_duration_at_its_start() -> None:
    failed = msgspec.structs.replace(record(120, 128, NOV), function="f", qualifier=None, outcome="timeout", start_ms=NOV - 500)
    by_name = {(d.key.name, d.key.dimensions): d for d in from_usage(failed)}
    assert by_name[("Invocations", ())].values == ((1.0, 1.0),)
    assert by_name[("Errors", (("FunctionName", "f"),))].values == ((1.0, 1.0),)
    assert by_name[("Duration", ())].values == ((failed.duration_ms, 1.0),)
    assert {d.at_ms for d in by_name.values()} == {NOV - 500}
    ok = msgspec.structs.replace(failed, outcome="success")
    assert {d.values for d in from_usage(ok) if d.key.name == "Errors"} == {((0.0, 1.0),)}
    assert from_usage(msgspec.structs.replace(ok, kind="provisioned")) == []


def test_a_batch_rolls_up_as_its_records_do_one_by_one() -> None:
    from lambent.model.lambda_metrics import from_usage_batch
    from lambent.model.metric_series import Rollup

    records = [
        msgspec.structs.replace(record(10 + i, 128, NOV + i * 7_000), function=f"f{i % 2}", qualifier="live" if i % 3 else None,
                                version="2", outcome="error" if i % 4 == 0 else "success", provisioned=i == 5)
        for i in range(20)
    ]  # fmt: skip
    one, batch = Rollup(), Rollup()
    for made in records:
        for datum in from_usage(made):
            one.add(datum)
    for datum in from_usage_batch(records):
        batch.add(datum)

    def table(rollup: Rollup) -> dict[object, tuple[float, float, float, float]]:
        return {p.slot: (p.sample_count, p.sum, p.minimum, p.maximum) for p in rollup.points()}

    assert table(batch) == table(one)
