"""The Lambda control-plane endpoints: each one parses, makes one service call, and renders.

Parsing order for every request: authenticate; read the body within the operation's size
limit (413 past it, before reading more); check the input against the API model
(``ValidationException``); decode into the typed record, refusing unknown members
(``InvalidRequestContentException``); then the service applies AWS's semantic rules.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from lambent.api.auth import authenticate, authenticate_header
from lambent.api.render import empty_response, json_response
from lambent.errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    RequestEntityTooLargeException,
    ResourceNotFoundException,
)
from lambent.model import constraints
from lambent.model import logs as loglines
from lambent.model.alias import Alias, CreateAliasInput, UpdateAliasInput, alias_document
from lambent.model.arns import FunctionRef, parse_function_ref, parse_function_resource_arn
from lambent.model.event_invoke import EventInvokeConfigInput, config_document
from lambent.model.function import (
    CreateFunctionInput,
    FunctionVersion,
    PublishVersionInput,
    UpdateFunctionCodeInput,
    UpdateFunctionConfigurationInput,
    configuration_document,
)
from lambent.model.limits import CREATE_REQUEST_LIMIT_BYTES, INVOKE_ASYNC_LIMIT_BYTES, SYNC_PAYLOAD_LIMIT_BYTES
from lambent.services.event_configs import EventConfigService
from lambent.services.functions import FunctionService
from lambent.services.invocations import InvocationService
from lambent.services.packages import PackageStore
from lambent.services.provisioned import ProvisionedService
from lambent.settings import Settings

T = TypeVar("T")


class PutConcurrencyInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    reserved: int = msgspec.field(name="ReservedConcurrentExecutions")


_CODE_URL_TTL_S = 600


class AsgiEndpoint:
    """Marks a coroutine method as a plain ASGI app for a Route (Starlette wraps functions)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


def _qualifier(query_string: bytes) -> str | None:
    if not query_string:
        return None
    values = [value for key, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True) if key == "Qualifier"]
    return values[-1] if values else None


async def _read_asgi_body(receive: Receive, declared: str | None, limit: int, operation: str) -> bytes:
    """The body from ASGI messages, refusing with 413 as soon as it is known to exceed *limit*."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestEntityTooLargeException(f"Request must be smaller than {limit} bytes for the {operation} operation")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLargeException(f"Request must be smaller than {limit} bytes for the {operation} operation")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def read_body(request: Request, limit: int, operation: str) -> bytes:
    """The body, refusing with 413 as soon as it is known to exceed *limit*."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestEntityTooLargeException(f"Request must be smaller than {limit} bytes for the {operation} operation")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLargeException(f"Request must be smaller than {limit} bytes for the {operation} operation")
        chunks.append(chunk)
    return b"".join(chunks)


