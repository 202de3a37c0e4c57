"""EventInvokeConfig operations refused as AWS refuses them: whole error responses.

Sources: AWS's words as LocalStack records them against AWS (its provider and snapshots): a
missing config is "The function ARN doesn't have an EventInvokeConfig" for Get, Update and
Delete whether or not the function exists (Delete names the ARN as the request qualified it);
Put, Update and List of a function or qualifier that does not exist say "The function doesn't
exist."; Put and Update with no setting at all are refused first.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.aws_errors import aws_error, wire_error
from tests.fixtures.server import create

CODE = "def handler(event, context):\n    return 1\n"
ARN = "arn:aws:lambda:us-east-1:000000000000:function:"


def _none(arn: str) -> dict[str, Any]:
    return aws_error(404, "ResourceNotFoundException", f"The function {arn} doesn't have an EventInvokeConfig")


DOES_NOT_EXIST = aws_error(404, "ResourceNotFoundException", "The function doesn't exist.")


@pytest.mark.parametrize("exists", [True, False])
def test_getting_a_config_that_is_not_there(lam: Any, fn_name: str, exists: bool) -> None:
    if exists:
        create(lam, fn_name, CODE)
        lam.publish_version(FunctionName=fn_name)
    assert wire_error(lam, lambda: lam.get_function_event_invoke_config(FunctionName=fn_name)) == _none(f"{ARN}{fn_name}:$LATEST")
    for qualifier in ("1", "$LATEST", "live"):
        assert wire_error(
            lam, lambda q=qualifier: lam.get_function_event_invoke_config(FunctionName=fn_name, Qualifier=q)
        ) == _none(f"{ARN}{fn_name}:{qualifier}")


@pytest.mark.parametrize("exists", [True, False])
def test_deleting_a_config_that_is_not_there(lam: Any, fn_name: str, exists: bool) -> None:
    if exists:
        create(lam, fn_name, CODE)
    assert wire_error(lam, lambda: lam.delete_function_event_invoke_config(FunctionName=fn_name)) == _none(f"{ARN}{fn_name}")
    assert wire_error(lam, lambda: lam.delete_function_event_invoke_config(FunctionName=fn_name, Qualifier="$LATEST")) == _none(
        f"{ARN}{fn_name}:$LATEST"
    )


def test_updating_a_config_that_is_not_there(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    assert wire_error(
        lam, lambda: lam.update_function_event_invoke_config(FunctionName=fn_name, MaximumRetryAttempts=1)
    ) == _none(f"{ARN}{fn_name}:$LATEST")


def test_a_function_or_qualifier_that_does_not_exist(lam: Any, fn_name: str) -> None:
    assert (
        wire_error(lam, lambda: lam.put_function_event_invoke_config(FunctionName=fn_name, MaximumRetryAttempts=1))
        == DOES_NOT_EXIST
    )
    assert (
        wire_error(lam, lambda: lam.update_function_event_invoke_config(FunctionName=fn_name, MaximumRetryAttempts=1))
        == DOES_NOT_EXIST
    )
    assert wire_error(lam, lambda: lam.list_function_event_invoke_configs(FunctionName=fn_name)) == DOES_NOT_EXIST
    create(lam, fn_name, CODE)
    assert (
        wire_error(lam, lambda: lam.put_function_event_invoke_config(FunctionName=fn_name, Qualifier="7", MaximumRetryAttempts=1))
        == DOES_NOT_EXIST
    )


def test_a_put_or_update_without_a_setting(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    refusal = aws_error(
        400, "InvalidParameterValueException", "You must specify at least one of error handling or destination setting."
    )
    assert wire_error(lam, lambda: lam.put_function_event_invoke_config(FunctionName=fn_name)) == refusal
    assert wire_error(lam, lambda: lam.update_function_event_invoke_config(FunctionName=fn_name)) == refusal
    # Refused before the function is looked for.
    assert wire_error(lam, lambda: lam.put_function_event_invoke_config(FunctionName=fn_name + "-none")) == refusal


def test_a_config_once_deleted_is_not_there(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    lam.put_function_event_invoke_config(FunctionName=fn_name, MaximumRetryAttempts=0)
    assert lam.get_function_event_invoke_config(FunctionName=fn_name)["MaximumRetryAttempts"] == 0
    lam.delete_function_event_invoke_config(FunctionName=fn_name)
    assert wire_error(lam, lambda: lam.get_function_event_invoke_config(FunctionName=fn_name)) == _none(f"{ARN}{fn_name}:$LATEST")
