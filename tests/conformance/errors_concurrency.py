"""Reserved and provisioned concurrency refused as AWS refuses them: whole error responses.

Sources: the unreserved-pool minimum in AWS's words from live answers quoted in
aws-samples/siem-on-amazon-opensearch-service#175 (reserved) and anomalyco/sst#5829
(provisioned); the reservation and account-limit refusals as LocalStack records AWS's answers.
"""

from __future__ import annotations

from typing import Any

from tests.fixtures.aws_errors import aws_error, wire_error
from tests.fixtures.server import create

CODE = "def handler(event, context):\n    return 1\n"


def _published(lam: Any, name: str) -> str:
    create(lam, name, CODE)
    return str(lam.publish_version(FunctionName=name)["Version"])


def _unreserved(lam: Any) -> int:
    return int(lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"])


def test_a_reservation_may_not_leave_fewer_than_100_unreserved(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    too_many = _unreserved(lam) - 99
    assert wire_error(
        lam, lambda: lam.put_function_concurrency(FunctionName=fn_name, ReservedConcurrentExecutions=too_many)
    ) == aws_error(
        400,
        "InvalidParameterValueException",
        "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
        "below its minimum value of [100].",
    )
    assert lam.get_function_concurrency(FunctionName=fn_name).get("ReservedConcurrentExecutions") is None


def test_provisioned_concurrency_on_latest_is_refused(lam: Any, fn_name: str) -> None:
    _published(lam, fn_name)
    assert wire_error(
        lam,
        lambda: lam.put_provisioned_concurrency_config(
            FunctionName=fn_name, Qualifier="$LATEST", ProvisionedConcurrentExecutions=1
        ),
    ) == aws_error(
        400,
        "InvalidParameterValueException",
        "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
    )


def test_provisioned_concurrency_over_the_reservation_is_refused(lam: Any, fn_name: str) -> None:
    version = _published(lam, fn_name)
    lam.put_function_concurrency(FunctionName=fn_name, ReservedConcurrentExecutions=2)
    try:
        assert wire_error(
            lam,
            lambda: lam.put_provisioned_concurrency_config(
                FunctionName=fn_name, Qualifier=version, ProvisionedConcurrentExecutions=3
            ),
        ) == aws_error(
            400,
            "InvalidParameterValueException",
            "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function",
        )
    finally:
        lam.delete_function_concurrency(FunctionName=fn_name)
    assert_no_config(lam, fn_name, version)


def test_provisioned_concurrency_over_the_account_limit_is_refused(lam: Any, fn_name: str) -> None:
    version = _published(lam, fn_name)
    limit = int(lam.get_account_settings()["AccountLimit"]["ConcurrentExecutions"])
    assert wire_error(
        lam,
        lambda: lam.put_provisioned_concurrency_config(
            FunctionName=fn_name, Qualifier=version, ProvisionedConcurrentExecutions=limit + 1
        ),
    ) == aws_error(
        400,
        "InvalidParameterValueException",
        f"Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [{limit}].",
    )
    assert_no_config(lam, fn_name, version)


def test_provisioned_concurrency_may_not_leave_fewer_than_100_unreserved(lam: Any, fn_name: str) -> None:
    version = _published(lam, fn_name)
    too_many = _unreserved(lam) - 99
    assert wire_error(
        lam,
        lambda: lam.put_provisioned_concurrency_config(
            FunctionName=fn_name, Qualifier=version, ProvisionedConcurrentExecutions=too_many
        ),
    ) == aws_error(
        400,
        "InvalidParameterValueException",
        "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
        "below its minimum value of [100].",
    )
    assert_no_config(lam, fn_name, version)


def assert_no_config(lam: Any, name: str, version: str) -> None:
    assert wire_error(lam, lambda: lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=version)) == aws_error(
        404,
        "ProvisionedConcurrencyConfigNotFoundException",
        "No Provisioned Concurrency Config found for this function",
    )
