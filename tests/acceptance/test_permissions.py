"""Authorization as IAM decides it, through a real server: users and roles get what their
policies allow and nothing else, in AWS's words; functions call the API as their execution role;
CreateFunction takes only a role Lambda may assume."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.fixtures.server import LAMBDA_TRUST, ROLE, VENV_BIN, Server, create, make_zip

ACCOUNT = "000000000000"
ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def _denied(call: Any) -> tuple[int, str, str]:
    with pytest.raises(Exception) as raised:
        call()
    response = raised.value.response  # type: ignore[attr-defined]
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def _user(server: Server, name: str, policy: dict[str, Any] | None = None) -> tuple[str, str]:
    iam = server.client("iam")
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def _allow(action: str, resource: str, effect: str = "Allow") -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": action, "Resource": resource}]}


def test_a_user_may_do_what_its_policies_allow_and_nothing_else(server: Server, lam: Any, fn_name: str) -> None:
    create(lam, fn_name, "def handler(event, context):\n    return 1\n")
    create(lam, f"{fn_name}-other", "def handler(event, context):\n    return 2\n")
    nobody = server.client(credentials=_user(server, f"{fn_name}-nobody"))
    user = f"arn:aws:iam::{ACCOUNT}:user/{fn_name}-nobody"
    assert _denied(nobody.list_functions) == (
        403,
        "AccessDeniedException",
        f"User: {user} is not authorized to perform: lambda:ListFunctions on resource: * "
        "because no identity-based policy allows the lambda:ListFunctions action",
    )
    # a function that does not exist is not told apart from one that does
    assert _denied(lambda: nobody.get_function(FunctionName="no-such-function"))[1] == "AccessDeniedException"

    reader = server.client(credentials=_user(server, f"{fn_name}-reader", _allow("lambda:GetFunction*", ARN + fn_name)))
    assert reader.get_function_configuration(FunctionName=fn_name)["FunctionName"] == fn_name
    status, code, message = _denied(lambda: reader.get_function_configuration(FunctionName=f"{fn_name}-other"))
    assert (status, code) == (403, "AccessDeniedException")
    assert message.endswith(
        f"on resource: {ARN}{fn_name}-other because no identity-based policy allows the lambda:GetFunctionConfiguration action"
    )
    # a qualified call is authorized on the qualified ARN, which the policy does not name
    assert _denied(lambda: reader.get_function(FunctionName=fn_name, Qualifier="$LATEST"))[1] == "AccessDeniedException"
    assert _denied(lambda: reader.delete_function(FunctionName=fn_name))[1] == "AccessDeniedException"

    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "lambda:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "lambda:DeleteFunction", "Resource": ARN + fn_name},
        ],
    }
    almost = server.client(credentials=_user(server, f"{fn_name}-almost", document))
    assert _denied(lambda: almost.delete_function(FunctionName=fn_name))[2].endswith(
        "with an explicit deny in an identity-based policy"
    )
    assert almost.get_function(FunctionName=fn_name)["Configuration"]["FunctionName"] == fn_name


def test_iam_and_logs_refuse_in_their_own_protocols(server: Server, fn_name: str) -> None:
    nobody = _user(server, f"{fn_name}-nobody")
    status, code, message = _denied(lambda: server.client("iam", credentials=nobody).list_users())
    assert (status, code) == (403, "AccessDenied")
    assert message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/{fn_name}-nobody is not authorized to perform: iam:ListUsers on resource: * "
        "because no identity-based policy allows the iam:ListUsers action"
    )
    logs = server.client("logs", credentials=nobody)
    status, code, message = _denied(lambda: logs.filter_log_events(logGroupName=f"/aws/lambda/{fn_name}"))
    assert (status, code) == (403, "AccessDeniedException")
    assert (
        f"logs:FilterLogEvents on resource: arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/{fn_name}:log-stream: "
        in message
    )
    # GetCallerIdentity needs no permission, as on AWS
    assert server.client("sts", credentials=nobody).get_caller_identity()["Arn"].endswith(f":user/{fn_name}-nobody")


PROBE = """
import json, boto3
from botocore.exceptions import ClientError

