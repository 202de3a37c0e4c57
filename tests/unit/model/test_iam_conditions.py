"""IAM condition operators, each case checked twice: on its own, and as the one condition of an
identity policy's Allow that ``evaluate`` must then allow or not.

Cases follow the IAM User Guide's "Condition operators", "Single-valued vs. multivalued context
keys" and "Conditions with multiple context keys or values" pages.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambent.model.iam_conditions import Condition, context_values, holds, parse_operator, substitute
from lambent.model.iam_policy import Caller, Request, evaluate, parse
from lambent.model.identity import user_arn

ACCT = "123456789012"
BOB = Caller(arn=user_arn(ACCT, "bob"), account_id=ACCT)
BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"

Ctx = dict[str, Any]

CASES: list[tuple[str, str, Any, Ctx, bool]] = [
    # (operator, key, policy value(s), request context, holds)
    # String
    ("StringEquals", "aws:SourceAccount", ACCT, {"aws:SourceAccount": ACCT}, True),
    ("StringEquals", "aws:SourceAccount", ACCT, {"aws:SourceAccount": "111122223333"}, False),
    ("StringEquals", "aws:SourceAccount", ACCT, {}, False),
    ("StringEquals", "aws:SourceAccount", ["111122223333", ACCT], {"aws:SourceAccount": ACCT}, True),
    ("StringEquals", "aws:RequestTag/team", "Blue", {"aws:RequestTag/team": "blue"}, False),
    ("StringEquals", "AWS:SOURCEACCOUNT", ACCT, {"aws:SourceAccount": ACCT}, True),  # keys ignore case
    ("StringEquals", "aws:SourceAccount", ACCT, {"AWS:sourceaccount": ACCT}, True),
    ("StringNotEquals", "aws:SourceAccount", ACCT, {"aws:SourceAccount": ACCT}, False),
    ("StringNotEquals", "aws:SourceAccount", ACCT, {"aws:SourceAccount": "111122223333"}, True),
    ("StringNotEquals", "aws:SourceAccount", ACCT, {}, True),  # negated: a missing key holds
    ("StringNotEquals", "aws:SourceAccount", ["111122223333", ACCT], {"aws:SourceAccount": ACCT}, False),
    ("StringEqualsIgnoreCase", "aws:RequestTag/team", "Blue", {"aws:RequestTag/team": "bLUE"}, True),
    ("StringEqualsIgnoreCase", "aws:RequestTag/team", "Blue", {"aws:RequestTag/team": "Red"}, False),
    ("StringNotEqualsIgnoreCase", "aws:RequestTag/team", "Blue", {"aws:RequestTag/team": "BLUE"}, False),
    ("StringNotEqualsIgnoreCase", "aws:RequestTag/team", "Blue", {"aws:RequestTag/team": "Red"}, True),
    ("StringNotEqualsIgnoreCase", "aws:RequestTag/team", "Blue", {}, True),
    ("StringLike", "aws:SourceArn", "arn:aws:s3:::amzn-s3-*", {"aws:SourceArn": BUCKET}, True),
    ("StringLike", "aws:SourceArn", "arn:aws:s3:::AMZN-*", {"aws:SourceArn": BUCKET}, False),  # case counts
    ("StringLike", "aws:userid", "AIDA?EXAMPLE", {"aws:userid": "AIDAXEXAMPLE"}, True),
    ("StringLike", "aws:userid", "AIDA?EXAMPLE", {"aws:userid": "AIDAXXEXAMPLE"}, False),
    ("StringLike", "aws:SourceArn", "*", {}, False),
    ("StringNotLike", "aws:SourceArn", "arn:aws:s3:::amzn-s3-*", {"aws:SourceArn": BUCKET}, False),
    ("StringNotLike", "aws:SourceArn", "arn:aws:sns:*", {"aws:SourceArn": BUCKET}, True),
    ("StringNotLike", "aws:SourceArn", "arn:aws:sns:*", {}, True),
    # ARN: six parts compared one by one
    ("ArnEquals", "aws:SourceArn", BUCKET, {"aws:SourceArn": BUCKET}, True),
    ("ArnEquals", "aws:SourceArn", "arn:aws:s3:::*", {"aws:SourceArn": BUCKET}, True),
    (
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:sns:*:123456789012:topic",
        {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:topic"},
        True,
    ),
    (
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:sns:*:123456789012:topic",
        {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:topic"},
        False,
    ),
    ("ArnLike", "aws:SourceArn", "arn:aws:s3:::*", {"aws:SourceArn": "not-an-arn"}, False),
    (
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:events:us-east-1:123456789012:rule/*",
        {"aws:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/nightly"},
        True,
    ),
    ("ArnLike", "aws:SourceArn", "arn:aws:events:*", {"aws:SourceArn": "arn:aws:events:us-east-1:1:rule/x"}, False),  # five parts
    ("ArnLike", "aws:SourceArn", BUCKET, {}, False),
    ("ArnNotEquals", "aws:SourceArn", BUCKET, {"aws:SourceArn": BUCKET}, False),
    ("ArnNotEquals", "aws:SourceArn", BUCKET, {"aws:SourceArn": "arn:aws:s3:::other"}, True),
    ("ArnNotLike", "aws:SourceArn", "arn:aws:s3:::amzn-*", {"aws:SourceArn": BUCKET}, False),
    ("ArnNotLike", "aws:SourceArn", "arn:aws:s3:::amzn-*", {}, True),
    # Numeric
    ("NumericEquals", "s3:max-keys", "10", {"s3:max-keys": "10"}, True),
    ("NumericEquals", "s3:max-keys", "10", {"s3:max-keys": 10}, True),
    ("NumericEquals", "s3:max-keys", 10, {"s3:max-keys": "10.0"}, True),
    ("NumericEquals", "s3:max-keys", "10", {"s3:max-keys": "11"}, False),
    ("NumericEquals", "s3:max-keys", "10", {"s3:max-keys": "ten"}, False),
    ("NumericEquals", "s3:max-keys", "10", {}, False),
    ("NumericNotEquals", "s3:max-keys", "10", {"s3:max-keys": "11"}, True),
    ("NumericNotEquals", "s3:max-keys", "10", {"s3:max-keys": "10"}, False),
    ("NumericNotEquals", "s3:max-keys", "10", {}, True),
    ("NumericLessThan", "s3:max-keys", "10", {"s3:max-keys": "9"}, True),
    ("NumericLessThan", "s3:max-keys", "10", {"s3:max-keys": "10"}, False),
    ("NumericLessThanEquals", "s3:max-keys", "10", {"s3:max-keys": "10"}, True),
    ("NumericLessThanEquals", "s3:max-keys", "10", {"s3:max-keys": "11"}, False),
    ("NumericGreaterThan", "aws:MultiFactorAuthAge", "3600", {"aws:MultiFactorAuthAge": "3601"}, True),
    ("NumericGreaterThan", "aws:MultiFactorAuthAge", "3600", {"aws:MultiFactorAuthAge": "3600"}, False),
    ("NumericGreaterThanEquals", "aws:MultiFactorAuthAge", "3600", {"aws:MultiFactorAuthAge": "3600"}, True),
    ("NumericGreaterThanEquals", "aws:MultiFactorAuthAge", "3600", {"aws:MultiFactorAuthAge": "-1"}, False),
    ("NumericLessThan", "s3:max-keys", ["5", "10"], {"s3:max-keys": "7"}, True),  # values OR
    # Bool
    ("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": True}, True),
    ("Bool", "aws:SecureTransport", True, {"aws:SecureTransport": "true"}, True),
    ("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": False}, False),
    ("Bool", "aws:SecureTransport", "false", {"aws:SecureTransport": False}, True),
    ("Bool", "aws:MultiFactorAuthPresent", "true", {}, False),
    ("Bool", "aws:SecureTransport", "TRUE", {"aws:SecureTransport": True}, True),
    # Null
    ("Null", "aws:MultiFactorAuthAge", "true", {}, True),
    ("Null", "aws:MultiFactorAuthAge", "true", {"aws:MultiFactorAuthAge": "5"}, False),
    ("Null", "aws:MultiFactorAuthAge", "false", {"aws:MultiFactorAuthAge": "5"}, True),
    ("Null", "aws:MultiFactorAuthAge", "false", {}, False),
    ("Null", "aws:MultiFactorAuthAge", True, {}, True),
    # IP
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "203.0.113.7"}, True),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "198.51.100.7"}, False),
    ("IpAddress", "aws:SourceIp", "203.0.113.7", {"aws:SourceIp": "203.0.113.7"}, True),  # a bare address
    ("IpAddress", "aws:SourceIp", "2001:db8::/32", {"aws:SourceIp": "2001:db8::1"}, True),
    ("IpAddress", "aws:SourceIp", ["10.0.0.0/8", "203.0.113.0/24"], {"aws:SourceIp": "10.1.2.3"}, True),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "not-an-ip"}, False),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", {}, False),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "198.51.100.7"}, True),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "203.0.113.9"}, False),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", {}, True),
    # IfExists: a missing key holds; a present one is tested as usual
    ("StringEqualsIfExists", "ec2:InstanceType", "t2.micro", {}, True),
    ("StringEqualsIfExists", "ec2:InstanceType", "t2.micro", {"ec2:InstanceType": "t2.micro"}, True),
    ("StringEqualsIfExists", "ec2:InstanceType", "t2.micro", {"ec2:InstanceType": "m5.large"}, False),
    ("ArnLikeIfExists", "aws:SourceArn", "arn:aws:s3:::*", {}, True),
    ("ArnLikeIfExists", "aws:SourceArn", "arn:aws:s3:::*", {"aws:SourceArn": "arn:aws:sns:us-east-1:1:t"}, False),
    ("NumericLessThanIfExists", "s3:max-keys", "10", {}, True),
    ("NumericLessThanIfExists", "s3:max-keys", "10", {"s3:max-keys": "20"}, False),
    ("BoolIfExists", "aws:MultiFactorAuthPresent", "false", {}, True),
    ("BoolIfExists", "aws:MultiFactorAuthPresent", "false", {"aws:MultiFactorAuthPresent": True}, False),
    ("IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", {}, True),
    ("StringNotEqualsIfExists", "aws:SourceAccount", ACCT, {"aws:SourceAccount": ACCT}, False),
    # ForAnyValue / ForAllValues over multivalued keys
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["env", "team"], {"aws:TagKeys": ["team", "cost"]}, True),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["env", "team"], {"aws:TagKeys": ["cost"]}, False),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["env"], {"aws:TagKeys": []}, False),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["env"], {}, False),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["env", "team"], {"aws:TagKeys": ["team", "env"]}, True),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["env", "team"], {"aws:TagKeys": ["team", "cost"]}, False),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["env"], {}, True),  # the empty set: vacuously true
    ("ForAllValues:StringEquals", "aws:TagKeys", ["env"], {"aws:TagKeys": []}, True),
    ("ForAllValues:StringLike", "aws:TagKeys", ["team-*"], {"aws:TagKeys": ["team-a", "team-b"]}, True),
    ("ForAllValues:StringLike", "aws:TagKeys", ["team-*"], {"aws:TagKeys": ["team-a", "env"]}, False),
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", ["env"], {"aws:TagKeys": ["env", "team"]}, True),
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", ["env"], {"aws:TagKeys": ["env"]}, False),
    ("ForAllValues:StringNotEquals", "aws:TagKeys", ["secret"], {"aws:TagKeys": ["env", "team"]}, True),
    ("ForAllValues:StringNotEquals", "aws:TagKeys", ["secret"], {"aws:TagKeys": ["env", "secret"]}, False),
    ("ForAnyValue:StringEqualsIfExists", "aws:TagKeys", ["env"], {}, True),
    # Without a set prefix, a multivalued key: any value matching will do; negated: none may match
    ("StringEquals", "aws:TagKeys", "env", {"aws:TagKeys": ["team", "env"]}, True),
    ("StringNotEquals", "aws:TagKeys", "env", {"aws:TagKeys": ["team", "env"]}, False),
    ("StringNotEquals", "aws:TagKeys", "env", {"aws:TagKeys": ["team", "cost"]}, True),
]


@pytest.mark.parametrize(("operator", "key", "value", "context", "expected"), CASES)
def test_operator(operator: str, key: str, value: Any, context: Ctx, expected: bool) -> None:
    values = value if isinstance(value, list) else [value]
    as_text = tuple(("true" if v else "false") if isinstance(v, bool) else str(v) for v in values)
    condition = Condition(operator=operator, key=key, values=as_text)
    lowered = {k.lower(): context_values(v) for k, v in context.items()}
    assert holds(condition, lowered) is expected

    document = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "lambda:*", "Resource": "*", "Condition": {operator: {key: value}}},
    }
    policy = parse(json.dumps(document), kind="identity")
    request = Request(caller=BOB, action="lambda:ListFunctions", resource="*", context=context)
    assert evaluate(request, identity=[policy], resource=None).allowed is expected


def test_keys_and_operators_are_anded_values_ored() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "lambda:*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": [ACCT, "111122223333"], "aws:RequestTag/team": "blue"},
                "Bool": {"aws:SecureTransport": "true"},
            },
        },
    }
    policy = parse(json.dumps(document), kind="identity")
    full = {"aws:SourceAccount": "111122223333", "aws:RequestTag/team": "blue", "aws:SecureTransport": True}

    def allowed(context: Ctx) -> bool:
        request = Request(caller=BOB, action="lambda:ListFunctions", resource="*", context=context)
        return evaluate(request, identity=[policy], resource=None).allowed

    assert allowed(full)
    for key in full:  # every key is needed
        assert not allowed({k: v for k, v in full.items() if k != key})
    assert not allowed({**full, "aws:SecureTransport": False})


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("StringEquals", ("StringEquals", None, False)),
        ("StringLikeIfExists", ("StringLike", None, True)),
        ("ForAnyValue:ArnLike", ("ArnLike", "any", False)),
        ("ForAllValues:NumericLessThanIfExists", ("NumericLessThan", "all", True)),
        ("Null", ("Null", None, False)),
    ],
)
def test_operator_names_taken_apart(name: str, parts: tuple[str, str | None, bool]) -> None:
    operator = parse_operator(name)
    assert operator is not None
    assert (operator.base, operator.quantifier, operator.if_exists) == parts


@pytest.mark.parametrize(
    "name",
    [
        "StringMatches",
        "stringequals",
        "NullIfExists",
        "ForAnyValue:Null",
        "ForSomeValues:StringEquals",
        "forallvalues:StringEquals",
        "IfExists",
        "",
    ],
)
def test_unknown_operators_are_none(name: str) -> None:
    assert parse_operator(name) is None


@pytest.mark.parametrize(
    ("text", "context", "expected"),
    [
        ("${aws:username}", {"aws:username": "bob"}, "bob"),
        ("home/${aws:username}/*", {"aws:username": "bob"}, "home/bob/*"),
        ("${AWS:UserName}", {"aws:username": "bob"}, "bob"),  # keys ignore case here too
        ("${aws:username}", {}, None),
        ("${aws:username, 'nobody'}", {}, "nobody"),
        ("${aws:username,'nobody'}", {"aws:username": "bob"}, "bob"),
        ("${aws:TagKeys}", {"aws:TagKeys": ["a", "b"]}, None),  # multivalued: no single value
        ("${*}${?}${$}", {}, "*?$"),
        ("no variables", {}, "no variables"),
        ("${a}-${b}", {"a": "1", "b": "2"}, "1-2"),
        ("${a}-${b}", {"a": "1"}, None),
    ],
)
def test_policy_variables(text: str, context: Ctx, expected: str | None) -> None:
    lowered = {k.lower(): context_values(v) for k, v in context.items()}
    assert substitute(text, lowered) == expected
