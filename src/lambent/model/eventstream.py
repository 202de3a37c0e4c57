"""AWS's event stream framing (``application/vnd.amazon.eventstream``), the encoding side. Pure.

Each message: a prelude (total length and headers length, 4 bytes each, big-endian, then the
CRC32 of those 8 bytes), the headers, the payload, and the CRC32 of everything before it. A
header is its name's length (1 byte), the name, a type byte and a value; Lambda's
InvokeWithResponseStream only sends string headers (type 7: a 2-byte length, then UTF-8):
``:message-type`` ``event``, ``:event-type`` (``PayloadChunk``, ``InvokeComplete``) and
``:content-type``. botocore has the decoder (``botocore.eventstream``), which the tests use to
read what this writes; it has no encoder, nor does any library the SDKs share.
"""

from __future__ import annotations

import json
import struct
from binascii import crc32

_STRING = 7
_PRELUDE = struct.Struct(">II")


def _header(name: str, value: str) -> bytes:
    encoded_name, encoded_value = name.encode(), value.encode()
    return bytes([len(encoded_name)]) + encoded_name + bytes([_STRING]) + struct.pack(">H", len(encoded_value)) + encoded_value


def message(headers: list[tuple[str, str]], payload: bytes) -> bytes:
    """One framed message with string *headers* and *payload*."""
    encoded = b"".join(_header(name, value) for name, value in headers)
    prelude = _PRELUDE.pack(_PRELUDE.size + 4 + len(encoded) + len(payload) + 4, len(encoded))
    framed = prelude + struct.pack(">I", crc32(prelude) & 0xFFFFFFFF) + encoded + payload
    return framed + struct.pack(">I", crc32(framed) & 0xFFFFFFFF)


def event(event_type: str, payload: bytes, content_type: str = "application/octet-stream") -> bytes:
    """An event of *event_type* (the members of the operation's event stream shape)."""
    return message([(":event-type", event_type), (":content-type", content_type), (":message-type", "event")], payload)


def payload_chunk(data: bytes) -> bytes:
    """InvokeWithResponseStream's ``PayloadChunk``: some of the function's response."""
    return event("PayloadChunk", data)


def invoke_complete(error_code: str | None = None, error_details: str | None = None, log_result: str | None = None) -> bytes:
    """InvokeWithResponseStream's ``InvokeComplete``, the last event (members present when set)."""
    members = {"ErrorCode": error_code, "ErrorDetails": error_details, "LogResult": log_result}
    body = json.dumps({k: v for k, v in members.items() if v is not None}, separators=(",", ":")).encode()
    return event("InvokeComplete", body, "application/json")
