"""Function URL configs, pure: the inputs refuse unknown members, the API model's limits answer
in AWS's validation words, AllowMethods are HTTP methods, an update replaces what it names (a
Cors wholesale), the documents each operation answers, the URL id and the times."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from lambent.errors import InvalidParameterValueException, ValidationException
from lambent.model import constraints
from lambent.model.function_url import (
    CORS_METHODS,
    Cors,
    CreateFunctionUrlInput,
    FunctionUrlConfig,
    UpdateFunctionUrlInput,
    check_cors,
    config_document,
    conflict_message,
    is_url_id,
    new_config,
    updated_config,
    url_id_from,
    url_time,
)

NOW = 1_767_225_600.25  # 2026-01-01T00:00:00.25Z
ID = "abcdefghijklmnopqrstuvwxyz012345"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:f"
URL = f"http://{ID}.lambda-url.us-east-1.localhost:9001/"


def create(**members: Any) -> CreateFunctionUrlInput:
    return msgspec.convert({"AuthType": "NONE", **members}, CreateFunctionUrlInput)


def update(**members: Any) -> UpdateFunctionUrlInput:
    return msgspec.convert(members, UpdateFunctionUrlInput)


def refusal(operation: str, **params: Any) -> str:
    with pytest.raises(ValidationException) as caught:
        constraints.validate(operation, {"FunctionName": "f", **params})
    return caught.value.message


def test_inputs_refuse_unknown_members_and_values_outside_their_enums() -> None:
    for document in ({"AuthType": "NONE", "Extra": 1}, {"AuthType": "NONE", "Cors": {"AllowMethod": ["GET"]}}):
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert(document, CreateFunctionUrlInput)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({}, CreateFunctionUrlInput)  # AuthType is required on create
    assert update() == UpdateFunctionUrlInput()  # and on update nothing is


def test_the_api_model_refuses_in_awss_validation_words() -> None:
    pattern = r"((?!^\d+$)^[0-9a-zA-Z-_]+$)"
    for qualifier in ("1", "$LATEST"):  # a version, $LATEST: only an alias may have a URL
        assert refusal("GetFunctionUrlConfig", Qualifier=qualifier) == (
            f"1 validation error detected: Value '{qualifier}' at 'qualifier' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {pattern}"
        )
    assert refusal("CreateFunctionUrlConfig") == (
        "1 validation error detected: Value null at 'authType' failed to satisfy constraint: Member must not be null"
    )
    assert refusal("CreateFunctionUrlConfig", AuthType="OPEN") == (
        "1 validation error detected: Value 'OPEN' at 'authType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [NONE, AWS_IAM]"
    )
    assert refusal("UpdateFunctionUrlConfig", InvokeMode="STREAM") == (
        "1 validation error detected: Value 'STREAM' at 'invokeMode' failed to satisfy constraint: "
        "Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]"
    )
    assert refusal("UpdateFunctionUrlConfig", Cors={"MaxAge": 86401}) == (
        "1 validation error detected: Value '86401' at 'cors.maxAge' failed to satisfy constraint: "
        "Member must have value less than or equal to 86400"
    )
    assert refusal("UpdateFunctionUrlConfig", Cors={"AllowMethods": ["GET"] * 7}).endswith(
        "at 'cors.allowMethods' failed to satisfy constraint: Member must have length less than or equal to 6"
    )
    assert refusal("UpdateFunctionUrlConfig", Cors={"AllowOrigins": ["o"] * 101}).endswith(
        "at 'cors.allowOrigins' failed to satisfy constraint: Member must have length less than or equal to 100"
    )
    assert refusal("UpdateFunctionUrlConfig", Cors={"AllowMethods": ["OPTIONS"]}).endswith(
        "Member must satisfy constraint: [Member must have length less than or equal to 6]"
    )
    assert refusal("ListFunctionUrlConfigs", MaxItems=51).endswith("Member must have value less than or equal to 50")
    constraints.validate("UpdateFunctionUrlConfig", {"FunctionName": "f", "Qualifier": "live", "Cors": {"MaxAge": 86400}})


@pytest.mark.parametrize("method", CORS_METHODS)
def test_allow_methods_are_the_http_methods_lambda_serves(method: str) -> None:
    check_cors(Cors(allow_methods=[method]))


@pytest.mark.parametrize("method", ["get", "TRACE", "ANY", ""])
def test_other_allow_methods_are_refused(method: str) -> None:
    with pytest.raises(InvalidParameterValueException) as caught:
        check_cors(Cors(allow_methods=["GET", method]))
    assert caught.value.message == (
        f"Value '{method}' at 'cors.allowMethods' failed to satisfy constraint: "
        "Member must satisfy enum value set: [GET, PUT, HEAD, POST, PATCH, DELETE, *]"
    )
    with pytest.raises(InvalidParameterValueException):
        new_config("f", "", ID, create(Cors={"AllowMethods": [method]}), NOW)
    with pytest.raises(InvalidParameterValueException):
        updated_config(new_config("f", "", ID, create(), NOW), update(Cors={"AllowMethods": [method]}), NOW)


def test_a_new_config_defaults_to_buffered_and_is_modified_when_created() -> None:
    config = new_config("f", "live", ID, create(), NOW)
    assert config == FunctionUrlConfig(
        url_id=ID,
        function_name="f",
        qualifier="live",
        auth_type="NONE",
        invoke_mode="BUFFERED",
        creation_time="2026-01-01T00:00:00.250000Z",
        last_modified_time="2026-01-01T00:00:00.250000Z",
    )
    with pytest.raises(ValueError, match="not a URL id"):
        new_config("f", "", "ABC", create(), NOW)


def test_an_update_replaces_what_it_names_and_a_cors_wholesale() -> None:
    first = new_config("f", "", ID, create(Cors={"AllowOrigins": ["*"], "MaxAge": 60}, InvokeMode="RESPONSE_STREAM"), NOW)
    auth = updated_config(first, update(AuthType="AWS_IAM"), NOW + 10)
    assert auth == msgspec.structs.replace(first, auth_type="AWS_IAM", last_modified_time="2026-01-01T00:00:10.250000Z")
    cors = updated_config(auth, update(Cors={"AllowMethods": ["GET"]}), NOW + 20)
    assert cors.cors == Cors(allow_methods=["GET"])  # the origins and max age are not kept
    assert (cors.auth_type, cors.invoke_mode, cors.creation_time) == ("AWS_IAM", "RESPONSE_STREAM", first.creation_time)
    assert updated_config(cors, update(InvokeMode="BUFFERED"), NOW).invoke_mode == "BUFFERED"
    assert updated_config(cors, update(Cors={}), NOW).cors == Cors()


def test_documents_as_each_operation_answers() -> None:
    bare = new_config("f", "", ID, create(), NOW)
    assert config_document(bare, ARN, URL, modified=False) == {
        "FunctionUrl": URL,
        "FunctionArn": ARN,
        "AuthType": "NONE",
        "CreationTime": "2026-01-01T00:00:00.250000Z",
        "InvokeMode": "BUFFERED",
    }
    cors = {"AllowCredentials": True, "AllowHeaders": ["x-a"], "AllowMethods": ["*"], "AllowOrigins": ["*"],
            "ExposeHeaders": ["x-b"], "MaxAge": 0}  # fmt: skip
    full = new_config("f", "", ID, create(Cors=cors), NOW)
    assert config_document(full, ARN, URL) == {
        "FunctionUrl": URL,
        "FunctionArn": ARN,
        "AuthType": "NONE",
        "Cors": cors,
        "CreationTime": "2026-01-01T00:00:00.250000Z",
        "LastModifiedTime": "2026-01-01T00:00:00.250000Z",
        "InvokeMode": "BUFFERED",
    }
    partial = new_config("f", "", ID, create(Cors={"AllowOrigins": ["https://a.example"]}), NOW)
    assert config_document(partial, ARN, URL)["Cors"] == {"AllowOrigins": ["https://a.example"]}  # as given


def test_url_ids_and_times() -> None:
    assert url_id_from([0] * 31 + [35]) == "a" * 31 + "9"
    assert url_id_from(list(range(32))) == "abcdefghijklmnopqrstuvwxyz012345"
    assert url_id_from([36 + 1] * 32) == "b" * 32  # any draw, folded into the alphabet
    with pytest.raises(ValueError):
        url_id_from([0] * 31)
    assert is_url_id(ID) and not is_url_id(ID.upper()) and not is_url_id(ID[:-1]) and not is_url_id(ID + "a")
    assert url_time(0) == "1970-01-01T00:00:00.000000Z"


def test_a_second_config_is_refused_in_awss_words() -> None:
    assert conflict_message(f"{ARN}:live") == (
        f"Failed to create function url config for [functionArn = {ARN}:live]. "
        "Error message:  FunctionUrlConfig exists for this Lambda function"
    )
