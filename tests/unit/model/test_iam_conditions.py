"""IAM condition operators, each case checked twice: on its own, and as the one condition of an
identity policy's Allow that ``evaluate`` must then allow or not (the cases, and the IAM User
Guide's pages they follow, are in tests/fixtures/iam_condition_cases.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambent.model.iam_conditions import Condition, context_values, holds, parse_operator, substitute
from lambent.model.iam_policy import Caller, Request, evaluate, parse
from lambent.model.identity import user_arn
from tests.fixtures.iam_condition_cases import ACCT, CASES, Ctx

BOB = Caller(arn=user_arn(ACCT, "bob"), account_id=ACCT)


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
