"""Line 9: the cost of SigV4 verification, in process, per request.

    .venv/bin/python bench/sigv4.py [--count 20000]

The request is a typical boto3 Invoke (a function ARN in the path, a small JSON payload),
captured at botocore's ``before-send`` event exactly as the SDK sends it. Timed: ``Verifier.verify``
with the signing key already cached (a warm request), against the baseline of what the edge does
with the same request without verification (find the Authorization header among the received
ones and read its key id, as ``api/auth`` did before SigV4), and for scale botocore's own cost
of signing it (``SigV4Auth.add_auth``). Each is the median over batches of µs per call.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import statistics
import time
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import boto3
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from lambent.api.auth import permissive_principal
from lambent.api.sigv4 import SignedRequest, Verifier
from lambent.clock import FakeClock
from lambent.model.identity import Credential
from lambent.settings import build_settings

AT = 1_767_225_600.0
CREDENTIAL = Credential(
    access_key_id="AKIAIOSFODNN7EXAMPLE",
    secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    account_id="123456789012",
    principal_arn="arn:aws:iam::123456789012:user/bench",
)
BATCHES = 5


class _Sent(Exception):
    pass


def invoke_request() -> tuple[SignedRequest, Any]:
    """A boto3 Invoke as sent (the verifier's input), and botocore's prepared request."""
    client = boto3.client(
        "lambda",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9000",
        aws_access_key_id=CREDENTIAL.access_key_id,
        aws_secret_access_key=CREDENTIAL.secret_access_key,
        config=Config(retries={"max_attempts": 0}),
    )
    seen: list[Any] = []

    def stop(request: Any, **_kwargs: Any) -> None:
        seen.append(request)
        raise _Sent

    client.meta.events.register("before-send", stop)
    moment = datetime.datetime.fromtimestamp(AT, datetime.UTC).replace(tzinfo=None)
    # _Sent is raised by stop: the request is never sent
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=moment), contextlib.suppress(_Sent):
        client.invoke(FunctionName="arn:aws:lambda:us-east-1:123456789012:function:noop", Payload=b'{"bench": "payload", "n": 1}')
    sent = seen[0]
    parts = urlsplit(sent.url)
    headers = [(b"host", parts.netloc.encode())] + [
        (k.lower().encode(), v if isinstance(v, bytes) else str(v).encode()) for k, v in sent.headers.items()
    ]
    return SignedRequest(method=sent.method, path=parts.path, query=parts.query, headers=headers, body=sent.body or b""), sent


def _per_call_us(run_batch: Any, count: int) -> float:
    samples = []
    for _ in range(BATCHES):
        started = time.perf_counter()
        run_batch(count)
        samples.append((time.perf_counter() - started) / count * 1e6)
    return statistics.median(samples)


def measure(count: int = 20_000) -> dict[str, Any]:
    request, sent = invoke_request()
    store = {CREDENTIAL.access_key_id: CREDENTIAL}

    async def lookup(key: str, _token: str | None = None) -> Credential | None:
        return store.get(key)

    verifier = Verifier(lookup, FakeClock(AT), "us-east-1")
    loop = asyncio.new_event_loop()
    verified = loop.run_until_complete(verifier.verify(request))  # also warms the key cache
    assert verified.credential == CREDENTIAL

    def verify_batch(n: int) -> None:
        async def batch() -> None:
            for _ in range(n):
                await verifier.verify(request)

        loop.run_until_complete(batch())

    settings = build_settings({}, {"account_id": "123456789012"})

    def parse_batch(n: int) -> None:
        async def batch() -> None:
            for _ in range(n):
                authorization = None
                for name, value in request.headers:
                    if name == b"authorization":
                        authorization = value.decode("latin-1")  # type: ignore[union-attr]
                        break
                permissive_principal(authorization, settings)

        loop.run_until_complete(batch())

    signer = botocore.auth.SigV4Auth(Credentials(CREDENTIAL.access_key_id, CREDENTIAL.secret_access_key), "lambda", "us-east-1")

    def sign_batch(n: int) -> None:
        for _ in range(n):
            signer.add_auth(AWSRequest(method=sent.method, url=sent.url, data=sent.body, headers={}))

    try:
        return {
            "verify_us": _per_call_us(verify_batch, count),
            "parse_us": _per_call_us(parse_batch, count),
            "botocore_sign_us": _per_call_us(sign_batch, max(1, count // 4)),
            "count": count,
            "signed_headers": next(v.decode() for k, v in request.headers if k == b"authorization")
            .split("SignedHeaders=")[1]
            .split(",")[0],
        }
    finally:
        loop.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="verifications per batch")
    result = measure(parser.parse_args().count)
    print(
        f"SigV4 verify (warm key cache, boto3 Invoke): {result['verify_us']:.1f} µs; "
        f"parse only {result['parse_us']:.2f} µs; botocore signing {result['botocore_sign_us']:.1f} µs "
        f"(signed headers {result['signed_headers']}); target ≤ 30 µs"
    )


if __name__ == "__main__":
    main()
