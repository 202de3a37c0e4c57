"""PutMetricData's input: data as CloudWatch reads them, refusals in its words."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lambent.errors import (
    CloudWatchError,
    CloudWatchInvalidParameterCombination,
    CloudWatchInvalidParameterValue,
    CloudWatchMissingParameter,
)
from lambent.model.metric_data import data

NOW = 1_767_225_600.0


def put(*items: dict[str, Any], namespace: str = "App") -> Any:
    return data("000000000000", {"Namespace": namespace, "MetricData": list(items)}, NOW)


def test_values_counts_and_statistic_sets_become_data() -> None:
    one, many, sets = put(
        {
            "MetricName": "a",
            "Value": 2,
            "Unit": "Count",
            "Dimensions": [{"Name": "B", "Value": "2"}, {"Name": "A", "Value": "1"}],
        },
        {"MetricName": "b", "Values": [1, 5], "Counts": [3, 1], "Timestamp": NOW - 60},
        {"MetricName": "c", "StatisticValues": {"SampleCount": 2, "Sum": 3, "Minimum": 1, "Maximum": 2}},
    )
    assert (one.values, one.unit, one.key.dimensions, one.at_ms) == (((2.0, 1.0),), "Count", (("A", "1"), ("B", "2")), NOW * 1000)
    assert (many.values, many.unit, many.at_ms) == (((1.0, 3.0), (5.0, 1.0)), "None", (NOW - 60) * 1000)
    assert sets.stats is not None and sets.stats.sample_count == 2


@pytest.mark.parametrize(
    ("item", "error", "words"),
    [
        (
            {"MetricName": "a", "Value": 1, "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}},
            CloudWatchInvalidParameterCombination,
            "MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive",
        ),
        ({"MetricName": "a", "Values": [1, 2], "Counts": [1]}, CloudWatchInvalidParameterValue, "must be of the same size"),
        (
            {"MetricName": "a", "Value": float("nan")},
            CloudWatchInvalidParameterValue,
            "The value nan for parameter MetricData.member.1.Value",
        ),
        ({"MetricName": "a"}, CloudWatchMissingParameter, "MetricData.member.1.Value is required"),
        (
            {"MetricName": "a", "Value": 1, "Timestamp": NOW - 15 * 86400},
            CloudWatchInvalidParameterValue,
            "within the past two weeks",
        ),
        (
            {"MetricName": "a", "Value": 1, "Timestamp": NOW + 3 * 3600},
            CloudWatchInvalidParameterValue,
            "two hours in the future",
        ),
        (
            {"MetricName": "a", "Value": 1, "StorageResolution": 5},
            CloudWatchInvalidParameterValue,
            "StorageResolution must be 1 or 60",
        ),
        (
            {"MetricName": "a", "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 2, "Maximum": 1}},
            CloudWatchInvalidParameterValue,
            "Maximum must be greater than or equal to",
        ),
    ],
)
def test_refusals(item: dict[str, Any], error: type[CloudWatchError], words: str) -> None:
    with pytest.raises(error, match=words):
        put(item)


def test_aws_namespaces_are_refused() -> None:
    with pytest.raises(
        CloudWatchInvalidParameterValue, match=re.escape("The value AWS/Lambda for parameter Namespace is invalid.")
    ):
        put({"MetricName": "a", "Value": 1}, namespace="AWS/Lambda")
    assert CloudWatchInvalidParameterValue.error_type == "InvalidParameterValue"
