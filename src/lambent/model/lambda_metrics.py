"""Lambda's own metrics (namespace ``AWS/Lambda``), as AWS defines them, from what the platform
records: usage records for what ran, and counted events for what did not run.

- ``Invocations``: 1 per attempt that ran the function's code (successes and function errors;
  the number of requests billed); throttled and refused requests are not invocations.
- ``Errors``: 1 per invocation that ended in a function error (the code raised, or the runtime
  failed it: timeout, out of memory, crash, init error), 0 for a success, so that Sum counts
  errors and Average is the error rate. Both are stamped with the invocation's start, as AWS
  stamps them ("when the function was invoked, not when the error occurred").
- ``Duration``: the invocation's duration in ms (init excluded), with percentiles.
- ``Throttles``, ``RecursiveInvocationsDropped``, and the asynchronous ``AsyncEventsReceived``,
  ``AsyncEventAge``, ``AsyncEventsDropped``, ``DeadLetterErrors``,
  ``DestinationDeliveryFailures``; ``IteratorAge`` for stream sources: counted where they happen.
- ``ConcurrentExecutions`` (account and function), ``UnreservedConcurrentExecutions``
  (account): the most executions running at once, sampled from the invoker's own counts.

Dimensions as AWS's: ``FunctionName``; ``FunctionName`` + ``Resource`` (``name:qualifier``) for
an invocation by version or alias; + ``ExecutedVersion`` for an alias; and the account-level
series with no dimension, for the metrics AWS aggregates per account.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lambent.model.billing import UsageRecord
from lambent.model.metric_series import Datum, Dimensions, minute_of, series_key

NAMESPACE = "AWS/Lambda"
COUNT, MILLISECONDS = "Count", "Milliseconds"
#: Metrics that also have the account-level series (no dimension).
ACCOUNT_LEVEL = frozenset({"Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"})
#: The unit of each metric Lambent emits.
UNITS = {
    "Invocations": COUNT,
    "Errors": COUNT,
    "Throttles": COUNT,
    "Duration": MILLISECONDS,
    "ConcurrentExecutions": COUNT,
    "UnreservedConcurrentExecutions": COUNT,
    "ProvisionedConcurrencyInvocations": COUNT,
    "AsyncEventsReceived": COUNT,
    "AsyncEventAge": MILLISECONDS,
    "AsyncEventsDropped": COUNT,
    "DeadLetterErrors": COUNT,
    "DestinationDeliveryFailures": COUNT,
    "IteratorAge": MILLISECONDS,
    "RecursiveInvocationsDropped": COUNT,
}


def is_alias(qualifier: str | None) -> bool:
    return bool(qualifier) and qualifier != "$LATEST" and not str(qualifier).isdigit()


def dimension_sets(metric: str, function: str, qualifier: str | None, executed_version: str | None) -> list[Dimensions]:
    """The dimension sets *metric* of one invocation of *function* goes to."""
    name = (("FunctionName", function),)
    sets: list[Dimensions] = [name]
    if qualifier:
        resource = (("FunctionName", function), ("Resource", f"{function}:{qualifier}"))
        sets.append(resource)
        if is_alias(qualifier) and executed_version is not None:
            sets.append((("ExecutedVersion", executed_version), *resource))
    if metric in ACCOUNT_LEVEL:
        sets.append(())
    return sets


def event(
    account: str,
    metric: str,
    function: str,
    qualifier: str | None,
    at_ms: int,
    value: float = 1.0,
    executed_version: str | None = None,
) -> list[Datum]:
    """The data of one counted event (a throttle, a dropped event, an event's age...)."""
    unit = UNITS.get(metric, COUNT)
    return [
        Datum(series_key(account, NAMESPACE, metric, dims), at_ms, unit, ((value, 1.0),))
        for dims in dimension_sets(metric, function, qualifier, executed_version)
    ]


def from_usage(record: UsageRecord) -> list[Datum]:
    """The data of one usage record: an invocation's Invocations, Errors and Duration (nothing
    for a provisioned environment's allocation or a SnapStart template's init)."""
    if record.kind != "invoke":
        return []
    error = 0.0 if record.outcome == "success" else 1.0
    data: list[Datum] = []
    for dims in dimension_sets("Invocations", record.function, record.qualifier, record.version):
        data.append(Datum(series_key(record.account, NAMESPACE, "Invocations", dims), record.start_ms, COUNT, ((1.0, 1.0),)))
        data.append(Datum(series_key(record.account, NAMESPACE, "Errors", dims), record.start_ms, COUNT, ((error, 1.0),)))
        data.append(
            Datum(
                series_key(record.account, NAMESPACE, "Duration", dims),
                record.start_ms,
                MILLISECONDS,
                ((record.duration_ms, 1.0),),
            )
        )
        if record.provisioned and dims:
            key = series_key(record.account, NAMESPACE, "ProvisionedConcurrencyInvocations", dims)
            data.append(Datum(key, record.start_ms, COUNT, ((1.0, 1.0),)))
    return data


def from_usage_batch(records: Iterable[UsageRecord]) -> list[Datum]:
    """The data of many usage records, as ``from_usage`` gives them one by one, gathered first
    per (account, function, qualifier, version, minute): a batch's Invocations and Errors are
    one datum per series and minute, its durations one list (the commit thread's cost)."""
    groups: dict[tuple[str, str, str | None, str, int], list[Any]] = {}
    for record in records:
        if record.kind != "invoke":
            continue
        key = (record.account, record.function, record.qualifier, record.version, minute_of(record.start_ms))
        found = groups.get(key)
        if found is None:
            found = groups[key] = [0, 0, [], 0]
        found[0] += 1
        found[1] += record.outcome != "success"
        found[2].append((record.duration_ms, 1.0))
        found[3] += record.provisioned
    data: list[Datum] = []
    for (account, function, qualifier, version, minute), (calls, errors, durations, provisioned) in groups.items():
        flags = tuple((value, float(n)) for value, n in ((1.0, errors), (0.0, calls - errors)) if n)
        samples = tuple(durations)
        for dims in dimension_sets("Invocations", function, qualifier, version):
            data.append(Datum(series_key(account, NAMESPACE, "Invocations", dims), minute, COUNT, ((1.0, float(calls)),)))
            data.append(Datum(series_key(account, NAMESPACE, "Errors", dims), minute, COUNT, flags))
            data.append(Datum(series_key(account, NAMESPACE, "Duration", dims), minute, MILLISECONDS, samples))
            if provisioned and dims:
                served = series_key(account, NAMESPACE, "ProvisionedConcurrencyInvocations", dims)
                data.append(Datum(served, minute, COUNT, ((1.0, float(provisioned)),)))
    return data


def concurrency(account: str, at_ms: int, busy: int, unreserved: int, functions: dict[str, int]) -> list[Datum]:
    """Samples of the most executions running at once (zeros are not sent, as AWS sends none)."""
    data: list[Datum] = []
    if busy:
        key = series_key(account, NAMESPACE, "ConcurrentExecutions")
        data.append(Datum(key, at_ms, COUNT, ((float(busy), 1.0),)))
    if unreserved:
        key = series_key(account, NAMESPACE, "UnreservedConcurrentExecutions")
        data.append(Datum(key, at_ms, COUNT, ((float(unreserved), 1.0),)))
    for function, running in functions.items():
        if running:
            key = series_key(account, NAMESPACE, "ConcurrentExecutions", (("FunctionName", function),))
            data.append(Datum(key, at_ms, COUNT, ((float(running), 1.0),)))
    return data
