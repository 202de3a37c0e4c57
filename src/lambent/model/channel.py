"""The invoke frame the platform sends an environment, as one typed record. Pure.

The built-in runtimes (``runtimes/python/bootstrap.py``, ``runtimes/node/bootstrap.mjs``) read
its JSON header, so the encoding is fixed: ``{"t": "invoke", "id", "deadline_ms", "arn",
"trace_id", "client_context", "identity"}`` in that order, every key present (null when unset).
The event travels as the frame's raw body, beside the header, never inside it.
"""

from __future__ import annotations

from typing import Any

import msgspec


class InvokeMessage(msgspec.Struct, frozen=True, kw_only=True, tag_field="t", tag="invoke"):
    """One invocation as the runtime (and its extensions) are told of it."""

    id: str
    #: Wall-clock milliseconds since the epoch at which the invocation times out.
    deadline_ms: int
    arn: str
    trace_id: str | None = None
    client_context: dict[str, Any] | None = None
    identity: dict[str, Any] | None = None
