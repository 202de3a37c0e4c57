"""AddPermission, GetPolicy and RemovePermission: whole bodies, every error, RevisionId movement.

Sources: the botocore model (Qualifier a query parameter of all three, RevisionId one of
RemovePermission's and a body member of AddPermission's; 201 and 204); the AddPermission API
reference and the Lambda developer guide's resource-based policy examples (an account principal
as ``arn:aws:iam::ACCOUNT:root``, a service as ``{"Service": ...}``, SourceArn as ``ArnLike``
and SourceAccount as ``StringEquals`` ``AWS:SourceAccount``); AWS's words as LocalStack records
them against AWS ("The resource you requested does not exist.", "No policy is associated with
the given resource.", "Statement ID is not found in resource policy.", the statement-id
conflict, and the "GetFunction/GetAlias" RevisionId refusal); PolicyLengthExceededException's
"The final policy size (N) is bigger than the limit (20480)." as users report it from AWS.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from tests.fixtures.aws_errors import aws_error, wire_error
from tests.fixtures.server import VENV_BIN, Server, create

CODE = "def handler(event, context):\n    return 1\n"
ACCOUNT = "000000000000"
BASE = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"
STALE = aws_error(
    412,
    "PreconditionFailedException",
    "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
)


def _grant(lam: Any, name: str, sid: str, principal: str = "s3.amazonaws.com", **extra: Any) -> dict[str, Any]:
    answer: dict[str, Any] = lam.add_permission(
        FunctionName=name, StatementId=sid, Action="lambda:InvokeFunction", Principal=principal, **extra
    )
    answer.pop("ResponseMetadata")
    return answer


def _policy(lam: Any, name: str, **extra: Any) -> tuple[dict[str, Any], str]:
    answer = lam.get_policy(FunctionName=name, **extra)
    assert set(answer) == {"Policy", "RevisionId", "ResponseMetadata"}
    return json.loads(answer["Policy"]), answer["RevisionId"]


def _statement(name: str, sid: str, principal: Any, resource: str | None = None, **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": principal,
        "Action": "lambda:InvokeFunction",
        "Resource": resource or f"{BASE}{name}",
    }
    if condition:
        statement["Condition"] = condition
    return statement


def test_each_principal_and_condition_and_the_whole_policy(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    expected = [
        _statement(fn_name, "anyone", "*"),
        _statement(fn_name, "account", {"AWS": "arn:aws:iam::111122223333:root"}),
        _statement(fn_name, "role", {"AWS": "arn:aws:iam::111122223333:role/caller"}),
        _statement(
            fn_name,
            "s3",
            {"Service": "s3.amazonaws.com"},
            StringEquals={"AWS:SourceAccount": "111122223333"},
            ArnLike={"AWS:SourceArn": "arn:aws:s3:::bucket"},
        ),
        _statement(fn_name, "org", "*", StringEquals={"aws:PrincipalOrgID": "o-abcdefghij"}),
        _statement(fn_name, "url", "*", StringEquals={"lambda:FunctionUrlAuthType": "NONE"}),
        _statement(fn_name, "alexa", {"Service": "alexa-appkit.amazon.com"}),
        _statement(
            fn_name, "token", {"Service": "alexa-connectedhome.amazon.com"}, StringEquals={"lambda:EventSourceToken": "tok"}
        ),
    ]
    answers = [
        _grant(lam, fn_name, "anyone", "*"),
        _grant(lam, fn_name, "account", "111122223333"),
        _grant(lam, fn_name, "role", "arn:aws:iam::111122223333:role/caller"),
        _grant(lam, fn_name, "s3", SourceArn="arn:aws:s3:::bucket", SourceAccount="111122223333"),
        _grant(lam, fn_name, "org", "*", PrincipalOrgID="o-abcdefghij"),
        _grant(lam, fn_name, "url", "*", FunctionUrlAuthType="NONE"),
        _grant(lam, fn_name, "alexa", "alexa-appkit.amazon.com"),
        _grant(lam, fn_name, "token", "alexa-connectedhome.amazon.com", EventSourceToken="tok"),
    ]
    for answer, statement in zip(answers, expected, strict=True):
        assert set(answer) == {"Statement"}
        assert json.loads(answer["Statement"]) == statement
    policy, _revision = _policy(lam, fn_name)
    assert policy == {"Version": "2012-10-17", "Id": "default", "Statement": expected}


def test_qualified_policies_are_their_own(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    lam.publish_version(FunctionName=fn_name)
    lam.create_alias(FunctionName=fn_name, Name="live", FunctionVersion="1")
    for qualifier in ("1", "live", "$LATEST"):
        answer = _grant(lam, fn_name, "q", Qualifier=qualifier)
        assert json.loads(answer["Statement"]) == _statement(
            fn_name, "q", {"Service": "s3.amazonaws.com"}, f"{BASE}{fn_name}:{qualifier}"
        )
        policy, _ = _policy(lam, fn_name, Qualifier=qualifier)
        assert policy["Statement"] == [json.loads(answer["Statement"])]
    _grant(lam, f"{BASE}{fn_name}:live", "by-arn")  # the qualifier an ARN carries
    assert [s["Sid"] for s in _policy(lam, fn_name, Qualifier="live")[0]["Statement"]] == ["q", "by-arn"]
    missing = aws_error(404, "ResourceNotFoundException", "The resource you requested does not exist.")
    assert wire_error(lam, lambda: lam.get_policy(FunctionName=fn_name)) == missing  # unqualified: none yet
    lam.remove_permission(FunctionName=fn_name, StatementId="q", Qualifier="1")
    assert wire_error(lam, lambda: lam.get_policy(FunctionName=fn_name, Qualifier="1")) == missing
    lam.delete_alias(FunctionName=fn_name, Name="live")
    lam.create_alias(FunctionName=fn_name, Name="live", FunctionVersion="1")
    assert wire_error(lam, lambda: lam.get_policy(FunctionName=fn_name, Qualifier="live")) == missing


def test_revision_ids_move_and_stale_ones_are_refused(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    revision = lam.get_function(FunctionName=fn_name)["Configuration"]["RevisionId"]
    assert wire_error(lam, lambda: _grant(lam, fn_name, "a", RevisionId="00000000-0000-0000-0000-000000000000")) == STALE
    _grant(lam, fn_name, "a", RevisionId=revision)
    _, first = _policy(lam, fn_name)
    assert first != revision
    assert wire_error(lam, lambda: _grant(lam, fn_name, "b", RevisionId=revision)) == STALE
    _grant(lam, fn_name, "b", RevisionId=first)
    _, second = _policy(lam, fn_name)
    assert second != first
    assert wire_error(lam, lambda: lam.remove_permission(FunctionName=fn_name, StatementId="a", RevisionId=first)) == STALE
    answer = lam.remove_permission(FunctionName=fn_name, StatementId="a", RevisionId=second)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    policy, third = _policy(lam, fn_name)
    assert third not in (first, second) and [s["Sid"] for s in policy["Statement"]] == ["b"]


def test_every_error_in_aws_words(lam: Any, fn_name: str) -> None:
    other = f"{fn_name}-none"
    not_found = aws_error(404, "ResourceNotFoundException", f"Function not found: {BASE}{other}")
    assert wire_error(lam, lambda: _grant(lam, other, "a")) == not_found
    assert wire_error(lam, lambda: lam.get_policy(FunctionName=other)) == not_found
    assert wire_error(lam, lambda: lam.remove_permission(FunctionName=other, StatementId="a")) == not_found
    create(lam, fn_name, CODE)
    for qualifier in ("7", "dev"):
        missing = aws_error(404, "ResourceNotFoundException", f"Function not found: {BASE}{fn_name}:{qualifier}")
        assert wire_error(lam, lambda q=qualifier: _grant(lam, fn_name, "a", Qualifier=q)) == missing  # type: ignore[misc]
    assert wire_error(lam, lambda: lam.remove_permission(FunctionName=fn_name, StatementId="a")) == aws_error(
        404, "ResourceNotFoundException", "No policy is associated with the given resource."
    )
    _grant(lam, fn_name, "a")
    assert wire_error(lam, lambda: _grant(lam, fn_name, "a", RevisionId="stale")) == aws_error(
        409,
        "ResourceConflictException",
        "The statement id (a) provided already exists. Please provide a new statement id, or remove the existing statement.",
    )
    assert wire_error(lam, lambda: lam.remove_permission(FunctionName=fn_name, StatementId="zz")) == aws_error(
        404, "ResourceNotFoundException", "Statement zz is not found in resource policy."
    )
    assert wire_error(lam, lambda: _grant(lam, fn_name, "b", "someone")) == aws_error(
        400, "InvalidParameterValueException", "The provided principal was invalid. Please check the principal and try again."
    )
    foreign = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:{fn_name}"
    assert wire_error(lam, lambda: lam.get_policy(FunctionName=foreign)) == aws_error(
        404, "ResourceNotFoundException", "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"
    )
    bad_sid = wire_error(lam, lambda: _grant(lam, fn_name, "not ok"))
    assert (bad_sid["status"], bad_sid["type"]) == (400, "ValidationException")
    assert "Value 'not ok' at 'statementId' failed to satisfy constraint" in bad_sid["body"]["message"]
    bad_action = wire_error(
        lam, lambda: lam.add_permission(FunctionName=fn_name, StatementId="c", Action="s3:Get", Principal="*")
    )
    assert (bad_action["status"], bad_action["type"]) == (400, "ValidationException")


def test_a_policy_over_20_kb_is_refused(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    arn = "arn:aws:s3:::" + "b" * 1500
    sizes = []
    for n in range(30):
        try:
            _grant(lam, fn_name, f"s{n}", SourceArn=arn)
        except lam.exceptions.PolicyLengthExceededException:
            break
        sizes.append(len(lam.get_policy(FunctionName=fn_name)["Policy"]))
    error = wire_error(lam, lambda: _grant(lam, fn_name, "last", SourceArn=arn))
    assert (error["status"], error["type"]) == (400, "PolicyLengthExceededException")
    assert error["body"]["message"].endswith("is bigger than the limit (20480).")
    assert max(sizes) <= 20480


def test_the_aws_cli_adds_a_permission(server: Server, lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    args = ["--function-name", fn_name, "--statement-id", "cli", "--action", "lambda:InvokeFunction"]
    args += ["--principal", "sns.amazonaws.com", "--source-arn", "arn:aws:sns:us-east-1:000000000000:topic"]
    result = subprocess.run(
        [str(VENV_BIN / "aws"), "lambda", "add-permission", *args, "--endpoint-url", server.endpoint, "--output", "json"],
        capture_output=True,
        text=True,
        env=server.cli_env(),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(json.loads(result.stdout)["Statement"]) == _statement(
        fn_name, "cli", {"Service": "sns.amazonaws.com"}, ArnLike={"AWS:SourceArn": "arn:aws:sns:us-east-1:000000000000:topic"}
    )
