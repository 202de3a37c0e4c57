"""The invoker's records: what it is asked, what it answers, how it is set up, where logs go."""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from lambent.errors import InvocationFailure
from lambent.model.billing import UsageRecord

#: An environment pool: function name, version, configuration revision id.
PoolKey = tuple[str, str, str]


class LogSink(Protocol):
    """Where logs and usage go: durably recorded before the call returns, never awaited."""

    def append(self, group: str, stream: str, timestamp_ms: int, text: bytes) -> None:
        """Record *text* (one or more lines) for the log stream."""
        ...

    def record(self, group: str, stream: str, timestamp_ms: int, text: bytes, usage: UsageRecord) -> None:
        """Record an invocation's log block together with its usage record."""
        ...

    def record_usage(self, usage: UsageRecord) -> None: ...


class InvokeRequest(msgspec.Struct, frozen=True, kw_only=True):
    request_id: str
    payload: bytes
    invoked_arn: str
    client_context: dict[str, Any] | None = None
    identity: dict[str, Any] | None = None
    trace_id: str | None = None
    #: As metered: the alias or version the caller named, the attempt (async retries count up).
    qualifier: str | None = None
    invocation_type: str = "RequestResponse"
    attempt: int = 1
    #: Where a streamed response goes (a ``ResponseStream``: InvokeWithResponseStream, a
    #: RESPONSE_STREAM function URL); None gathers it as Invoke does.
    stream: Any = None


class Invocation(msgspec.Struct, kw_only=True):
    """The outcome the caller sees, with what the log recorded."""

    request_id: str
    payload: bytes
    failure: InvocationFailure | None
    log: bytes
    duration_ms: float
    billed_duration_ms: int
    init_duration_ms: float | None
    max_memory_used_mb: int


class InvokerSettings(msgspec.Struct, frozen=True, kw_only=True):
    region: str
    account_id: str
    endpoint_url: str
    idle_timeout_s: float
    concurrency_limit: int
    #: New environments per function per 10 s (AWS's default: 1,000).
    scale_out_limit: int = 1000
    #: Host directory of the runtimes' shared files (``<data>/runtime``).
    runtime_dir: str
    #: Host directory holding the merged layer trees (``<data>/opt``), by ``opt_key``.
    opt_root: str


class InvokerStatistics(msgspec.Struct, frozen=True, kw_only=True):
    environments: int
    busy: int
    idle: int
    started: int
    reaped: int
