"""Function URLs served: an HTTP request to a URL becomes a payload 2.0 event, the function's
answer an HTTP response, as AWS's function URLs do it.

Per request, in order:

1. the URL the host (or the path form) names (``model.url_address``), and its config: none is
   AWS's 403 ``{"Message":null}``;
2. with a CORS config, a browser's preflight is answered here, the function not invoked;
3. the body, within the 6 MB an invocation takes (413 beyond);
4. who calls: ``AWS_IAM`` verifies the SigV4 signature (service ``lambda``, as botocore signs
   for a URL); ``NONE`` is the anonymous caller. Either way the function's resource policy is
   consulted (with ``lambda:FunctionUrlAuthType`` and ``lambda:InvokedViaFunctionUrl``) and both
   ``lambda:InvokeFunctionUrl`` and ``lambda:InvokeFunction`` must be allowed, as AWS requires of
   URLs made since October 2025; a refusal is AWS's 403 ``Forbidden``;
5. the invocation, through the account's ``InvocationService`` as Invoke's (the same throttles,
   budgets, metering and logs), and its answer interpreted (``model.http_response``).

Nothing here blocks the event loop or keeps state between requests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Protocol

import msgspec
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from lambent.api.auth import Principal
from lambent.api.body import read_body
from lambent.api.guard import caller as iam_caller
from lambent.api.guard import request_context
from lambent.api.sigv4 import SignedRequest, Verifier
from lambent.clock import Clock
from lambent.errors import (
    AccessDeniedException,
    ApiError,
    MalformedHttpResponse,
    RequestEntityTooLargeException,
    SignatureRefusal,
    TooManyRequestsException,
)
from lambent.model import cors
from lambent.model.arns import FunctionRef
from lambent.model.http_event import HttpRequest, IamCaller, payload_v2
from lambent.model.http_response import (
    URL_FORBIDDEN,
    URL_FUNCTION_ERROR,
    URL_NOT_FOUND,
    URL_PAYLOAD_TOO_LARGE,
    URL_THROTTLED,
    HttpResponse,
    response_v2,
)
from lambent.model.iam_policy import ANONYMOUS, Caller
from lambent.model.limits import SYNC_PAYLOAD_LIMIT_BYTES
from lambent.model.response_stream import HTTP_INTEGRATION_TYPE, split_prelude
from lambent.model.url_address import Address
from lambent.services.access import Access
from lambent.services.cells import Cell
from lambent.services.invocations import InvokeOutcome, ResponseStream

Header = tuple[str, str]


class UrlTarget(msgspec.Struct, frozen=True, kw_only=True):
    """What a URL id resolves to: the account's cell, the function and qualifier it invokes."""

    cell: Cell
    function: str
    qualifier: str | None
    function_arn: str
    auth_type: str
    cors: cors.CorsRules | None
    invoke_mode: str = "BUFFERED"


class UrlDirectory(Protocol):
    def url_target(self, url_id: str) -> UrlTarget | None:
        """The URL of id *url_id*, from memory (every request asks)."""
        ...


