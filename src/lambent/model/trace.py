"""The trace header Lambda gives each invocation, and the loop count it carries. Pure.

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


def next_header(incoming: str | None, now: float) -> str:
    """The trace header of an invocation made with *incoming* (its caller's, or None) at *now*
    (epoch seconds: a new root's first field is its time)."""
    trace_root = root(incoming) or f"1-{int(now):08x}-{secrets.token_hex(12)}"
    return f"Root={trace_root};Parent={secrets.token_hex(8)};Sampled=0;Lineage={lineage(incoming) + 1}"


def is_loop(incoming: str | None) -> bool:
    """Whether an invocation with *incoming* would make the chain longer than 16."""
    return lineage(incoming) >= MAX_CHAIN
