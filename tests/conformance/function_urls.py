"""Function URL configs: whole bodies of the five operations and of every refusal.

Sources: botocore's model (the shapes: CreateFunctionUrlConfig answers 201 without
LastModifiedTime, Delete 204; Qualifier's pattern refuses a version and ``$LATEST``);
AWS's answers as LocalStack recorded them against AWS (test_lambda_api.snapshot.json,
TestLambdaUrl, December 2022): "Function does not exist" from Create, Update and List when the
function or alias is missing, "The resource you requested does not exist." from Get and Delete
and for a missing config, the conflict's words with their two spaces (also quoted from a live
answer in a terraform error), Cors left out when none was given; AWS's API reference for
UpdateFunctionUrlConfig (what it names replaces the config's, a Cors wholesale). The URL form
is Lambent's (``LAMBENT_FUNCTION_URL_BASE``), AWS's host shape on the server's port.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from tests.fixtures.aws_errors import aws_error, wire_error
from tests.fixtures.server import VENV_BIN, Server, create

CODE = "def handler(event, context):\n    return 1\n"
ARN = "arn:aws:lambda:us-east-1:000000000000:function:"
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
NO_FUNCTION = aws_error(404, "ResourceNotFoundException", "Function does not exist")
NO_RESOURCE = aws_error(404, "ResourceNotFoundException", "The resource you requested does not exist.")


def qualifier_refused(value: str) -> dict[str, Any]:
    return aws_error(
        400,
        "ValidationException",
        f"1 validation error detected: Value '{value}' at 'qualifier' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: ((?!^\d+$)^[0-9a-zA-Z-_]+$)",
    )


def body(response: dict[str, Any], server: Server) -> dict[str, Any]:
    """*response* without its metadata, its URL and times checked and replaced by placeholders."""
    doc = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    url_form = rf"http://[a-z0-9]{{32}}\.lambda-url\.us-east-1\.localhost:{server.port}/"
    assert re.fullmatch(url_form, doc["FunctionUrl"]), doc["FunctionUrl"]
    doc["FunctionUrl"] = "<url>"
    for key in ("CreationTime", "LastModifiedTime"):
        if key in doc:
            assert TIME.fullmatch(doc[key]), doc[key]
            doc[key] = f"<{key}>"
    return doc


def listed(response: dict[str, Any], server: Server) -> dict[str, Any]:
    doc = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    doc["FunctionUrlConfigs"] = [body(c, server) for c in doc["FunctionUrlConfigs"]]
    return doc


def _with_alias(lam: Any, name: str) -> None:
    create(lam, name, CODE)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)


def test_create_get_update_list_delete(lam: Any, server: Server, fn_name: str) -> None:
    _with_alias(lam, fn_name)
    created = lam.create_function_url_config(FunctionName=fn_name, AuthType="NONE")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert body(created, server) == {
        "FunctionUrl": "<url>",
        "FunctionArn": f"{ARN}{fn_name}",
        "AuthType": "NONE",
        "CreationTime": "<CreationTime>",
        "InvokeMode": "BUFFERED",
    }
    cors = {"AllowCredentials": True, "AllowHeaders": ["x-a"], "AllowMethods": ["GET", "POST"], "AllowOrigins": ["*"],
            "ExposeHeaders": ["x-b"], "MaxAge": 300}  # fmt: skip
    aliased = lam.create_function_url_config(
        FunctionName=fn_name, Qualifier="live", AuthType="AWS_IAM", Cors=cors, InvokeMode="RESPONSE_STREAM"
    )
    assert body(aliased, server) == {
        "FunctionUrl": "<url>",
        "FunctionArn": f"{ARN}{fn_name}:live",
        "AuthType": "AWS_IAM",
        "Cors": cors,
        "CreationTime": "<CreationTime>",
        "InvokeMode": "RESPONSE_STREAM",
    }
    assert aliased["FunctionUrl"] != created["FunctionUrl"]

    got = lam.get_function_url_config(FunctionName=fn_name)
    assert body(got, server) == {
        "FunctionUrl": "<url>",
        "FunctionArn": f"{ARN}{fn_name}",
        "AuthType": "NONE",
        "CreationTime": "<CreationTime>",
        "LastModifiedTime": "<LastModifiedTime>",
        "InvokeMode": "BUFFERED",
    }
    assert (got["FunctionUrl"], got["CreationTime"]) == (created["FunctionUrl"], created["CreationTime"])
    by_arn = lam.get_function_url_config(FunctionName=f"{ARN}{fn_name}:live")
    assert by_arn["FunctionUrl"] == aliased["FunctionUrl"]

    # An update replaces what it names and keeps the rest; a Cors given replaces the whole Cors.
    auth = lam.update_function_url_config(FunctionName=fn_name, Qualifier="live", AuthType="NONE")
    assert body(auth, server) == {**body(aliased, server), "AuthType": "NONE", "LastModifiedTime": "<LastModifiedTime>"}
    assert auth["FunctionUrl"] == aliased["FunctionUrl"] and auth["CreationTime"] == aliased["CreationTime"]
    narrowed = lam.update_function_url_config(FunctionName=fn_name, Qualifier="live", Cors={"AllowOrigins": ["https://a.test"]})
    assert body(narrowed, server)["Cors"] == {"AllowOrigins": ["https://a.test"]}
    assert (narrowed["AuthType"], narrowed["InvokeMode"]) == ("NONE", "RESPONSE_STREAM")

    assert listed(lam.list_function_url_configs(FunctionName=fn_name), server) == {
        "FunctionUrlConfigs": [body(got, server), body(narrowed, server)]
    }
    first = lam.list_function_url_configs(FunctionName=fn_name, MaxItems=1)
    assert [c["FunctionArn"] for c in first["FunctionUrlConfigs"]] == [f"{ARN}{fn_name}"] and "NextMarker" in first
    rest = lam.list_function_url_configs(FunctionName=fn_name, MaxItems=1, Marker=first["NextMarker"])
    assert [c["FunctionArn"] for c in rest["FunctionUrlConfigs"]] == [f"{ARN}{fn_name}:live"] and "NextMarker" not in rest

    deleted = lam.delete_function_url_config(FunctionName=fn_name)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert wire_error(lam, lambda: lam.get_function_url_config(FunctionName=fn_name)) == NO_RESOURCE
    again = lam.create_function_url_config(FunctionName=fn_name, AuthType="NONE")
    assert again["FunctionUrl"] != created["FunctionUrl"]  # "Creating a new function URL results in a different URL address"


def test_a_second_config_on_one_qualifier(lam: Any, fn_name: str) -> None:
    _with_alias(lam, fn_name)
    for qualifier, arn in ((None, f"{ARN}{fn_name}"), ("live", f"{ARN}{fn_name}:live")):
        params = {"FunctionName": fn_name, "AuthType": "NONE", **({"Qualifier": qualifier} if qualifier else {})}
        lam.create_function_url_config(**params)
        assert wire_error(lam, lambda p=params: lam.create_function_url_config(**p)) == aws_error(
            409,
            "ResourceConflictException",
            f"Failed to create function url config for [functionArn = {arn}]. "
            "Error message:  FunctionUrlConfig exists for this Lambda function",
        )


@pytest.mark.parametrize("exists", [True, False])
def test_a_function_or_alias_that_is_not_there(lam: Any, fn_name: str, exists: bool) -> None:
    if exists:
        _with_alias(lam, fn_name)
    targets = [{"FunctionName": fn_name, "Qualifier": "nope"}]
    if not exists:
        targets += [{"FunctionName": fn_name}, {"FunctionName": f"{ARN}{fn_name}"}]
    for target in targets:
        assert wire_error(lam, lambda t=target: lam.create_function_url_config(**t, AuthType="NONE")) == NO_FUNCTION
        assert wire_error(lam, lambda t=target: lam.update_function_url_config(**t, AuthType="NONE")) == NO_FUNCTION
        assert wire_error(lam, lambda t=target: lam.get_function_url_config(**t)) == NO_RESOURCE
        assert wire_error(lam, lambda t=target: lam.delete_function_url_config(**t)) == NO_RESOURCE
    if not exists:
        assert wire_error(lam, lambda: lam.list_function_url_configs(FunctionName=fn_name)) == NO_FUNCTION


def test_a_config_that_is_not_there(lam: Any, fn_name: str) -> None:
    _with_alias(lam, fn_name)
    for target in ({"FunctionName": fn_name}, {"FunctionName": fn_name, "Qualifier": "live"}):
        assert wire_error(lam, lambda t=target: lam.get_function_url_config(**t)) == NO_RESOURCE
        assert wire_error(lam, lambda t=target: lam.update_function_url_config(**t, AuthType="NONE")) == NO_RESOURCE
        assert wire_error(lam, lambda t=target: lam.delete_function_url_config(**t)) == NO_RESOURCE
    assert {k: v for k, v in lam.list_function_url_configs(FunctionName=fn_name).items() if k != "ResponseMetadata"} == {
        "FunctionUrlConfigs": []
    }


def test_only_an_alias_may_have_a_url(lam: Any, fn_name: str) -> None:
    _with_alias(lam, fn_name)
    for qualifier in ("1", "2", "$LATEST"):  # a version, one that does not exist, $LATEST
        assert wire_error(
            lam, lambda q=qualifier: lam.create_function_url_config(FunctionName=fn_name, Qualifier=q, AuthType="NONE")
        ) == qualifier_refused(qualifier)
        assert wire_error(lam, lambda q=qualifier: lam.get_function_url_config(FunctionName=fn_name, Qualifier=q)) == (
            qualifier_refused(qualifier)
        )
        assert wire_error(lam, lambda q=qualifier: lam.delete_function_url_config(FunctionName="nope", Qualifier=q)) == (
            qualifier_refused(qualifier)  # the form is refused before the function is looked for
        )
    assert wire_error(
        lam, lambda: lam.get_function_url_config(FunctionName=f"{ARN}{fn_name}:live", Qualifier="other")
    ) == aws_error(
        400,
        "InvalidParameterValueException",
        "The derived qualifier from the function name does not match the specified qualifier.",
    )


def test_refused_inputs(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    prefix = "1 validation error detected: "
    cases = [
        ({"AuthType": "NONE", "Cors": {"MaxAge": 86401}},
         "Value '86401' at 'cors.maxAge' failed to satisfy constraint: Member must have value less than or equal to 86400"),
        ({"AuthType": "NONE", "InvokeMode": "STREAM"},
         "Value 'STREAM' at 'invokeMode' failed to satisfy constraint: Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]"),
    ]  # fmt: skip
    for params, message in cases:
        assert wire_error(lam, lambda p=params: lam.create_function_url_config(FunctionName=fn_name, **p)) == aws_error(
            400, "ValidationException", prefix + message
        )
    assert wire_error(
        lam, lambda: lam.create_function_url_config(FunctionName=fn_name, AuthType="NONE", Cors={"AllowMethods": ["TRACE"]})
    ) == aws_error(
        400,
        "InvalidParameterValueException",
        "Value 'TRACE' at 'cors.allowMethods' failed to satisfy constraint: "
        "Member must satisfy enum value set: [GET, PUT, HEAD, POST, PATCH, DELETE, *]",
    )
    assert wire_error(lam, lambda: lam.get_function_url_config(FunctionName=fn_name)) == NO_RESOURCE  # nothing was made


def test_configs_go_with_their_alias_and_function(lam: Any, fn_name: str) -> None:
    _with_alias(lam, fn_name)
    lam.create_function_url_config(FunctionName=fn_name, AuthType="NONE")
    lam.create_function_url_config(FunctionName=fn_name, Qualifier="live", AuthType="NONE")
    lam.delete_alias(FunctionName=fn_name, Name="live")
    assert [c["FunctionArn"] for c in lam.list_function_url_configs(FunctionName=fn_name)["FunctionUrlConfigs"]] == [
        f"{ARN}{fn_name}"
    ]
    lam.delete_function(FunctionName=fn_name)
    _with_alias(lam, fn_name)
    for target in ({"FunctionName": fn_name}, {"FunctionName": fn_name, "Qualifier": "live"}):
        assert wire_error(lam, lambda t=target: lam.get_function_url_config(**t)) == NO_RESOURCE


def test_the_aws_cli_creates_one(server: Server, fn_name: str) -> None:
    lam = server.client()
    create(lam, fn_name, CODE)
    result = subprocess.run(
        [str(VENV_BIN / "aws"), "lambda", "create-function-url-config", "--function-name", fn_name, "--auth-type", "NONE",
         "--cors", "AllowOrigins=*,AllowMethods=GET", "--endpoint-url", server.endpoint, "--output", "json"],
        capture_output=True, text=True, env=server.cli_env(), timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert body(json.loads(result.stdout), server) == {
        "FunctionUrl": "<url>",
        "FunctionArn": f"{ARN}{fn_name}",
        "AuthType": "NONE",
        "Cors": {"AllowMethods": ["GET"], "AllowOrigins": ["*"]},
        "CreationTime": "<CreationTime>",
        "InvokeMode": "BUFFERED",
    }