def handler(event, context):
    lam = boto3.client("lambda")
    target = event["target"]
    calls = {
        "ListFunctions": lambda: lam.list_functions(),
        "GetFunction": lambda: lam.get_function(FunctionName=target),
        "GetFunctionConfiguration": lambda: lam.get_function_configuration(FunctionName=target),
        "UpdateFunctionConfiguration": lambda: lam.update_function_configuration(FunctionName=target, Description="x"),
        "UpdateFunctionCode": lambda: lam.update_function_code(FunctionName=target, ZipFile=b"PK"),
        "PublishVersion": lambda: lam.publish_version(FunctionName=target),
        "CreateAlias": lambda: lam.create_alias(FunctionName=target, Name="a", FunctionVersion="$LATEST"),
        "PutFunctionConcurrency": lambda: lam.put_function_concurrency(FunctionName=target, ReservedConcurrentExecutions=1),
        "TagResource": lambda: lam.tag_resource(Resource=event["arn"], Tags={"k": "v"}),
        "ListTags": lambda: lam.list_tags(Resource=event["arn"]),
        "DeleteFunction": lambda: lam.delete_function(FunctionName=target),
        "Invoke": lambda: lam.invoke(FunctionName=target, Payload=b"{}"),
        "InvokeOther": lambda: lam.invoke(FunctionName=event["other"], Payload=b"{}"),
    }
    codes = {}
    for name, call in calls.items():
        try:
            call()
            codes[name] = "ok"
        except ClientError as error:
            codes[name] = error.response["Error"]["Code"]
    return codes
