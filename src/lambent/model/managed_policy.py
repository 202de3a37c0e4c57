"""Managed IAM policies (customer managed and AWS managed), and the check every policy document
gets before it is stored.

A managed policy is a standalone document with versions, one of them the default (what
authorization reads), attached to users and roles by ARN. Customer managed ones are
``arn:aws:iam::ACCT:policy{path}{name}``; AWS managed ones ``arn:aws:iam::aws:policy{path}{name}``
(their ``account_id`` is ``aws``). Names are unique within an account, whatever the path.

``check_document`` refuses what is not a policy of its kind in IAM's grammar
(``lambent.model.iam_policy.parse``: an identity policy names resources and no principal, a
trust policy a principal and no resource), in IAM's words. Pure: no I/O, no clock.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import msgspec

from lambent.errors import MalformedPolicyDocument
from lambent.model.iam_policy import Kind, MalformedPolicy, parse

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


def check_document(document: str, kind: Kind = "identity") -> dict[str, Any]:
    """The parsed *document*; ``MalformedPolicyDocument`` if it is not a policy of *kind*."""
    try:
        parse(document, kind=kind)
    except MalformedPolicy as refused:
        raise MalformedPolicyDocument(str(refused)) from None
    parsed: dict[str, Any] = json.loads(document)
    return parsed
