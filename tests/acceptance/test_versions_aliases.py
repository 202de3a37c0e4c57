"""Versions and aliases through boto3: immutable snapshots, qualifiers in every form, traffic splits."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.fixtures.server import create, make_zip


def code(label: str) -> str:
    return f"import os\ndef handler(event, context):\n    return ['{label}', context.function_version, context.invoked_function_arn]\n"


def run(lam: Any, name: str, qualifier: str | None = None) -> tuple[Any, str]:
    kwargs = {"Qualifier": qualifier} if qualifier else {}
    response = lam.invoke(FunctionName=name, Payload=b"{}", **kwargs)
    return json.loads(response["Payload"].read()), response["ExecutedVersion"]


def test_publish_is_an_immutable_snapshot(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, code("one"), Environment={"Variables": {"AA": "1"}})
    v1 = lam.publish_version(FunctionName=fn_name, Description="first")
    assert v1["Version"] == "1" and v1["Description"] == "first"
    assert v1["FunctionArn"].endswith(f":function:{fn_name}:1")
    # Nothing changed: the same version comes back.
    assert lam.publish_version(FunctionName=fn_name)["Version"] == "1"

    lam.update_function_code(FunctionName=fn_name, ZipFile=make_zip({"app.py": code("two")}))
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.publish_version(FunctionName=fn_name, CodeSha256="not-the-sha")
    with pytest.raises(lam.exceptions.PreconditionFailedException):
        lam.publish_version(FunctionName=fn_name, RevisionId="stale")
    v2 = lam.publish_version(FunctionName=fn_name)
    assert v2["Version"] == "2" and v2["CodeSha256"] != v1["CodeSha256"]

    assert run(lam, fn_name, "1") == (["one", "1", f"arn:aws:lambda:us-east-1:000000000000:function:{fn_name}:1"], "1")
    assert run(lam, f"{fn_name}:2") == (["two", "2", f"arn:aws:lambda:us-east-1:000000000000:function:{fn_name}:2"], "2")
    assert run(lam, fn_name)[1] == "$LATEST"
    assert lam.get_function_configuration(FunctionName=fn_name, Qualifier="1")["Environment"] == {"Variables": {"AA": "1"}}

    versions = lam.list_versions_by_function(FunctionName=fn_name)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
    paged = [
        v["Version"]
        for p in lam.get_paginator("list_versions_by_function").paginate(FunctionName=fn_name, PaginationConfig={"PageSize": 1})
        for v in p["Versions"]
    ]
    assert paged == ["$LATEST", "1", "2"]

    lam.delete_function(FunctionName=fn_name, Qualifier="1")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName=fn_name, Qualifier="1", Payload=b"{}")
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.delete_function(FunctionName=fn_name, Qualifier="$LATEST")


def test_create_with_publish(lam: Any, fn_name: str) -> None:
    created = create(lam, fn_name, code("first"), Publish=True)
    assert created["Version"] == "1"
    assert run(lam, fn_name, "1")[0][0] == "first"


def test_alias_lifecycle(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, code("one"))
    lam.publish_version(FunctionName=fn_name)
    alias = lam.create_alias(FunctionName=fn_name, Name="live", FunctionVersion="1", Description="prod")
    assert alias["AliasArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{fn_name}:live"
    assert alias["FunctionVersion"] == "1" and alias["RevisionId"]
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.create_alias(FunctionName=fn_name, Name="live", FunctionVersion="1")
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.create_alias(FunctionName=fn_name, Name="other", FunctionVersion="9")

    result, executed = run(lam, fn_name, "live")
    assert result[0] == "one" and executed == "1"
    assert result[2] == f"arn:aws:lambda:us-east-1:000000000000:function:{fn_name}:live"
    assert run(lam, f"arn:aws:lambda:us-east-1:000000000000:function:{fn_name}:live")[1] == "1"
    assert lam.get_function(FunctionName=fn_name, Qualifier="live")["Configuration"]["Version"] == "1"

    lam.update_function_code(FunctionName=fn_name, ZipFile=make_zip({"app.py": code("two")}))
    lam.publish_version(FunctionName=fn_name)
    with pytest.raises(lam.exceptions.PreconditionFailedException):
        lam.update_alias(FunctionName=fn_name, Name="live", FunctionVersion="2", RevisionId="stale")
    updated = lam.update_alias(FunctionName=fn_name, Name="live", FunctionVersion="2", RevisionId=alias["RevisionId"])
    assert updated["FunctionVersion"] == "2" and updated["Description"] == "prod"
    assert run(lam, fn_name, "live")[1] == "2"
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.delete_function(FunctionName=fn_name, Qualifier="2")  # the alias references it

    assert [a["Name"] for a in lam.list_aliases(FunctionName=fn_name)["Aliases"]] == ["live"]
    assert lam.list_aliases(FunctionName=fn_name, FunctionVersion="1")["Aliases"] == []
    lam.delete_alias(FunctionName=fn_name, Name="live")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as error:
        lam.get_alias(FunctionName=fn_name, Name="live")
    assert error.value.response["Error"]["Message"] == (
        f"Cannot find alias arn: arn:aws:lambda:us-east-1:000000000000:function:{fn_name}:live"
    )


def test_weighted_alias_splits_traffic(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, code("one"))
    lam.publish_version(FunctionName=fn_name)
    lam.update_function_code(FunctionName=fn_name, ZipFile=make_zip({"app.py": code("two")}))
    lam.publish_version(FunctionName=fn_name)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.create_alias(
            FunctionName=fn_name, Name="bad", FunctionVersion="$LATEST", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}}
        )
    with pytest.raises(lam.exceptions.ClientError) as error:
        lam.create_alias(
            FunctionName=fn_name, Name="bad", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 1.5}}
        )
    assert error.value.response["Error"]["Code"] == "ValidationException"
    lam.create_alias(
        FunctionName=fn_name, Name="canary", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}}
    )
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda _: run(lam, fn_name, "canary"), range(2000)))
    executed = Counter(version for _, version in outcomes)
    assert set(executed) == {"1", "2"}
    assert all(result[0] == ("one" if version == "1" else "two") for result, version in outcomes)
    share = executed["2"] / 2000
    assert 0.07 <= share <= 0.13, executed  # 10% within ±3 points
