"""Authentication: the one place every API request is attributed to a principal.

Signature checking (SigV4 with botocore's signer) arrives with IAM-style permissions; until
then every request is attributed to the server's single account, and the access key a client
signed with is recorded so logs can say who called.
"""

from __future__ import annotations

import re

import msgspec
from starlette.requests import Request

from lambent.settings import Settings

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    access_key_id: str | None


def authenticate(request: Request, settings: Settings) -> Principal:
    return authenticate_header(request.headers.get("authorization"), settings)


def authenticate_header(authorization: str | None, settings: Settings) -> Principal:
    """The principal of a request, from its Authorization header (the invoke path has no Request)."""
    match = _CREDENTIAL.search(authorization or "")
    return Principal(account_id=settings.account_id, access_key_id=match.group(1) if match else None)