class FunctionUrls:
    def __init__(self, directory: UrlDirectory, access: Access, verifier: Verifier | None, clock: Clock) -> None:
        """*verifier*: None with authentication off, when an AWS_IAM URL's caller is the
        permissive principal its key names and nothing is checked."""
        self._directory = directory
        self._access = access
        self._verifier = verifier
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send, address: Address) -> None:
        try:
            response = await self._answer(scope, receive, address)
        except ClientDisconnect:
            return
        if isinstance(response, StreamedResponse):
            await response.send(send, scope["method"])
        else:
            await send_response(send, response.for_method(scope["method"]))

    async def _answer(self, scope: Scope, receive: Receive, address: Address) -> HttpResponse | StreamedResponse:
        target = self._directory.url_target(address.url_id)
        if target is None:
            return URL_NOT_FOUND
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]]
        method = scope["method"]
        if target.cors is not None and cors.is_preflight(method, headers):
            return HttpResponse(status=200, headers=tuple(cors.preflight(target.cors, headers)), body=b"")
        try:
            body = await read_body(receive, SYNC_PAYLOAD_LIMIT_BYTES, "InvokeFunction", _get(headers, "content-length"))
        except RequestEntityTooLargeException:
            return URL_PAYLOAD_TOO_LARGE
        caller, iam = await self._caller(scope, target, body)
        if caller is None:
            return URL_FORBIDDEN
        try:
            await self._authorize(scope, caller, target)
        except AccessDeniedException:
            return URL_FORBIDDEN
        request = self._request(scope, address, target, headers, body, iam)
        if target.invoke_mode == "RESPONSE_STREAM":
            answer = await self._invoke_streaming(target, request)
        else:
            answer = self._interpret(await self._outcome(target, request))
        if target.cors is not None:
            head = answer.head if isinstance(answer, StreamedResponse) else answer
            head = HttpResponse(
                status=head.status, headers=tuple(cors.on_response(target.cors, headers, head.headers)), body=head.body
            )
            answer = dataclasses.replace(answer, head=head) if isinstance(answer, StreamedResponse) else head
        return answer

    async def _caller(self, scope: Scope, target: UrlTarget, body: bytes) -> tuple[Caller | None, IamCaller | None]:
        """The caller: anonymous for ``NONE``; for ``AWS_IAM`` the verified signer (None when the
        signature is missing or wrong)."""
        if target.auth_type != "AWS_IAM":
            return ANONYMOUS, None
        if self._verifier is None:
            return Caller(arn=f"arn:aws:iam::{target.cell.account_id}:root", account_id=target.cell.account_id), None
        signed = SignedRequest(
            method=scope["method"],
            path=(scope.get("raw_path") or scope["path"].encode()).decode("latin-1"),
            query=scope["query_string"].decode("latin-1"),
            headers=scope["headers"],
            body=body,
        )
        try:
            verified = await self._verifier.verify(signed, service="lambda")
        except SignatureRefusal:
            return None, None
        credential = verified.credential
        principal = Principal(
            account_id=credential.account_id,
            arn=credential.principal_arn,
            access_key_id=credential.access_key_id,
            service="lambda",
            authenticated=True,
        )
        iam = IamCaller(
            access_key=credential.access_key_id,
            account_id=credential.account_id,
            caller_id=credential.principal_arn.rsplit("/", 1)[-1],
            user_arn=credential.principal_arn,
            user_id=credential.principal_arn.rsplit("/", 1)[-1],
        )
        return iam_caller(principal), iam

    async def _authorize(self, scope: Scope, caller: Caller, target: UrlTarget) -> None:
        cell = target.cell
        policy = await cell.permissions.policy_for(target.function, target.qualifier)
        context = {
            **request_context(scope),
            "lambda:FunctionUrlAuthType": target.auth_type,
            "lambda:InvokedViaFunctionUrl": "true",
        }
        for action in ("lambda:InvokeFunctionUrl", "lambda:InvokeFunction"):
            await self._access.authorize(
                caller,
                action,
                target.function_arn,
                resource_account=cell.account_id,
                resource_policy=policy,
                context=context,
            )

    def _request(
        self, scope: Scope, address: Address, target: UrlTarget, headers: list[Header], body: bytes, iam: IamCaller | None
    ) -> HttpRequest:
        client = scope.get("client")
        return HttpRequest(
            method=scope["method"],
            raw_path=address.raw_path,
            raw_query=scope["query_string"].decode("latin-1"),
            headers=tuple(headers),
            body=body,
            source_ip=str(client[0]) if client else "",
            protocol=f"HTTP/{scope.get('http_version', '1.1')}",
            request_id=str(uuid.uuid4()),
            time_ms=int(self._clock.time() * 1000),
            account_id=target.cell.account_id,
            api_id=address.url_id,
            domain_name=address.domain_name,
            domain_prefix=address.url_id,
            iam=iam,
        )

    async def _outcome(
        self, target: UrlTarget, request: HttpRequest, stream: ResponseStream | None = None
    ) -> InvokeOutcome | HttpResponse:
        """The invocation's outcome, or the URL's answer to a refusal of it."""
        event = json.dumps(payload_v2(request), separators=(",", ":")).encode()
        ref = FunctionRef(name=target.function, qualifier=target.qualifier)
        try:
            return await target.cell.invocations.invoke(
                ref, event, "RequestResponse", None, _get(request.headers, "x-amzn-trace-id"), stream
            )
        except TooManyRequestsException:
            return URL_THROTTLED
        except RequestEntityTooLargeException:
            return URL_PAYLOAD_TOO_LARGE
        except ApiError:  # the function is gone, not Active, or its event refused: it cannot answer
            return URL_FUNCTION_ERROR

    @staticmethod
    def _interpret(outcome: InvokeOutcome | HttpResponse) -> HttpResponse:
        """A whole answer read as the URL's response (``model.http_response``)."""
        if isinstance(outcome, HttpResponse):
            return outcome
        invocation = outcome.invocation
        if invocation is None or invocation.failure is not None:
            return URL_FUNCTION_ERROR  # a function error, a timeout, a crash: AWS answers them alike
        try:
            return response_v2(invocation.payload)
        except MalformedHttpResponse:
            return URL_FUNCTION_ERROR

    async def _invoke_streaming(self, target: UrlTarget, request: HttpRequest) -> HttpResponse | StreamedResponse:
        """A RESPONSE_STREAM URL's answer: once the function opens its stream, the status and
        headers (its HTTP prelude's, or 200 and the stream's content type) and the body as it
        is written; a function that answered whole is read as a buffered URL reads it."""
        stream = ResponseStream(self._clock)
        invocation = asyncio.ensure_future(self._outcome(target, request, stream))
        await stream.started_or_done(invocation)
        if invocation.done() and not stream.opened:
            return self._interpret(invocation.result())
        chunks = stream.chunks()
        head = HttpResponse(status=200, headers=(("content-type", stream.content_type),))
        first = b""
        if stream.content_type == HTTP_INTEGRATION_TYPE:
            try:
                head, first = await _prelude(chunks)
            except MalformedHttpResponse:
                stream.abandon()
                await chunks.aclose()
                await invocation
                return URL_FUNCTION_ERROR
        return StreamedResponse(head=head, first=first, chunks=chunks, stream=stream, invocation=invocation)


