"""The query codec against botocore itself: what boto3's QuerySerializer sends is read back as
boto3 was given it, and what the codec writes botocore's QueryParser reads as the dict it was."""

from __future__ import annotations

import datetime
import urllib.parse
from typing import Any

import pytest
from botocore.parsers import QueryParser
from botocore.serialize import QuerySerializer

from lambent.api.query import QueryCodec, query_error
from lambent.errors import InvalidAction, NoSuchEntity, UnrecognizedClientException, ValidationError

IAM, STS = QueryCodec("iam"), QueryCodec("sts")


def sent(codec: QueryCodec, action: str, params: dict[str, Any]) -> dict[str, str]:
    """The form boto3 would send for *params*, as the server receives it."""
    body = QuerySerializer().serialize_to_request(params, codec.operation(action))["body"]
    return dict(urllib.parse.parse_qsl(urllib.parse.urlencode(body), keep_blank_values=True))


def answered(codec: QueryCodec, action: str, result: dict[str, Any]) -> dict[str, Any]:
    """What boto3 reads from the codec's answer to *action* with *result*."""
    operation = codec.operation(action)
    response = codec.render(operation, result)
    parsed: dict[str, Any] = QueryParser().parse(
        {"body": bytes(response.body), "headers": dict(response.headers), "status_code": response.status_code},
        operation.output_shape,
    )
    parsed.pop("ResponseMetadata")
    return parsed


@pytest.mark.parametrize(
    ("codec", "action", "params"),
    [
        (
            IAM,
            "CreateUser",
            {"UserName": "alice", "Path": "/team/", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": ""}]},
        ),
        (IAM, "CreateRole", {"RoleName": "r", "AssumeRolePolicyDocument": '{"Statement": []}', "MaxSessionDuration": 7200}),
        (IAM, "ListPolicies", {"Scope": "Local", "OnlyAttached": True, "MaxItems": 10}),
        (
            IAM,
            "CreatePolicyVersion",
            {"PolicyArn": "arn:aws:iam::123456789012:policy/p", "PolicyDocument": "{}", "SetAsDefault": False},
        ),
        (IAM, "GetUser", {}),
        (
            STS,
            "AssumeRole",
            {"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "s=1,@x", "PolicyArns": [{"arn": "x" * 20}]},
        ),
        (STS, "GetCallerIdentity", {}),
    ],
)
def test_what_boto3_sends_is_read_as_boto3_was_given_it(codec: QueryCodec, action: str, params: dict[str, Any]) -> None:
    assert codec.parse(codec.operation(action), sent(codec, action, params)) == params


def test_an_empty_list_is_read_as_one() -> None:
    form = sent(IAM, "TagUser", {"UserName": "u", "Tags": []})
    assert IAM.parse(IAM.operation("TagUser"), form) == {"UserName": "u", "Tags": []}


def test_what_the_codec_writes_botocore_reads_back() -> None:
    role = {
        "Path": "/",
        "RoleName": "r",
        "RoleId": "AROAAAAAAAAAAAAAAAAAA",
        "Arn": "arn:aws:iam::123456789012:role/r",
        "CreateDate": "2026-01-02T03:04:05Z",
        "AssumeRolePolicyDocument": "%7B%22a%22%3A%20%22%3C%26%3E%22%7D",  # escaped as XML on the way
        "MaxSessionDuration": 3600,
        "Tags": [{"Key": "k", "Value": "<v&>"}],
    }
    parsed = answered(IAM, "GetRole", {"Role": role})
    assert parsed["Role"]["CreateDate"] == datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    assert {k: v for k, v in parsed["Role"].items() if k != "CreateDate"} == {k: v for k, v in role.items() if k != "CreateDate"}
    listed = answered(IAM, "ListRolePolicies", {"PolicyNames": ["a", "b"], "IsTruncated": False})
    assert listed == {"PolicyNames": ["a", "b"], "IsTruncated": False}
    expiry = 1_800_000_000.0
    credentials = answered(
        STS,
        "AssumeRole",
        {"Credentials": {"AccessKeyId": "ASIA", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": expiry}},
    )["Credentials"]
    assert credentials["Expiration"] == datetime.datetime.fromtimestamp(expiry, datetime.UTC)


def test_an_operation_without_output_answers_its_metadata_only() -> None:
    response = IAM.render(IAM.operation("DeleteUser"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml")
    assert bytes(response.body).startswith(b'<DeleteUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">')
    assert b"<ResponseMetadata><RequestId>" in bytes(response.body)


def test_input_is_checked_against_the_model_in_aws_words() -> None:
    with pytest.raises(ValidationError) as caught:
        IAM.parse(IAM.operation("CreateUser"), {"Action": "CreateUser", "Version": "2010-05-08", "UserName": "a b"})
    assert caught.value.message == (
        "1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    )
    with pytest.raises(ValidationError) as caught:
        IAM.parse(IAM.operation("CreateRole"), {"RoleName": ""})
    assert caught.value.message.startswith("3 validation errors detected: Value null at 'assumeRolePolicyDocument'")
    with pytest.raises(ValidationError, match="Member must be a number"):
        STS.parse(STS.operation("AssumeRole"), {"RoleArn": "x" * 20, "RoleSessionName": "ss", "DurationSeconds": "soon"})
    with pytest.raises(InvalidAction, match="Could not find operation Nothing for version 2010-05-08"):
        IAM.operation("Nothing")


def test_errors_are_read_by_botocore_with_their_code_and_message() -> None:
    for error, service, code in [
        (NoSuchEntity("The user with name x cannot be found."), "iam", "NoSuchEntity"),
        (UnrecognizedClientException(service="sts"), "sts", "InvalidClientTokenId"),
    ]:
        response = query_error(error, service)
        parsed = QueryParser().parse(
            {"body": bytes(response.body), "headers": dict(response.headers), "status_code": response.status_code}, None
        )
        assert parsed["Error"] == {"Type": "Sender", "Code": code, "Message": error.message}
        assert response.status_code == error.status
        assert f'xmlns="https://{service}.amazonaws.com/doc/'.encode() in bytes(response.body)
