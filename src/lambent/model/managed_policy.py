"""Managed IAM policies (customer managed and AWS managed), and the check every policy document
gets before it is stored.

A managed policy is a standalone document with versions, one of them the default (what
authorization reads), attached to users and roles by ARN. Customer managed ones are
``arn:aws:iam::ACCT:policy{path}{name}``; AWS managed ones ``arn:aws:iam::aws:policy{path}{name}``
(their ``account_id`` is ``aws``). Names are unique within an account, whatever the path.

``check_document`` refuses what is not a policy in IAM's grammar at its coarsest: JSON, an object,
a ``Statement`` (one object or a list of them) each with an ``Effect`` of Allow or Deny. The full
grammar (and evaluation) is ``lambent.model.iam_policy``'s, being written on the ``policy``
branch: TODO(integrator): call its ``parse`` here once merged. Pure: no I/O, no clock.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import msgspec

from lambent.errors import MalformedPolicyDocument

AWS_ACCOUNT = "aws"
#: AWS's limit of versions a managed policy keeps (CreatePolicyVersion refuses a sixth).
MAX_POLICY_VERSIONS = 5


class PolicyVersion(msgspec.Struct, frozen=True, kw_only=True):
    version_id: str  # v1, v2, ...
    #: The document as given (JSON text).
    document: str
    created: str


class ManagedPolicy(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    name: str
    policy_id: str  # ANPA + 17
    path: str
    created: str
    updated: str
    default_version: str
    versions: tuple[PolicyVersion, ...]
    description: str | None = None
    tags: dict[str, str] = msgspec.field(default_factory=dict)

    @property
    def arn(self) -> str:
        return policy_arn(self.account_id, self.name, self.path)

    def version(self, version_id: str) -> PolicyVersion | None:
        return next((v for v in self.versions if v.version_id == version_id), None)

    @property
    def document(self) -> str:
        """The default version's document."""
        found = self.version(self.default_version)
        assert found is not None
        return found.document


def policy_arn(account_id: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:policy{path}{name}"


def encoded(document: str) -> str:
    """A document as IAM returns it (GetRole's AssumeRolePolicyDocument, GetPolicyVersion's
    Document, Get*Policy's PolicyDocument): URL-encoded (RFC 3986)."""
    return urllib.parse.quote(document, safe="-_.~")


def check_document(document: str) -> dict[str, Any]:
    """The parsed *document*; ``MalformedPolicyDocument`` if it is not a policy."""
    try:
        parsed = json.loads(document)
    except ValueError:
        raise MalformedPolicyDocument("This policy contains invalid Json") from None
    if not isinstance(parsed, dict):
        raise MalformedPolicyDocument("This policy contains invalid Json")
    statements = parsed.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise MalformedPolicyDocument("Syntax errors in policy.")
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
            raise MalformedPolicyDocument("Syntax errors in policy.")
    return parsed


def statements(document: str) -> list[dict[str, Any]]:
    """The statements of a stored (so well-formed) document, as a list."""
    found = json.loads(document).get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)
