"""InvokeWithResponseStream against a real server, read by botocore's own event stream parser: a
function that does not stream answers with its whole payload as one PayloadChunk, then
InvokeComplete (with the log tail for LogType Tail, the error for a function error)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.fixtures.server import create

CODE = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("broken on purpose")
    print("streamed log line")
    return {"echo": event}
"""


def _events(response: dict[str, Any]) -> list[dict[str, Any]]:
    return list(response["EventStream"])


def test_a_buffered_function_answers_through_the_stream_api(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    response = lam.invoke_with_response_stream(FunctionName=fn_name, Payload=b'{"a": 1}', LogType="Tail")
    assert response["StatusCode"] == 200 and response["ExecutedVersion"] == "$LATEST"
    assert response["ResponseStreamContentType"] == "application/vnd.amazon.eventstream"
    chunk, complete = _events(response)
    assert json.loads(chunk["PayloadChunk"]["Payload"]) == {"echo": {"a": 1}}
    done = complete["InvokeComplete"]
    assert "ErrorCode" not in done and "streamed log line" in base64.b64decode(done["LogResult"]).decode()


def test_a_function_error_ends_the_stream_with_its_type(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    response = lam.invoke_with_response_stream(FunctionName=fn_name, Payload=b'{"fail": true}')
    chunk, complete = _events(response)
    assert json.loads(chunk["PayloadChunk"]["Payload"])["errorType"] == "ValueError"
    assert complete["InvokeComplete"] == {"ErrorCode": "ValueError", "ErrorDetails": "broken on purpose"}


def test_refusals_come_before_the_stream(lam: Any) -> None:
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as missing:
        lam.invoke_with_response_stream(FunctionName="no-such-function", Payload=b"{}")
    assert missing.value.response["Error"]["Message"].startswith("Function not found: arn:aws:lambda:")
