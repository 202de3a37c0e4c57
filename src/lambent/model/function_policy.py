"""A function's resource-based policy: the statements AddPermission builds, as AWS builds them. Pure.

A policy belongs to one (function, qualifier): the unqualified function (key ``""``),
``$LATEST``, a version or an alias. Its statements are AWS's, in AWS's key order::

    {"Sid": ..., "Effect": "Allow", "Principal": ..., "Action": ..., "Resource": <function ARN,
     qualified when a Qualifier was given>, "Condition": {...}}

Principal: a 12-digit account -> ``{"AWS": "arn:aws:iam::ACCOUNT:root"}``; an IAM or STS ARN ->
``{"AWS": arn}``; ``*`` -> ``"*"``; a service (``….amazonaws.com``, Alexa's ``….amazon.com``) -> ``{"Service": ...}``.
Conditions: SourceAccount, PrincipalOrgID, FunctionUrlAuthType and EventSourceToken as
``StringEquals``, SourceArn as ``ArnLike``, InvokedViaFunctionUrl as ``Bool``. The policy
document is ``{"Version": "2012-10-17", "Id": "default", "Statement": [...]}`` and stays within
20480 characters (PolicyLengthExceededException). The statement-id refusals are shared with
layer version policies (``statement_exists``, ``statement_missing``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec

from lambent.errors import (
    InvalidParameterValueException,
    PolicyLengthExceededException,
    ResourceConflictException,
    ResourceNotFoundException,
)

#: AWS's limit on a function's policy, in characters of its JSON text.
POLICY_LIMIT = 20480

_ACCOUNT = re.compile(r"\d{12}")
_IAM_ARN = re.compile(r"arn:aws[a-zA-Z-]*:(iam|sts)::\d{12}:.+")
#: A service principal: ``s3.amazonaws.com`` and kin, and Alexa's ``alexa-appkit.amazon.com``.
_SERVICE = re.compile(r"[a-z0-9.-]+\.(amazonaws\.com(\.cn)?|amazon\.com)")


class AddPermissionInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The body of AddPermission (its Qualifier is a query parameter, where botocore puts it)."""

    statement_id: str = msgspec.field(name="StatementId")
    action: str = msgspec.field(name="Action")
    principal: str = msgspec.field(name="Principal")
    source_arn: str | None = msgspec.field(default=None, name="SourceArn")
    source_account: str | None = msgspec.field(default=None, name="SourceAccount")
    event_source_token: str | None = msgspec.field(default=None, name="EventSourceToken")
    revision_id: str | None = msgspec.field(default=None, name="RevisionId")
    principal_org_id: str | None = msgspec.field(default=None, name="PrincipalOrgID")
    function_url_auth_type: str | None = msgspec.field(default=None, name="FunctionUrlAuthType")
    invoked_via_function_url: bool | None = msgspec.field(default=None, name="InvokedViaFunctionUrl")


class FunctionPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """The policy of one (function, qualifier): its statements in the order they were added."""

    function_name: str
    qualifier: str  # "" for the unqualified function
    revision_id: str
    statements: tuple[dict[str, Any], ...] = ()

    def sids(self) -> list[str]:
        return [str(s["Sid"]) for s in self.statements]


def statement_exists(statement_id: str) -> ResourceConflictException:
    return ResourceConflictException(
        f"The statement id ({statement_id}) provided already exists. "
        "Please provide a new statement id, or remove the existing statement."
    )


def statement_missing(statement_id: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Statement {statement_id} is not found in resource policy.")


def principal_of(principal: str) -> str | dict[str, str]:
    """The statement's Principal for AddPermission's *principal*, as AWS writes it."""
    if principal == "*":
        return "*"
    if _ACCOUNT.fullmatch(principal):
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    if _IAM_ARN.fullmatch(principal):
        return {"AWS": principal}
    if _SERVICE.fullmatch(principal):
        return {"Service": principal}
    raise InvalidParameterValueException("The provided principal was invalid. Please check the principal and try again.")


def build_statement(request: AddPermissionInput, resource: str) -> dict[str, Any]:
    """The statement AddPermission adds for *request* on *resource* (a function ARN)."""
    statement: dict[str, Any] = {
        "Sid": request.statement_id,
        "Effect": "Allow",
        "Principal": principal_of(request.principal),
        "Action": request.action,
        "Resource": resource,
    }
    equals: dict[str, str] = {}
    if request.source_account is not None:
        equals["AWS:SourceAccount"] = request.source_account
    if request.principal_org_id is not None:
        equals["aws:PrincipalOrgID"] = request.principal_org_id
    if request.function_url_auth_type is not None:
        equals["lambda:FunctionUrlAuthType"] = request.function_url_auth_type
    if request.event_source_token is not None:
        equals["lambda:EventSourceToken"] = request.event_source_token
    condition: dict[str, dict[str, str]] = {}
    if equals:
        condition["StringEquals"] = equals
    if request.source_arn is not None:
        condition["ArnLike"] = {"AWS:SourceArn": request.source_arn}
    if request.invoked_via_function_url:
        condition["Bool"] = {"lambda:InvokedViaFunctionUrl": "true"}
    if condition:
        statement["Condition"] = condition
    return statement


def policy_text(statements: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> str:
    """The policy document's JSON text, as GetPolicy answers it."""
    return json.dumps({"Version": "2012-10-17", "Id": "default", "Statement": list(statements)}, separators=(",", ":"))


def check_policy_length(text: str) -> None:
    if len(text) > POLICY_LIMIT:
        raise PolicyLengthExceededException(f"The final policy size ({len(text)}) is bigger than the limit ({POLICY_LIMIT}).")
