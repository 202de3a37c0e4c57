"""model/channel.py: the typed invoke frame encodes to the exact bytes the bootstraps read."""

from __future__ import annotations

import json

import msgspec

from lambent.model.channel import InvokeMessage


def test_the_invoke_header_has_every_key_in_the_bootstraps_order() -> None:
    message = InvokeMessage(id="req", deadline_ms=1234, arn="arn:fn", trace_id="Root=1", client_context={"a": 1})
    encoded = msgspec.json.encode(message)
    assert encoded == (
        b'{"t":"invoke","id":"req","deadline_ms":1234,"arn":"arn:fn","trace_id":"Root=1",'
        b'"client_context":{"a":1},"identity":null}'
    )
    as_dict = {"t": "invoke", "id": "req", "deadline_ms": 1234, "arn": "arn:fn", "trace_id": "Root=1"}
    assert encoded == msgspec.json.encode({**as_dict, "client_context": {"a": 1}, "identity": None})
    assert json.loads(encoded)["t"] == "invoke"
    assert msgspec.json.decode(encoded, type=InvokeMessage) == message
