"""model.eventstream: what it frames, botocore's own decoder reads back, event by event."""

from __future__ import annotations

import json

from botocore.eventstream import EventStreamBuffer
from hypothesis import given
from hypothesis import strategies as st

from lambent.model.eventstream import invoke_complete, message, payload_chunk


def decoded(data: bytes) -> list[tuple[dict[str, object], bytes]]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return [(m.headers, m.payload) for m in buffer]


def test_chunks_then_the_completion_as_botocore_reads_them() -> None:
    stream = payload_chunk(b"hello ") + payload_chunk(b"world") + invoke_complete(log_result="dGFpbA==")
    (first, h1), (_second, h2), (last, done) = decoded(stream)
    assert (h1, h2) == (b"hello ", b"world")
    assert first == {":event-type": "PayloadChunk", ":content-type": "application/octet-stream", ":message-type": "event"}
    assert last[":event-type"] == "InvokeComplete" and json.loads(done) == {"LogResult": "dGFpbA=="}
    assert json.loads(decoded(invoke_complete("Unhandled", "boom"))[0][1]) == {"ErrorCode": "Unhandled", "ErrorDetails": "boom"}


@given(st.lists(st.tuples(st.text(min_size=1, max_size=20), st.text(max_size=60)), max_size=5), st.binary(max_size=2000))
def test_any_string_headers_and_payload_round_trip(headers: list[tuple[str, str]], payload: bytes) -> None:
    headers = list(dict((name, value) for name, value in headers if len(name.encode()) < 256).items())  # names unique
    ((got, body),) = decoded(message(headers, payload))
    assert body == payload and got == dict(headers)
