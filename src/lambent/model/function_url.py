"""Function URL configurations: the record, its create and update inputs, AWS's rules. Pure.

A function, or one of its aliases, has at most one URL config (``ResourceConflictException``);
a version or ``$LATEST`` has none (the API model's Qualifier pattern refuses both, and the
service refuses a missing alias). A config is keyed by (function, qualifier), ``""`` for the
unqualified function. Its URL id, 32 lowercase letters and digits as AWS's are, is drawn at
random by the caller, kept for the config's life and never reused by it; the URL text is made
from the id by a function the caller passes in (the server's base), so the model decides no
host. Times come in as arguments and are kept as AWS prints them.

What the API model checks (enums, list sizes, lengths, MaxAge 0-86,400) is checked by
``model.constraints`` before these rules; ``check_cors`` adds what the model cannot say:
AllowMethods are HTTP methods (CloudFormation's reference of ``AWS::Lambda::Url`` lists GET,
PUT, HEAD, POST, PATCH, DELETE and ``*``). Update replaces what it names, wholesale (a Cors given
replaces the whole Cors), and keeps the rest.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

from lambent.errors import InvalidParameterValueException

AuthType = Literal["NONE", "AWS_IAM"]
InvokeMode = Literal["BUFFERED", "RESPONSE_STREAM"]

#: AWS's URL ids: 32 characters of lowercase letters and digits.
URL_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
URL_ID_LENGTH = 32
_URL_ID = re.compile(rf"[a-z0-9]{{{URL_ID_LENGTH}}}")

#: The methods AllowMethods may list (CloudFormation's AWS::Lambda::Url Cors reference).
CORS_METHODS = ("GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "*")

#: AWS's answers, as LocalStack recorded them against AWS (test_lambda_api.snapshot.json,
#: TestLambdaUrl, December 2022). Create, Update and List say the function is missing in these
#: words; Get and Delete say nothing more than that the resource is not there.
FUNCTION_DOES_NOT_EXIST = "Function does not exist"
NO_SUCH_RESOURCE = "The resource you requested does not exist."


class Cors(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    allow_credentials: bool | None = msgspec.field(default=None, name="AllowCredentials")
    allow_headers: list[str] | None = msgspec.field(default=None, name="AllowHeaders")
    allow_methods: list[str] | None = msgspec.field(default=None, name="AllowMethods")
    allow_origins: list[str] | None = msgspec.field(default=None, name="AllowOrigins")
    expose_headers: list[str] | None = msgspec.field(default=None, name="ExposeHeaders")
    max_age_s: int | None = msgspec.field(default=None, name="MaxAge")


class CreateFunctionUrlInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    auth_type: AuthType = msgspec.field(name="AuthType")
    cors: Cors | None = msgspec.field(default=None, name="Cors")
    invoke_mode: InvokeMode | None = msgspec.field(default=None, name="InvokeMode")


class UpdateFunctionUrlInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    auth_type: AuthType | None = msgspec.field(default=None, name="AuthType")
    cors: Cors | None = msgspec.field(default=None, name="Cors")
    invoke_mode: InvokeMode | None = msgspec.field(default=None, name="InvokeMode")


class FunctionUrlConfig(msgspec.Struct, frozen=True, kw_only=True):
    """One URL config as stored (its URL text and ARN are made when it is answered)."""

    url_id: str
    function_name: str
    #: The alias, or "" for the unqualified function.
    qualifier: str = ""
    auth_type: AuthType
    cors: Cors | None = None
    invoke_mode: InvokeMode = "BUFFERED"
    creation_time: str
    last_modified_time: str


def is_url_id(text: str) -> bool:
    return _URL_ID.fullmatch(text) is not None


def url_id_from(draws: list[int]) -> str:
    """The URL id that 32 random draws (any non-negative integers) pick from the alphabet."""
    if len(draws) != URL_ID_LENGTH:
        raise ValueError(f"a URL id takes {URL_ID_LENGTH} draws, not {len(draws)}")
    return "".join(URL_ID_ALPHABET[d % len(URL_ID_ALPHABET)] for d in draws)


def url_time(moment: float) -> str:
    """*moment* (epoch seconds) as the URL operations print times: ISO-8601 in UTC, microseconds.
    (Not first-hand: AWS's documentation says only "ISO-8601 format (YYYY-MM-DDThh:mm:ss.sTZD)".)"""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_cors(cors: Cors | None) -> None:
    """Refuse an AllowMethods entry that is not an HTTP method Lambda serves (or ``*``).

    No recorded AWS answer was found for this refusal: the words are Lambent's, in the form of
    AWS's enum refusals."""
    if cors is None or cors.allow_methods is None:
        return
    for method in cors.allow_methods:
        if method not in CORS_METHODS:
            raise InvalidParameterValueException(
                f"Value '{method}' at 'cors.allowMethods' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(CORS_METHODS)}]"
            )


def new_config(function_name: str, qualifier: str, url_id: str, request: CreateFunctionUrlInput, now: float) -> FunctionUrlConfig:
    check_cors(request.cors)
    if not is_url_id(url_id):
        raise ValueError(f"not a URL id: {url_id!r}")
    moment = url_time(now)
    return FunctionUrlConfig(
        url_id=url_id,
        function_name=function_name,
        qualifier=qualifier,
        auth_type=request.auth_type,
        cors=request.cors,
        invoke_mode=request.invoke_mode or "BUFFERED",
        creation_time=moment,
        last_modified_time=moment,
    )


def updated_config(config: FunctionUrlConfig, request: UpdateFunctionUrlInput, now: float) -> FunctionUrlConfig:
    """*config* with what *request* names replaced (a Cors wholesale), modified *now*."""
    check_cors(request.cors)
    changes: dict[str, Any] = {"last_modified_time": url_time(now)}
    if request.auth_type is not None:
        changes["auth_type"] = request.auth_type
    if request.cors is not None:
        changes["cors"] = request.cors
    if request.invoke_mode is not None:
        changes["invoke_mode"] = request.invoke_mode
    return msgspec.structs.replace(config, **changes)


def conflict_message(function_arn: str) -> str:
    """AWS's words for a second config on one qualifier, its two spaces included (a live answer
    quoted in a terraform error: "Failed to create function url config for [functionArn = ...].
    Error message:  FunctionUrlConfig exists for this Lambda function")."""
    return (
        f"Failed to create function url config for [functionArn = {function_arn}]. "
        "Error message:  FunctionUrlConfig exists for this Lambda function"
    )


def config_document(config: FunctionUrlConfig, function_arn: str, url: str, *, modified: bool = True) -> dict[str, Any]:
    """The config as the operations answer it; CreateFunctionUrlConfig's answer has no
    LastModifiedTime (*modified* False). Cors appears when the config has one."""
    doc: dict[str, Any] = {"FunctionUrl": url, "FunctionArn": function_arn, "AuthType": config.auth_type}
    if config.cors is not None:
        doc["Cors"] = msgspec.to_builtins(config.cors)
    doc["CreationTime"] = config.creation_time
    if modified:
        doc["LastModifiedTime"] = config.last_modified_time
    doc["InvokeMode"] = config.invoke_mode
    return doc
