"""SigV4 verification: is this request signed by the key it names, now, for us?

``Verifier.verify`` takes a request as received (method, raw path, raw query, headers, body)
and answers ``Verified`` (the credential, the scope's region and service) or raises a
``SignatureRefusal`` in AWS's words. Both forms are accepted: the Authorization header and the
presigned query string (``X-Amz-Algorithm``... ``X-Amz-Signature``), each with
``X-Amz-Security-Token`` for temporary credentials.

The canonical request and string to sign are botocore's own (``SigV4Auth.canonical_request``
and ``string_to_sign``), fed only the headers the client listed in SignedHeaders with the
values it sent, so Lambent computes what every SDK signed. The payload hash is the body's
SHA-256, or the ``X-Amz-Content-SHA256`` the client declared: a declared hash must be the
body's (``UNSIGNED-PAYLOAD`` excepted), so a body changed under it fails.

Checks run in AWS's order: the form is complete, the scope names our region and a service,
the date is within 5 minutes (or the presigned window), the key exists, its session token
matches and is unexpired, and last the signature. Derived signing keys are cached per
(key, secret, date, region, service), so a warm request costs one HMAC over the string to sign.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, Sequence
from email.utils import parsedate_to_datetime
from urllib.parse import unquote, unquote_plus

import msgspec
from botocore.auth import EMPTY_SHA256_HASH, UNSIGNED_PAYLOAD, SigV4Auth

from lambent.clock import Clock
from lambent.errors import (
    ExpiredTokenException,
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    SignatureRefusal,
    UnrecognizedClientException,
)
from lambent.model.identity import Credential
from lambent.model.limits import SIGV4_CLOCK_SKEW_S, SIGV4_MAX_PRESIGN_EXPIRES_S, SIGV4_SIGNING_KEY_CACHE

ALGORITHM = "AWS4-HMAC-SHA256"
#: The services a credential scope may name at this endpoint (the edge routes by it).
SERVICES = frozenset({"lambda", "logs", "iam", "sts", "events", "scheduler", "monitoring", "budgets", "apigateway"})
#: Global services: on AWS one endpoint for every region. botocore signs them with the client's
#: region when an endpoint_url is given (us-east-1 only for AWS's own endpoint), so any region passes.
GLOBAL_SERVICES = frozenset({"iam"})
_TERMINATOR = "aws4_request"
_AMZ_DATE = "%Y%m%dT%H%M%SZ"

Header = tuple[bytes, bytes] | tuple[str, str]


class SignedRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A request as received: raw path and query (still percent-encoded), headers in order."""

    method: str
    path: str
    query: str = ""
    headers: Sequence[Header] = ()
    body: bytes = b""


class Verified(msgspec.Struct, frozen=True, kw_only=True):
    credential: Credential
    region: str
    service: str
    presigned: bool = False


# -- botocore's canonicalisation, fed the request as received ----------------------------------


class _Headers(dict[str, list[str]]):
    """The signed headers by lowercase name, each with every value received (botocore's get_all)."""

    def get_all(self, name: str) -> list[str]:
        return self.get(name, [])


class _Received:
    """The attributes of an AWSRequest that SigV4Auth.canonical_request reads."""

    __slots__ = ("body", "context", "headers", "method", "params", "signed", "url")

    def __init__(self, method: str, path: str, query: str, signed: _Headers, declared: str | None, body: bytes) -> None:
        self.method = method
        # http: so botocore hashes the body when no hash is declared (it would over https too,
        # payload signing being on for every non-S3 operation).
        self.url = f"http://lambent{path}"
        # The query decoded: botocore encodes each name and value again (RFC 3986 unreserved
        # kept), as AWS does, so a client that sent "~" as "%7E" or "*" bare still agrees.
        self.params = [(unquote(k), unquote(v)) for k, _, v in (p.partition("=") for p in query.split("&"))] if query else []
        self.headers = {"X-Amz-Content-SHA256": declared} if declared is not None else {}
        self.body = body
        self.context: dict[str, object] = {}
        self.signed = signed


class _Canonical(SigV4Auth):  # type: ignore[misc]  # botocore has no type hints
    """botocore's signer, canonicalising only what the client signed."""

    def headers_to_sign(self, request: _Received) -> _Headers:
        return request.signed

    def _normalize_url_path(self, path: str) -> str:
        return _canonical_path(path)


@functools.lru_cache(maxsize=1024)  # a function's paths repeat; quoting them is a third of the work
def _canonical_path(path: str) -> str:
    normalized: str = SigV4Auth._normalize_url_path(None, path)
    return normalized


