"""IAM and STS on a real server, driven by boto3 and the AWS CLI: users and their keys (which
then sign), roles, inline and managed policies, AssumeRole into Lambda, and every refusal's
code and message as AWS words it."""

from __future__ import annotations

import json
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.fixtures.server import VENV_BIN, Server

TRUST_LAMBDA = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
DENY_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def refusal(call: Callable[[], Any]) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"], error["Error"]["Message"]


@pytest.fixture(scope="module")
def iam(server: Server) -> Any:
    return server.client("iam")


@pytest.fixture(scope="module")
def sts(server: Server) -> Any:
    return server.client("sts")


def trust(*arns: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": list(arns)}, "Action": "sts:AssumeRole"}],
        }
    )


def test_the_administrator_is_the_admin_user(sts: Any, iam: Any) -> None:
    me = sts.get_caller_identity()
    assert me["Arn"] == f"arn:aws:iam::{me['Account']}:user/admin" and me["UserId"].startswith("AIDA")
    user = iam.get_user()["User"]  # no name: the caller
    assert (user["UserName"], user["UserId"], user["Arn"]) == ("admin", me["UserId"], me["Arn"])
    attached = iam.list_attached_user_policies(UserName="admin")["AttachedPolicies"]
    assert attached == [{"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN}]


def test_a_new_users_key_signs_as_that_user(server: Server, iam: Any, fn_name: str) -> None:
    created = iam.create_user(UserName=fn_name, Tags=[{"Key": "team", "Value": "a"}])["User"]
    assert created["UserId"].startswith("AIDA") and created["Arn"].endswith(f":user/{fn_name}")
    assert created["Tags"] == [{"Key": "team", "Value": "a"}]
    key = iam.create_access_key(UserName=fn_name)["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40 and key["Status"] == "Active"
    as_user = server.client("sts", credentials=(key["AccessKeyId"], key["SecretAccessKey"]))
    me = as_user.get_caller_identity()
    assert (me["Arn"], me["UserId"]) == (created["Arn"], created["UserId"])
    listed = iam.list_access_keys(UserName=fn_name)["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["UserName"], k["Status"]) for k in listed] == [(key["AccessKeyId"], fn_name, "Active")]
    assert fn_name in [u["UserName"] for u in iam.list_users()["Users"]]

    iam.update_access_key(UserName=fn_name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert refusal(as_user.get_caller_identity)[1] == "InvalidClientTokenId"
    assert refusal(lambda: iam.delete_user(UserName=fn_name)) == (
        409,
        "DeleteConflict",
        "Cannot delete entity, must delete access keys first.",
    )
    iam.delete_access_key(UserName=fn_name, AccessKeyId=key["AccessKeyId"])
    assert refusal(lambda: iam.delete_access_key(UserName=fn_name, AccessKeyId=key["AccessKeyId"])) == (
        404,
        "NoSuchEntity",
        f"The Access Key with id {key['AccessKeyId']} cannot be found.",
    )
    iam.put_user_policy(UserName=fn_name, PolicyName="inline", PolicyDocument=json.dumps(ALLOW_ALL))
    assert refusal(lambda: iam.delete_user(UserName=fn_name))[2] == "Cannot delete entity, must delete policies first."
    iam.delete_user_policy(UserName=fn_name, PolicyName="inline")
    iam.attach_user_policy(UserName=fn_name, PolicyArn=BASIC)
    assert refusal(lambda: iam.delete_user(UserName=fn_name))[2] == "Cannot delete entity, must detach all policies first."
    iam.detach_user_policy(UserName=fn_name, PolicyArn=BASIC)
    iam.delete_user(UserName=fn_name)
    assert refusal(lambda: iam.get_user(UserName=fn_name)) == (
        404,
        "NoSuchEntity",
        f"The user with name {fn_name} cannot be found.",
    )


def test_user_refusals_in_aws_words(iam: Any, fn_name: str) -> None:
    iam.create_user(UserName=fn_name)
    assert refusal(lambda: iam.create_user(UserName=fn_name)) == (
        409,
        "EntityAlreadyExists",
        f"User with name {fn_name} already exists.",
    )
    assert refusal(lambda: iam.create_user(UserName="no spaces")) == (
        400,
        "ValidationError",
        "1 validation error detected: Value 'no spaces' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    )
    iam.create_access_key(UserName=fn_name)
    iam.create_access_key(UserName=fn_name)
    assert refusal(lambda: iam.create_access_key(UserName=fn_name)) == (
        409,
        "LimitExceeded",
        "Cannot exceed quota for AccessKeysPerUser: 2",
    )
    assert refusal(lambda: iam.get_user_policy(UserName=fn_name, PolicyName="none")) == (
        404,
        "NoSuchEntity",
        "The user policy with name none cannot be found.",
    )


def test_roles_keep_their_trust_policy_and_inline_policies(iam: Any, fn_name: str) -> None:
    role = iam.create_role(RoleName=fn_name, AssumeRolePolicyDocument=json.dumps(TRUST_LAMBDA), Description="d")["Role"]
    assert role["RoleId"].startswith("AROA") and role["Arn"].endswith(f":role/{fn_name}")
    got = iam.get_role(RoleName=fn_name)["Role"]
    assert got["AssumeRolePolicyDocument"] == TRUST_LAMBDA  # boto3 decodes the URL-encoded JSON AWS sends
    assert got["MaxSessionDuration"] == 3600 and got["Description"] == "d"
    assert fn_name in [r["RoleName"] for r in iam.list_roles()["Roles"]]
    iam.update_assume_role_policy(RoleName=fn_name, PolicyDocument=trust(iam.get_user()["User"]["Arn"]))
    assert iam.get_role(RoleName=fn_name)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"]

    iam.put_role_policy(RoleName=fn_name, PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL))
    assert iam.list_role_policies(RoleName=fn_name)["PolicyNames"] == ["all"]
    assert iam.get_role_policy(RoleName=fn_name, PolicyName="all")["PolicyDocument"] == ALLOW_ALL
    assert refusal(lambda: iam.delete_role(RoleName=fn_name)) == (
        409,
        "DeleteConflict",
        "Cannot delete entity, must delete policies first.",
    )
    iam.delete_role_policy(RoleName=fn_name, PolicyName="all")
    assert refusal(lambda: iam.get_role_policy(RoleName=fn_name, PolicyName="all")) == (
        404,
        "NoSuchEntity",
        "The role policy with name all cannot be found.",
    )
    assert iam.list_instance_profiles_for_role(RoleName=fn_name)["InstanceProfiles"] == []
    iam.delete_role(RoleName=fn_name)
    assert refusal(lambda: iam.get_role(RoleName=fn_name)) == (
        404,
        "NoSuchEntity",
        f"The role with name {fn_name} cannot be found.",
    )


def test_role_refusals_in_aws_words(iam: Any, fn_name: str) -> None:
    iam.create_role(RoleName=fn_name, AssumeRolePolicyDocument=json.dumps(TRUST_LAMBDA))
    assert refusal(lambda: iam.create_role(RoleName=fn_name, AssumeRolePolicyDocument=json.dumps(TRUST_LAMBDA))) == (
        409,
        "EntityAlreadyExists",
        f"Role with name {fn_name} already exists.",
    )
    assert refusal(lambda: iam.create_role(RoleName=f"{fn_name}-x", AssumeRolePolicyDocument="{not json")) == (
        400,
        "MalformedPolicyDocument",
        "This policy contains invalid Json",
    )
    assert refusal(lambda: iam.put_role_policy(RoleName=fn_name, PolicyName="p", PolicyDocument='{"Version": "2012-10-17"}')) == (
        400,
        "MalformedPolicyDocument",
        "Syntax errors in policy.",
    )
    assert refusal(lambda: iam.create_role(RoleName="x" * 65, AssumeRolePolicyDocument="{}"))[2] == (
        f"1 validation error detected: Value '{'x' * 65}' at 'roleName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64"
    )


def test_managed_policies_aws_and_our_own(iam: Any, fn_name: str) -> None:
    basic = iam.get_policy(PolicyArn=BASIC)["Policy"]
    assert (basic["PolicyName"], basic["Path"], basic["DefaultVersionId"]) == (
        "AWSLambdaBasicExecutionRole",
        "/service-role/",
        "v1",
    )
    document = iam.get_policy_version(PolicyArn=BASIC, VersionId="v1")["PolicyVersion"]["Document"]
    assert document["Statement"][0]["Action"] == ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    aws_names = {p["PolicyName"] for p in iam.list_policies(Scope="AWS")["Policies"]}
    assert {"AdministratorAccess", "AWSLambda_FullAccess", "AWSLambdaVPCAccessExecutionRole"} <= aws_names
    first = iam.list_policies(Scope="AWS", MaxItems=4)
    assert len(first["Policies"]) == 4 and first["IsTruncated"] and first["Marker"]
    pages = iam.get_paginator("list_policies").paginate(Scope="AWS", PaginationConfig={"PageSize": 4})
    assert sorted(p["PolicyName"] for page in pages for p in page["Policies"]) == sorted(aws_names)

    created = iam.create_policy(PolicyName=fn_name, PolicyDocument=json.dumps(ALLOW_ALL), Description="mine")["Policy"]
    arn = created["Arn"]
    assert arn.endswith(f":policy/{fn_name}") and created["PolicyId"].startswith("ANPA") and created["DefaultVersionId"] == "v1"
    assert [p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]] == [arn]
    assert refusal(lambda: iam.create_policy(PolicyName=fn_name, PolicyDocument=json.dumps(ALLOW_ALL))) == (
        409,
        "EntityAlreadyExists",
        f"A policy called {fn_name} already exists. Duplicate names are not allowed.",
    )
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DENY_ALL), SetAsDefault=True)
    assert v2["PolicyVersion"]["VersionId"] == "v2" and v2["PolicyVersion"]["IsDefaultVersion"] is True
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [("v2", True), ("v1", False)]
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert refusal(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v1")) == (
        409,
        "DeleteConflict",
        "Cannot delete the default version of a policy.",
    )
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert refusal(lambda: iam.get_policy_version(PolicyArn=arn, VersionId="v2")) == (
        404,
        "NoSuchEntity",
        f"Policy {arn} version v2 does not exist or is not attachable.",
    )

    iam.create_role(RoleName=fn_name, AssumeRolePolicyDocument=json.dumps(TRUST_LAMBDA))
    iam.attach_role_policy(RoleName=fn_name, PolicyArn=arn)
    iam.attach_role_policy(RoleName=fn_name, PolicyArn=BASIC)
    attached = iam.list_attached_role_policies(RoleName=fn_name)["AttachedPolicies"]
    assert attached == [
        {"PolicyName": fn_name, "PolicyArn": arn},
        {"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": BASIC},
    ]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    assert refusal(lambda: iam.delete_policy(PolicyArn=arn)) == (
        409,
        "DeleteConflict",
        "Cannot delete a policy attached to entities.",
    )
    iam.detach_role_policy(RoleName=fn_name, PolicyArn=arn)
    assert refusal(lambda: iam.detach_role_policy(RoleName=fn_name, PolicyArn=arn)) == (
        404,
        "NoSuchEntity",
        f"Policy {arn} was not found.",
    )
    iam.delete_policy(PolicyArn=arn)
    assert refusal(lambda: iam.get_policy(PolicyArn=arn)) == (
        404,
        "NoSuchEntity",
        f"Policy {arn} does not exist or is not attachable.",
    )
    missing = "arn:aws:iam::aws:policy/NoSuchPolicy"
    assert refusal(lambda: iam.attach_role_policy(RoleName=fn_name, PolicyArn=missing)) == (
        404,
        "NoSuchEntity",
        f"Policy {missing} does not exist or is not attachable.",
    )


def test_assume_role_then_call_lambda_with_the_session(server: Server, iam: Any, sts: Any, fn_name: str) -> None:
    me = sts.get_caller_identity()
    role = iam.create_role(RoleName=fn_name, AssumeRolePolicyDocument=trust(me["Arn"]), MaxSessionDuration=7200)["Role"]
    assumed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=900)
    credentials = assumed["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["SessionToken"]) > 100
    session_arn = f"arn:aws:sts::{me['Account']}:assumed-role/{fn_name}/s1"
    assert assumed["AssumedRoleUser"] == {"AssumedRoleId": f"{role['RoleId']}:s1", "Arn": session_arn}
    keys = (credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    as_role = server.client("sts", credentials=keys).get_caller_identity()
    assert (as_role["Arn"], as_role["UserId"]) == (session_arn, f"{role['RoleId']}:s1")
    as_role_lambda = server.client("lambda", credentials=keys)
    assert refusal(as_role_lambda.list_functions)[1] == "AccessDeniedException"  # the role has no policy yet
    iam.attach_role_policy(RoleName=fn_name, PolicyArn="arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess")
    assert "Functions" in as_role_lambda.list_functions()

    assert refusal(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s2", DurationSeconds=7201)) == (
        400,
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )
    unchecked = server.client("sts", parameter_validation=False)  # boto3 would refuse it before sending
    assert refusal(lambda: unchecked.assume_role(RoleArn=role["Arn"], RoleSessionName="s2", DurationSeconds=899)) == (
        400,
        "ValidationError",
        "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 900",
    )
    untrusting = iam.create_role(RoleName=f"{fn_name}-no", AssumeRolePolicyDocument=json.dumps(TRUST_LAMBDA))["Role"]
    for target in (untrusting["Arn"], f"arn:aws:iam::{me['Account']}:role/absent"):
        assert refusal(lambda target=target: sts.assume_role(RoleArn=target, RoleSessionName="s2")) == (
            403,
            "AccessDenied",
            f"User: {me['Arn']} is not authorized to perform: sts:AssumeRole on resource: {target}",
        )


def test_the_query_protocol_edges(server: Server) -> None:
    status, _headers, body = server.request("POST", "/", b"Action=NoSuchThing&Version=2010-05-08", sign=False)
    assert status == 403 and b"<Code>MissingAuthenticationToken</Code>" in body
    unknown = server.client("iam", credentials=("AKIAAAAAAAAAAAAAAAAA", "x" * 40))
    assert refusal(unknown.list_users) == (403, "InvalidClientTokenId", "The security token included in the request is invalid.")


def test_get_caller_identity_by_get_and_the_aws_cli(server: Server) -> None:
    query = urllib.parse.urlencode({"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    url = f"{server.endpoint}/?{query}"
    prepared = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(*server.credentials()), "sts", "us-east-1").add_auth(prepared)
    with urllib.request.urlopen(urllib.request.Request(url, headers=dict(prepared.headers.items())), timeout=30) as answer:
        assert b"<GetCallerIdentityResult>" in answer.read() and answer.headers["Content-Type"].startswith("text/xml")
    listed = subprocess.run(
        [str(VENV_BIN / "aws"), "iam", "list-users", "--output", "json"],
        env=server.cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    assert "admin" in [u["UserName"] for u in json.loads(listed.stdout)["Users"]]


def test_with_auth_off_the_scope_still_routes_and_nothing_is_checked(tmp_path: Path) -> None:
    permissive = Server(tmp_path / "data", LAMBENT_AUTH="off").start()
    try:
        anyone = ("test", "test")
        iam, sts = permissive.client("iam", credentials=anyone), permissive.client("sts", credentials=anyone)
        me = sts.get_caller_identity()
        assert me["Arn"] == f"arn:aws:iam::{me['Account']}:root" and me["UserId"] == me["Account"]
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST_LAMBDA))["Role"]
        assumed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s2")  # trusted or not: nothing is checked
        assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{me['Account']}:assumed-role/r/s2"
        status, _headers, body = permissive.request("POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15", sign=False)
        assert status == 200 and b"<GetCallerIdentityResult>" in body  # no scope: the Action names STS
    finally:
        permissive.stop()