def json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise InvalidRequestContentException(f"Could not parse request body into json: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidRequestContentException("Could not parse request body into json: the body must be a JSON object")
    return value


def decode_body(document: dict[str, Any], kind: type[T]) -> T:
    try:
        return msgspec.convert(document, kind)
    except msgspec.ValidationError as exc:
        raise InvalidRequestContentException(f"Could not parse request body into json: {exc}") from None


class ControlApi:
    def __init__(
        self,
        settings: Settings,
        functions: FunctionService,
        invocations: InvocationService,
        packages: PackageStore,
        secret: bytes,
        event_configs: EventConfigService,
        provisioned: ProvisionedService,
    ) -> None:
        self._event_configs = event_configs
        self._provisioned = provisioned
        self._settings = settings
        self._functions = functions
        self._invocations = invocations
        self._packages = packages
        self._secret = secret

    # -- helpers ---------------------------------------------------------------------------

    def _ref(self, request: Request, operation: str, qualifier: str | None = None) -> FunctionRef:
        identifier = request.path_params["name"]
        params: dict[str, Any] = {"FunctionName": identifier}
        if qualifier is not None:
            params["Qualifier"] = qualifier
        constraints.validate(operation, params, partial=True)
        return parse_function_ref(identifier, self._settings.region, self._settings.account_id, qualifier)

    def _configuration(self, version: FunctionVersion) -> dict[str, Any]:
        return configuration_document(version, self._settings.region, self._settings.account_id)

    def code_url(self, sha256_hex: str) -> str:
        expires = int(time.time()) + _CODE_URL_TTL_S
        signature = hmac.new(self._secret, f"{sha256_hex}:{expires}".encode(), hashlib.sha256).hexdigest()
        return f"{self._settings.endpoint_url}/lambent/code/{sha256_hex}.zip?Expires={expires}&Signature={signature}"

    # -- endpoints -------------------------------------------------------------------------

    async def create_function(self, request: Request) -> Response:
        authenticate(request, self._settings)
        document = json_object(await read_body(request, CREATE_REQUEST_LIMIT_BYTES, "CreateFunction"))
        constraints.validate("CreateFunction", document)
        version = await self._functions.create(decode_body(document, CreateFunctionInput))
        return json_response(self._configuration(version), 201)

    async def list_functions(self, request: Request) -> Response:
        authenticate(request, self._settings)
        params = self._paging(request, "MasterRegion")
        constraints.validate("ListFunctions", params)
        versions, marker = self._functions.page(params.get("Marker"), params.get("MaxItems"))
        body: dict[str, Any] = {"Functions": [self._configuration(v) for v in versions]}
        if marker is not None:
            body["NextMarker"] = marker
        return json_response(body)

    async def get_function(self, request: Request) -> Response:
        authenticate(request, self._settings)
        ref = self._ref(request, "GetFunction", request.query_params.get("Qualifier"))
        version = self._functions.resolve(ref)
        body: dict[str, Any] = {
            "Configuration": self._configuration(version),
            "Code": {"RepositoryType": "S3", "Location": self.code_url(version.code_sha256_hex)},
        }
        tags = self._functions.tags(ref.name)
        if tags:
            body["Tags"] = tags
        reserved = self._functions.reserved(ref.name)
        if reserved is not None:
            body["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
        return json_response(body)

    async def get_function_configuration(self, request: Request) -> Response:
        authenticate(request, self._settings)
        ref = self._ref(request, "GetFunctionConfiguration", request.query_params.get("Qualifier"))
        return json_response(self._configuration(self._functions.resolve(ref)))

    async def update_function_configuration(self, request: Request) -> Response:
        authenticate(request, self._settings)
        document = json_object(await read_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "UpdateFunctionConfiguration"))
        ref = self._ref(request, "UpdateFunctionConfiguration")
        constraints.validate("UpdateFunctionConfiguration", {**document, "FunctionName": request.path_params["name"]})
        if ref.qualifier is not None:
            raise InvalidParameterValueException("Only the $LATEST version of a function can be updated.")
        update = decode_body(document, UpdateFunctionConfigurationInput)
        return json_response(self._configuration(await self._functions.update_configuration(ref.name, update)))

    async def update_function_code(self, request: Request) -> Response:
        authenticate(request, self._settings)
        document = json_object(await read_body(request, CREATE_REQUEST_LIMIT_BYTES, "UpdateFunctionCode"))
        ref = self._ref(request, "UpdateFunctionCode")
        constraints.validate("UpdateFunctionCode", {**document, "FunctionName": request.path_params["name"]})
        if ref.qualifier is not None:
            raise InvalidParameterValueException("Only the $LATEST version of a function can be updated.")
        update = decode_body(document, UpdateFunctionCodeInput)
        return json_response(self._configuration(await self._functions.update_code(ref.name, update)))

    async def delete_function(self, request: Request) -> Response:
        authenticate(request, self._settings)
        ref = self._ref(request, "DeleteFunction", request.query_params.get("Qualifier"))
        await self._functions.delete(ref)
        if ref.qualifier is None:
            await self._event_configs.forget_function(ref.name)
            await self._provisioned.forget_function(ref.name)
        return empty_response(204)

    async def invoke(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Invoke, the hot path: plain ASGI (no Request or Response objects) for its ~30 µs."""
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        authenticate_header(headers.get("authorization"), self._settings)
        invocation_type = headers.get("x-amz-invocation-type", "RequestResponse")
        log_type = headers.get("x-amz-log-type", "None")
        qualifier = _qualifier(scope["query_string"])
        identifier = scope["path_params"]["name"]
        params: dict[str, Any] = {"FunctionName": identifier, "InvocationType": invocation_type, "LogType": log_type}
        if qualifier is not None:
            params["Qualifier"] = qualifier
        constraints.validate("Invoke", params)
        ref = parse_function_ref(identifier, self._settings.region, self._settings.account_id, qualifier)
        payload = await _read_asgi_body(receive, headers.get("content-length"), SYNC_PAYLOAD_LIMIT_BYTES, "InvokeFunction")
        outcome = await self._invocations.invoke(
            ref, payload, invocation_type, headers.get("x-amz-client-context"), headers.get("x-amzn-trace-id")
        )
        invocation = outcome.invocation
        body = invocation.payload if invocation is not None else b""
        response = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-amz-executed-version", outcome.executed_version.encode()),
            (b"x-amzn-requestid", outcome.request_id.encode()),
        ]
        if invocation is not None and invocation.failure is not None:
            response.append((b"x-amz-function-error", b"Unhandled"))
        if invocation is not None and log_type == "Tail":
            response.append((b"x-amz-log-result", base64.b64encode(loglines.tail(invocation.log))))
        await send({"type": "http.response.start", "status": outcome.status, "headers": response})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _paging(request: Request, *extra: str) -> dict[str, Any]:
        """Marker, MaxItems and FunctionVersion (and *extra*) from the query, as the model names them."""
        query = request.query_params
        params: dict[str, Any] = {key: query[key] for key in ("Marker", "FunctionVersion", *extra) if key in query}
        if "MaxItems" in query:
            if not query["MaxItems"].lstrip("-").isdigit():
                raise InvalidParameterValueException("MaxItems must be an integer.")
            params["MaxItems"] = int(query["MaxItems"])
        return params

    async def publish_version(self, request: Request) -> Response:
        authenticate(request, self._settings)
        document = json_object(await read_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "PublishVersion"))
        ref = self._ref(request, "PublishVersion")
        constraints.validate("PublishVersion", {**document, "FunctionName": request.path_params["name"]})
        body = decode_body(document, PublishVersionInput)
        version = await self._functions.publish_version(ref.name, body.code_sha256, body.description, body.revision_id)
        return json_response(self._configuration(version), 201)

    async def list_versions(self, request: Request) -> Response:
        authenticate(request, self._settings)
        params = {"FunctionName": request.path_params["name"], **self._paging(request)}
        ref = self._ref(request, "ListVersionsByFunction")
        constraints.validate("ListVersionsByFunction", params)
        versions, marker = self._functions.versions_page(ref.name, params.get("Marker"), params.get("MaxItems"))
        body: dict[str, Any] = {"Versions": [self._configuration(v) for v in versions]}
        if marker is not None:
            body["NextMarker"] = marker
        return json_response(body)

    def _alias_document(self, alias: Alias) -> dict[str, Any]:
        return alias_document(alias, self._settings.region, self._settings.account_id)

    def _alias_name(self, request: Request, operation: str) -> tuple[str, str]:
        params = {"FunctionName": request.path_params["name"], "Name": request.path_params["alias"]}
        constraints.validate(operation, params, partial=True)
        return self._ref(request, operation).name, request.path_params["alias"]

    async def create_alias(self, request: Request) -> Response:
        authenticate(request, self._settings)
        document = json_object(await read_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "CreateAlias"))
        ref = self._ref(request, "CreateAlias")
        constraints.validate("CreateAlias", {**document, "FunctionName": request.path_params["name"]})
        alias = await self._functions.create_alias(ref.name, decode_body(document, CreateAliasInput))
        return json_response(self._alias_document(alias), 201)

    async def get_alias(self, request: Request) -> Response:
        authenticate(request, self._settings)
        name, alias_name = self._alias_name(request, "GetAlias")
        return json_response(self._alias_document(self._functions.alias(name, alias_name)))

    async def update_alias(self, request: Request) -> Response:
        authenticate(request, self._settings)
        document = json_object(await read_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "UpdateAlias"))
        name, alias_name = self._alias_name(request, "UpdateAlias")
        constraints.validate("UpdateAlias", {**document, "FunctionName": name, "Name": alias_name})
        alias = await self._functions.update_alias(name, alias_name, decode_body(document, UpdateAliasInput))
        return json_response(self._alias_document(alias))

    async def delete_alias(self, request: Request) -> Response:
        authenticate(request, self._settings)
        name, alias_name = self._alias_name(request, "DeleteAlias")
        await self._functions.delete_alias(name, alias_name)
        return empty_response(204)

    async def list_aliases(self, request: Request) -> Response:
        authenticate(request, self._settings)
        params = {"FunctionName": request.path_params["name"], **self._paging(request)}
        constraints.validate("ListAliases", params)
        ref = self._ref(request, "ListAliases")
        aliases, marker = self._functions.aliases_page(
            ref.name, params.get("FunctionVersion"), params.get("Marker"), params.get("MaxItems")
        )
        body: dict[str, Any] = {"Aliases": [self._alias_document(a) for a in aliases]}
        if marker is not None:
            body["NextMarker"] = marker
        return json_response(body)

    def _event_config_target(self, request: Request, operation: str) -> tuple[str, str | None, str]:
        qualifier = request.query_params.get("Qualifier")
        ref = self._ref(request, operation, qualifier)
        self._functions.resolve(ref)  # 404 for a function or qualifier that does not exist
        return ref.name, ref.qualifier, self._functions.arn(ref.name, ref.qualifier or "$LATEST")

    async def _write_event_config(self, request: Request, operation: str, merge: bool) -> Response:
        authenticate(request, self._settings)
        document = json_object(await read_body(request, SYNC_PAYLOAD_LIMIT_BYTES, operation))
        name, qualifier, arn = self._event_config_target(request, operation)
        constraints.validate(operation, {**document, "FunctionName": request.path_params["name"]})
        config = await self._event_configs.put(name, qualifier, decode_body(document, EventInvokeConfigInput), merge)
        return json_response(config_document(config, arn))

    async def put_event_invoke_config(self, request: Request) -> Response:
        return await self._write_event_config(request, "PutFunctionEventInvokeConfig", merge=False)

    async def update_event_invoke_config(self, request: Request) -> Response:
        return await self._write_event_config(request, "UpdateFunctionEventInvokeConfig", merge=True)

    async def get_event_invoke_config(self, request: Request) -> Response:
        authenticate(request, self._settings)
        name, qualifier, arn = self._event_config_target(request, "GetFunctionEventInvokeConfig")
        return json_response(config_document(self._event_configs.get(name, qualifier, arn), arn))

    async def delete_event_invoke_config(self, request: Request) -> Response:
        authenticate(request, self._settings)
        name, qualifier, arn = self._event_config_target(request, "DeleteFunctionEventInvokeConfig")
        self._event_configs.get(name, qualifier, arn)
        await self._event_configs.delete(name, qualifier)
        return empty_response(204)

    async def list_event_invoke_configs(self, request: Request) -> Response:
        authenticate(request, self._settings)
        ref = self._ref(request, "ListFunctionEventInvokeConfigs")
        self._functions.resolve(ref)
        configs = self._event_configs.list(ref.name)
        return json_response(
            {"FunctionEventInvokeConfigs": [config_document(c, self._functions.arn(ref.name, c.qualifier)) for c in configs]}
        )

    def _provisioned_target(self, request: Request, operation: str) -> tuple[str, str | None]:
        qualifier = request.query_params.get("Qualifier")
        params: dict[str, Any] = {"FunctionName": request.path_params["name"]}
        if qualifier is not None:
            params["Qualifier"] = qualifier
        constraints.validate(operation, params, partial=True)
        ref = parse_function_ref(request.path_params["name"], self._settings.region, self._settings.account_id, qualifier)
        return ref.name, ref.qualifier

    async def put_provisioned_concurrency(self, request: Request) -> Response:
        authenticate(request, self._settings)
        document = json_object(await read_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "PutProvisionedConcurrencyConfig"))
        name, qualifier = self._provisioned_target(request, "PutProvisionedConcurrencyConfig")
        constraints.validate(
            "PutProvisionedConcurrencyConfig",
            {**document, "FunctionName": request.path_params["name"], "Qualifier": request.query_params.get("Qualifier")},
        )
        count = document.get("ProvisionedConcurrentExecutions")
        if not isinstance(count, int) or isinstance(count, bool):
            raise InvalidParameterValueException("ProvisionedConcurrentExecutions must be an integer.")
        return json_response(await self._provisioned.put(name, qualifier, count), 202)

    async def get_provisioned_concurrency(self, request: Request) -> Response:
        authenticate(request, self._settings)
        if request.query_params.get("List") == "ALL":
            name = parse_function_ref(request.path_params["name"], self._settings.region, self._settings.account_id).name
            self._functions.resolve(FunctionRef(name=name))
            return json_response({"ProvisionedConcurrencyConfigs": self._provisioned.list(name)})
        name, qualifier = self._provisioned_target(request, "GetProvisionedConcurrencyConfig")
        return json_response(self._provisioned.status(name, qualifier))

    async def delete_provisioned_concurrency(self, request: Request) -> Response:
        authenticate(request, self._settings)
        name, qualifier = self._provisioned_target(request, "DeleteProvisionedConcurrencyConfig")
        await self._provisioned.delete(name, qualifier)
        return empty_response(204)

    async def put_recursion_config(self, request: Request) -> Response:
        authenticate(request, self._settings)
        document = json_object(await read_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "PutFunctionRecursionConfig"))
        ref = self._ref(request, "PutFunctionRecursionConfig")
        constraints.validate("PutFunctionRecursionConfig", {**document, "FunctionName": request.path_params["name"]})
        value = document.get("RecursiveLoop")
        if value not in ("Allow", "Terminate"):
            raise InvalidParameterValueException("RecursiveLoop must be Allow or Terminate.")
        await self._functions.put_recursive_loop(ref.name, value)
        return json_response({"RecursiveLoop": value})

    async def get_recursion_config(self, request: Request) -> Response:
        authenticate(request, self._settings)
        ref = self._ref(request, "GetFunctionRecursionConfig")
        return json_response({"RecursiveLoop": self._functions.recursive_loop(ref.name)})

    async def invoke_async(self, request: Request) -> Response:
        """The legacy InvokeAsync: an Event invoke with its own 256 KB limit and answer."""
        authenticate(request, self._settings)
        ref = self._ref(request, "InvokeAsync")
        payload = await read_body(request, INVOKE_ASYNC_LIMIT_BYTES, "InvokeAsync")
        await self._invocations.invoke(ref, payload, "Event", trace_id=request.headers.get("x-amzn-trace-id"))
        return json_response({"Status": 202}, 202)

    async def put_function_concurrency(self, request: Request) -> Response:
        authenticate(request, self._settings)
        document = json_object(await read_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "PutFunctionConcurrency"))
        ref = self._ref(request, "PutFunctionConcurrency")
        constraints.validate("PutFunctionConcurrency", {**document, "FunctionName": request.path_params["name"]})
        reserved = decode_body(document, PutConcurrencyInput).reserved
        await self._functions.put_reserved_concurrency(ref.name, reserved, self._settings.concurrency_limit)
        return json_response({"ReservedConcurrentExecutions": reserved})

    async def get_function_concurrency(self, request: Request) -> Response:
        authenticate(request, self._settings)
        reserved = self._functions.reserved(self._ref(request, "GetFunctionConcurrency").name)
        return json_response({} if reserved is None else {"ReservedConcurrentExecutions": reserved})

    async def delete_function_concurrency(self, request: Request) -> Response:
        authenticate(request, self._settings)
        ref = self._ref(request, "DeleteFunctionConcurrency")
        await self._functions.put_reserved_concurrency(ref.name, None, self._settings.concurrency_limit)
        return empty_response(204)

    async def get_account_settings(self, request: Request) -> Response:
        authenticate(request, self._settings)
        return json_response(
            {
                "AccountLimit": self._functions.account_limits(self._settings.concurrency_limit),
                "AccountUsage": self._functions.account_usage(),
            }
        )

    def _tag_target(self, request: Request, operation: str, extra: dict[str, Any] | None = None) -> str:
        arn = request.path_params["arn"]
        constraints.validate(operation, {"Resource": arn, **(extra or {})})
        return parse_function_resource_arn(arn, self._settings.region, self._settings.account_id)

    async def tag_resource(self, request: Request) -> Response:
        authenticate(request, self._settings)
        document = json_object(await read_body(request, SYNC_PAYLOAD_LIMIT_BYTES, "TagResource"))
        name = self._tag_target(request, "TagResource", document)
        tags = decode_body(document.get("Tags") or {}, dict[str, str])
        await self._functions.tag(name, tags)
        return empty_response(204)

    async def untag_resource(self, request: Request) -> Response:
        authenticate(request, self._settings)
        keys = request.query_params.getlist("tagKeys")
        name = self._tag_target(request, "UntagResource", {"TagKeys": keys})
        await self._functions.untag(name, keys)
        return empty_response(204)

    async def list_tags(self, request: Request) -> Response:
        authenticate(request, self._settings)
        name = self._tag_target(request, "ListTags")
        return json_response({"Tags": self._functions.tags(name)})

    async def download_code(self, request: Request) -> Response:
        """The zip behind GetFunction's Code.Location: a signed, expiring URL, as S3's would be."""
        sha = request.path_params["sha"]
        expires = request.query_params.get("Expires", "")
        signature = request.query_params.get("Signature", "")
        expected = hmac.new(self._secret, f"{sha}:{expires}".encode(), hashlib.sha256).hexdigest()
        blob = self._packages.blob(sha)
        if (
            not expires.isdigit()
            or int(expires) < time.time()
            or not hmac.compare_digest(expected, signature)
            or not blob.is_file()
        ):
            raise ResourceNotFoundException("The code location is unknown or has expired.")
        return Response(blob.read_bytes(), media_type="application/zip")