@functools.lru_cache(maxsize=SIGV4_SIGNING_KEY_CACHE)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The derived key of SigV4 (kDate, kRegion, kService, kSigning), cached."""
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, _TERMINATOR):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


# -- the parts of a signature, from either form ------------------------------------------------


class _Parts(msgspec.Struct, kw_only=True):
    access_key_id: str
    date: str  # YYYYMMDD of the scope
    region: str
    service: str
    signed_headers: list[str]
    signature: str
    timestamp: str  # the request's date, YYYYMMDDTHHMMSSZ
    token: str | None
    expires_s: int | None  # presigned only
    query: str  # the query to canonicalise (X-Amz-Signature taken out when presigned)


@functools.lru_cache(maxsize=256)  # a second's requests share their X-Amz-Date; strptime is slow
def _utc(timestamp: str) -> float:
    return float(calendar.timegm(time.strptime(timestamp, _AMZ_DATE)))


def _stamp(epoch: float) -> str:
    return time.strftime(_AMZ_DATE, time.gmtime(epoch))


def _scope(credential: str, service_hint: str | None) -> tuple[str, str, str, str]:
    pieces = credential.split("/")
    if len(pieces) != 5:
        raise IncompleteSignatureException(
            f"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'",
            service=service_hint,
        )
    key, date, region, service, terminator = pieces
    if terminator != _TERMINATOR:
        raise InvalidSignatureException(
            f"Credential should be scoped with a valid terminator: '{_TERMINATOR}', not '{terminator}'. ", service=service
        )
    return key, date, region, service


def _header_parts(authorization: str, headers: dict[str, list[str]], query: str) -> _Parts:
    fields: dict[str, str] = {}
    if authorization.startswith(ALGORITHM + " "):
        for item in authorization[len(ALGORITHM) + 1 :].split(","):
            item = item.strip()
            if not item:
                continue
            name, equals, value = item.partition("=")
            if not equals:
                raise IncompleteSignatureException(
                    f"'{item}' not a valid key=value pair (missing equal-sign) in Authorization header: '{authorization}'."
                )
            fields[name.strip()] = value.strip()
    date = (headers.get("x-amz-date") or [""])[0]
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not fields.get(name)
    ]
    if not date and not headers.get("date"):
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if missing:
        raise IncompleteSignatureException(" ".join(missing) + f" Authorization={authorization}")
    key, scope_date, region, service = _scope(fields["Credential"], None)
    timestamp = _timestamp(date, (headers.get("date") or [""])[0], service)
    signed = fields["SignedHeaders"].split(";")
    _require_host(signed, service)
    token = headers.get("x-amz-security-token")
    return _Parts(
        access_key_id=key,
        date=scope_date,
        region=region,
        service=service,
        signed_headers=signed,
        signature=fields["Signature"],
        timestamp=timestamp,
        token=token[0] if token else None,
        expires_s=None,
        query=query,
    )


def _require_host(signed: list[str], service: str) -> None:
    if "host" not in signed and ":authority" not in signed:
        raise IncompleteSignatureException(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.", service=service
        )


def _timestamp(amz_date: str, http_date: str, service: str) -> str:
    if amz_date:
        try:
            _utc(amz_date)
        except ValueError:
            raise IncompleteSignatureException(
                f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601",
                service=service,
            ) from None
        return amz_date
    try:
        return _stamp(parsedate_to_datetime(http_date).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        raise IncompleteSignatureException(f"Date header is not a valid HTTP date: '{http_date}'", service=service) from None


_PRESIGN = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires")


def _query_parts(query: str, headers: dict[str, list[str]]) -> _Parts:
    params: dict[str, str] = {}
    kept: list[str] = []
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        name = unquote_plus(name)
        if name.startswith("X-Amz-"):
            params.setdefault(name, unquote_plus(value))
        if name != "X-Amz-Signature":
            kept.append(pair)
    for name in _PRESIGN:
        if name not in params:
            raise IncompleteSignatureException(
                f"AWS query-string parameters must include '{name}'. Re-examine the query-string parameters."
            )
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise IncompleteSignatureException('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"', service=None)
    key, scope_date, region, service = _scope(params["X-Amz-Credential"], None)
    timestamp = _timestamp(params["X-Amz-Date"], "", service)
    try:
        expires = int(params["X-Amz-Expires"])
    except ValueError:
        raise IncompleteSignatureException("X-Amz-Expires should be a number", service=service) from None
    if expires < 0:
        raise IncompleteSignatureException("X-Amz-Expires must be non-negative", service=service)
    if expires > SIGV4_MAX_PRESIGN_EXPIRES_S:
        raise IncompleteSignatureException(
            f"X-Amz-Expires must be less than a week (in seconds) that is {SIGV4_MAX_PRESIGN_EXPIRES_S}", service=service
        )
    signed = params["X-Amz-SignedHeaders"].split(";")
    _require_host(signed, service)
    token = params.get("X-Amz-Security-Token")
    return _Parts(
        access_key_id=key,
        date=scope_date,
        region=region,
        service=service,
        signed_headers=signed,
        signature=params["X-Amz-Signature"],
        timestamp=timestamp,
        token=token,
        expires_s=expires,
        query="&".join(kept),
    )


def _headers(received: Sequence[Header]) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in received:
        key = (name.decode("latin-1") if isinstance(name, bytes) else name).lower()
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        found = headers.get(key)
        if found is None:
            headers[key] = [text]
        else:
            found.append(text)
    return headers


# -- the verifier ---------------------------------------------------------------------------------


class Verifier:
    """Verify SigV4 signatures against the credentials an access key id resolves to."""

    def __init__(self, credentials: Callable[[str, str | None], Awaitable[Credential | None]], clock: Clock, region: str) -> None:
        """*credentials* resolves (access key id, session token or None) to a credential; a
        temporary key may be known only through its token."""
        self._credentials = credentials
        self._clock = clock
        self._region = region

    async def verify(self, request: SignedRequest, service: str | None = None) -> Verified:
        """The credential and scope of a correctly signed *request*; else a SignatureRefusal.

        *service*, when the edge knows it from the path, is the one the scope must name;
        otherwise any of ``SERVICES`` passes and another is refused naming ``lambda``.
        """
        headers = _headers(request.headers)
        authorization = headers.get("authorization")
        if authorization:
            parts = _header_parts(authorization[0], headers, request.query)
        elif "X-Amz-Credential=" in request.query or "X-Amz-Algorithm=" in request.query:
            parts = _query_parts(request.query, headers)
        else:
            raise MissingAuthenticationTokenException()
        try:
            credential = await self._check(parts, headers, request, service)
        except SignatureRefusal as refusal:
            refusal.service = refusal.service or parts.service
            raise
        return Verified(credential=credential, region=parts.region, service=parts.service, presigned=parts.expires_s is not None)

    async def _check(
        self, parts: _Parts, headers: dict[str, list[str]], request: SignedRequest, service: str | None
    ) -> Credential:
        if parts.region != self._region and not (parts.service in GLOBAL_SERVICES and parts.region):
            raise InvalidSignatureException(f"Credential should be scoped to a valid region, not '{parts.region}'. ")
        # An edge that names its service (execute-api for HTTP APIs) takes that one only; the API
        # takes those it serves
        wrong = parts.service != service if service is not None else parts.service not in SERVICES
        if wrong:
            expected = service or "lambda"
            raise InvalidSignatureException(f"Credential should be scoped to correct service: '{expected}'. ", service=expected)
        if parts.date != parts.timestamp[:8]:
            raise InvalidSignatureException(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                f"'{parts.date}' != '{parts.timestamp[:8]}', from '{parts.timestamp}'."
            )
        self._check_time(parts)
        credential = await self._credentials(parts.access_key_id, parts.token)
        if credential is None:
            raise UnrecognizedClientException()
        self._check_token(parts, credential)
        declared_values = headers.get("x-amz-content-sha256")
        declared = declared_values[0] if declared_values else None
        body_hash = hashlib.sha256(request.body).hexdigest() if request.body else EMPTY_SHA256_HASH
        if declared is not None and declared != UNSIGNED_PAYLOAD and declared != body_hash:
            raise InvalidSignatureException("The provided 'x-amz-content-sha256' header does not match what was computed.")
        signed = _Headers()
        for name in parts.signed_headers:
            signed[name] = headers.get(name, [])
        received = _Received(request.method, request.path, parts.query, signed, declared or body_hash, request.body)
        received.context["timestamp"] = parts.timestamp
        canonical = _Canonical(None, parts.service, parts.region)
        canonical_request = canonical.canonical_request(received)
        string_to_sign = canonical.string_to_sign(received, canonical_request)
        key = signing_key(credential.secret_access_key, parts.date, parts.region, parts.service)
        expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), parts.signature.encode()):
            raise InvalidSignatureException(
                (InvalidSignatureException.__doc__ or "").strip()
                + f"\n\nThe Canonical String for this request should have been\n'{canonical_request}'\n\n"
                + f"The String-to-Sign should have been\n'{string_to_sign}'\n"
            )
        return credential

    def _check_time(self, parts: _Parts) -> None:
        now = self._clock.time()
        signed_at = _utc(parts.timestamp)
        if parts.expires_s is not None:
            if now > signed_at + parts.expires_s:
                raise InvalidSignatureException(
                    f"Signature expired: {parts.timestamp} is now earlier than {_stamp(now - parts.expires_s)} "
                    f"({_stamp(now)} - {parts.expires_s} sec.)"
                )
        elif signed_at < now - SIGV4_CLOCK_SKEW_S:
            raise InvalidSignatureException(
                f"Signature expired: {parts.timestamp} is now earlier than {_stamp(now - SIGV4_CLOCK_SKEW_S)} "
                f"({_stamp(now)} - 5 min.)"
            )
        if signed_at > now + SIGV4_CLOCK_SKEW_S:
            raise InvalidSignatureException(
                f"Signature not yet current: {parts.timestamp} is still later than {_stamp(now + SIGV4_CLOCK_SKEW_S)} "
                f"({_stamp(now)} + 5 min.)"
            )

    def _check_token(self, parts: _Parts, credential: Credential) -> None:
        if credential.session_token is None:
            if parts.token is not None:
                raise UnrecognizedClientException()
            return
        if parts.token is None or not hmac.compare_digest(parts.token.encode(), credential.session_token.encode()):
            raise UnrecognizedClientException()
        if credential.expires_at is not None and self._clock.time() >= credential.expires_at:
            raise ExpiredTokenException()
