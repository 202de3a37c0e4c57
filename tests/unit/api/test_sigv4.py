"""The SigV4 verifier against what the SDKs really send, and its refusals' codes and words.

Requests are captured from boto3's lambda, logs, iam and sts clients (and the AWS CLI's driver)
at botocore's ``before-send`` event, after signing, so the header set is the SDKs' own.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

import botocore.auth
import msgspec
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lambent.api import sigv4
from lambent.api.sigv4 import SignedRequest, Verifier
from lambent.clock import FakeClock
from lambent.errors import (
    ExpiredTokenException,
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    SignatureRefusal,
    UnrecognizedClientException,
)
from tests.fixtures.sigv4 import ENDPOINT, REGION, SESSION, SIGNED_AT, USER, Store, captured, epoch, sign

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:worker"


def verify(request: SignedRequest, now: float = SIGNED_AT, service: str | None = None, region: str = REGION) -> Any:
    return asyncio.run(Verifier(Store(USER, SESSION), FakeClock(now), region).verify(request, service))


def refusal(request: SignedRequest, now: float = SIGNED_AT, service: str | None = None) -> SignatureRefusal:
    with pytest.raises(SignatureRefusal) as refused:
        verify(request, now, service)
    return refused.value


SDK_CALLS = [
    ("lambda", "invoke", {"FunctionName": FUNCTION, "Payload": b'{"a": 1}', "Qualifier": "PROD", "LogType": "Tail"}),
    ("lambda", "invoke", {"FunctionName": "worker", "InvocationType": "Event", "Payload": b"{}"}),
    ("lambda", "list_functions", {"MaxItems": 10, "Marker": "a/b=="}),
    ("lambda", "get_function", {"FunctionName": "worker:7"}),
    (
        "lambda",
        "create_function",
        {
            "FunctionName": "worker",
            "Runtime": "python3.12",
            "Role": "arn:aws:iam::123456789012:role/r",
            "Handler": "app.handler",
            "Code": {"ZipFile": b"PK\x05\x06" + b"\0" * 18},
        },
    ),
    ("lambda", "tag_resource", {"Resource": FUNCTION, "Tags": {"team": "a b ü"}}),
    ("lambda", "delete_function", {"FunctionName": "worker"}),
    ("logs", "filter_log_events", {"logGroupName": "/aws/lambda/worker", "filterPattern": "ERROR"}),
    ("iam", "list_users", {}),
    ("iam", "create_role", {"RoleName": "r", "AssumeRolePolicyDocument": '{"Statement": []}'}),
    ("sts", "get_caller_identity", {}),
    ("sts", "assume_role", {"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "session"}),
]


@pytest.mark.parametrize(("service", "operation", "params"), SDK_CALLS, ids=[f"{s}.{o}" for s, o, _ in SDK_CALLS])
@pytest.mark.parametrize("credential", [USER, SESSION], ids=["user", "session"])
def test_boto3_requests_verify_with_their_scope(service: str, operation: str, params: dict[str, Any], credential: Any) -> None:
    request = captured(service, operation, credential=credential, **params)
    verified = verify(request, service=service)
    assert (verified.credential, verified.region, verified.service, verified.presigned) == (credential, REGION, service, False)
    # and the body is covered: one byte changed is refused
    if request.body:
        changed = msgspec.structs.replace(request, body=request.body[:-1] + bytes([request.body[-1] ^ 1]))
        assert type(refusal(changed)) is InvalidSignatureException


def test_the_aws_cli_request_verifies() -> None:
    from awscli.clidriver import create_clidriver

    driver = create_clidriver()
    seen: list[Any] = []

    def stop(request: Any, **_kwargs: Any) -> None:
        seen.append(request)
        raise KeyboardInterrupt  # the CLI turns it into exit status 130, sending nothing

    driver.session.register("before-send", stop)
    env = {
        "AWS_ACCESS_KEY_ID": USER.access_key_id,
        "AWS_SECRET_ACCESS_KEY": USER.secret_access_key,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    }
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        for name, value in env.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        patch.delenv("AWS_SESSION_TOKEN", raising=False)
        driver.main(["--endpoint-url", ENDPOINT, "lambda", "list-functions", "--max-items", "3"])
    assert seen, "the CLI sent nothing"
    from tests.fixtures.sigv4 import as_received

    request = as_received(seen[0].method, seen[0].url, seen[0].headers, seen[0].body)
    signed_at = epoch(dict(request.headers)[b"x-amz-date"].decode())
    assert verify(request, now=signed_at, service="lambda").credential == USER


def test_a_presigned_request_verifies_until_its_expiry() -> None:
    request = sign("GET", f"{ENDPOINT}/2015-03-31/functions/worker?Qualifier=1", expires=60)
    assert verify(request, now=SIGNED_AT + 60).presigned
    assert refusal(request, now=SIGNED_AT + 61).message == (
        "Signature expired: 20260101T000000Z is now earlier than 20260101T000001Z (20260101T000101Z - 60 sec.)"
    )


def test_the_mismatch_names_the_canonical_request_and_string_to_sign_botocore_computed() -> None:
    request = sign("POST", f"{ENDPOINT}/2015-03-31/functions/worker/invocations", body=b"{}", secret="wrong/secret")
    message = refusal(request).message
    raw = AWSRequest(method="POST", url=f"{ENDPOINT}/2015-03-31/functions/worker/invocations", data=b"{}")
    signer = botocore.auth.SigV4Auth(Credentials(USER.access_key_id, USER.secret_access_key), "lambda", REGION)
    raw.headers["X-Amz-Date"] = "20260101T000000Z"
    raw.context["timestamp"] = "20260101T000000Z"
    canonical = signer.canonical_request(raw)
    assert message == (
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key"
        " and signing method. Consult the service documentation for details.\n\n"
        f"The Canonical String for this request should have been\n'{canonical}'\n\n"
        f"The String-to-Sign should have been\n'{signer.string_to_sign(raw, canonical)}'\n"
    )


def test_repeated_headers_are_joined_as_botocore_signs_them() -> None:
    request = sign("GET", f"{ENDPOINT}/2015-03-31/functions/", headers={"X-Custom": "a,b"})
    split = msgspec.structs.replace(
        request, headers=[*(h for h in request.headers if h[0] != b"x-custom"), (b"x-custom", b"a"), (b"x-custom", b"b")]
    )
    assert verify(split).credential == USER
    # str pairs are accepted as well as bytes
    as_str = msgspec.structs.replace(request, headers=[(k.decode(), v.decode()) for k, v in request.headers])  # type: ignore[union-attr]
    assert verify(as_str).credential == USER


def test_a_declared_payload_hash_must_be_the_bodys_and_unsigned_payload_is_honoured() -> None:
    body = b'{"Timeout": 3}'
    declared = sign("PUT", f"{ENDPOINT}/x", headers={"X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()}, body=body)
    assert verify(declared).credential == USER
    unsigned = sign("PUT", f"{ENDPOINT}/x", headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}, body=body)
    assert verify(msgspec.structs.replace(unsigned, body=b"anything")).credential == USER
    lying = sign("PUT", f"{ENDPOINT}/x", headers={"X-Amz-Content-SHA256": hashlib.sha256(b"other").hexdigest()}, body=body)
    assert refusal(lying).message == "The provided 'x-amz-content-sha256' header does not match what was computed."


def test_a_date_header_stands_in_for_x_amz_date() -> None:
    request = sign("GET", f"{ENDPOINT}/2015-03-31/functions/")
    headers = [(k, v) for k, v in request.headers if k != b"x-amz-date"] + [(b"date", b"Thu, 01 Jan 2026 00:00:00 GMT")]
    # signed with X-Amz-Date, so with Date alone the signature no longer matches; but it is read
    assert type(refusal(msgspec.structs.replace(request, headers=headers))) is InvalidSignatureException


# -- refusals: words, statuses, per-protocol codes ----------------------------------------------


def _authorization(value: str) -> SignedRequest:
    return SignedRequest(
        method="GET",
        path="/",
        headers=[(b"host", b"x"), (b"x-amz-date", b"20260101T000000Z"), (b"authorization", value.encode())],
    )


def test_missing_authorization_is_missing_authentication_token() -> None:
    refused = refusal(SignedRequest(method="GET", path="/2015-03-31/functions/", headers=[(b"host", b"x")]))
    assert (type(refused), refused.message, refused.status) == (
        MissingAuthenticationTokenException,
        "Missing Authentication Token",
        403,
    )
    assert refused.code("lambda") == "MissingAuthenticationTokenException"
    assert refused.code("iam") == "MissingAuthenticationToken"


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (
            "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. "
            "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws4_request",
            "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
            "Authorization=AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws4_request",
        ),
        (
            "AWS4-HMAC-SHA256 Credential= AKID/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature",
            "'Signature' not a valid key=value pair (missing equal-sign) in Authorization header: "
            "'AWS4-HMAC-SHA256 Credential= AKID/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature'.",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda, SignedHeaders=host, Signature=00",
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term,"
            " got 'AKID/20260101/us-east-1/lambda'",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws4_request, SignedHeaders=x-amz-date, Signature=00",
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ),
    ],
)
def test_an_incomplete_authorization_is_refused_in_aws_words(authorization: str, message: str) -> None:
    refused = refusal(_authorization(authorization))
    assert (type(refused), refused.message, refused.status) == (IncompleteSignatureException, message, 400)
    assert (refused.code("lambda"), refused.code("sts")) == ("IncompleteSignatureException", "IncompleteSignature")


def test_a_date_that_is_not_iso_8601_basic() -> None:
    request = _authorization(
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00"
    )
    request = msgspec.structs.replace(request, headers=[(b"host", b"x"), (b"x-amz-date", b"2026-01-01"), request.headers[2]])
    assert refusal(request).message == (
        "Date must be in ISO-8601 'basic format'. Got '2026-01-01'. See http://en.wikipedia.org/wiki/ISO_8601"
    )


def test_scope_refusals_and_their_codes_per_protocol() -> None:
    wrong_date = _authorization(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20251231/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00"
    )
    refused = refusal(wrong_date)
    assert refused.message == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        "'20251231' != '20260101', from '20260101T000000Z'."
    )
    assert (refused.code(), refused.service) == ("SignatureDoesNotMatch", "iam")
    terminator = _authorization(
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws5_request, SignedHeaders=host, Signature=0"
    )
    assert (
        refusal(terminator).message == "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
    )
    logs = sign("POST", f"{ENDPOINT}/", service="logs", body=b"{}")
    refused = refusal(logs, service="lambda")
    assert (refused.message, refused.code()) == (
        "Credential should be scoped to correct service: 'lambda'. ",
        "InvalidSignatureException",
    )


def test_unknown_keys_and_tokens_in_each_protocols_words() -> None:
    stranger = msgspec.structs.replace(USER, access_key_id="AKIASTRANGER0000000")
    for service, code in (
        ("lambda", "UnrecognizedClientException"),
        ("iam", "InvalidClientTokenId"),
        ("sts", "InvalidClientTokenId"),
    ):
        refused = refusal(sign("POST", f"{ENDPOINT}/", credential=stranger, service=service, body=b"x"))
        assert (type(refused), refused.code(), refused.status) == (UnrecognizedClientException, code, 403)
        assert refused.message == "The security token included in the request is invalid."
    expired = refusal(sign("POST", f"{ENDPOINT}/", credential=SESSION, service="sts", at=SIGNED_AT + 3590), now=SIGNED_AT + 3600)
    assert (type(expired), expired.code(), expired.message) == (
        ExpiredTokenException,
        "ExpiredToken",
        "The security token included in the request is expired",
    )
    assert expired.code("lambda") == "ExpiredTokenException"


def test_a_warm_key_is_derived_once() -> None:
    sigv4.signing_key.cache_clear()
    request = sign("GET", f"{ENDPOINT}/2015-03-31/functions/")
    for _ in range(3):
        verify(request)
    info = sigv4.signing_key.cache_info()
    assert (info.misses, info.hits) == (1, 2)
    assert info.maxsize is not None and info.maxsize >= 1024


def test_iam_is_global_so_its_scope_may_name_any_region_but_lambdas_may_not() -> None:
    # botocore signs IAM with the client's region once an endpoint_url is set
    iam = sign("POST", f"{ENDPOINT}/", service="iam", region="eu-west-1", body=b"Action=ListUsers&Version=2010-05-08")
    assert verify(iam, service="iam").region == "eu-west-1"
    for service in ("lambda", "sts", "logs"):
        refused = refusal(sign("POST", f"{ENDPOINT}/", service=service, region="eu-west-1", body=b"{}"), service=service)
        assert refused.message == "Credential should be scoped to a valid region, not 'eu-west-1'. "


def test_the_query_is_canonicalised_from_its_decoded_values_as_aws_does() -> None:
    request = sign("GET", f"{ENDPOINT}/2015-03-31/functions/?Marker=a~b%2Fc&MaxItems=5")
    # the same values, encoded otherwise on the wire
    assert verify(msgspec.structs.replace(request, query="MaxItems=5&Marker=a%7Eb%2fc")).credential == USER
    assert type(refusal(msgspec.structs.replace(request, query="MaxItems=5&Marker=a~b%2Fd"))) is InvalidSignatureException
