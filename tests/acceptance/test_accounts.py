"""Each account has its own functions, layers and limits (decision 0024): the same names in two
accounts are two resources, neither account sees the other's, and both survive a restart.

A dedicated server (it is killed and restarted) with a second account made through Lambent's
account API; both accounts are driven by boto3 with their own administrators' keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambent.model.identity import LAMBDA_TRUST_POLICY
from tests.fixtures.server import RUNTIME, Server, make_zip

USAGE = "/lambent/2026-11-27"
OTHER = "222222222222"
CODE = """
import json, os
def handler(event, context):
    print("owner:", OWNER)
    return {"owner": OWNER, "arn": context.invoked_function_arn, "key": os.environ["AWS_ACCESS_KEY_ID"][:4]}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("accounts") / "data").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def other(server: Server) -> dict[str, Any]:
    """The second account's administrator: its keys, clients and execution role."""
    status, _headers, body = server.request("POST", "/lambent/2026-11-27/accounts", json.dumps({"AccountId": OTHER}).encode())
    assert status == 201, body
    made = json.loads(body)
    keys = (made["AccessKeyId"], made["SecretAccessKey"])
    iam = server.client("iam", credentials=keys)
    role = iam.create_role(RoleName="runner", AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY)["Role"]["Arn"]
    iam.attach_role_policy(RoleName="runner", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    return {"lambda": server.client(credentials=keys), "role": role, "keys": keys}


def _create(lam: Any, name: str, role: str, owner: str, **extra: Any) -> dict[str, Any]:
    code = make_zip({"app.py": f"OWNER = {owner!r}\n{CODE}"})
    made: dict[str, Any] = lam.create_function(
        FunctionName=name, Runtime=RUNTIME, Handler="app.handler", Role=role, Code={"ZipFile": code}, **extra
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    return made


def _invoke(lam: Any, name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(lam.invoke(FunctionName=name)["Payload"].read())
    return result


def _names(lam: Any) -> list[tuple[str, str]]:
    return sorted((f["FunctionName"], f["FunctionArn"]) for f in lam.list_functions()["Functions"])


def test_two_accounts_each_have_a_function_of_the_same_name(server: Server, other: dict[str, Any]) -> None:
    mine, theirs = server.client(), other["lambda"]
    me = server.ensure_role("accounts-runner", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    made = _create(mine, "same", me, "default")
    made_b = _create(theirs, "same", other["role"], "other")
    assert made["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:same"
    assert made_b["FunctionArn"] == f"arn:aws:lambda:us-east-1:{OTHER}:function:same"
    assert made_b["Role"] == other["role"]
    # each runs its own code, in its own account, with its own role's temporary key
    assert _invoke(mine, "same") == {"owner": "default", "arn": made["FunctionArn"], "key": "ASIA"}
    assert _invoke(theirs, "same") == {"owner": "other", "arn": made_b["FunctionArn"], "key": "ASIA"}
    assert _names(mine) == [("same", made["FunctionArn"])]
    assert _names(theirs) == [("same", made_b["FunctionArn"])]
    # the log group of that name is each account's own: each sees its own function's lines
    for credentials, owner in ((None, "default"), (other["keys"], "other")):
        logs = server.client("logs", credentials=credentials)
        lines = [e["message"].rstrip("\n") for e in logs.filter_log_events(logGroupName="/aws/lambda/same")["events"]]
        assert sum(line.startswith("REPORT RequestId:") for line in lines) == 1, lines
        assert [line for line in lines if line.startswith("owner: ")] == [f"owner: {owner}"], lines
    # a change in one account leaves the other's function as it was
    theirs.update_function_configuration(FunctionName="same", Description="theirs")
    assert mine.get_function_configuration(FunctionName="same")["Description"] == ""
    # the other account's function, named by its ARN, is out of reach without a permission
    with pytest.raises(ClientError) as refused:
        mine.get_function(FunctionName=made_b["FunctionArn"])
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    theirs.delete_function(FunctionName="same")
    assert _invoke(mine, "same")["owner"] == "default"
    _create(theirs, "same", other["role"], "other again")  # the name is free again in its account
    assert _invoke(theirs, "same")["owner"] == "other again"


def test_layers_settings_and_limits_are_each_accounts(server: Server, other: dict[str, Any]) -> None:
    mine, theirs = server.client(), other["lambda"]
    content = {"ZipFile": make_zip({"python/shared.py": "X = 1\n"})}
    first = mine.publish_layer_version(LayerName="shared-lib", Content=content)
    their_first = theirs.publish_layer_version(LayerName="shared-lib", Content=content)
    assert first["Version"] == their_first["Version"] == 1
    assert their_first["LayerVersionArn"] == f"arn:aws:lambda:us-east-1:{OTHER}:layer:shared-lib:1"
    assert [v["Version"] for v in theirs.list_layer_versions(LayerName="shared-lib")["LayerVersions"]] == [1]
    me = server.ensure_role("accounts-runner", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    _create(mine, "reserving", me, "default")
    mine.put_function_concurrency(FunctionName="reserving", ReservedConcurrentExecutions=5)
    limit = mine.get_account_settings()["AccountLimit"]["ConcurrentExecutions"]
    assert mine.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == limit - 5
    theirs_settings = theirs.get_account_settings()
    assert theirs_settings["AccountLimit"]["UnreservedConcurrentExecutions"] == limit  # another account's reservation
    assert theirs_settings["AccountUsage"]["FunctionCount"] == len(theirs.list_functions()["Functions"])


def test_every_accounts_resources_are_there_after_a_restart(server: Server, other: dict[str, Any]) -> None:
    theirs = other["lambda"]
    me = server.ensure_role("accounts-runner", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    _create(server.client(), "kept", me, "default")
    _create(theirs, "kept", other["role"], "other")
    theirs.put_function_event_invoke_config(FunctionName="kept", MaximumRetryAttempts=1)
    before = _names(theirs)
    server.kill_and_restart()
    theirs = server.client(credentials=other["keys"])
    assert _names(theirs) == before
    assert _invoke(theirs, "kept")["owner"] == "other"
    assert _invoke(server.client(), "kept")["owner"] == "default"
    assert theirs.get_function_event_invoke_config(FunctionName="kept")["MaximumRetryAttempts"] == 1


def _usage(server: Server, path: str, keys: tuple[str, str] | None = None, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    status, _headers, payload = server.request("PUT" if body is not None else "GET", f"{USAGE}{path}", data, credentials=keys)
    return status, json.loads(payload) if payload else None


def test_usage_and_budgets_are_each_accounts(server: Server, other: dict[str, Any]) -> None:
    theirs = other["lambda"]
    _create(theirs, "metered-b", other["role"], "other")
    for _ in range(3):
        _invoke(theirs, "metered-b")
    # their usage shows only their functions, whatever account a filter names
    status, records = _usage(server, "/usage/records?function=metered-b", other["keys"])
    assert status == 200 and len(records["Records"]) == 3
    assert {r["account"] for r in records["Records"]} == {OTHER}
    assert _usage(server, "/usage/records?function=metered-b")[1]["Records"] == []  # not the default account's
    _, mine = _usage(server, "/usage?group_by=account")
    assert {line["account"] for line in mine["Usage"]} <= {"000000000000"}
    _, theirs_all = _usage(server, "/usage?group_by=account&account=000000000000", other["keys"])
    assert [line["account"] for line in theirs_all["Usage"]] == [OTHER]  # the filter names no other account
    # a budget of one name in each account; each covers its own account's spend
    assert _usage(server, "/budgets/cap", other["keys"], {"Limit": "100", "Unit": "GB-s"})[0] == 200
    assert _usage(server, "/budgets/cap", None, {"Limit": "5", "Unit": "USD"})[0] == 200
    assert [b["Limit"] for b in _usage(server, "/budgets", other["keys"])[1]["Budgets"]] == ["100"]
    assert [b["Limit"] for b in _usage(server, "/budgets")[1]["Budgets"]] == ["5"]
    _, status_b = _usage(server, "/budgets/cap", other["keys"])
    assert Decimal(status_b["Spent"]) > 0  # their three invocations
    # the server's own operations stay its operator's: another account may not list accounts
    assert server.request("GET", f"{USAGE}/accounts", credentials=other["keys"])[0] == 403


def test_another_accounts_layer_is_used_only_where_its_policy_grants_it(server: Server, other: dict[str, Any]) -> None:
    mine, theirs = server.client(), other["lambda"]
    layer = mine.publish_layer_version(LayerName="lent", Content={"ZipFile": make_zip({"python/lent.py": "WHO = 'lent'\n"})})
    code = make_zip({"app.py": "import lent\ndef handler(event, context):\n    return lent.WHO\n"})

    def create() -> Any:
        return theirs.create_function(
            FunctionName="borrower",
            Runtime=RUNTIME,
            Handler="app.handler",
            Role=other["role"],
            Code={"ZipFile": code},
            Layers=[layer["LayerVersionArn"]],
        )

    with pytest.raises(ClientError) as refused:
        create()
    error = refused.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == (
        f"User: arn:aws:iam::{OTHER}:user/admin is not authorized to perform: lambda:GetLayerVersion on resource: "
        f"{layer['LayerVersionArn']} because no resource-based policy allows the lambda:GetLayerVersion action"
    )
    mine.add_layer_version_permission(
        LayerName="lent", VersionNumber=layer["Version"], StatementId="b", Action="lambda:GetLayerVersion", Principal=OTHER
    )
    made = create()
    assert made["Layers"] == [{"Arn": layer["LayerVersionArn"], "CodeSize": layer["Content"]["CodeSize"]}]
    theirs.get_waiter("function_active_v2").wait(FunctionName="borrower", WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    assert json.loads(theirs.invoke(FunctionName="borrower")["Payload"].read()) == "lent"
