"""IAM and STS services on the memory store: the policies in force for each kind of principal,
managed policy versions, AWS's managed policies as shipped, and who a trust policy lets in."""

from __future__ import annotations

import asyncio
import json

import pytest

from lambent.clock import FakeClock
from lambent.errors import AccessDeniedException, LimitExceeded, MalformedPolicyDocument
from lambent.model.managed_policy import check_document
from lambent.services.access import Access
from lambent.services.iam import IamService
from lambent.services.iam_policies import PolicyCatalog
from lambent.services.identity import IdentityService, Sealer
from lambent.services.sts import StsService
from lambent.store.memory import MemoryStore

ACCT = "123456789012"
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
ALLOW = json.dumps({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}})


def services() -> tuple[IamService, StsService, Access]:
    store, clock = MemoryStore(), FakeClock()
    identity = IdentityService(store, Sealer(b"k" * 32), clock=clock)
    iam = IamService(store, identity, PolicyCatalog(store), clock=clock)
    access = Access(iam, clock=clock)
    return iam, StsService(store, identity, access), access


def test_policies_of_a_user_a_role_session_and_the_root() -> None:
    async def scenario() -> None:
        iam, _, _ = services()
        user = await iam.create_user(ACCT, "u", "/team/", {})
        await iam.put_inline("user", ACCT, "u", "inline", ALLOW)
        await iam.attach("user", ACCT, "u", BASIC)
        mine = await iam.create_policy(ACCT, "mine", "/", ALLOW.replace("s3", "sqs"), None, {})
        await iam.attach("user", ACCT, "u", mine.arn)
        documents = await iam.policies_of(user.arn)
        assert documents[0] == ALLOW and "logs:PutLogEvents" in documents[1] and "sqs:*" in documents[2]
        assert len(documents) == 3

        await iam.create_role(ACCT, "r", "/", _trust({"Service": "lambda.amazonaws.com"}), None, 3600, {})
        await iam.put_inline("role", ACCT, "r", "p", ALLOW)
        assert await iam.policies_of(f"arn:aws:sts::{ACCT}:assumed-role/r/session") == [ALLOW]
        assert await iam.policies_of(f"arn:aws:iam::{ACCT}:root") == []
        assert await iam.policies_of(f"arn:aws:iam::{ACCT}:user/u") == []  # the user's ARN has its path
        assert await iam.policies_of("not an arn") == []

    asyncio.run(scenario())


def test_a_managed_policy_keeps_five_versions_and_aws_ones_are_not_ours_to_change() -> None:
    async def scenario() -> None:
        iam, _, _ = services()
        policy = await iam.create_policy(ACCT, "p", "/", ALLOW, None, {})
        for expected in ("v2", "v3", "v4", "v5"):
            assert (await iam.create_policy_version(policy.arn, ALLOW, set_default=expected == "v3")).version_id == expected
        assert (await iam.catalog.get(policy.arn)).default_version == "v3"
        with pytest.raises(LimitExceeded):
            await iam.create_policy_version(policy.arn, ALLOW, False)
        with pytest.raises(MalformedPolicyDocument):
            await iam.create_policy_version(policy.arn, "[]", False)
        with pytest.raises(Exception, match="does not exist or is not attachable"):
            await iam.delete_policy(ACCT, BASIC)

    asyncio.run(scenario())


def test_aws_managed_policies_are_well_formed_with_aws_arns() -> None:
    catalog = PolicyCatalog(MemoryStore())
    assert len(catalog.aws) == 9
    for arn, policy in catalog.aws.items():
        assert arn == f"arn:aws:iam::aws:policy{policy.path}{policy.name}"
        check_document(policy.document)
        assert policy.policy_id.startswith("ANPA") and len(policy.policy_id) == 21
    service_role = {p.name for p in catalog.aws.values() if p.path == "/service-role/"}
    assert service_role == {
        "AWSLambdaBasicExecutionRole",
        "AWSLambdaRole",
        "AWSLambdaSQSQueueExecutionRole",
        "AWSLambdaKinesisExecutionRole",
        "AWSLambdaDynamoDBExecutionRole",
        "AWSLambdaVPCAccessExecutionRole",
    }


def _trust(principal: object, effect: str = "Allow", action: object = "sts:AssumeRole") -> str:
    return json.dumps({"Statement": [{"Effect": effect, "Principal": principal, "Action": action}]})


def test_who_a_trust_policy_lets_in() -> None:
    """The trust policy is the role's resource policy: naming the caller (or its role) suffices;
    naming only its account needs the caller's own policies to allow sts:AssumeRole."""

    async def scenario() -> None:
        iam, sts, access = services()
        alice = (await iam.create_user(ACCT, "alice", "/", {})).arn
        await iam.create_role(ACCT, "ops", "/", _trust({"AWS": alice}), None, 3600, {})
        session = f"arn:aws:sts::{ACCT}:assumed-role/ops/s"

        async def lets_in(trust: str, caller: str = alice) -> bool:
            role = await iam.create_role(ACCT, f"r{len(seen)}", "/", trust, None, 3600, {})
            seen.append(role.arn)
            try:
                await sts.assume_role(ACCT, caller, role.arn, "s", 900, check_trust=True)
            except AccessDeniedException:
                return False
            return True

        seen: list[str] = []
        assert await lets_in(_trust({"AWS": alice}))
        assert not await lets_in(_trust({"AWS": [ACCT]}))  # the account: alice's own policies must allow
        assert not await lets_in(_trust({"AWS": f"arn:aws:iam::{ACCT}:root"}))
        assert await lets_in(_trust("*", action=["sts:*"]))
        assert not await lets_in(_trust({"AWS": "arn:aws:iam::999999999999:root"}))
        assert not await lets_in(_trust({"Service": "lambda.amazonaws.com"}))
        assert not await lets_in(_trust({"AWS": alice}, action="sts:TagSession"))
        assert await lets_in(_trust({"AWS": f"arn:aws:iam::{ACCT}:role/ops"}), session)
        both = json.dumps(
            {
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": ACCT}, "Action": "sts:AssumeRole"},
                    {"Effect": "Deny", "Principal": {"AWS": alice}, "Action": "sts:AssumeRole"},
                ]
            }
        )
        assert not await lets_in(both)  # a Deny naming the caller wins
        allow = json.dumps(
            {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}}
        )
        await iam.put_inline("user", ACCT, "alice", "assume", allow)
        access.forget(alice)  # what the IAM edge does after each change
        assert await lets_in(_trust({"AWS": [ACCT]}))
        assert not await lets_in(both)

    asyncio.run(scenario())


def test_assume_role_is_refused_to_the_root_unless_nothing_is_checked() -> None:
    async def scenario() -> None:
        iam, sts, _ = services()
        role = await iam.create_role(ACCT, "r", "/", _trust("*"), None, 3600, {})
        root = f"arn:aws:iam::{ACCT}:root"
        with pytest.raises(AccessDeniedException, match=r"Roles may not be assumed by root accounts\."):
            await sts.assume_role(ACCT, root, role.arn, "s", 900, check_trust=True)
        assumed = await sts.assume_role(ACCT, root, role.arn, "s", 900, check_trust=False)
        assert assumed.arn == f"arn:aws:sts::{ACCT}:assumed-role/r/s" and assumed.credential.principal_arn == assumed.arn
        found = await sts.caller_identity(ACCT, assumed.arn)
        assert found.user_id == f"{role.role_id}:s"

    asyncio.run(scenario())
