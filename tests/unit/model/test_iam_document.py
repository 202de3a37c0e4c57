"""Reading policy documents: the forms IAM accepts, and IAM's MalformedPolicyDocument words for
the ones it refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambent.model.iam_document import Kind, MalformedPolicy, Principal, parse

FN = "arn:aws:lambda:us-east-1:123456789012:function:f"


def doc(*statements: dict[str, Any], version: str | None = "2012-10-17") -> str:
    body: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        body["Version"] = version
    return json.dumps(body)


ALLOW = {"Effect": "Allow", "Action": "lambda:GetFunction", "Resource": FN}
TRUST = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
GRANT = {"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": FN}


def test_identity_policy_read() -> None:
    policy = parse(doc({**ALLOW, "Sid": "Read"}), kind="identity")
    assert policy.version == "2012-10-17"
    (statement,) = policy.statements
    assert statement.sid == "Read"
    assert statement.effect == "Allow"
    assert statement.actions == ("lambda:GetFunction",)
    assert statement.resources == (FN,)
    assert statement.principal is None
    assert not statement.not_action and not statement.not_resource


def test_statement_may_be_one_object() -> None:
    policy = parse(json.dumps({"Version": "2012-10-17", "Statement": ALLOW}), kind="identity")
    assert len(policy.statements) == 1


def test_version_2008_and_absent() -> None:
    assert parse(doc(ALLOW, version="2008-10-17"), kind="identity").version == "2008-10-17"
    assert parse(doc(ALLOW, version=None), kind="identity").version == "2008-10-17"


def test_lists_and_not_forms() -> None:
    policy = parse(doc({"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "NotResource": [FN, FN + ":*"]}), kind="identity")
    (s,) = policy.statements
    assert s.actions == ("iam:*", "sts:*") and s.not_action
    assert s.resources == (FN, FN + ":*") and s.not_resource


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("*", Principal(everyone=True)),
        ({"AWS": "*"}, Principal(everyone=True)),
        ({"AWS": ["123456789012", "*"]}, Principal(everyone=True)),
        ({"AWS": "123456789012"}, Principal(aws=("arn:aws:iam::123456789012:root",))),
        ({"AWS": "arn:aws:iam::123456789012:root"}, Principal(aws=("arn:aws:iam::123456789012:root",))),
        (
            {"AWS": ["arn:aws:iam::123456789012:user/bob", "111122223333"]},
            Principal(aws=("arn:aws:iam::123456789012:user/bob", "arn:aws:iam::111122223333:root")),
        ),
        (
            {"AWS": "arn:aws:sts::123456789012:assumed-role/r/s"},
            Principal(aws=("arn:aws:sts::123456789012:assumed-role/r/s",)),
        ),
        ({"Service": "s3.amazonaws.com"}, Principal(service=("s3.amazonaws.com",))),
        (
            {"Service": ["s3.amazonaws.com", "sns.amazonaws.com"], "AWS": "123456789012"},
            Principal(service=("s3.amazonaws.com", "sns.amazonaws.com"), aws=("arn:aws:iam::123456789012:root",)),
        ),
        ({"Federated": "cognito-identity.amazonaws.com"}, Principal(federated=("cognito-identity.amazonaws.com",))),
        ({"CanonicalUser": "79a59df900b949e5"}, Principal(canonical_user=("79a59df900b949e5",))),
    ],
)
def test_principal_forms(principal: Any, expected: Principal) -> None:
    (s,) = parse(doc({**GRANT, "Principal": principal}), kind="resource").statements
    assert s.principal == expected


def test_trust_policy_has_no_resource() -> None:
    (s,) = parse(doc(TRUST), kind="trust").statements
    assert s.resources is None
    assert s.principal == Principal(service=("lambda.amazonaws.com",))


def test_conditions_read_as_text() -> None:
    statement = {
        **ALLOW,
        "Condition": {
            "Bool": {"aws:SecureTransport": True},
            "NumericLessThan": {"s3:max-keys": 10},
            "StringEquals": {"aws:SourceAccount": ["1", "2"]},
        },
    }
    (s,) = parse(doc(statement), kind="identity").statements
    assert [(c.operator, c.key, c.values) for c in s.conditions] == [
        ("Bool", "aws:SecureTransport", ("true",)),
        ("NumericLessThan", "s3:max-keys", ("10",)),
        ("StringEquals", "aws:SourceAccount", ("1", "2")),
    ]


SYNTAX = "Syntax errors in policy."
MALFORMED: list[tuple[str, str, Kind, str]] = [
    ("not JSON", "{", "identity", "This policy contains invalid Json"),
    ("JSON not an object", "[]", "identity", SYNTAX),
    ("no Statement", json.dumps({"Version": "2012-10-17"}), "identity", SYNTAX),
    ("unknown top-level field", json.dumps({"Version": "2012-10-17", "Statement": [ALLOW], "Foo": 1}), "identity", SYNTAX),
    ("unknown version", doc(ALLOW, version="2012-10-18"), "identity", SYNTAX),
    ("Id not a string", json.dumps({"Statement": [ALLOW], "Id": 3}), "identity", SYNTAX),
    ("statement not an object", json.dumps({"Statement": ["x"]}), "identity", SYNTAX),
    ("unknown statement field", doc({**ALLOW, "Actions": "x"}), "identity", SYNTAX),
    ("no Effect", doc({"Action": "lambda:*", "Resource": "*"}), "identity", SYNTAX),
    ("Effect lower case", doc({**ALLOW, "Effect": "allow"}), "identity", SYNTAX),
    ("Action and NotAction", doc({**ALLOW, "NotAction": "iam:*"}), "identity", SYNTAX),
    ("Resource and NotResource", doc({**ALLOW, "NotResource": "*"}), "identity", SYNTAX),
    ("Action a number", doc({**ALLOW, "Action": 3}), "identity", SYNTAX),
    ("Resource list of numbers", doc({**ALLOW, "Resource": [1]}), "identity", SYNTAX),
    ("Sid a number", doc({**ALLOW, "Sid": 1}), "identity", SYNTAX),
    ("no Action", doc({"Effect": "Allow", "Resource": "*"}), "identity", "Policy statement must contain actions."),
    ("empty Action list", doc({**ALLOW, "Action": []}), "identity", "Policy statement must contain actions."),
    (
        "action without vendor",
        doc({**ALLOW, "Action": "GetFunction"}),
        "identity",
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
    ),
    (
        "action with two colons",
        doc({**ALLOW, "Action": "lambda:Get:Function"}),
        "identity",
        "Actions/Condition can contain only one colon.",
    ),
    ("action with a bad vendor", doc({**ALLOW, "Action": "lam bda:Get"}), "identity", "Vendor lam bda is not valid"),
    (
        "identity without Resource",
        doc({"Effect": "Allow", "Action": "lambda:*"}),
        "identity",
        "Policy statement must contain resources.",
    ),
    ("identity with empty Resource", doc({**ALLOW, "Resource": []}), "identity", "Policy statement must contain resources."),
    ("identity with Principal", doc({**ALLOW, "Principal": "*"}), "identity", "Policy document should not specify a principal."),
    (
        "identity with NotPrincipal",
        doc({**ALLOW, "NotPrincipal": "*"}),
        "identity",
        "Policy document should not specify a principal.",
    ),
    (
        "trust without Principal",
        doc({"Effect": "Allow", "Action": "sts:AssumeRole"}),
        "trust",
        "Missing required field Principal",
    ),
    ("trust with Resource", doc({**TRUST, "Resource": "*"}), "trust", "Has prohibited field Resource"),
    ("trust with NotResource", doc({**TRUST, "NotResource": "*"}), "trust", "Has prohibited field Resource"),
    ("resource without Principal", doc(ALLOW), "resource", "Missing required field Principal"),
    (
        "resource without Resource",
        doc({k: v for k, v in GRANT.items() if k != "Resource"}),
        "resource",
        "Policy statement must contain resources.",
    ),
    ("Principal and NotPrincipal", doc({**GRANT, "NotPrincipal": "*"}), "resource", SYNTAX),
    ("Principal a number", doc({**GRANT, "Principal": 5}), "resource", SYNTAX),
    ("Principal empty object", doc({**GRANT, "Principal": {}}), "resource", SYNTAX),
    ("Principal of a name", doc({**GRANT, "Principal": {"AWS": "bob"}}), "resource", 'Invalid principal in policy: "AWS":"bob"'),
    (
        "Principal of a bad type",
        doc({**GRANT, "Principal": {"User": "bob"}}),
        "resource",
        'Invalid principal in policy: "User":"bob"',
    ),
    (
        "Principal wildcard in an ARN",
        doc({**GRANT, "Principal": {"AWS": "arn:aws:iam::*:root"}}),
        "resource",
        'Invalid principal in policy: "AWS":"arn:aws:iam::*:root"',
    ),
    ("Condition not an object", doc({**ALLOW, "Condition": "x"}), "identity", SYNTAX),
    ("unknown condition operator", doc({**ALLOW, "Condition": {"StringMatches": {"k": "v"}}}), "identity", SYNTAX),
    ("condition block not an object", doc({**ALLOW, "Condition": {"StringEquals": "v"}}), "identity", SYNTAX),
    ("condition value an object", doc({**ALLOW, "Condition": {"StringEquals": {"k": {"a": 1}}}}), "identity", SYNTAX),
    ("condition value null", doc({**ALLOW, "Condition": {"StringEquals": {"k": None}}}), "identity", SYNTAX),
    (
        "duplicate Sids",
        doc({**ALLOW, "Sid": "a"}, {**ALLOW, "Sid": "a"}),
        "identity",
        "Statement IDs (SID) in a single policy must be unique.",
    ),
]


@pytest.mark.parametrize(("text", "kind", "message"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed(text: str, kind: Kind, message: str) -> None:
    with pytest.raises(MalformedPolicy) as refused:
        parse(text, kind=kind)
    assert str(refused.value) == message


def test_malformed_is_a_value_error() -> None:
    assert issubclass(MalformedPolicy, ValueError)


def test_deeply_nested_json_is_refused_not_a_crash() -> None:
    with pytest.raises(MalformedPolicy, match="invalid Json"):
        parse("[" * 100_000 + "]" * 100_000, kind="identity")
