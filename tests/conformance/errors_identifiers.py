"""Function identifiers AWS refuses, for every operation that takes one: whole error responses.

Sources: the botocore model (FunctionName patterns and lengths per operation; Qualifier);
AWS's API reference ("If you specify only the function name, it is limited to 64 characters in
length"); the create-time refusal of a longer name as AWS answers it, quoted from live answers
in cloud-custodian/cloud-custodian#3352 and aws/aws-cdk#13264 (InvalidParameterValueException);
another region's ARN and a missing qualifier in the words LocalStack records against AWS and
floci-io/floci#2821 measured against the live service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.loaders import Loader

from tests.fixtures.aws_errors import aws_error, wire_error
from tests.fixtures.server import ROLE, RUNTIME, create, make_zip

CODE = "def handler(event, context):\n    return 1\n"
ELSEWHERE = "arn:aws:lambda:eu-west-1:000000000000:function:"
NOT_REACHABLE = "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"


def _calls(name: str) -> dict[str, Callable[[Any], Any]]:
    """Each operation Lambent serves that takes a function name, called with *name*."""
    zipped = make_zip({"app.py": CODE})
    return {
        "GetFunction": lambda lam: lam.get_function(FunctionName=name),
        "GetFunctionConfiguration": lambda lam: lam.get_function_configuration(FunctionName=name),
        "DeleteFunction": lambda lam: lam.delete_function(FunctionName=name),
        "Invoke": lambda lam: lam.invoke(FunctionName=name),
        "InvokeAsync": lambda lam: lam.invoke_async(FunctionName=name, InvokeArgs=b"{}"),
        "UpdateFunctionConfiguration": lambda lam: lam.update_function_configuration(FunctionName=name, Description="d"),
        "UpdateFunctionCode": lambda lam: lam.update_function_code(FunctionName=name, ZipFile=zipped),
        "PublishVersion": lambda lam: lam.publish_version(FunctionName=name),
        "ListVersionsByFunction": lambda lam: lam.list_versions_by_function(FunctionName=name),
        "CreateAlias": lambda lam: lam.create_alias(FunctionName=name, Name="live", FunctionVersion="$LATEST"),
        "GetAlias": lambda lam: lam.get_alias(FunctionName=name, Name="live"),
        "ListAliases": lambda lam: lam.list_aliases(FunctionName=name),
        "PutFunctionConcurrency": lambda lam: lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1),
        "GetFunctionConcurrency": lambda lam: lam.get_function_concurrency(FunctionName=name),
        "DeleteFunctionConcurrency": lambda lam: lam.delete_function_concurrency(FunctionName=name),
        "PutFunctionEventInvokeConfig": lambda lam: lam.put_function_event_invoke_config(
            FunctionName=name, MaximumRetryAttempts=1
        ),
        "GetFunctionEventInvokeConfig": lambda lam: lam.get_function_event_invoke_config(FunctionName=name),
        "ListFunctionEventInvokeConfigs": lambda lam: lam.list_function_event_invoke_configs(FunctionName=name),
        "GetProvisionedConcurrencyConfig": lambda lam: lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1"),
        "GetFunctionRecursionConfig": lambda lam: lam.get_function_recursion_config(FunctionName=name),
    }


OPERATIONS = sorted(_calls("f"))


@pytest.mark.parametrize("operation", OPERATIONS)
def test_an_arn_of_another_region_is_not_reachable(lam: Any, fn_name: str, operation: str) -> None:
    create(lam, fn_name, CODE)
    call = _calls(ELSEWHERE + fn_name)[operation]
    assert wire_error(lam, lambda: call(lam)) == aws_error(404, "ResourceNotFoundException", NOT_REACHABLE)


def _pattern(operation: str) -> str:
    model = Loader().load_service_model("lambda", "service-2")
    member = model["shapes"][model["operations"][operation]["input"]["shape"]]["members"]["FunctionName"]
    return str(model["shapes"][member["shape"]]["pattern"])


@pytest.mark.parametrize("operation", ["GetFunction", "Invoke", "PublishVersion", "GetFunctionConcurrency"])
def test_a_lowercase_latest_in_the_name_breaks_the_pattern(lam: Any, fn_name: str, operation: str) -> None:
    create(lam, fn_name, CODE)
    name = f"{fn_name}:$latest"
    assert wire_error(lam, lambda: _calls(name)[operation](lam)) == aws_error(
        400,
        "ValidationException",
        f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {_pattern(operation)}",
    )


def test_a_lowercase_latest_qualifier_names_no_version(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    missing = aws_error(
        404, "ResourceNotFoundException", f"Function not found: arn:aws:lambda:us-east-1:000000000000:function:{fn_name}:$latest"
    )
    assert wire_error(lam, lambda: lam.get_function(FunctionName=fn_name, Qualifier="$latest")) == missing
    assert wire_error(lam, lambda: lam.get_function_configuration(FunctionName=fn_name, Qualifier="$latest")) == missing
    assert wire_error(lam, lambda: lam.invoke(FunctionName=fn_name, Qualifier="$latest")) == missing


def test_a_missing_alias_or_version_is_not_found_in_the_same_words(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    for qualifier in ("7", "live"):
        assert wire_error(lam, lambda q=qualifier: lam.get_function(FunctionName=fn_name, Qualifier=q)) == aws_error(
            404,
            "ResourceNotFoundException",
            f"Function not found: arn:aws:lambda:us-east-1:000000000000:function:{fn_name}:{qualifier}",
        )


def _create(lam: Any, name: str) -> Any:
    return lam.create_function(
        FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler", Code={"ZipFile": make_zip({"app.py": CODE})}
    )


@pytest.mark.parametrize("length", [65, 100, 140])
def test_a_bare_name_over_64_cannot_be_created(lam: Any, length: int) -> None:
    name = "n" * length
    assert wire_error(lam, lambda: _create(lam, name)) == aws_error(
        400,
        "InvalidParameterValueException",
        f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64",
    )
    assert wire_error(lam, lambda: lam.get_function(FunctionName=name))["status"] == 404


def test_a_bare_name_of_64_can_be_created(lam: Any, fn_name: str) -> None:
    name = (fn_name + "x" * 64)[:64]
    assert _create(lam, name)["FunctionName"] == name
    lam.delete_function(FunctionName=name)


MALFORMED = [
    "arn:aws:lambda:us-east-1:123:function:f",  # an account of three digits
    "arn:aws:lambda:us-east-1:000000000000:function:f:1:2",  # two qualifiers
    "f!",  # a character no name has
    "f:$latest",  # $LATEST is the only qualifier with a "$", and only in capitals
]


@pytest.mark.parametrize("identifier", MALFORMED)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_malformed_identifier_breaks_each_operations_pattern(lam: Any, operation: str, identifier: str) -> None:
    assert wire_error(lam, lambda: _calls(identifier)[operation](lam)) == aws_error(
        400,
        "ValidationException",
        f"1 validation error detected: Value '{identifier}' at 'functionName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {_pattern(operation)}",
    )


def _max_length(operation: str) -> int:
    model = Loader().load_service_model("lambda", "service-2")
    member = model["shapes"][model["operations"][operation]["input"]["shape"]]["members"]["FunctionName"]
    return int(model["shapes"][member["shape"]]["max"])


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_name_over_each_operations_length_limit(lam: Any, operation: str) -> None:
    # The model's limit for the operation's FunctionName shape (140, or 256 where it is namespaced).
    limit = _max_length(operation)
    name = "a" * (limit + 1)
    assert wire_error(lam, lambda: _calls(name)[operation](lam)) == aws_error(
        400,
        "ValidationException",
        f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: "
        f"Member must have length less than or equal to {limit}",
    )
