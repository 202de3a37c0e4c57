"""Who calls: accounts, IAM users and roles, their access keys, and the credentials a request is
signed with.

An access key belongs to one principal of one account: the account's root, an IAM user, or a
role session (temporary keys from AssumeRole or an environment's execution role). Its secret is
kept sealed in the store (``AccessKey.sealed_secret``); the open ``Credential`` exists only in
memory, where the signature verifier needs it. Key ids have AWS's forms: ``AKIA`` + 16 for
long-term keys, ``ASIA`` + 16 for temporary ones, from AWS's 32-letter alphabet.
"""

from __future__ import annotations

import re

import msgspec

#: The letters AWS draws access key ids from (base32: A-Z, 2-7).
KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
LONG_TERM_PREFIX = "AKIA"
TEMPORARY_PREFIX = "ASIA"
KEY_ID_LENGTH = 20
SECRET_LENGTH = 40
ACCOUNT_ID = re.compile(r"\d{12}")
#: The user ``lambent serve`` creates in the default account on its first start.
ADMIN_USER = "admin"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
#: The service principal Lambda assumes execution roles as, and the trust policy every execution
#: role has (the one AWS's guides give for ``aws iam create-role``).
LAMBDA_SERVICE = "lambda.amazonaws.com"
LAMBDA_TRUST_POLICY = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},'
    ' "Action": "sts:AssumeRole"}]}'
)


class Credential(msgspec.Struct, frozen=True, kw_only=True):
    """An open access key: what the SigV4 verifier signs with."""

    access_key_id: str
    secret_access_key: str
    account_id: str
    #: ``arn:aws:iam::ACCT:root`` | ``arn:aws:iam::ACCT:user/NAME`` | ``arn:aws:sts::ACCT:assumed-role/ROLE/SESSION``
    principal_arn: str
    session_token: str | None = None
    #: Epoch seconds (temporary credentials only).
    expires_at: float | None = None


class AccessKey(msgspec.Struct, frozen=True, kw_only=True):
    """A long-term access key as stored, its secret sealed. (Temporary keys are not stored: their
    session token carries them, sealed; see ``services.identity``.)"""

    access_key_id: str
    account_id: str
    principal_arn: str
    sealed_secret: bytes
    #: ISO-8601 UTC, as IAM's CreateDate.
    created: str
    status: str = "Active"


class TemporaryGrant(msgspec.Struct, frozen=True, array_like=True):
    """What a session token carries, sealed: the temporary key it goes with."""

    access_key_id: str
    secret_access_key: str
    account_id: str
    principal_arn: str
    expires_at: float


class Account(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    created: str


def is_temporary(access_key_id: str) -> bool:
    return access_key_id.startswith(TEMPORARY_PREFIX)


def root_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def user_arn(account_id: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:user{path}{name}"


def role_arn(account_id: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:role{path}{name}"


def assumed_role_arn(account_id: str, role_name: str, session_name: str) -> str:
    return f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}"


def session_role_arn(principal_arn: str) -> str | None:
    """The role an assumed-role session ARN is a session of
    (``arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`` -> ``arn:aws:iam::ACCT:role/ROLE``), else None."""
    parts = principal_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "sts" or not parts[5].startswith("assumed-role/"):
        return None
    return role_arn(parts[4], parts[5].split("/")[1])


def account_of_access_key(access_key_id: str) -> str | None:
    """The account a permissive server attributes *access_key_id* to: a 12-digit key names its
    account, as AWS emulators commonly do (``LAMBENT_AUTH=off`` only)."""
    return access_key_id if ACCOUNT_ID.fullmatch(access_key_id) else None


class User(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    name: str
    user_id: str  # AIDA + 17
    path: str
    created: str
    #: Inline policies: name -> document (JSON text, as given).
    inline_policies: dict[str, str] = msgspec.field(default_factory=dict)
    #: Managed policies attached, by ARN.
    attached_policies: tuple[str, ...] = ()
    tags: dict[str, str] = msgspec.field(default_factory=dict)

    @property
    def arn(self) -> str:
        return user_arn(self.account_id, self.name, self.path)


class Role(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    name: str
    role_id: str  # AROA + 17
    path: str
    created: str
    assume_role_policy: str
    description: str | None = None
    max_session_duration_s: int = 3600
    inline_policies: dict[str, str] = msgspec.field(default_factory=dict)
    attached_policies: tuple[str, ...] = ()
    tags: dict[str, str] = msgspec.field(default_factory=dict)

    @property
    def arn(self) -> str:
        return role_arn(self.account_id, self.name, self.path)