async def _prelude(chunks: AsyncIterator[bytes]) -> tuple[HttpResponse, bytes]:
    """The head a stream's HTTP prelude sets and the body bytes that came with it."""
    buffer = b""
    async for chunk in chunks:
        buffer += chunk
        split = split_prelude(buffer)
        if split is not None:
            return split
    raise MalformedHttpResponse("the stream ended inside its prelude")


@dataclass(frozen=True, kw_only=True)
class StreamedResponse:
    """A RESPONSE_STREAM URL's answer: *head* now, then the body as the function writes it."""

    head: HttpResponse
    first: bytes
    chunks: AsyncGenerator[bytes, None]
    stream: ResponseStream
    invocation: asyncio.Future[InvokeOutcome | HttpResponse]

    async def send(self, send: Send, method: str) -> None:
        headers = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in self.head.headers]
        body = method.upper() != "HEAD"
        try:
            await send({"type": "http.response.start", "status": self.head.status, "headers": headers})
            if self.first and body:
                await send({"type": "http.response.body", "body": self.first, "more_body": True})
            async for chunk in self.chunks:
                if body:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            self.stream.abandon()  # the client went away (or all was sent): nothing more is held for it
            await self.invocation  # the function runs to its end (and is metered) either way
        await send({"type": "http.response.body", "body": b""})


def _get(headers: list[Header] | tuple[Header, ...], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


async def send_response(send: Send, response: HttpResponse) -> None:
    headers = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in response.headers]
    if not any(name == b"content-length" for name, _ in headers):
        headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
