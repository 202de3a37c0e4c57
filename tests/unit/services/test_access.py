"""services.access: decisions as model.iam_policy makes them, kept beside the policies they were
made on, and gone with them (the TTL, or forget after an IAM change)."""

from __future__ import annotations

import asyncio
import json

import pytest

from lambent.clock import FakeClock
from lambent.errors import AccessDeniedException
from lambent.model.iam_policy import ANONYMOUS, Caller
from lambent.services.access import CACHE_TTL_S, Access

USER = Caller(arn="arn:aws:iam::111111111111:user/u", account_id="111111111111")
FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:f"


def allow(action: str, resource: str = "*") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})


class Policies:
    def __init__(self) -> None:
        self.documents: dict[str, list[str]] = {USER.arn: [allow("lambda:Get*")]}
        self.reads = 0

    async def policies_of(self, principal_arn: str) -> list[str]:
        self.reads += 1
        return list(self.documents.get(principal_arn, []))


async def allowed(access: Access, caller: Caller, action: str, resource: str = FUNCTION, **kwargs: object) -> bool:
    try:
        await access.authorize(caller, action, resource, resource_account="111111111111", **kwargs)  # type: ignore[arg-type]
    except AccessDeniedException:
        return False
    return True


def test_a_kept_decision_lasts_only_as_long_as_the_policies_it_was_made_on() -> None:
    async def scenario() -> None:
        clock, policies = FakeClock(), Policies()
        access = Access(policies, clock=clock)
        assert await allowed(access, USER, "lambda:GetFunction")
        assert not await allowed(access, USER, "lambda:DeleteFunction")
        policies.documents[USER.arn] = [allow("lambda:*")]
        assert not await allowed(access, USER, "lambda:DeleteFunction")  # still the policies read before
        assert policies.reads == 1
        access.forget(USER.arn)  # an IAM change on this node
        assert await allowed(access, USER, "lambda:DeleteFunction")
        policies.documents[USER.arn] = []
        await clock.set(clock.time() + CACHE_TTL_S + 1)  # and on another node, within the TTL
        assert not await allowed(access, USER, "lambda:GetFunction")

    asyncio.run(scenario())


def test_a_decision_is_kept_per_resource_policy_and_context() -> None:
    async def scenario() -> None:
        access = Access(Policies(), clock=FakeClock())
        public = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "lambda:InvokeFunctionUrl",
                        "Resource": FUNCTION,
                        "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},
                    }
                ],
            }
        )
        url = "lambda:InvokeFunctionUrl"
        assert not await allowed(access, ANONYMOUS, url)
        assert await allowed(access, ANONYMOUS, url, resource_policy=public, context={"lambda:FunctionUrlAuthType": "NONE"})
        assert not await allowed(
            access, ANONYMOUS, url, resource_policy=public, context={"lambda:FunctionUrlAuthType": "AWS_IAM"}
        )
        assert not await allowed(access, ANONYMOUS, url)  # the decisions above do not leak into this one
        assert await allowed(access, ANONYMOUS, url, resource_policy=public, context={"lambda:FunctionUrlAuthType": ["NONE"]})

    asyncio.run(scenario())


def test_the_denial_keeps_iams_words() -> None:
    async def scenario() -> None:
        access = Access(Policies(), clock=FakeClock())
        for _ in range(2):  # evaluated, then kept
            with pytest.raises(AccessDeniedException) as denied:
                await access.authorize(USER, "lambda:DeleteFunction", FUNCTION, resource_account="111111111111")
            assert denied.value.message == (
                f"User: {USER.arn} is not authorized to perform: lambda:DeleteFunction on resource: {FUNCTION} "
                "because no identity-based policy allows the lambda:DeleteFunction action"
            )

    asyncio.run(scenario())
