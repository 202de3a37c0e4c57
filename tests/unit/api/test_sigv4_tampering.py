"""Tampering, generated: every signed element of botocore-signed requests changed in turn.

Each base request (Lambda Invoke with a qualifier and custom headers, ListFunctions with a
query, a declared X-Amz-Content-SHA256, temporary credentials, an IAM query-protocol form, and
presigned URLs with and without a session token) is signed by botocore's SigV4Auth or
SigV4QueryAuth. Each variant changes one thing: the method, the path, each query parameter,
each signed header, the body, the date, the scope's region and service, the key id, the secret,
the token, the signature; or replays it outside the 5-minute window either way; or leaves it
unsigned. Each is refused with AWS's error type and message. Then the same request signed
correctly (the variant re-signed by botocore, or the untouched original) passes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import msgspec
import pytest

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
from tests.fixtures.sigv4 import REGION, SESSION, SIGNED_AT, USER, Store, sign, stamp

HOST = "http://127.0.0.1:9000"
MISMATCH = (InvalidSignatureException.__doc__ or "").strip() + "\n\nThe Canonical String for this request should have been\n'"
OTHER = msgspec.structs.replace(USER, access_key_id="AKIAOTHEROTHEREXAMPLE", secret_access_key="another/secret/key")


@dataclass(frozen=True)
class Spec:
    """What botocore signs: change a field and sign again for "the same request signed correctly"."""

    name: str
    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    credential: Any = USER
    service: str = "lambda"
    expires: int | None = None

    def url(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query)
        return f"{HOST}{self.path}" + (f"?{query}" if query else "")

    def signed(self, **overrides: Any) -> SignedRequest:
        args: dict[str, Any] = {
            "credential": self.credential,
            "headers": self.headers,
            "body": self.body,
            "service": self.service,
            "expires": self.expires,
        }
        args.update(overrides)
        return sign(self.method, self.url(), **args)


INVOKE = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aworker/invocations"
SPECS = [
    Spec(
        "invoke",
        "POST",
        INVOKE,
        [("Qualifier", "PROD")],
        {"Content-Type": "application/json", "X-Amz-Invocation-Type": "RequestResponse", "X-Amz-Log-Type": "Tail"},
        b'{"order": 17, "items": ["a", "b"]}',
    ),
    Spec("list", "GET", "/2015-03-31/functions/", [("MaxItems", "10"), ("Marker", "abc%3D%3D")]),
    Spec(
        "declared-hash",
        "PUT",
        "/2015-03-31/functions/worker/configuration",
        headers={
            "Content-Type": "application/json",
            "X-Amz-Content-SHA256": "c0b8ec5e23e5f5e36ce4e5e1a7fd8a4cfdf8d8a9e89a6f4e3f0c2de5a01dcf3b",
        },
        body=b'{"Timeout": 30}',
    ),
    Spec(
        "session",
        "POST",
        INVOKE,
        headers={"Content-Type": "application/json"},
        body=b'{"hello": "world"}',
        credential=SESSION,
    ),
    Spec(
        "iam",
        "POST",
        "/",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        body=b"Action=ListUsers&Version=2010-05-08",
        service="iam",
    ),
    Spec("presigned", "GET", "/2015-03-31/functions/worker", [("Qualifier", "7")], expires=300),
    Spec("presigned-session", "GET", "/2015-03-31/functions/", [("MaxItems", "5")], credential=SESSION, expires=900),
]
# A declared hash must be the body's for the request to pass at all.
SPECS[2] = replace(
    SPECS[2], headers={**SPECS[2].headers, "X-Amz-Content-SHA256": __import__("hashlib").sha256(SPECS[2].body).hexdigest()}
)


@dataclass(frozen=True)
class Case:
    id: str
    refused: SignedRequest
    kind: type[SignatureRefusal]
    message: str | Callable[[str], bool]
    correct: SignedRequest
    now: float = SIGNED_AT
    #: When the correct request is verified (default: ``now``).
    correct_now: float | None = None


def _headers(request: SignedRequest, change: Callable[[list[tuple[Any, Any]]], list[tuple[Any, Any]]]) -> SignedRequest:
    return msgspec.structs.replace(request, headers=change(list(request.headers)))


def _set(name: bytes, value: bytes) -> Callable[[list[tuple[Any, Any]]], list[tuple[Any, Any]]]:
    return lambda hs: [(k, value if k == name else v) for k, v in hs]


def _drop(name: bytes) -> Callable[[list[tuple[Any, Any]]], list[tuple[Any, Any]]]:
    return lambda hs: [(k, v) for k, v in hs if k != name]


def _header(request: SignedRequest, name: bytes) -> bytes:
    return next(v for k, v in request.headers if k == name)


def _signed_headers(request: SignedRequest) -> list[str]:
    if request.query and "X-Amz-SignedHeaders=" in request.query:
        return next(p.split("=")[1] for p in request.query.split("&") if p.startswith("X-Amz-SignedHeaders=")).split("%3B")
    auth = _header(request, b"authorization").decode()
    return auth.split("SignedHeaders=")[1].split(",")[0].split(";")


def _mismatch(message: str) -> bool:
    return message.startswith(MISMATCH) and "\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n" in message


def _query_param(request: SignedRequest, name: str, value: str | None) -> SignedRequest:
    pairs = []
    for pair in request.query.split("&"):
        if pair.split("=")[0] == name:
            if value is None:
                continue
            pair = f"{name}={value}"
        pairs.append(pair)
    return msgspec.structs.replace(request, query="&".join(pairs))


def cases_for(spec: Spec) -> list[Case]:
    good = spec.signed()
    cases: list[Case] = []
    presigned = spec.expires is not None

    def add(
        what: str, refused: SignedRequest, kind: type[SignatureRefusal], message: Any, correct: Any = None, **kw: Any
    ) -> None:
        cases.append(Case(f"{spec.name}:{what}", refused, kind, message, correct or good, **kw))

    # the method
    for method in ("PUT", "DELETE", "PATCH") if spec.method != "PUT" else ("POST", "GET", "DELETE"):
        add(
            f"method {method}",
            msgspec.structs.replace(good, method=method),
            InvalidSignatureException,
            _mismatch,
            replace(spec, method=method).signed(),
        )
    # the path
    for what, path in (
        ("path appended", spec.path + "x"),
        ("path segment", spec.path.replace("2015-03-31", "2016-03-31") if spec.path != "/" else "/2010-05-08/"),
        ("path encoding", spec.path.replace("%3A", ":") if "%3A" in spec.path else spec.path.rstrip("/") + "/%7Eh"),
    ):
        add(
            what,
            msgspec.structs.replace(good, path=path),
            InvalidSignatureException,
            _mismatch,
            replace(spec, path=path).signed(),
        )
    # each query parameter: changed, dropped; and one added
    for i, (name, value) in enumerate(spec.query):
        changed = [*spec.query[:i], (name, value + "1"), *spec.query[i + 1 :]]
        add(
            f"query {name} changed",
            _query_param(good, name, value + "1"),
            InvalidSignatureException,
            _mismatch,
            replace(spec, query=changed).signed(),
        )
        dropped = [*spec.query[:i], *spec.query[i + 1 :]]
        add(
            f"query {name} dropped",
            _query_param(good, name, None),
            InvalidSignatureException,
            _mismatch,
            replace(spec, query=dropped).signed(),
        )
    added = msgspec.structs.replace(good, query=(good.query + "&" if good.query else "") + "Extra=1")
    add("query added", added, InvalidSignatureException, _mismatch, replace(spec, query=[*spec.query, ("Extra", "1")]).signed())
    # each signed header: changed and dropped
    for name in _signed_headers(good):
        key = name.encode()
        value = _header(good, key)
        if name == "x-amz-date":
            later = stamp(SIGNED_AT + 1).encode()
            add(
                "x-amz-date changed",
                _headers(good, _set(key, later)),
                InvalidSignatureException,
                _mismatch,
                spec.signed(at=SIGNED_AT + 1),
                now=SIGNED_AT + 1,
            )
            auth = _header(good, b"authorization").decode()
            add(
                "x-amz-date dropped",
                _headers(good, _drop(key)),
                IncompleteSignatureException,
                f"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={auth}",
            )
        elif name == "x-amz-security-token":
            add(
                "token changed",
                _headers(good, _set(key, value + b"x")),
                UnrecognizedClientException,
                "The security token included in the request is invalid.",
            )
            add(
                "token dropped",
                _headers(good, _drop(key)),
                UnrecognizedClientException,
                "The security token included in the request is invalid.",
            )
        elif name == "x-amz-content-sha256":
            add(
                "declared hash changed",
                _headers(good, _set(key, b"0" * 64)),
                InvalidSignatureException,
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            )
            add(
                "declared hash unsigned-payload",
                _headers(good, _set(key, b"UNSIGNED-PAYLOAD")),
                InvalidSignatureException,
                _mismatch,
                replace(spec, headers={**spec.headers, "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}).signed(),
            )
        else:
            original = next(k for k in {**spec.headers, "Host": ""} if k.lower() == name)
            add(
                f"header {name} changed",
                _headers(good, _set(key, value + b"2")),
                InvalidSignatureException,
                _mismatch,
                replace(spec, headers={**spec.headers, original: value.decode() + "2"}).signed() if name != "host" else None,
            )
            add(f"header {name} dropped", _headers(good, _drop(key)), InvalidSignatureException, _mismatch)
    # the body
    if spec.body:
        for what, body in (("body byte", spec.body[:-1] + b"!"), ("body appended", spec.body + b" "), ("body emptied", b"")):
            tampered = msgspec.structs.replace(good, body=body)
            if "X-Amz-Content-SHA256" in spec.headers:
                add(
                    what,
                    tampered,
                    InvalidSignatureException,
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                )
            else:
                add(what, tampered, InvalidSignatureException, _mismatch, replace(spec, body=body).signed())
    # the signature
    if presigned:
        sig = next(p.split("=")[1] for p in good.query.split("&") if p.startswith("X-Amz-Signature="))
        flipped = _query_param(good, "X-Amz-Signature", ("0" if sig[0] != "0" else "1") + sig[1:])
        truncated = _query_param(good, "X-Amz-Signature", sig[:-2])
    else:
        auth = _header(good, b"authorization")
        sig_b = auth.split(b"Signature=")[1]
        flipped = _headers(good, _set(b"authorization", auth.replace(sig_b, (b"0" if sig_b[:1] != b"0" else b"1") + sig_b[1:])))
        truncated = _headers(good, _set(b"authorization", auth[:-2]))
    add("signature flipped", flipped, InvalidSignatureException, _mismatch)
    add("signature truncated", truncated, InvalidSignatureException, _mismatch)
    # the scope: region, service, key id, secret
    if spec.service == "iam":  # global: any region may sign, but the scope is still signed
        scope = _header(good, b"authorization").replace(b"/us-east-1/", b"/us-west-2/")
        add("region", _headers(good, _set(b"authorization", scope)), InvalidSignatureException, _mismatch)
    else:
        add(
            "region",
            spec.signed(region="us-west-2"),
            InvalidSignatureException,
            "Credential should be scoped to a valid region, not 'us-west-2'. ",
        )
    add(
        "service",
        spec.signed(service="dynamodb"),
        InvalidSignatureException,
        "Credential should be scoped to correct service: 'lambda'. ",
    )
    unknown = msgspec.structs.replace(spec.credential, access_key_id="AKIAUNKNOWNUNKNOWN00")
    add(
        "unknown key",
        spec.signed(credential=unknown),
        UnrecognizedClientException,
        "The security token included in the request is invalid.",
    )
    add("secret", spec.signed(secret="not/the/secret/of/this/key"), InvalidSignatureException, _mismatch)
    if spec.credential is USER:
        add("another key's secret", spec.signed(secret=OTHER.secret_access_key), InvalidSignatureException, _mismatch)
        tokened = msgspec.structs.replace(USER, session_token="a-token-this-key-never-had")
        add(
            "token added",
            spec.signed(credential=tokened),
            UnrecognizedClientException,
            "The security token included in the request is invalid.",
        )
    else:
        late = SESSION.expires_at or 0.0
        add(
            "token expired",
            spec.signed(at=late - 10),
            ExpiredTokenException,
            "The security token included in the request is expired",
            spec.signed(at=late - 10),
            now=late,
            correct_now=late - 10,
        )
    # replays outside the window, both directions
    window = spec.expires if presigned else 300
    for offset in (window + 1, window + 600, -301, -86_400):
        now = SIGNED_AT + offset
        if offset > 0:
            tail = f"({stamp(now)} - {spec.expires} sec.)" if presigned else f"({stamp(now)} - 5 min.)"
            message = f"Signature expired: {stamp(SIGNED_AT)} is now earlier than {stamp(now - window)} {tail}"
        else:
            message = (
                f"Signature not yet current: {stamp(SIGNED_AT)} is still later than {stamp(now + 300)} ({stamp(now)} + 5 min.)"
            )
        add(f"replay {offset:+d} s", good, InvalidSignatureException, message, spec.signed(at=now), now=now)
    # the key id and the scope's date, changed in place (the signature left as it was)
    key_id = spec.credential.access_key_id
    if presigned:
        credential = next(p.split("=")[1] for p in good.query.split("&") if p.startswith("X-Amz-Credential="))
        swapped = _query_param(good, "X-Amz-Credential", credential.replace(key_id, OTHER.access_key_id))
        redated = _query_param(good, "X-Amz-Credential", credential.replace("20260101", "20251231"))
    else:
        auth = _header(good, b"authorization")
        swapped = _headers(good, _set(b"authorization", auth.replace(key_id.encode(), OTHER.access_key_id.encode())))
        redated = _headers(good, _set(b"authorization", auth.replace(b"/20260101/", b"/20251231/")))
    add(
        "key id swapped",
        swapped,
        InvalidSignatureException if spec.credential is USER else UnrecognizedClientException,
        _mismatch if spec.credential is USER else "The security token included in the request is invalid.",
    )
    add(
        "scope date",
        redated,
        InvalidSignatureException,
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        "'20251231' != '20260101', from '20260101T000000Z'.",
    )
    # unsigned
    if presigned:
        bare = msgspec.structs.replace(good, query="&".join(p for p in good.query.split("&") if not p.startswith("X-Amz-")))
        add("unsigned", bare, MissingAuthenticationTokenException, "Missing Authentication Token")
        for name in (
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Signature",
            "X-Amz-Date",
            "X-Amz-SignedHeaders",
            "X-Amz-Expires",
        ):
            if name in ("X-Amz-Algorithm", "X-Amz-Credential"):
                continue  # without either the request is not presigned at all, checked above
            add(
                f"{name} dropped",
                _query_param(good, name, None),
                IncompleteSignatureException,
                f"AWS query-string parameters must include '{name}'. Re-examine the query-string parameters.",
            )
        add(
            "X-Amz-Algorithm changed",
            _query_param(good, "X-Amz-Algorithm", "AWS4-HMAC-SHA1"),
            IncompleteSignatureException,
            'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
        )
        add(
            "X-Amz-Expires changed",
            _query_param(good, "X-Amz-Expires", str(window - 1)),
            InvalidSignatureException,
            _mismatch,
            replace(spec, expires=window - 1).signed(),
        )
        add(
            "X-Amz-Date changed",
            _query_param(good, "X-Amz-Date", stamp(SIGNED_AT + 1)),
            InvalidSignatureException,
            _mismatch,
            spec.signed(at=SIGNED_AT + 1),
            now=SIGNED_AT + 1,
        )
    else:
        add(
            "unsigned",
            _headers(good, _drop(b"authorization")),
            MissingAuthenticationTokenException,
            "Missing Authentication Token",
        )
        add(
            "unsigned, no date",
            _headers(_headers(good, _drop(b"authorization")), _drop(b"x-amz-date")),
            MissingAuthenticationTokenException,
            "Missing Authentication Token",
        )
    return cases


CASES = [case for spec in SPECS for case in cases_for(spec)]


def test_there_are_at_least_150_variants() -> None:
    assert len(CASES) >= 150, len(CASES)
    assert len({c.id for c in CASES}) == len(CASES)


def _verify(request: SignedRequest, now: float) -> Any:
    verifier = Verifier(Store(USER, SESSION, OTHER), FakeClock(now), REGION)
    return asyncio.run(verifier.verify(request))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_variant_is_refused_and_the_same_request_signed_correctly_passes(case: Case) -> None:
    with pytest.raises(SignatureRefusal) as refused:
        _verify(case.refused, case.now)
    assert type(refused.value) is case.kind, refused.value.message
    if callable(case.message):
        assert case.message(refused.value.message), refused.value.message
    else:
        assert refused.value.message == case.message
    assert refused.value.status == (400 if case.kind is IncompleteSignatureException else 403)
    assert (
        _verify(case.correct, case.now if case.correct_now is None else case.correct_now).credential.account_id == USER.account_id
    )
