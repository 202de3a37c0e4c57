"""Who signs requests: the record an access key resolves to.

A ``Credential`` is what the identity store answers for an access key id: its secret, the
account and principal it acts as, and for temporary credentials (STS, execution roles) the
session token and when it expires. The SigV4 verifier (``api/sigv4``) needs nothing else.
"""

from __future__ import annotations

import msgspec


class Credential(msgspec.Struct, frozen=True, kw_only=True):
    access_key_id: str
    secret_access_key: str
    account_id: str
    #: arn:aws:iam::ACCT:root | arn:aws:iam::ACCT:user/N | arn:aws:sts::ACCT:assumed-role/R/S
    principal_arn: str
    session_token: str | None = None
    #: Epoch seconds after which temporary credentials are refused (None: never).
    expires_at: float | None = None
