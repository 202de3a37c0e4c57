"""Embedded Metric Format: metric data carried in a function's log lines, extracted as
CloudWatch Logs extracts them (AWS's "Specification: Embedded metric format").

Only a log event that is wholly one JSON object counts (nothing before or after it: a line the
runtime prefixed with its timestamp, request id and level is not extracted, as AWS does not).
The object's ``_aws`` member holds ``Timestamp`` (epoch ms) and ``CloudWatchMetrics``, a list of
directives: a ``Namespace``, ``Dimensions`` (a list of dimension sets, each a list of up to 30
root member names whose values are strings) and ``Metrics`` (up to 100 of ``{"Name", "Unit",
"StorageResolution"}``, each naming a root member holding a number or a list of up to 100
numbers). Each metric goes to every dimension set of its directive; an empty list of sets, or an
empty set, is the series with no dimension. What breaks the specification is not extracted: a
document missing its timestamp or directives, a directive whose namespace is missing or
``AWS/...``, a dimension set naming a member that is not a string, a metric whose member holds
no number. The log event stays a log event either way. Pure: no I/O, no clock.
"""

from __future__ import annotations

import json
import math
from typing import Any

from lambent.model.metric_series import Datum, series_key

MAX_DIMENSIONS = 30
MAX_METRICS = 100
MAX_VALUES = 100
NAMESPACE_LIMIT = 255
UNITS = frozenset(
    [
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    ]
)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _values(member: Any) -> list[float] | None:
    if _number(member):
        return [float(member)]
    if isinstance(member, list) and 0 < len(member) <= MAX_VALUES and all(_number(v) for v in member):
        return [float(v) for v in member]
    return None


def _dimension_sets(document: dict[str, Any], sets: Any) -> list[list[tuple[str, str]]] | None:
    if not isinstance(sets, list):
        return None
    if not sets:
        return [[]]
    found = []
    for names in sets:
        if not isinstance(names, list) or len(names) > MAX_DIMENSIONS:
            return None
        pairs = []
        for name in names:
            value = document.get(name) if isinstance(name, str) else None
            if not isinstance(value, str) or not value:
                return None
            pairs.append((name, value))
        found.append(pairs)
    return found


def extract(line: str, account: str) -> list[Datum]:
    """The metric data of one log event (none when it is no EMF document)."""
    text = line.strip()
    if not (text.startswith("{") and text.endswith("}") and '"_aws"' in text):
        return []
    try:
        document = json.loads(text)
    except ValueError:
        return []
    if not isinstance(document, dict):
        return []
    metadata = document.get("_aws")
    if not isinstance(metadata, dict) or not _number(metadata.get("Timestamp")):
        return []
    directives = metadata.get("CloudWatchMetrics")
    if not isinstance(directives, list):
        return []
    at_ms = int(metadata["Timestamp"])
    data: list[Datum] = []
    for directive in directives:
        data.extend(_directive(document, directive, account, at_ms))
    return data


def _directive(document: dict[str, Any], directive: Any, account: str, at_ms: int) -> list[Datum]:
    if not isinstance(directive, dict):
        return []
    namespace = directive.get("Namespace")
    if not isinstance(namespace, str) or not 0 < len(namespace) <= NAMESPACE_LIMIT or namespace.startswith("AWS/"):
        return []
    sets = _dimension_sets(document, directive.get("Dimensions", []))
    metrics = directive.get("Metrics")
    if sets is None or not isinstance(metrics, list) or len(metrics) > MAX_METRICS:
        return []
    data: list[Datum] = []
    for metric in metrics:
        if not isinstance(metric, dict) or not isinstance(metric.get("Name"), str):
            continue
        unit = metric.get("Unit", "None")
        values = _values(document.get(metric["Name"]))
        if values is None or unit not in UNITS:
            continue
        samples = tuple((value, 1.0) for value in values)
        for pairs in sets:
            data.append(Datum(series_key(account, namespace, metric["Name"], pairs), at_ms, unit, samples))
    return data
