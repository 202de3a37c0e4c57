"""The permissions service on the in-memory store: policies per qualifier, the statement-id and
RevisionId checks in AWS's order and words, what deleting a version, an alias or the function
takes with it, and ``policy_for`` (what the authorizer reads)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from lambent.errors import (
    PolicyLengthExceededException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from lambent.model.alias import CreateAliasInput
from lambent.model.arns import FunctionRef
from lambent.model.function_policy import AddPermissionInput
from lambent.services.function_index import FunctionIndex
from lambent.services.permissions import PermissionService
from tests.fixtures.functions_world import ACCOUNT, REGION, World, run

ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn"


def grant(sid: str, **members: Any) -> AddPermissionInput:
    document = {"StatementId": sid, "Action": "lambda:InvokeFunction", "Principal": "s3.amazonaws.com", **members}
    return msgspec.convert(document, AddPermissionInput)


def fn(qualifier: str | None = None) -> FunctionRef:
    return FunctionRef(name="fn", qualifier=qualifier)


async def world(tmp_path: Path) -> tuple[World, PermissionService]:
    w = World(tmp_path)
    await w.create(Publish=True)
    await w.aliases.create_alias("fn", msgspec.convert({"Name": "live", "FunctionVersion": "1"}, CreateAliasInput))
    return w, PermissionService(w.store, w.index)


def test_policies_are_per_qualifier_with_the_resource_it_names(tmp_path: Path) -> None:
    async def scenario() -> None:
        _w, p = await world(tmp_path)
        for qualifier in (None, "$LATEST", "1", "live"):
            statement = await p.add_permission(fn(qualifier), grant("s"))
            assert statement["Resource"] == (f"{ARN}:{qualifier}" if qualifier else ARN)
        text, _revision = p.get_policy(fn())
        assert json.loads(text) == {
            "Version": "2012-10-17",
            "Id": "default",
            "Statement": [
                {
                    "Sid": "s",
                    "Effect": "Allow",
                    "Principal": {"Service": "s3.amazonaws.com"},
                    "Action": "lambda:InvokeFunction",
                    "Resource": ARN,
                }
            ],
        }
        assert json.loads(p.get_policy(fn("live"))[0])["Statement"][0]["Resource"] == f"{ARN}:live"
        assert await p.policy_for("fn", None) == text and await p.policy_for("fn", "") == text
        assert await p.policy_for("fn", "2") is None and await p.policy_for("nope", None) is None

    run(scenario)


def test_revision_ids_start_at_the_owners_and_move_with_each_change(tmp_path: Path) -> None:
    async def scenario() -> None:
        w, p = await world(tmp_path)
        latest = w.functions.resolve(fn())
        with pytest.raises(PreconditionFailedException) as stale:
            await p.add_permission(fn(), grant("a", RevisionId="not-it"))
        assert stale.value.message == (
            "The Revision Id provided does not match the latest Revision Id. "
            "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
        )
        await p.add_permission(fn(), grant("a", RevisionId=latest.revision_id))
        first = p.get_policy(fn())[1]
        assert first != latest.revision_id
        alias = w.aliases.alias("fn", "live")
        await p.add_permission(fn("live"), grant("a", RevisionId=alias.revision_id))
        with pytest.raises(PreconditionFailedException):
            await p.add_permission(fn(), grant("b", RevisionId=latest.revision_id))
        await p.add_permission(fn(), grant("b", RevisionId=first))
        second = p.get_policy(fn())[1]
        with pytest.raises(PreconditionFailedException):
            await p.remove_permission(fn(), "a", first)
        await p.remove_permission(fn(), "a", second)
        assert p.get_policy(fn())[1] not in (first, second)
        assert w.functions.resolve(fn()).revision_id == latest.revision_id  # environments' key untouched

    run(scenario)


def test_statement_ids_and_missing_things_in_aws_words(tmp_path: Path) -> None:
    async def scenario() -> None:
        _w, p = await world(tmp_path)
        with pytest.raises(ResourceNotFoundException) as none:
            p.get_policy(fn())
        assert none.value.message == "The resource you requested does not exist."
        with pytest.raises(ResourceNotFoundException) as nothing:
            await p.remove_permission(fn(), "a", None)
        assert nothing.value.message == "No policy is associated with the given resource."
        await p.add_permission(fn(), grant("a"))
        with pytest.raises(ResourceConflictException) as twice:
            await p.add_permission(fn(), grant("a", RevisionId="stale"))  # the id is looked at first
        assert twice.value.message == (
            "The statement id (a) provided already exists. Please provide a new statement id, or remove the existing statement."
        )
        with pytest.raises(ResourceNotFoundException) as unknown:
            await p.remove_permission(fn(), "zz", "stale")
        assert unknown.value.message == "Statement zz is not found in resource policy."
        for qualifier in ("7", "dev"):
            with pytest.raises(ResourceNotFoundException) as missing:
                await p.add_permission(fn(qualifier), grant("a"))
            assert missing.value.message == f"Function not found: {ARN}:{qualifier}"
        with pytest.raises(ResourceNotFoundException) as no_function:
            p.get_policy(FunctionRef(name="other"))
        assert no_function.value.message == f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT}:function:other"
        await p.remove_permission(fn(), "a", None)  # the last statement: the policy goes
        with pytest.raises(ResourceNotFoundException):
            p.get_policy(fn())

    run(scenario)


def test_a_policy_stays_within_20_kb(tmp_path: Path) -> None:
    async def scenario() -> None:
        _w, p = await world(tmp_path)
        arn = "arn:aws:s3:::" + "b" * 900
        with pytest.raises(PolicyLengthExceededException) as full:
            for n in range(40):
                await p.add_permission(fn(), grant(f"s{n}", SourceArn=arn))
        assert full.value.message.startswith("The final policy size (") and "bigger than the limit (20480)." in full.value.message
        assert len(p.get_policy(fn())[0]) <= 20480

    run(scenario)


def test_deleting_takes_the_policies_along_and_a_restart_keeps_the_rest(tmp_path: Path) -> None:
    async def scenario() -> None:
        w, p = await world(tmp_path)
        for qualifier in (None, "1", "live"):
            await p.add_permission(fn(qualifier), grant("s"))
        await w.aliases.delete_alias("fn", "live")
        await w.aliases.create_alias("fn", msgspec.convert({"Name": "live", "FunctionVersion": "1"}, CreateAliasInput))
        with pytest.raises(ResourceNotFoundException):
            p.get_policy(fn("live"))
        await w.aliases.delete_alias("fn", "live")
        await w.functions.delete(fn("1"))
        assert set(w.index.function("fn").policies) == {""}
        restarted = FunctionIndex(REGION, ACCOUNT)
        records = await w.store.load_functions()
        restarted.load(records, {r.name: r.uid or 0 for r in records})
        assert await PermissionService(w.store, restarted).policy_for("fn", None) == p.get_policy(fn())[0]
        await w.functions.delete(fn())
        await w.create()
        with pytest.raises(ResourceNotFoundException):
            p.get_policy(fn())

    run(scenario)
