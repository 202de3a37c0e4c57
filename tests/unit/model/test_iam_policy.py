"""IAM policy evaluation, table-driven: the IAM User Guide's evaluation logic (same account, cross
account, explicit deny), Lambda's resource-based policy examples (services with SourceArn and
SourceAccount, other accounts, qualified ARNs), NotAction/NotResource/NotPrincipal, wildcards,
and AWS's AccessDeniedException wording, word for word.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambent.model.iam_policy import Caller, Decision, Reason, Request, denial_message, evaluate, parse
from lambent.model.identity import assumed_role_arn, role_arn, root_arn, user_arn
from tests.fixtures.iam_condition_cases import CASES as CONDITION_CASES

ACCT = "123456789012"
OTHER = "111122223333"
REGION = "us-east-1"
FN = f"arn:aws:lambda:{REGION}:{ACCT}:function:my-function"
FN_OTHER = f"arn:aws:lambda:{REGION}:{ACCT}:function:other"
LAYER_V1 = f"arn:aws:lambda:{REGION}:{ACCT}:layer:my-layer:1"
BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"
RULE = f"arn:aws:events:{REGION}:{ACCT}:rule/nightly"

ROOT = Caller(arn=root_arn(ACCT), account_id=ACCT)
BOB = Caller(arn=user_arn(ACCT, "bob"), account_id=ACCT)
ALICE = Caller(arn=user_arn(ACCT, "alice"), account_id=ACCT)
DEPLOYER = role_arn(ACCT, "deployer")
SESSION = Caller(arn=assumed_role_arn(ACCT, "deployer", "ci"), account_id=ACCT, role_arn=DEPLOYER)
CAROL = Caller(arn=user_arn(OTHER, "carol"), account_id=OTHER)  # in the other account
OTHER_ROOT = Caller(arn=root_arn(OTHER), account_id=OTHER)
OTHER_ROLE = role_arn(OTHER, "reader")
OTHER_SESSION = Caller(arn=assumed_role_arn(OTHER, "reader", "s"), account_id=OTHER, role_arn=OTHER_ROLE)
S3 = Caller(arn="s3.amazonaws.com", account_id=None)
SNS = Caller(arn="sns.amazonaws.com", account_id=None)
EVENTS = Caller(arn="events.amazonaws.com", account_id=None)

Stmt = dict[str, Any]


def allow(action: Any = "lambda:*", resource: Any = "*", **more: Any) -> Stmt:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def deny(action: Any = "lambda:*", resource: Any = "*", **more: Any) -> Stmt:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **more}


def grant(principal: Any, action: Any = "lambda:InvokeFunction", resource: Any = FN, effect: str = "Allow", **more: Any) -> Stmt:
    return {"Effect": effect, "Principal": principal, "Action": action, "Resource": resource, **more}


def aws(*names: str) -> dict[str, Any]:
    return {"AWS": list(names) if len(names) > 1 else names[0]}


def service(name: str) -> dict[str, str]:
    return {"Service": name}


def document(statements: list[Stmt], version: str = "2012-10-17") -> str:
    return json.dumps({"Version": version, "Statement": statements})


class Case:
    """One request, the policies in force, and the reason evaluate must give."""

    def __init__(
        self,
        name: str,
        caller: Caller,
        action: str,
        resource: str,
        expected: Reason,
        identity: list[list[Stmt]] | None = None,
        resource_policy: list[Stmt] | None = None,
        owner: str | None = ACCT,
        context: dict[str, Any] | None = None,
        version: str = "2012-10-17",
    ) -> None:
        self.name, self.expected = name, expected
        self.request = Request(caller=caller, action=action, resource=resource, resource_account=owner, context=context or {})
        self.identity = [parse(document(p, version), kind="identity") for p in identity or []]
        self.resource = parse(document(resource_policy), kind="resource") if resource_policy is not None else None

    def decide(self) -> Decision:
        return evaluate(self.request, identity=self.identity, resource=self.resource)


GET, INVOKE, LIST = "lambda:GetFunction", "lambda:InvokeFunction", "lambda:ListFunctions"

IDENTITY_ONLY = [
    Case("no policy at all", BOB, GET, FN, "no_identity_allow"),
    Case("an empty policy", BOB, GET, FN, "no_identity_allow", identity=[[]]),
    Case("exact action and resource", BOB, GET, FN, "allowed", identity=[[allow(GET, FN)]]),
    Case("lambda:*", BOB, GET, FN, "allowed", identity=[[allow("lambda:*", "*")]]),
    Case("* on *", BOB, GET, FN, "allowed", identity=[[allow("*", "*")]]),
    Case("prefix wildcard", BOB, GET, FN, "allowed", identity=[[allow("lambda:Get*", FN)]]),
    Case("action case ignored", BOB, GET, FN, "allowed", identity=[[allow("LAMBDA:getfunction", FN)]]),
    Case("action pattern ? one char", BOB, GET, FN, "allowed", identity=[[allow("lambda:GetFunctio?", FN)]]),
    Case("another action", BOB, "lambda:DeleteFunction", FN, "no_identity_allow", identity=[[allow(GET, FN)]]),
    Case(
        "longer action name is another",
        BOB,
        "lambda:GetFunctionConfiguration",
        FN,
        "no_identity_allow",
        identity=[[allow(GET, FN)]],
    ),
    Case("another service", BOB, GET, FN, "no_identity_allow", identity=[[allow("s3:*", "*")]]),
    Case("another function", BOB, GET, FN, "no_identity_allow", identity=[[allow(GET, FN_OTHER)]]),
    Case("resource case counts", BOB, GET, FN, "no_identity_allow", identity=[[allow(GET, FN.upper())]]),
    Case(
        "resource wildcard region",
        BOB,
        GET,
        FN,
        "allowed",
        identity=[[allow(GET, f"arn:aws:lambda:*:{ACCT}:function:my-function")]],
    ),
    Case(
        "resource wildcard name",
        BOB,
        GET,
        FN,
        "allowed",
        identity=[[allow(GET, f"arn:aws:lambda:{REGION}:{ACCT}:function:my-*")]],
    ),
    Case("resource ? wildcard", BOB, GET, FN, "allowed", identity=[[allow(GET, FN[:-1] + "?")]]),
    Case("resource ? is one char", BOB, GET, FN, "no_identity_allow", identity=[[allow(GET, FN + "?")]]),
    Case("another account's ARN", BOB, GET, FN, "no_identity_allow", identity=[[allow(GET, FN.replace(ACCT, OTHER))]]),
    Case("action list", BOB, GET, FN, "allowed", identity=[[allow(["lambda:ListFunctions", GET], FN)]]),
    Case("resource list", BOB, GET, FN, "allowed", identity=[[allow(GET, [FN_OTHER, FN])]]),
    Case("second statement", BOB, GET, FN, "allowed", identity=[[allow(LIST, "*"), allow(GET, FN)]]),
    Case("second policy", BOB, GET, FN, "allowed", identity=[[allow(LIST, "*")], [allow(GET, FN)]]),
    # Qualified ARNs (Lambda Developer Guide, "Referencing functions in the Resource section")
    Case("unqualified policy, unqualified call", BOB, INVOKE, FN, "allowed", identity=[[allow(INVOKE, FN)]]),
    Case("unqualified policy, version call", BOB, INVOKE, FN + ":1", "no_identity_allow", identity=[[allow(INVOKE, FN)]]),
    Case("unqualified policy, alias call", BOB, INVOKE, FN + ":prod", "no_identity_allow", identity=[[allow(INVOKE, FN)]]),
    Case("version policy, that version", BOB, INVOKE, FN + ":1", "allowed", identity=[[allow(INVOKE, FN + ":1")]]),
    Case("version policy, other version", BOB, INVOKE, FN + ":2", "no_identity_allow", identity=[[allow(INVOKE, FN + ":1")]]),
    Case("version policy, unqualified call", BOB, INVOKE, FN, "no_identity_allow", identity=[[allow(INVOKE, FN + ":1")]]),
    Case(":* policy, version call", BOB, INVOKE, FN + ":7", "allowed", identity=[[allow(INVOKE, FN + ":*")]]),
    Case(":* policy, $LATEST call", BOB, INVOKE, FN + ":$LATEST", "allowed", identity=[[allow(INVOKE, FN + ":*")]]),
    Case(":* policy, unqualified call", BOB, INVOKE, FN, "no_identity_allow", identity=[[allow(INVOKE, FN + ":*")]]),
    Case("name* policy, unqualified call", BOB, INVOKE, FN, "allowed", identity=[[allow(INVOKE, FN + "*")]]),
    Case("name* policy, alias call", BOB, INVOKE, FN + ":prod", "allowed", identity=[[allow(INVOKE, FN + "*")]]),
    Case("name* also covers a longer name", BOB, INVOKE, FN + "-two", "allowed", identity=[[allow(INVOKE, FN + "*")]]),
    # Actions on no resource must be allowed on "*"
    Case("list on *", BOB, LIST, "*", "allowed", identity=[[allow(LIST, "*")]]),
    Case("list with an ARN pattern", BOB, LIST, "*", "no_identity_allow", identity=[[allow(LIST, "arn:aws:lambda:*")]]),
    Case("list with a function ARN", BOB, LIST, "*", "no_identity_allow", identity=[[allow(LIST, FN)]]),
    # NotAction / NotResource in Allow
    Case(
        "NotAction other service",
        BOB,
        GET,
        FN,
        "allowed",
        identity=[[{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]],
    ),
    Case(
        "NotAction this service",
        BOB,
        GET,
        FN,
        "no_identity_allow",
        identity=[[{"Effect": "Allow", "NotAction": "lambda:*", "Resource": "*"}]],
    ),
    Case(
        "NotAction list",
        BOB,
        GET,
        FN,
        "no_identity_allow",
        identity=[[{"Effect": "Allow", "NotAction": ["iam:*", "lambda:Get*"], "Resource": "*"}]],
    ),
    Case(
        "NotResource elsewhere", BOB, GET, FN, "allowed", identity=[[{"Effect": "Allow", "Action": GET, "NotResource": FN_OTHER}]]
    ),
    Case(
        "NotResource this one",
        BOB,
        GET,
        FN,
        "no_identity_allow",
        identity=[[{"Effect": "Allow", "Action": GET, "NotResource": FN}]],
    ),
    Case(
        "NotResource pattern",
        BOB,
        GET,
        FN,
        "no_identity_allow",
        identity=[[{"Effect": "Allow", "Action": GET, "NotResource": "arn:aws:lambda:*"}]],
    ),
    Case(
        "NotAction and NotResource",
        BOB,
        GET,
        FN,
        "allowed",
        identity=[[{"Effect": "Allow", "NotAction": "iam:*", "NotResource": FN_OTHER}]],
    ),
    # Explicit deny wins
    Case("deny over allow, one policy", BOB, GET, FN, "explicit_deny_identity", identity=[[allow(), deny(GET, FN)]]),
    Case("deny over allow, two policies", BOB, GET, FN, "explicit_deny_identity", identity=[[allow()], [deny(GET, FN)]]),
    Case("deny alone", BOB, GET, FN, "explicit_deny_identity", identity=[[deny()]]),
    Case("deny elsewhere", BOB, GET, FN, "allowed", identity=[[allow(), deny(GET, FN_OTHER)]]),
    Case("deny another action", BOB, GET, FN, "allowed", identity=[[allow(), deny("lambda:Delete*")]]),
    Case("deny wildcard action", BOB, GET, FN, "explicit_deny_identity", identity=[[allow(), deny("lambda:Get*")]]),
    Case(
        "deny NotAction spares the listed",
        BOB,
        GET,
        FN,
        "allowed",
        identity=[[allow(), {"Effect": "Deny", "NotAction": "lambda:Get*", "Resource": "*"}]],
    ),
    Case(
        "deny NotAction hits the rest",
        BOB,
        "lambda:DeleteFunction",
        FN,
        "explicit_deny_identity",
        identity=[[allow(), {"Effect": "Deny", "NotAction": "lambda:Get*", "Resource": "*"}]],
    ),
    Case(
        "deny NotResource spares the listed",
        BOB,
        GET,
        FN,
        "allowed",
        identity=[[allow(), {"Effect": "Deny", "Action": "*", "NotResource": FN}]],
    ),
    Case(
        "deny NotResource hits the rest",
        BOB,
        GET,
        FN_OTHER,
        "explicit_deny_identity",
        identity=[[allow(), {"Effect": "Deny", "Action": "*", "NotResource": FN}]],
    ),
    Case(
        "deny whose condition fails",
        BOB,
        GET,
        FN,
        "allowed",
        identity=[[allow(), deny(Condition={"Bool": {"aws:SecureTransport": "false"}})]],
        context={"aws:SecureTransport": True},
    ),
    Case(
        "deny whose condition holds",
        BOB,
        GET,
        FN,
        "explicit_deny_identity",
        identity=[[allow(), deny(Condition={"Bool": {"aws:SecureTransport": "false"}})]],
        context={"aws:SecureTransport": False},
    ),
    Case(
        "deny if no MFA, none present",
        BOB,
        GET,
        FN,
        "explicit_deny_identity",
        identity=[[allow(), deny(Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})]],
    ),
    Case(
        "deny if no MFA, MFA present",
        BOB,
        GET,
        FN,
        "allowed",
        identity=[[allow(), deny(Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})]],
        context={"aws:MultiFactorAuthPresent": True},
    ),
    Case(
        "deny outside the network",
        BOB,
        GET,
        FN,
        "explicit_deny_identity",
        identity=[[allow(), deny("*", Condition={"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}})]],
        context={"aws:SourceIp": "203.0.113.1"},
    ),
    Case(
        "deny outside the network, inside",
        BOB,
        GET,
        FN,
        "allowed",
        identity=[[allow(), deny("*", Condition={"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}})]],
        context={"aws:SourceIp": "192.0.2.5"},
    ),
    Case(
        "allow whose condition fails",
        BOB,
        GET,
        FN,
        "no_identity_allow",
        identity=[[allow(Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})]],
        context={"aws:RequestedRegion": REGION},
    ),
    Case(
        "allow whose condition holds",
        BOB,
        GET,
        FN,
        "allowed",
        identity=[[allow(Condition={"StringEquals": {"aws:RequestedRegion": REGION}})]],
        context={"aws:RequestedRegion": REGION},
    ),
    Case(
        "allow on the caller's own account key",
        BOB,
        GET,
        FN,
        "allowed",
        identity=[[allow(Condition={"StringEquals": {"aws:PrincipalAccount": ACCT}})]],
    ),
    Case(
        "caller keys cannot be forged",
        BOB,
        GET,
        FN,
        "no_identity_allow",
        identity=[[allow(Condition={"StringEquals": {"aws:PrincipalAccount": OTHER}})]],
        context={"aws:PrincipalAccount": OTHER},
    ),
    Case(
        "aws:username filled in", BOB, GET, FN, "allowed", identity=[[allow(Condition={"StringEquals": {"aws:username": "bob"}})]]
    ),
    Case(
        "aws:PrincipalArn of a user",
        BOB,
        GET,
        FN,
        "allowed",
        identity=[[allow(Condition={"ArnEquals": {"aws:PrincipalArn": BOB.arn}})]],
    ),
    Case(
        "aws:PrincipalArn of a session is the role",
        SESSION,
        GET,
        FN,
        "allowed",
        identity=[[allow(Condition={"ArnLike": {"aws:PrincipalArn": DEPLOYER}})]],
    ),
    Case(
        "aws:PrincipalArn is not the session",
        SESSION,
        GET,
        FN,
        "no_identity_allow",
        identity=[[allow(Condition={"StringEquals": {"aws:PrincipalArn": SESSION.arn}})]],
    ),
    Case("session with role policy", SESSION, GET, FN, "allowed", identity=[[allow(GET, FN)]]),
    Case("session denied", SESSION, GET, FN, "explicit_deny_identity", identity=[[allow(), deny()]]),
    Case(
        "layer version",
        BOB,
        "lambda:GetLayerVersion",
        LAYER_V1,
        "allowed",
        identity=[[allow("lambda:GetLayerVersion", "arn:aws:lambda:*:*:layer:my-layer:*")]],
    ),
    Case(
        "layer, other version",
        BOB,
        "lambda:GetLayerVersion",
        LAYER_V1,
        "no_identity_allow",
        identity=[[allow("lambda:GetLayerVersion", LAYER_V1[:-1] + "2")]],
    ),
]

ROOT_CASES = [
    Case("root, own account, no policy", ROOT, GET, FN, "allowed"),
    Case("root, own account, list", ROOT, LIST, "*", "allowed"),
    Case("root, owner not stated", ROOT, GET, FN, "allowed", owner=None),
    Case("root, resource policy denies", ROOT, INVOKE, FN, "explicit_deny_resource", resource_policy=[grant("*", effect="Deny")]),
    Case(
        "root, resource policy denies its account",
        ROOT,
        INVOKE,
        FN,
        "explicit_deny_resource",
        resource_policy=[grant(aws(ACCT), effect="Deny")],
    ),
    Case(
        "root, resource policy denies someone else",
        ROOT,
        INVOKE,
        FN,
        "allowed",
        resource_policy=[grant(aws(BOB.arn), effect="Deny")],
    ),
    Case("other root, no resource policy", OTHER_ROOT, GET, FN, "no_resource_allow"),
    Case("other root, granted by account id", OTHER_ROOT, INVOKE, FN, "allowed", resource_policy=[grant(aws(OTHER))]),
    Case("other root, granted by root ARN", OTHER_ROOT, INVOKE, FN, "allowed", resource_policy=[grant(aws(root_arn(OTHER)))]),
    Case(
        "other root, grant to another account",
        OTHER_ROOT,
        INVOKE,
        FN,
        "no_resource_allow",
        resource_policy=[grant(aws("444455556666"))],
    ),
    Case("other root, grant of another action", OTHER_ROOT, GET, FN, "no_resource_allow", resource_policy=[grant(aws(OTHER))]),
    Case("other root, grant to everyone", OTHER_ROOT, INVOKE, FN, "allowed", resource_policy=[grant("*")]),
]

SAME_ACCOUNT_RESOURCE = [
    Case("resource names the user", BOB, INVOKE, FN, "allowed", resource_policy=[grant(aws(BOB.arn))]),
    Case("resource names the user among others", BOB, INVOKE, FN, "allowed", resource_policy=[grant(aws(ALICE.arn, BOB.arn))]),
    Case("resource names another user", BOB, INVOKE, FN, "no_identity_allow", resource_policy=[grant(aws(ALICE.arn))]),
    Case("resource names everyone", BOB, INVOKE, FN, "allowed", resource_policy=[grant("*")]),
    Case("resource names AWS *", BOB, INVOKE, FN, "allowed", resource_policy=[grant(aws("*"))]),
    Case("resource names the account: delegates", BOB, INVOKE, FN, "no_identity_allow", resource_policy=[grant(aws(ACCT))]),
    Case(
        "resource names account root: delegates",
        BOB,
        INVOKE,
        FN,
        "no_identity_allow",
        resource_policy=[grant(aws(root_arn(ACCT)))],
    ),
    Case(
        "account grant plus identity allow",
        BOB,
        INVOKE,
        FN,
        "allowed",
        identity=[[allow(INVOKE, FN)]],
        resource_policy=[grant(aws(ACCT))],
    ),
    Case(
        "identity allow, unrelated resource policy",
        BOB,
        INVOKE,
        FN,
        "allowed",
        identity=[[allow(INVOKE, FN)]],
        resource_policy=[grant(service("s3.amazonaws.com"))],
    ),
    Case("resource names the role", SESSION, INVOKE, FN, "allowed", resource_policy=[grant(aws(DEPLOYER))]),
    Case("resource names the session", SESSION, INVOKE, FN, "allowed", resource_policy=[grant(aws(SESSION.arn))]),
    Case(
        "resource names another session",
        SESSION,
        INVOKE,
        FN,
        "no_identity_allow",
        resource_policy=[grant(aws(assumed_role_arn(ACCT, "deployer", "other")))],
    ),
    Case(
        "resource names another role",
        SESSION,
        INVOKE,
        FN,
        "no_identity_allow",
        resource_policy=[grant(aws(role_arn(ACCT, "admin")))],
    ),
    Case("resource grant of another action", BOB, GET, FN, "no_identity_allow", resource_policy=[grant(aws(BOB.arn))]),
    Case(
        "resource grant on the function, call on a version",
        BOB,
        INVOKE,
        FN + ":1",
        "no_identity_allow",
        resource_policy=[grant(aws(BOB.arn))],
    ),
    Case(
        "resource grant on the alias",
        BOB,
        INVOKE,
        FN + ":prod",
        "allowed",
        resource_policy=[grant(aws(BOB.arn), resource=FN + ":prod")],
    ),
    Case(
        "resource grant with NotResource",
        BOB,
        INVOKE,
        FN,
        "allowed",
        resource_policy=[{"Effect": "Allow", "Principal": aws(BOB.arn), "Action": INVOKE, "NotResource": FN_OTHER}],
    ),
    Case(
        "resource grant with NotAction",
        BOB,
        GET,
        FN,
        "allowed",
        resource_policy=[{"Effect": "Allow", "Principal": aws(BOB.arn), "NotAction": INVOKE, "Resource": FN}],
    ),
    Case(
        "resource grant of lambda:*",
        BOB,
        "lambda:DeleteFunction",
        FN,
        "allowed",
        resource_policy=[grant(aws(BOB.arn), action="lambda:*")],
    ),
    Case(
        "resource grant with a failing condition",
        BOB,
        INVOKE,
        FN,
        "no_identity_allow",
        resource_policy=[grant(aws(BOB.arn), Condition={"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}})],
    ),
    Case(
        "resource grant with a holding condition",
        BOB,
        INVOKE,
        FN,
        "allowed",
        resource_policy=[grant(aws(BOB.arn), Condition={"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}})],
        context={"lambda:FunctionUrlAuthType": "AWS_IAM"},
    ),
    Case(
        "NotPrincipal allow, not excluded",
        BOB,
        INVOKE,
        FN,
        "allowed",
        resource_policy=[{"Effect": "Allow", "NotPrincipal": aws(ALICE.arn), "Action": INVOKE, "Resource": FN}],
    ),
    Case(
        "NotPrincipal allow, excluded with account",
        BOB,
        INVOKE,
        FN,
        "no_identity_allow",
        resource_policy=[{"Effect": "Allow", "NotPrincipal": aws(BOB.arn, root_arn(ACCT)), "Action": INVOKE, "Resource": FN}],
    ),
    # Denies in the resource policy
    Case(
        "resource denies the user",
        BOB,
        INVOKE,
        FN,
        "explicit_deny_resource",
        identity=[[allow()]],
        resource_policy=[grant(aws(BOB.arn), effect="Deny")],
    ),
    Case(
        "resource denies the account",
        BOB,
        INVOKE,
        FN,
        "explicit_deny_resource",
        identity=[[allow()]],
        resource_policy=[grant(aws(ACCT), effect="Deny")],
    ),
    Case(
        "resource denies everyone",
        BOB,
        INVOKE,
        FN,
        "explicit_deny_resource",
        identity=[[allow()]],
        resource_policy=[grant("*", effect="Deny")],
    ),
    Case(
        "resource denies the role's sessions",
        SESSION,
        INVOKE,
        FN,
        "explicit_deny_resource",
        identity=[[allow()]],
        resource_policy=[grant(aws(DEPLOYER), effect="Deny")],
    ),
    Case(
        "resource denies another user",
        BOB,
        INVOKE,
        FN,
        "allowed",
        identity=[[allow()]],
        resource_policy=[grant(aws(ALICE.arn), effect="Deny")],
    ),
    Case(
        "resource denies another action",
        BOB,
        INVOKE,
        FN,
        "allowed",
        identity=[[allow()]],
        resource_policy=[grant("*", effect="Deny", action="lambda:DeleteFunction")],
    ),
    Case(
        "resource deny beats resource allow",
        BOB,
        INVOKE,
        FN,
        "explicit_deny_resource",
        resource_policy=[grant(aws(BOB.arn)), grant("*", effect="Deny")],
    ),
    Case(
        "identity deny beats resource allow",
        BOB,
        INVOKE,
        FN,
        "explicit_deny_identity",
        identity=[[deny(INVOKE)]],
        resource_policy=[grant(aws(BOB.arn))],
    ),
    Case(
        "both deny: identity reported",
        BOB,
        INVOKE,
        FN,
        "explicit_deny_identity",
        identity=[[deny()]],
        resource_policy=[grant("*", effect="Deny")],
    ),
    Case(
        "NotPrincipal deny, user only listed",
        BOB,
        INVOKE,
        FN,
        "explicit_deny_resource",
        identity=[[allow()]],
        resource_policy=[{"Effect": "Deny", "NotPrincipal": aws(BOB.arn), "Action": "*", "Resource": "*"}],
    ),
    Case(
        "NotPrincipal deny, user and account listed",
        BOB,
        INVOKE,
        FN,
        "allowed",
        identity=[[allow()]],
        resource_policy=[{"Effect": "Deny", "NotPrincipal": aws(BOB.arn, ACCT), "Action": "*", "Resource": "*"}],
    ),
    Case(
        "NotPrincipal deny, someone else listed",
        BOB,
        INVOKE,
        FN,
        "explicit_deny_resource",
        identity=[[allow()]],
        resource_policy=[{"Effect": "Deny", "NotPrincipal": aws(ALICE.arn, ACCT), "Action": "*", "Resource": "*"}],
    ),
    Case(
        "NotPrincipal deny, role session and account listed",
        SESSION,
        INVOKE,
        FN,
        "allowed",
        identity=[[allow()]],
        resource_policy=[{"Effect": "Deny", "NotPrincipal": aws(DEPLOYER, SESSION.arn, ACCT), "Action": "*", "Resource": "*"}],
    ),
    Case(
        "NotPrincipal deny, session not listed",
        SESSION,
        INVOKE,
        FN,
        "explicit_deny_resource",
        identity=[[allow()]],
        resource_policy=[{"Effect": "Deny", "NotPrincipal": aws(DEPLOYER, ACCT), "Action": "*", "Resource": "*"}],
    ),
    Case(
        "NotPrincipal deny of *",
        BOB,
        INVOKE,
        FN,
        "allowed",
        identity=[[allow()]],
        resource_policy=[{"Effect": "Deny", "NotPrincipal": "*", "Action": "*", "Resource": "*"}],
    ),
    Case(
        "NotPrincipal deny, root listed",
        ROOT,
        INVOKE,
        FN,
        "allowed",
        resource_policy=[{"Effect": "Deny", "NotPrincipal": aws(ACCT), "Action": "*", "Resource": "*"}],
    ),
    Case(
        "resource deny when not over TLS",
        BOB,
        INVOKE,
        FN,
        "explicit_deny_resource",
        resource_policy=[grant(aws(BOB.arn)), grant("*", effect="Deny", Condition={"Bool": {"aws:SecureTransport": "false"}})],
        context={"aws:SecureTransport": False},
    ),
    Case(
        "resource deny when not over TLS, over TLS",
        BOB,
        INVOKE,
        FN,
        "allowed",
        resource_policy=[grant(aws(BOB.arn)), grant("*", effect="Deny", Condition={"Bool": {"aws:SecureTransport": "false"}})],
        context={"aws:SecureTransport": True},
    ),
    Case("resource owner explicit", BOB, INVOKE, FN, "allowed", resource_policy=[grant(aws(BOB.arn))], owner=ACCT),
    Case("resource owner unstated", BOB, INVOKE, FN, "allowed", resource_policy=[grant(aws(BOB.arn))], owner=None),
]

CROSS_ACCOUNT = [
    Case("no policies", CAROL, INVOKE, FN, "no_identity_allow"),
    Case("identity allow only", CAROL, INVOKE, FN, "no_resource_allow", identity=[[allow(INVOKE, FN)]]),
    Case(
        "identity allow, empty resource policy",
        CAROL,
        INVOKE,
        FN,
        "no_resource_allow",
        identity=[[allow(INVOKE, FN)]],
        resource_policy=[],
    ),
    Case("resource grant to the user only", CAROL, INVOKE, FN, "no_identity_allow", resource_policy=[grant(aws(CAROL.arn))]),
    Case("both, by user", CAROL, INVOKE, FN, "allowed", identity=[[allow(INVOKE, FN)]], resource_policy=[grant(aws(CAROL.arn))]),
    Case(
        "both, by account id", CAROL, INVOKE, FN, "allowed", identity=[[allow(INVOKE, FN)]], resource_policy=[grant(aws(OTHER))]
    ),
    Case(
        "both, by account root",
        CAROL,
        INVOKE,
        FN,
        "allowed",
        identity=[[allow(INVOKE, FN)]],
        resource_policy=[grant(aws(root_arn(OTHER)))],
    ),
    Case("both, by everyone", CAROL, INVOKE, FN, "allowed", identity=[[allow("*", "*")]], resource_policy=[grant("*")]),
    Case("everyone without identity", CAROL, INVOKE, FN, "no_identity_allow", resource_policy=[grant("*")]),
    Case(
        "grant to the owner's account",
        CAROL,
        INVOKE,
        FN,
        "no_resource_allow",
        identity=[[allow()]],
        resource_policy=[grant(aws(ACCT))],
    ),
    Case(
        "grant to another user",
        CAROL,
        INVOKE,
        FN,
        "no_resource_allow",
        identity=[[allow()]],
        resource_policy=[grant(aws(user_arn(OTHER, "dave")))],
    ),
    Case(
        "grant of another action", CAROL, GET, FN, "no_resource_allow", identity=[[allow()]], resource_policy=[grant(aws(OTHER))]
    ),
    Case(
        "identity allows elsewhere only",
        CAROL,
        INVOKE,
        FN,
        "no_identity_allow",
        identity=[[allow(INVOKE, FN_OTHER)]],
        resource_policy=[grant(aws(OTHER))],
    ),
    Case(
        "grant to the role, session calls",
        OTHER_SESSION,
        INVOKE,
        FN,
        "allowed",
        identity=[[allow()]],
        resource_policy=[grant(aws(OTHER_ROLE))],
    ),
    Case(
        "grant to the role, no identity allow",
        OTHER_SESSION,
        INVOKE,
        FN,
        "no_identity_allow",
        resource_policy=[grant(aws(OTHER_ROLE))],
    ),
    Case(
        "grant to the account, session calls",
        OTHER_SESSION,
        INVOKE,
        FN,
        "allowed",
        identity=[[allow()]],
        resource_policy=[grant(aws(OTHER))],
    ),
    Case(
        "grant with PrincipalAccount condition",
        CAROL,
        INVOKE,
        FN,
        "allowed",
        identity=[[allow()]],
        resource_policy=[grant("*", Condition={"StringEquals": {"aws:PrincipalAccount": OTHER}})],
    ),
    Case(
        "grant with another PrincipalAccount",
        CAROL,
        INVOKE,
        FN,
        "no_resource_allow",
        identity=[[allow()]],
        resource_policy=[grant("*", Condition={"StringEquals": {"aws:PrincipalAccount": "444455556666"}})],
    ),
    Case(
        "grant with PrincipalOrgID, in the org",
        CAROL,
        "lambda:GetLayerVersion",
        LAYER_V1,
        "allowed",
        identity=[[allow()]],
        resource_policy=[
            grant(
                "*",
                action="lambda:GetLayerVersion",
                resource=LAYER_V1,
                Condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
            )
        ],
        context={"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
    ),
    Case(
        "grant with PrincipalOrgID, no org",
        CAROL,
        "lambda:GetLayerVersion",
        LAYER_V1,
        "no_resource_allow",
        identity=[[allow()]],
        resource_policy=[
            grant(
                "*",
                action="lambda:GetLayerVersion",
                resource=LAYER_V1,
                Condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
            )
        ],
    ),
    Case(
        "public layer version",
        CAROL,
        "lambda:GetLayerVersion",
        LAYER_V1,
        "allowed",
        identity=[[allow()]],
        resource_policy=[grant("*", action="lambda:GetLayerVersion", resource=LAYER_V1)],
    ),
    Case(
        "public layer grants no listing",
        CAROL,
        "lambda:ListLayerVersions",
        LAYER_V1[:-2],
        "no_resource_allow",
        identity=[[allow()]],
        resource_policy=[grant("*", action="lambda:GetLayerVersion", resource=LAYER_V1)],
    ),
    Case(
        "identity deny beats both allows",
        CAROL,
        INVOKE,
        FN,
        "explicit_deny_identity",
        identity=[[allow(), deny(INVOKE)]],
        resource_policy=[grant(aws(OTHER))],
    ),
    Case(
        "resource deny beats both allows",
        CAROL,
        INVOKE,
        FN,
        "explicit_deny_resource",
        identity=[[allow()]],
        resource_policy=[grant(aws(OTHER)), grant(aws(CAROL.arn), effect="Deny")],
    ),
    Case(
        "resource deny of the other account",
        CAROL,
        INVOKE,
        FN,
        "explicit_deny_resource",
        identity=[[allow()]],
        resource_policy=[grant("*"), grant(aws(OTHER), effect="Deny")],
    ),
    Case(
        "resource deny without identity allow",
        CAROL,
        INVOKE,
        FN,
        "explicit_deny_resource",
        resource_policy=[grant("*", effect="Deny")],
    ),
    Case(
        "qualified grant, qualified call",
        CAROL,
        INVOKE,
        FN + ":prod",
        "allowed",
        identity=[[allow()]],
        resource_policy=[grant(aws(OTHER), resource=FN + ":prod")],
    ),
    Case(
        "qualified grant, unqualified call",
        CAROL,
        INVOKE,
        FN,
        "no_resource_allow",
        identity=[[allow()]],
        resource_policy=[grant(aws(OTHER), resource=FN + ":prod")],
    ),
    Case(
        "caller's account as the owner is same-account",
        CAROL,
        INVOKE,
        FN.replace(ACCT, OTHER),
        "allowed",
        identity=[[allow()]],
        owner=OTHER,
    ),
]

SERVICES = [
    Case("service granted", S3, INVOKE, FN, "allowed", resource_policy=[grant(service("s3.amazonaws.com"))]),
    Case(
        "service granted in a list",
        S3,
        INVOKE,
        FN,
        "allowed",
        resource_policy=[grant({"Service": ["sns.amazonaws.com", "s3.amazonaws.com"]})],
    ),
    Case("service, no resource policy", S3, INVOKE, FN, "no_resource_allow"),
    Case(
        "service, another service granted",
        S3,
        INVOKE,
        FN,
        "no_resource_allow",
        resource_policy=[grant(service("sns.amazonaws.com"))],
    ),
    Case("service, identity policies ignored", S3, INVOKE, FN, "no_resource_allow", identity=[[allow("*", "*")]]),
    Case("service, an account grant is not it", S3, INVOKE, FN, "no_resource_allow", resource_policy=[grant(aws(ACCT))]),
    Case("service, everyone", S3, INVOKE, FN, "allowed", resource_policy=[grant("*")]),
    Case("service, another action", S3, GET, FN, "no_resource_allow", resource_policy=[grant(service("s3.amazonaws.com"))]),
    Case(
        "service denied",
        S3,
        INVOKE,
        FN,
        "explicit_deny_resource",
        resource_policy=[grant("*"), grant(service("s3.amazonaws.com"), effect="Deny")],
    ),
    Case(
        "service, NotPrincipal deny of others",
        S3,
        INVOKE,
        FN,
        "allowed",
        resource_policy=[
            grant("*"),
            {"Effect": "Deny", "NotPrincipal": service("s3.amazonaws.com"), "Action": "*", "Resource": "*"},
        ],
    ),
    Case(
        "service, NotPrincipal deny hits it",
        SNS,
        INVOKE,
        FN,
        "explicit_deny_resource",
        resource_policy=[
            grant("*"),
            {"Effect": "Deny", "NotPrincipal": service("s3.amazonaws.com"), "Action": "*", "Resource": "*"},
        ],
    ),
]

# AWS's examples for S3 and EventBridge invoking a function: SourceArn and SourceAccount conditions.
S3_GRANT = grant(
    service("s3.amazonaws.com"),
    Sid="s3invoke",
    Condition={"StringEquals": {"AWS:SourceAccount": ACCT}, "ArnLike": {"AWS:SourceArn": BUCKET}},
)
RULE_GRANT = grant(service("events.amazonaws.com"), Sid="rule", Condition={"ArnLike": {"AWS:SourceArn": RULE}})
SOURCES = [
    Case(
        "s3, right bucket and account",
        S3,
        INVOKE,
        FN,
        "allowed",
        resource_policy=[S3_GRANT],
        context={"aws:SourceArn": BUCKET, "aws:SourceAccount": ACCT},
    ),
    Case(
        "s3, another bucket",
        S3,
        INVOKE,
        FN,
        "no_resource_allow",
        resource_policy=[S3_GRANT],
        context={"aws:SourceArn": "arn:aws:s3:::other", "aws:SourceAccount": ACCT},
    ),
    Case(
        "s3, another account",
        S3,
        INVOKE,
        FN,
        "no_resource_allow",
        resource_policy=[S3_GRANT],
        context={"aws:SourceArn": BUCKET, "aws:SourceAccount": OTHER},
    ),
    Case(
        "s3, no source account",
        S3,
        INVOKE,
        FN,
        "no_resource_allow",
        resource_policy=[S3_GRANT],
        context={"aws:SourceArn": BUCKET},
    ),
    Case("s3, no source at all", S3, INVOKE, FN, "no_resource_allow", resource_policy=[S3_GRANT]),
    Case("rule, that rule", EVENTS, INVOKE, FN, "allowed", resource_policy=[RULE_GRANT], context={"aws:SourceArn": RULE}),
    Case(
        "rule, another rule",
        EVENTS,
        INVOKE,
        FN,
        "no_resource_allow",
        resource_policy=[RULE_GRANT],
        context={"aws:SourceArn": RULE + "2"},
    ),
    Case(
        "rule, grant to s3 only",
        EVENTS,
        INVOKE,
        FN,
        "no_resource_allow",
        resource_policy=[S3_GRANT],
        context={"aws:SourceArn": RULE},
    ),
    Case(
        "rule, wildcard rule grant",
        EVENTS,
        INVOKE,
        FN,
        "allowed",
        resource_policy=[
            grant(service("events.amazonaws.com"), Condition={"ArnLike": {"AWS:SourceArn": f"arn:aws:events:*:{ACCT}:rule/*"}})
        ],
        context={"aws:SourceArn": RULE},
    ),
    Case(
        "sns, topic in another account",
        SNS,
        INVOKE,
        FN,
        "no_resource_allow",
        resource_policy=[
            grant(service("sns.amazonaws.com"), Condition={"ArnLike": {"AWS:SourceArn": f"arn:aws:sns:{REGION}:{ACCT}:*"}})
        ],
        context={"aws:SourceArn": f"arn:aws:sns:{REGION}:{OTHER}:t"},
    ),
    Case(
        "sns, topic here",
        SNS,
        INVOKE,
        FN,
        "allowed",
        resource_policy=[
            grant(service("sns.amazonaws.com"), Condition={"ArnLike": {"AWS:SourceArn": f"arn:aws:sns:{REGION}:{ACCT}:*"}})
        ],
        context={"aws:SourceArn": f"arn:aws:sns:{REGION}:{ACCT}:t"},
    ),
    Case(
        "service key filled in",
        S3,
        INVOKE,
        FN,
        "allowed",
        resource_policy=[grant("*", Condition={"Bool": {"aws:PrincipalIsAWSService": "true"}})],
    ),
    Case(
        "service name filled in",
        S3,
        INVOKE,
        FN,
        "allowed",
        resource_policy=[grant("*", Condition={"StringEquals": {"aws:PrincipalServiceName": "s3.amazonaws.com"}})],
    ),
    Case(
        "a user is not a service",
        BOB,
        INVOKE,
        FN,
        "no_identity_allow",
        resource_policy=[grant("*", Condition={"Bool": {"aws:PrincipalIsAWSService": "true"}})],
    ),
]

# Policy variables (IAM User Guide, "IAM policy elements: Variables and tags"): 2012-10-17 only.
OWN = f"arn:aws:lambda:{REGION}:{ACCT}:function:${{aws:username}}-*"
BOBS = f"arn:aws:lambda:{REGION}:{ACCT}:function:bob-tools"
ALICES = f"arn:aws:lambda:{REGION}:{ACCT}:function:alice-tools"
TEAM = f"arn:aws:lambda:{REGION}:{ACCT}:function:${{aws:PrincipalTag/team, 'shared'}}-*"
OWNER_TAG = {"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}}
VARIABLES = [
    Case("own functions, own", BOB, GET, BOBS, "allowed", identity=[[allow(GET, OWN)]]),
    Case("own functions, another's", BOB, GET, ALICES, "no_identity_allow", identity=[[allow(GET, OWN)]]),
    Case("own functions, the other user", ALICE, GET, ALICES, "allowed", identity=[[allow(GET, OWN)]]),
    Case(
        "own functions, 2008 reads text", BOB, GET, BOBS, "no_identity_allow", identity=[[allow(GET, OWN)]], version="2008-10-17"
    ),
    Case("own functions, a session has no username", SESSION, GET, BOBS, "no_identity_allow", identity=[[allow(GET, OWN)]]),
    Case("deny of own functions", BOB, GET, BOBS, "explicit_deny_identity", identity=[[allow(), deny(GET, OWN)]]),
    Case(
        "team functions by tag",
        BOB,
        GET,
        f"arn:aws:lambda:{REGION}:{ACCT}:function:blue-api",
        "allowed",
        identity=[[allow(GET, TEAM)]],
        context={"aws:PrincipalTag/team": "blue"},
    ),
    Case(
        "team functions, the default",
        BOB,
        GET,
        f"arn:aws:lambda:{REGION}:{ACCT}:function:shared-api",
        "allowed",
        identity=[[allow(GET, TEAM)]],
    ),
    Case(
        "team functions, another team",
        BOB,
        GET,
        f"arn:aws:lambda:{REGION}:{ACCT}:function:red-api",
        "no_identity_allow",
        identity=[[allow(GET, TEAM)]],
        context={"aws:PrincipalTag/team": "blue"},
    ),
    Case(
        "owner tag is the user",
        BOB,
        GET,
        FN,
        "allowed",
        identity=[[allow(GET, FN, Condition=OWNER_TAG)]],
        context={"aws:ResourceTag/owner": "bob"},
    ),
    Case(
        "owner tag is another user",
        BOB,
        GET,
        FN,
        "no_identity_allow",
        identity=[[allow(GET, FN, Condition=OWNER_TAG)]],
        context={"aws:ResourceTag/owner": "alice"},
    ),
    Case(
        "owner tag, no username",
        SESSION,
        GET,
        FN,
        "no_identity_allow",
        identity=[[allow(GET, FN, Condition=OWNER_TAG)]],
        context={"aws:ResourceTag/owner": "bob"},
    ),
    Case(
        "account variable in a resource grant",
        CAROL,
        INVOKE,
        FN,
        "allowed",
        identity=[[allow()]],
        resource_policy=[grant(aws(OTHER), Condition={"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}})],
        context={"aws:SourceAccount": OTHER},
    ),
]

ALL = VARIABLES + IDENTITY_ONLY + ROOT_CASES + SAME_ACCOUNT_RESOURCE + CROSS_ACCOUNT + SERVICES + SOURCES


def test_the_tables_hold_over_200_evaluations() -> None:
    assert len(ALL) + len(CONDITION_CASES) + len(MESSAGES) >= 300


@pytest.mark.parametrize("case", ALL, ids=[c.name for c in ALL])
def test_evaluate(case: Case) -> None:
    decision = case.decide()
    assert decision.reason == case.expected
    assert decision.allowed is (case.expected == "allowed")


def test_names_are_unique() -> None:
    names = [c.name for c in ALL]
    assert len(names) == len(set(names))


# The AccessDeniedException messages, word for word (IAM User Guide, "Access denied error message examples").
MESSAGES = [
    (
        Case("m1", BOB, GET, FN, "no_identity_allow"),
        "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: lambda:GetFunction on resource: "
        "arn:aws:lambda:us-east-1:123456789012:function:my-function because no identity-based policy allows the "
        "lambda:GetFunction action",
    ),
    (
        Case("m2", BOB, GET, FN, "explicit_deny_identity", identity=[[deny()]]),
        "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: lambda:GetFunction on resource: "
        "arn:aws:lambda:us-east-1:123456789012:function:my-function with an explicit deny in an identity-based policy",
    ),
    (
        Case("m3", BOB, INVOKE, FN, "explicit_deny_resource", identity=[[allow()]], resource_policy=[grant("*", effect="Deny")]),
        "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: lambda:InvokeFunction on resource: "
        "arn:aws:lambda:us-east-1:123456789012:function:my-function with an explicit deny in a resource-based policy",
    ),
    (
        Case("m4", CAROL, INVOKE, FN, "no_resource_allow", identity=[[allow()]]),
        "User: arn:aws:iam::111122223333:user/carol is not authorized to perform: lambda:InvokeFunction on resource: "
        "arn:aws:lambda:us-east-1:123456789012:function:my-function because no resource-based policy allows the "
        "lambda:InvokeFunction action",
    ),
    (
        Case("m5", SESSION, LIST, "*", "no_identity_allow"),
        "User: arn:aws:sts::123456789012:assumed-role/deployer/ci is not authorized to perform: lambda:ListFunctions "
        "on resource: * because no identity-based policy allows the lambda:ListFunctions action",
    ),
    (
        Case("m6", OTHER_ROOT, "lambda:ListLayerVersions", LAYER_V1[:-2], "no_resource_allow"),
        "User: arn:aws:iam::111122223333:root is not authorized to perform: lambda:ListLayerVersions on resource: "
        "arn:aws:lambda:us-east-1:123456789012:layer:my-layer because no resource-based policy allows the "
        "lambda:ListLayerVersions action",
    ),
]


@pytest.mark.parametrize(("case", "message"), MESSAGES, ids=[c.name for c, _ in MESSAGES])
def test_denial_message(case: Case, message: str) -> None:
    decision = case.decide()
    assert decision.reason == case.expected
    assert denial_message(case.request, decision) == message


def test_no_denial_message_for_an_allow() -> None:
    case = Case("ok", ROOT, GET, FN, "allowed")
    with pytest.raises(ValueError, match="allowed"):
        denial_message(case.request, case.decide())
