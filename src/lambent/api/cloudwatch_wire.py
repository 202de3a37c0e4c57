"""CloudWatch's wire: the three protocols its botocore model lists (``smithy-rpc-v2-cbor``,
``json``, ``query``), read and written as botocore's serializers and parsers expect.

- **Smithy RPC v2 CBOR** (what current boto3 and the AWS CLI send): ``POST
  /service/GraniteServiceVersion20100801/operation/<Op>`` with ``smithy-protocol: rpc-v2-cbor``
  and a CBOR body; answers carry the same header, ``Content-Type: application/cbor``, timestamps
  as CBOR tag 1 (epoch seconds).
- **awsJson1_0**: ``POST /`` with ``X-Amz-Target: GraniteServiceVersion20100801.<Op>``;
  timestamps as epoch seconds.
- **query** (``Action=...``, older SDKs): ``api/query.py``'s codec, dispatched by ``api/root.py``.

The model is ``awsQueryCompatible``: a CBOR or JSON error names the model's error shape in
``__type`` (``com.amazonaws.cloudwatch#InvalidParameterValueException``) and the query code in
``x-amzn-query-error: InvalidParameterValue;Sender``, from which botocore takes the code boto3
raises, so every protocol raises the same ``ClientError`` code. Bodies may be gzipped
(botocore compresses PutMetricData): they are inflated within a bound.
"""

from __future__ import annotations

import datetime
import zlib
from typing import Any

import cbor2
import msgspec
from starlette.responses import Response

from lambent.api.render import request_id
from lambent.errors import ApiError, RequestEntityTooLargeException, ValidationError
from lambent.model.limits import CLOUDWATCH_INFLATED_LIMIT_BYTES

SERVICE = "GraniteServiceVersion20100801"
CBOR_PREFIX = f"/service/{SERVICE}/operation/"
ERROR_NAMESPACE = "com.amazonaws.cloudwatch#"
_CBOR = "application/cbor"
_JSON = "application/x-amz-json-1.0"
_encode_json = msgspec.json.Encoder()
#: Errors of other services' trees as CloudWatch's model names them.
_SHAPES = {"ValidationError": "ValidationException", "AccessDenied": "AccessDeniedException"}


def inflate(body: bytes, encoding: str | None) -> bytes:
    """*body* as sent, gunzipped when its Content-Encoding says so (within a bound)."""
    if not encoding or encoding.strip().lower() != "gzip":
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        inflated = inflater.decompress(body, CLOUDWATCH_INFLATED_LIMIT_BYTES + 1)
    except zlib.error:
        raise ValidationError("The request body is not valid gzip.") from None
    if len(inflated) > CLOUDWATCH_INFLATED_LIMIT_BYTES or inflater.unconsumed_tail:
        raise RequestEntityTooLargeException(
            f"Request must be smaller than {CLOUDWATCH_INFLATED_LIMIT_BYTES} bytes once inflated"
        )
    return inflated


def instant(value: Any) -> float:
    """A timestamp member as epoch seconds, as any protocol sends it (CBOR: a datetime; JSON: a
    number; query: ISO 8601 text or a number)."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return float(value.timestamp())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            return instant(datetime.datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            pass
    raise ValidationError(f"Value '{value}' is not a valid timestamp.")


def decode_cbor(body: bytes) -> Any:
    try:
        return cbor2.loads(body) if body else {}
    except (cbor2.CBORDecodeError, ValueError, TypeError):
        raise ValidationError("The request body is not valid CBOR.") from None


def decode_json(body: bytes) -> Any:
    try:
        return msgspec.json.decode(body) if body.strip() else {}
    except msgspec.DecodeError:
        raise ValidationError("The request body is not valid JSON.") from None


def _epochs(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _epochs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_epochs(v) for v in value]
    return value


def cbor_response(result: dict[str, Any] | None) -> Response:
    headers = {"smithy-protocol": "rpc-v2-cbor", "x-amzn-RequestId": request_id()}
    return Response(cbor2.dumps(result or {}, datetime_as_timestamp=True), media_type=_CBOR, headers=headers)


def json_response(result: dict[str, Any] | None) -> Response:
    body = _encode_json.encode(_epochs(result or {}))
    return Response(body, media_type=_JSON, headers={"x-amzn-RequestId": request_id()})


def _parts(error: ApiError) -> tuple[str, dict[str, str]]:
    code = str(getattr(error, "query_error_type", error.error_type))
    shape = str(getattr(error, "shape", _SHAPES.get(code, error.error_type)))
    fault = "Receiver" if error.status >= 500 else "Sender"
    headers = {"x-amzn-query-error": f"{code};{fault}", "x-amzn-RequestId": request_id()}
    return ERROR_NAMESPACE + shape, headers


def cbor_error(error: ApiError) -> Response:
    shape, headers = _parts(error)
    body = cbor2.dumps({"__type": shape, "message": error.message})
    return Response(body, status_code=error.status, media_type=_CBOR, headers={**headers, "smithy-protocol": "rpc-v2-cbor"})


def json_error(error: ApiError) -> Response:
    shape, headers = _parts(error)
    body = _encode_json.encode({"__type": shape, "message": error.message})
    return Response(body, status_code=error.status, media_type=_JSON, headers=headers)
