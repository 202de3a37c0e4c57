"""The statements AddPermission builds: every Principal form and every condition, in AWS's forms."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from lambent.errors import InvalidParameterValueException, PolicyLengthExceededException
from lambent.model.function_policy import (
    POLICY_LIMIT,
    AddPermissionInput,
    build_statement,
    check_policy_length,
    policy_text,
    principal_of,
)

ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn"


def _request(**members: Any) -> AddPermissionInput:
    document = {"StatementId": "s1", "Action": "lambda:InvokeFunction", "Principal": "*", **members}
    return msgspec.convert(document, AddPermissionInput)


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("*", "*"),
        ("111122223333", {"AWS": "arn:aws:iam::111122223333:root"}),
        ("arn:aws:iam::111122223333:role/r", {"AWS": "arn:aws:iam::111122223333:role/r"}),
        ("arn:aws:iam::111122223333:root", {"AWS": "arn:aws:iam::111122223333:root"}),
        ("arn:aws:sts::111122223333:assumed-role/r/s", {"AWS": "arn:aws:sts::111122223333:assumed-role/r/s"}),
        ("s3.amazonaws.com", {"Service": "s3.amazonaws.com"}),
        ("events.amazonaws.com", {"Service": "events.amazonaws.com"}),
        ("alexa-appkit.amazon.com", {"Service": "alexa-appkit.amazon.com"}),
    ],
)
def test_each_principal_form(principal: str, expected: Any) -> None:
    assert principal_of(principal) == expected


@pytest.mark.parametrize("principal", ["someone", "12345", "example.com", "arn:aws:s3:::bucket"])
def test_a_principal_of_no_form_is_refused(principal: str) -> None:
    with pytest.raises(InvalidParameterValueException) as refused:
        principal_of(principal)
    assert refused.value.message == "The provided principal was invalid. Please check the principal and try again."


def test_the_bare_statement() -> None:
    assert build_statement(_request(), ARN) == {
        "Sid": "s1",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "lambda:InvokeFunction",
        "Resource": ARN,
    }


def test_every_condition() -> None:
    request = _request(
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::bucket",
        SourceAccount="111122223333",
        PrincipalOrgID="o-abcdefghij",
        FunctionUrlAuthType="NONE",
        EventSourceToken="tok-1",
        InvokedViaFunctionUrl=True,
    )
    statement = build_statement(request, f"{ARN}:live")
    assert statement["Resource"] == f"{ARN}:live"
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {
            "AWS:SourceAccount": "111122223333",
            "aws:PrincipalOrgID": "o-abcdefghij",
            "lambda:FunctionUrlAuthType": "NONE",
            "lambda:EventSourceToken": "tok-1",
        },
        "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::bucket"},
        "Bool": {"lambda:InvokedViaFunctionUrl": "true"},
    }


@pytest.mark.parametrize(
    ("members", "condition"),
    [
        (
            {"SourceArn": "arn:aws:sns:us-east-1:111122223333:t"},
            {"ArnLike": {"AWS:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"}},
        ),
        ({"SourceAccount": "111122223333"}, {"StringEquals": {"AWS:SourceAccount": "111122223333"}}),
        ({"PrincipalOrgID": "o-abcdefghij"}, {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}),
        ({"FunctionUrlAuthType": "AWS_IAM"}, {"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}}),
        ({"EventSourceToken": "t"}, {"StringEquals": {"lambda:EventSourceToken": "t"}}),
        ({"InvokedViaFunctionUrl": False}, None),
    ],
)
def test_each_condition_alone(members: dict[str, Any], condition: Any) -> None:
    assert build_statement(_request(**members), ARN).get("Condition") == condition


def test_the_policy_document_and_its_limit() -> None:
    statement = build_statement(_request(), ARN)
    text = policy_text([statement])
    assert json.loads(text) == {"Version": "2012-10-17", "Id": "default", "Statement": [statement]}
    check_policy_length("x" * POLICY_LIMIT)
    with pytest.raises(PolicyLengthExceededException) as refused:
        check_policy_length("x" * (POLICY_LIMIT + 1))
    assert refused.value.message == "The final policy size (20481) is bigger than the limit (20480)."
    assert (refused.value.status, refused.value.error_type) == (400, "PolicyLengthExceededException")
