"""Embedded Metric Format documents become metric data as CloudWatch Logs extracts them; lines
that are not wholly one EMF document do not."""

from __future__ import annotations

import json

from lambent.model.emf import extract

ACCOUNT = "000000000000"
#: The specification's example document.
SPEC = {
    "_aws": {
        "Timestamp": 1574109732004,
        "CloudWatchMetrics": [
            {
                "Namespace": "lambda-function-metrics",
                "Dimensions": [["functionVersion"]],
                "Metrics": [{"Name": "time", "Unit": "Milliseconds", "StorageResolution": 60}],
            }
        ],
    },
    "functionVersion": "$LATEST",
    "time": 100,
    "requestId": "989ffbf8-9ace-4817-a57c-e4dd734019ee",
}


def test_the_specifications_example() -> None:
    (datum,) = extract(json.dumps(SPEC), ACCOUNT)
    assert (datum.key.namespace, datum.key.name, datum.key.dimensions) == (
        "lambda-function-metrics",
        "time",
        (("functionVersion", "$LATEST"),),
    )
    assert (datum.at_ms, datum.unit, datum.values) == (1574109732004, "Milliseconds", ((100.0, 1.0),))


def test_each_metric_goes_to_every_dimension_set_and_lists_are_samples() -> None:
    document = {
        "_aws": {
            "Timestamp": 1,
            "CloudWatchMetrics": [
                {"Namespace": "App", "Dimensions": [["service"], ["service", "op"], []], "Metrics": [{"Name": "latency"}]}
            ],
        },
        "service": "api",
        "op": "get",
        "latency": [1, 2.5, 3],
    }
    data = extract(json.dumps(document), ACCOUNT)
    assert [d.key.dimensions for d in data] == [(("service", "api"),), (("op", "get"), ("service", "api")), ()]
    assert all(d.values == ((1.0, 1.0), (2.5, 1.0), (3.0, 1.0)) and d.unit == "None" for d in data)


def test_what_the_specification_refuses_is_not_extracted() -> None:
    def with_(**changes: object) -> str:
        document = json.loads(json.dumps(SPEC))
        for path, value in changes.items():
            if path == "namespace":
                document["_aws"]["CloudWatchMetrics"][0]["Namespace"] = value
            elif path == "timestamp":
                document["_aws"]["Timestamp"] = value
            else:
                document[path] = value
        return json.dumps(document)

    assert extract(with_(namespace="AWS/Lambda"), ACCOUNT) == []
    assert extract(with_(timestamp="now"), ACCOUNT) == []
    assert extract(with_(functionVersion=3), ACCOUNT) == []  # a dimension's member must be a string
    assert extract(with_(time="fast"), ACCOUNT) == []
    assert extract("not json {", ACCOUNT) == []
    assert extract('{"_aws": 1}', ACCOUNT) == []


def test_a_line_prefixed_by_the_runtime_is_not_extracted() -> None:
    line = "2026-01-01T00:00:00.000Z\t989ffbf8-9ace-4817-a57c-e4dd734019ee\tINFO\t" + json.dumps(SPEC)
    assert extract(line, ACCOUNT) == []
    assert len(extract("  " + json.dumps(SPEC) + "\n", ACCOUNT)) == 1
