"""The trace header Lambda gives each invocation, its sampling decision, and the loop count it
carries. Pure (the sampler's state is its caller's).

Every invocation gets ``_X_AMZN_TRACE_ID`` = ``Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=0;
Lineage=<count>``. AWS's SDKs forward it as ``X-Amzn-Trace-Id`` on the calls a function makes
(botocore's recursion-detection handler), so an invocation caused by another carries the chain's
length: each hop adds one. A chain longer than 16 is a recursive loop, which Lambda stops unless
the function's RecursiveLoop is ``Allow``.
"""

from __future__ import annotations

import re
import secrets

from lambent.model.limits import MAX_CHAIN

_FIELD = re.compile(r"([A-Za-z]+)=([^;]*)")


def lineage(header: str | None) -> int:
    """How many invocations led to this one (0 for a call from outside)."""
    if not header:
        return 0
    for key, value in _FIELD.findall(header):
        if key == "Lineage":
            count = value.rsplit(":", 1)[-1]
            return int(count) if count.isdigit() else 0
    return 0


def root(header: str | None) -> str | None:
    for key, value in _FIELD.findall(header or ""):
        if key == "Root":
            return str(value)
    return None


def decision(header: str | None) -> bool | None:
    """The upstream's sampling decision in *header* (``Sampled=1`` or ``0``), None when it made
    none (no header, no field, or ``Sampled=?``)."""
    for key, value in _FIELD.findall(header or ""):
        if key == "Sampled" and value in ("0", "1"):
            return bool(value == "1")
    return None


def next_header(incoming: str | None, now: float, sample: bool = False) -> str:
    """The trace header of an invocation made with *incoming* (its caller's, or None) at *now*
    (epoch seconds: a new root's first field is its time). The upstream's sampling decision is
    honoured and propagated; where it made none, *sample* is Lambda's own (``Sampler`` for a
    function whose TracingConfig is Active; never for PassThrough, as on AWS)."""
    trace_root = root(incoming) or f"1-{int(now):08x}-{secrets.token_hex(12)}"
    upstream = decision(incoming)
    sampled = upstream if upstream is not None else sample
    return f"Root={trace_root};Parent={secrets.token_hex(8)};Sampled={int(sampled)};Lineage={lineage(incoming) + 1}"


class Sampler:
    """X-Ray's default sampling rule, which Lambda applies to an Active function's requests
    that arrive without a decision: the first request in each second (the reservoir), then 5%
    of the rest. *draw* is a uniform number in [0, 1) per request."""

    RESERVOIR_PER_SECOND = 1
    FIXED_RATE = 0.05

    def __init__(self) -> None:
        self._second = -1
        self._taken = 0

    def sample(self, now: float, draw: float) -> bool:
        second = int(now)
        if second != self._second:
            self._second, self._taken = second, 0
        if self._taken < self.RESERVOIR_PER_SECOND:
            self._taken += 1
            return True
        return draw < self.FIXED_RATE


def is_loop(incoming: str | None) -> bool:
    """Whether an invocation with *incoming* would make the chain longer than 16."""
    return lineage(incoming) >= MAX_CHAIN


def otel_ids(header: str) -> tuple[int, int] | None:
    """The OpenTelemetry trace id and parent span id of an X-Ray trace header: the root's time
    and random parts make the 128-bit trace id, ``Parent`` the 64-bit span id. None when the
    header has no well-formed root or parent."""
    found = dict(_FIELD.findall(header))
    parts = found.get("Root", "").split("-")
    parent = found.get("Parent", "")
    if len(parts) != 3 or len(parts[1]) != 8 or len(parts[2]) != 24 or len(parent) != 16:
        return None
    try:
        return int(parts[1] + parts[2], 16), int(parent, 16)
    except ValueError:
        return None