"""


def _probe(server: Server, lam: Any, name: str, role: str, target: str, other: str) -> dict[str, str]:
    create(lam, name, PROBE, Role=role, MemorySize=1024, Timeout=60)
    event = {"target": target, "arn": ARN + target, "other": other}
    answer = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    assert "FunctionError" not in answer, answer["Payload"].read()
    codes: dict[str, str] = json.loads(answer["Payload"].read())
    return codes


def test_a_function_calls_the_api_as_its_execution_role(server: Server, lam: Any, fn_name: str) -> None:
    create(lam, f"{fn_name}-target", "def handler(event, context):\n    return 'target'\n")
    create(lam, f"{fn_name}-other", "def handler(event, context):\n    return 'other'\n")
    basic = server.ensure_role(f"{fn_name}-basic", BASIC)
    codes = _probe(server, lam, f"{fn_name}-basic", basic, f"{fn_name}-target", f"{fn_name}-other")
    assert codes == {name: "AccessDeniedException" for name in codes}, codes
    assert lam.get_function(FunctionName=f"{fn_name}-target")["Configuration"]["Description"] == ""

    invoker = server.ensure_role(f"{fn_name}-invoker", BASIC)
    server.client("iam").put_role_policy(
        RoleName=f"{fn_name}-invoker",
        PolicyName="invoke-one",
        PolicyDocument=json.dumps(_allow("lambda:InvokeFunction", f"{ARN}{fn_name}-target")),
    )
    codes = _probe(server, lam, f"{fn_name}-invoker", invoker, f"{fn_name}-target", f"{fn_name}-other")
    assert codes.pop("Invoke") == "ok"
    assert codes == {name: "AccessDeniedException" for name in codes}, codes


def test_create_function_takes_only_a_role_lambda_may_assume(server: Server, lam: Any, fn_name: str) -> None:
    iam = server.client("iam")
    trusts_ec2 = LAMBDA_TRUST.replace("lambda.amazonaws.com", "ec2.amazonaws.com")
    ec2_role = iam.create_role(RoleName=f"{fn_name}-ec2", AssumeRolePolicyDocument=trusts_ec2)["Role"]["Arn"]
    refused = (400, "InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.")
    package = make_zip({"app.py": "def handler(event, context):\n    return 1\n"})
    for role in (f"arn:aws:iam::{ACCOUNT}:role/{fn_name}-missing", ec2_role, "arn:aws:iam::123456789012:role/lambent-test"):
        create_it = lambda role=role: lam.create_function(  # noqa: E731
            FunctionName=fn_name, Role=role, Runtime="python3.12", Handler="app.handler", Code={"ZipFile": package}
        )
        assert _denied(create_it) == refused, role
    create(lam, fn_name, "def handler(event, context):\n    return 1\n")
    assert _denied(lambda: lam.update_function_configuration(FunctionName=fn_name, Role=ec2_role)) == refused
    assert lam.get_function_configuration(FunctionName=fn_name)["Role"] == ROLE


def test_another_account_invokes_only_where_the_function_policy_lets_it(server: Server, lam: Any, fn_name: str) -> None:
    status, _headers, body = server.request(
        "POST", "/lambent/2026-11-27/accounts", json.dumps({"AccountId": "111111111111"}).encode()
    )
    assert status == 201, body
    made = json.loads(body)
    assert made["AccountId"] == "111111111111" and made["UserArn"] == "arn:aws:iam::111111111111:user/admin"
    assert server.request("POST", "/lambent/2026-11-27/accounts", b'{"AccountId": "111111111111"}')[0] == 409
    other = server.client(credentials=(made["AccessKeyId"], made["SecretAccessKey"]))
    assert server.client("sts", credentials=(made["AccessKeyId"], made["SecretAccessKey"])).get_caller_identity()["Account"] == (
        "111111111111"
    )
    # another account's administrator may not make accounts
    keys = (made["AccessKeyId"], made["SecretAccessKey"])
    assert server.request("POST", "/lambent/2026-11-27/accounts", b"{}", credentials=keys)[0] == 403

    create(lam, fn_name, "def handler(event, context):\n    return 'mine'\n")
    arn = ARN + fn_name
    status, code, message = _denied(lambda: other.invoke(FunctionName=arn))
    assert (status, code) == (403, "AccessDeniedException")
    assert message == (
        f"User: arn:aws:iam::111111111111:user/admin is not authorized to perform: lambda:InvokeFunction on resource: {arn} "
        "because no resource-based policy allows the lambda:InvokeFunction action"
    )
    lam.add_permission(FunctionName=fn_name, StatementId="other", Action="lambda:InvokeFunction", Principal="111111111111")
    assert other.invoke(FunctionName=arn)["Payload"].read() == b'"mine"'
    assert _denied(lambda: other.get_function(FunctionName=arn))[1] == "AccessDeniedException"  # only what was granted
    # a user of that account needs its own account's allow too
    iam_b = server.client("iam", credentials=(made["AccessKeyId"], made["SecretAccessKey"]))
    iam_b.create_user(UserName="carol")
    key = iam_b.create_access_key(UserName="carol")["AccessKey"]
    carol = server.client(credentials=(key["AccessKeyId"], key["SecretAccessKey"]))
    assert _denied(lambda: carol.invoke(FunctionName=arn))[2].endswith(
        "because no identity-based policy allows the lambda:InvokeFunction action"
    )
    iam_b.put_user_policy(UserName="carol", PolicyName="p", PolicyDocument=json.dumps(_allow("lambda:InvokeFunction", arn)))
    assert carol.invoke(FunctionName=arn)["Payload"].read() == b'"mine"'
    lam.remove_permission(FunctionName=fn_name, StatementId="other")
    assert _denied(lambda: other.invoke(FunctionName=arn))[1] == "AccessDeniedException"

    # a layer version is another account's to read only where its permission says so
    layer = lam.publish_layer_version(LayerName=fn_name, Content={"ZipFile": make_zip({"python/x.py": "X = 1\n"})})
    read = lambda: other.get_layer_version(LayerName=layer["LayerArn"], VersionNumber=layer["Version"])  # noqa: E731
    assert _denied(read)[2].endswith("because no resource-based policy allows the lambda:GetLayerVersion action")
    lam.add_layer_version_permission(
        LayerName=fn_name,
        VersionNumber=layer["Version"],
        StatementId="b",
        Action="lambda:GetLayerVersion",
        Principal="111111111111",
    )
    assert read()["LayerVersionArn"] == layer["LayerVersionArn"]


def test_lambent_account_create_prints_the_new_admins_key(server: Server) -> None:
    ran = subprocess.run(
        [str(VENV_BIN / "lambent"), "account", "create", "--id", "222222222222"],
        env=server.cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    made = json.loads(ran.stdout)
    assert made["AccountId"] == "222222222222" and made["AccessKeyId"].startswith("AKIA") and len(made["SecretAccessKey"]) == 40
    sts = server.client("sts", credentials=(made["AccessKeyId"], made["SecretAccessKey"]))
    assert sts.get_caller_identity()["Arn"] == "arn:aws:iam::222222222222:user/admin"
    listed = subprocess.run(
        [str(VENV_BIN / "lambent"), "account", "ls"], env=server.cli_env(), capture_output=True, text=True, timeout=60
    )
    assert {"000000000000", "222222222222"} <= {a["AccountId"] for a in json.loads(listed.stdout)}


def test_conditions_see_the_callers_address(server: Server, fn_name: str) -> None:
    def only_from(network: str) -> dict[str, Any]:
        statement = {"Effect": "Allow", "Action": "lambda:ListFunctions", "Resource": "*"}
        return {"Version": "2012-10-17", "Statement": [{**statement, "Condition": {"IpAddress": {"aws:SourceIp": network}}}]}

    elsewhere = server.client(credentials=_user(server, f"{fn_name}-far", only_from("10.0.0.0/8")))
    assert _denied(elsewhere.list_functions)[1] == "AccessDeniedException"
    here = server.client(credentials=_user(server, f"{fn_name}-near", only_from("127.0.0.0/8")))
    assert "Functions" in here.list_functions()
