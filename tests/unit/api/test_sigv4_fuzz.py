"""Fuzzing the verifier's parsers: whatever the Authorization header or query, a SignatureRefusal.

Never another exception (a 500 at the edge): not for arbitrary text, not for near-valid headers
with one part mangled, not for presigned query strings with arbitrary X-Amz-* values.
"""

from __future__ import annotations

import asyncio
import contextlib

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from lambent.api.sigv4 import SignedRequest, Verifier
from lambent.clock import FakeClock
from lambent.errors import SignatureRefusal
from tests.fixtures.sigv4 import REGION, SESSION, SIGNED_AT, USER, Store, sign

VERIFIER = Verifier(Store(USER, SESSION), FakeClock(SIGNED_AT), REGION)
TEXT = st.text(st.characters(codec="latin-1"), max_size=80)
PART = st.one_of(
    TEXT, st.sampled_from(["", "=", ",", "/", ";", " ", "AKIAIOSFODNN7EXAMPLE", "20260101", REGION, "lambda", "aws4_request"])
)


def refused(request: SignedRequest) -> bool:
    try:
        asyncio.run(VERIFIER.verify(request))
    except SignatureRefusal:
        return True
    return False


@given(authorization=TEXT, date=TEXT, token=st.none() | TEXT)
def test_any_authorization_header_is_refused_as_aws_would(authorization: str, date: str, token: str | None) -> None:
    headers = [(b"host", b"x"), (b"authorization", authorization.encode("latin-1")), (b"x-amz-date", date.encode("latin-1"))]
    if token is not None:
        headers.append((b"x-amz-security-token", token.encode("latin-1")))
    assert refused(SignedRequest(method="POST", path="/", headers=headers, body=b"{}"))


@given(
    key=PART,
    date=PART,
    region=PART,
    service=PART,
    terminator=PART,
    signed=PART,
    signature=PART,
    separator=st.sampled_from([", ", ",", " ,", ",,"]),
    stamp=st.sampled_from(["20260101T000000Z", "20260101T000000", "", "x"]),
)
def test_near_valid_authorization_headers_are_refused(
    key: str, date: str, region: str, service: str, terminator: str, signed: str, signature: str, separator: str, stamp: str
) -> None:
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={key}/{date}/{region}/{service}/{terminator}{separator}"
        f"SignedHeaders={signed}{separator}Signature={signature}"
    )
    headers = [(b"host", b"x"), (b"authorization", authorization.encode("latin-1")), (b"x-amz-date", stamp.encode())]
    assert refused(SignedRequest(method="GET", path="/2015-03-31/functions/", headers=headers))


NAMES = st.sampled_from(
    [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
        "X-Amz-Security-Token",
        "Qualifier",
        "X-Amz-",
        "",
    ]
)
VALUES = st.one_of(
    st.text(st.characters(codec="ascii"), max_size=40),
    st.sampled_from(
        [
            "AWS4-HMAC-SHA256",
            "AKIAIOSFODNN7EXAMPLE%2F20260101%2Fus-east-1%2Flambda%2Faws4_request",
            "20260101T000000Z",
            "300",
            "-1",
            "999999999",
            "host",
            "%",
            "%zz",
            "+",
        ]
    ),
)


@given(pairs=st.lists(st.tuples(NAMES, VALUES), max_size=9), path=TEXT)
def test_any_presigned_query_is_refused(pairs: list[tuple[str, str]], path: str) -> None:
    query = "&".join(f"{k}={v}" for k, v in [("X-Amz-Credential", "x"), *pairs])
    assert refused(SignedRequest(method="GET", path="/" + path, query=query, headers=[(b"host", b"x")]))


SIGNED = sign(
    "POST",
    "http://127.0.0.1:9000/2015-03-31/functions/worker/invocations?Qualifier=1",
    body=b"{}",
    headers={"X-Amz-Log-Type": "Tail"},
)


@given(path=TEXT, query=TEXT, log_type=TEXT, body=st.binary(max_size=64), method=TEXT)
def test_a_signed_request_with_any_part_replaced_is_refused_or_passes(
    path: str, query: str, log_type: str, body: bytes, method: str
) -> None:
    # past the parser, into botocore's canonicalisation: still nothing but a SignatureRefusal
    headers = [(k, log_type.encode("latin-1") if k == b"x-amz-log-type" else v) for k, v in SIGNED.headers]
    request = msgspec.structs.replace(SIGNED, method=method, path="/" + path, query=query, headers=headers, body=body)
    with contextlib.suppress(SignatureRefusal):
        asyncio.run(VERIFIER.verify(request))
