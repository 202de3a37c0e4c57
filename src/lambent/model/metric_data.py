"""PutMetricData's input read as CloudWatch reads it: its limits and refusals, then data.

Members are as boto3 names them (``MetricData[i].Value``...); refusals name them as CloudWatch's
messages do, ``MetricData.member.N.Value`` (one-based). Timestamps arrive as epoch seconds and
*now* is passed in: a datum may be at most two weeks old and two hours ahead, CloudWatch's window.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
from typing import Any

from lambent.errors import CloudWatchInvalidParameterCombination, CloudWatchInvalidParameterValue, CloudWatchMissingParameter
from lambent.model.metric_series import Datum, StatisticSet, series_key

MAX_DATA = 1000
MAX_VALUES = 150
#: CloudWatch refuses values of a magnitude beyond 2^360 (and NaN, and infinities).
MAX_MAGNITUDE = 2.0**360
PAST_S = 14 * 24 * 3600
FUTURE_S = 2 * 3600
STORAGE_RESOLUTIONS = (1, 60)


def _value(value: Any, where: str) -> float:
    number = float(value)
    if not math.isfinite(number) or abs(number) > MAX_MAGNITUDE:
        raise CloudWatchInvalidParameterValue(f"The value {value} for parameter {where} is invalid.")
    return number


def check_namespace(namespace: Any) -> str:
    if not isinstance(namespace, str) or not namespace:
        raise CloudWatchMissingParameter("The parameter Namespace is required.")
    if namespace.startswith("AWS/"):
        raise CloudWatchInvalidParameterValue(f"The value {namespace} for parameter Namespace is invalid.")
    return namespace


def _dimensions(raw: Any, where: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for index, dimension in enumerate(raw or [], 1):
        name, value = dimension.get("Name"), dimension.get("Value")
        if not isinstance(name, str) or not name.strip():
            raise CloudWatchInvalidParameterValue(f"The parameter {where}.Dimensions.member.{index}.Name must not be blank.")
        if not isinstance(value, str) or not value.strip():
            raise CloudWatchInvalidParameterValue(f"The parameter {where}.Dimensions.member.{index}.Value must not be blank.")
        if any(name == seen for seen, _ in pairs):
            raise CloudWatchInvalidParameterValue(f"The parameter {where}.Dimensions contains duplicate name {name}.")
        pairs.append((name, value))
    return pairs


def _stats(raw: dict[str, Any], where: str) -> StatisticSet:
    count, total = _value(raw["SampleCount"], f"{where}.SampleCount"), _value(raw["Sum"], f"{where}.Sum")
    low, high = _value(raw["Minimum"], f"{where}.Minimum"), _value(raw["Maximum"], f"{where}.Maximum")
    if count <= 0:
        raise CloudWatchInvalidParameterValue(f"The parameter {where}.SampleCount must be greater than 0.")
    if low > high:
        raise CloudWatchInvalidParameterValue(f"The parameter {where}.Maximum must be greater than or equal to {where}.Minimum.")
    return StatisticSet(count, total, low, high)


def datum(account: str, namespace: str, raw: dict[str, Any], index: int, now_s: float) -> Datum:
    """One ``MetricDatum`` (its *index* counted from 1) as a datum, or CloudWatch's refusal."""
    where = f"MetricData.member.{index}"
    has_value, has_values, has_stats = "Value" in raw, bool(raw.get("Values")), "StatisticValues" in raw
    if has_value and has_stats:
        raise CloudWatchInvalidParameterCombination(
            f"The parameters {where}.Value and {where}.StatisticValues are mutually exclusive and you have specified both."
        )
    if has_value and has_values:
        raise CloudWatchInvalidParameterCombination(
            f"The parameters {where}.Value and {where}.Values are mutually exclusive and you have specified both."
        )
    if has_values and has_stats:
        raise CloudWatchInvalidParameterCombination(
            f"The parameters {where}.Values and {where}.StatisticValues are mutually exclusive and you have specified both."
        )
    if not (has_value or has_values or has_stats):
        raise CloudWatchMissingParameter(f"The parameter {where}.Value is required.")
    resolution = raw.get("StorageResolution", 60)
    if resolution not in STORAGE_RESOLUTIONS:
        raise CloudWatchInvalidParameterValue(f"The parameter {where}.StorageResolution must be 1 or 60.")
    at_s = float(raw["Timestamp"]) if raw.get("Timestamp") is not None else now_s
    if at_s < now_s - PAST_S:
        raise CloudWatchInvalidParameterValue(f"The parameter {where}.Timestamp must specify a time within the past two weeks.")
    if at_s > now_s + FUTURE_S:
        raise CloudWatchInvalidParameterValue(
            f"The parameter {where}.Timestamp must specify a time no more than two hours in the future."
        )
    values: tuple[tuple[float, float], ...] = ()
    stats = None
    if has_value:
        values = ((_value(raw["Value"], f"{where}.Value"), 1.0),)
    elif has_values:
        numbers = raw["Values"]
        counts = raw.get("Counts") or [1.0] * len(numbers)
        if len(numbers) > MAX_VALUES:
            raise CloudWatchInvalidParameterValue(
                f"The collection {where}.Values must not have a size greater than {MAX_VALUES}."
            )
        if len(counts) != len(numbers):
            raise CloudWatchInvalidParameterValue(f"The parameters {where}.Values and {where}.Counts must be of the same size.")
        values = tuple(
            (_value(v, f"{where}.Values.member.{i}"), _value(c, f"{where}.Counts.member.{i}"))
            for i, (v, c) in enumerate(zip(numbers, counts, strict=True), 1)
        )
        if any(weight <= 0 for _, weight in values):
            raise CloudWatchInvalidParameterValue(f"The parameter {where}.Counts must contain only values greater than 0.")
    else:
        stats = _stats(raw["StatisticValues"], f"{where}.StatisticValues")
    key = series_key(account, namespace, raw["MetricName"], _dimensions(raw.get("Dimensions"), where))
    return Datum(key, int(at_s * 1000), str(raw.get("Unit") or "None"), values, stats)


def data(account: str, params: dict[str, Any], now_s: float) -> list[Datum]:
    """Every datum of one PutMetricData request, or its first refusal."""
    namespace = check_namespace(params.get("Namespace"))
    items = params.get("MetricData") or []
    if not items:
        raise CloudWatchMissingParameter("The parameter MetricData is required.")
    if len(items) > MAX_DATA:
        raise CloudWatchInvalidParameterValue(f"The collection MetricData must not have a size greater than {MAX_DATA}.")
    return [datum(account, namespace, raw, index, now_s) for index, raw in enumerate(items, 1)]
