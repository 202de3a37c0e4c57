"""Accounts, principals and their access keys: the service the auth middleware asks "whose key
is this?".

Guarantees: a long-term secret is stored only sealed (``Sealer``, Fernet under a key derived
from the server's secret) and is never logged, so the database alone yields no usable key.
Temporary credentials (an environment's execution role, AssumeRole) are not stored at all: as
AWS's are, their session token is self-contained, the key id, secret, principal and expiry
sealed together, so issuing them costs no write and any node holding the server's secret can
check them. ``credential`` answers long-term keys from a small cache (keys are looked up on every
request); a deleted or deactivated key stops working here at once, and on other nodes of a
cluster within ``CACHE_TTL_S``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import re
import secrets
import string

import msgspec
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lambent.clock import Clock
from lambent.errors import ResourceConflictException
from lambent.model.iam_policy import Caller, MalformedPolicy, Request, evaluate, parse
from lambent.model.identity import (
    ADMIN_USER,
    ADMINISTRATOR_ACCESS,
    KEY_ALPHABET,
    LAMBDA_SERVICE,
    LONG_TERM_PREFIX,
    SECRET_LENGTH,
    TEMPORARY_PREFIX,
    AccessKey,
    Account,
    Credential,
    TemporaryGrant,
    User,
    assumed_role_arn,
    is_temporary,
    user_arn,
)
from lambent.model.limits import ROLE_SESSION_S
from lambent.store import IdentityStore

_ROLE_ARN = re.compile(r"arn:aws:iam::(?P<account>\d{12}):role/(?:[\x21-\x7e]*/)?(?P<name>[\w+=,.@-]{1,64})")
#: Seconds a looked-up credential is trusted without asking the store again.
CACHE_TTL_S = 10.0
_CACHE_LIMIT = 4096
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


class Sealer:
    """Seals secrets for the store with a key derived (HKDF, its own label) from the server's secret."""

    def __init__(self, server_secret: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"lambent access key secrets").derive(server_secret)
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode())

    def open(self, sealed: bytes) -> str:
        return self._fernet.decrypt(sealed).decode()

    def seal_grant(self, grant: TemporaryGrant) -> str:
        return self._fernet.encrypt(_encode_grant.encode(grant)).decode()

    def open_grant(self, token: str) -> TemporaryGrant | None:
        """The grant *token* carries, or None if it was not sealed by this server's key."""
        try:
            return _decode_grant.decode(self._fernet.decrypt(token.encode()))
        except (InvalidToken, msgspec.DecodeError, ValueError):
            return None


def _key_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(KEY_ALPHABET) for _ in range(16))


def _secret() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


def _entity_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(KEY_ALPHABET) for _ in range(17))


_encode_grant = msgspec.msgpack.Encoder()
_decode_grant = msgspec.msgpack.Decoder(TemporaryGrant)


class IdentityService:
    def __init__(self, store: IdentityStore, sealer: Sealer, *, clock: Clock) -> None:
        self._store = store
        self._sealer = sealer
        self._clock = clock
        self._cache: dict[str, tuple[float, Credential | None]] = {}

    def _now_iso(self) -> str:
        return datetime.datetime.fromtimestamp(self._clock.time(), datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    async def credential(self, access_key_id: str, session_token: str | None = None) -> Credential | None:
        """The open credential of *access_key_id*, or None when there is none.

        A temporary key (``ASIA...``) is known only through the *session_token* it was issued
        with; its expiry is the caller's to check (``Credential.expires_at``), so that the
        refusal can say "expired". A long-term key is found only while it is active.
        """
        if is_temporary(access_key_id):
            grant = self._sealer.open_grant(session_token) if session_token else None
            if grant is None or grant.access_key_id != access_key_id:
                return None
            return Credential(
                access_key_id=grant.access_key_id,
                secret_access_key=grant.secret_access_key,
                account_id=grant.account_id,
                principal_arn=grant.principal_arn,
                session_token=session_token,
                expires_at=grant.expires_at,
            )
        now = self._clock.monotonic()
        cached = self._cache.get(access_key_id)
        if cached is None or now - cached[0] > CACHE_TTL_S:
            key = await self._store.access_key(access_key_id)
            found = None
            if key is not None and key.status == "Active":
                found = Credential(
                    access_key_id=key.access_key_id,
                    secret_access_key=self._sealer.open(key.sealed_secret),
                    account_id=key.account_id,
                    principal_arn=key.principal_arn,
                )
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[access_key_id] = cached = (now, found)
        return cached[1]

    def forget(self, access_key_id: str) -> None:
        self._cache.pop(access_key_id, None)

    async def create_access_key(self, account_id: str, principal_arn: str) -> Credential:
        """A new long-term key (``AKIA...``) for *principal_arn*."""
        key_id, secret = _key_id(LONG_TERM_PREFIX), _secret()
        credential = Credential(
            access_key_id=key_id, secret_access_key=secret, account_id=account_id, principal_arn=principal_arn
        )
        await self._store.put_access_key(
            AccessKey(
                access_key_id=credential.access_key_id,
                account_id=account_id,
                principal_arn=principal_arn,
                sealed_secret=self._sealer.seal(credential.secret_access_key),
                created=self._now_iso(),
            )
        )
        return credential

    def issue_temporary(self, account_id: str, principal_arn: str, duration_s: float) -> Credential:
        """Temporary credentials (``ASIA...`` and a session token) valid for *duration_s*."""
        grant = TemporaryGrant(
            access_key_id=_key_id(TEMPORARY_PREFIX),
            secret_access_key=_secret(),
            account_id=account_id,
            principal_arn=principal_arn,
            expires_at=self._clock.time() + duration_s,
        )
        return Credential(
            access_key_id=grant.access_key_id,
            secret_access_key=grant.secret_access_key,
            account_id=account_id,
            principal_arn=principal_arn,
            session_token=self._sealer.seal_grant(grant),
            expires_at=grant.expires_at,
        )

    def session(self, role_arn: str, function_name: str) -> Credential:
        """An environment's execution-role credentials: the role's session named after the
        function, as Lambda names it (``RoleSessions`` for the invoker)."""
        account_id = role_arn.split(":")[4]
        principal = assumed_role_arn(account_id, role_arn.rsplit("/", 1)[-1], function_name)
        return self.issue_temporary(account_id, principal, ROLE_SESSION_S)

    async def assumable_by_lambda(self, role_arn: str) -> bool:
        """Whether *role_arn* names a role (path and name) whose trust policy lets Lambda's
        service principal assume it: what CreateFunction checks of its Role."""
        return await self.assumable_by(role_arn, LAMBDA_SERVICE)

    async def assumable_by(self, role_arn: str, service: str) -> bool:
        """Whether *role_arn* names a role (path and name) whose trust policy lets the service
        principal *service* (``scheduler.amazonaws.com``...) assume it."""
        match = _ROLE_ARN.fullmatch(role_arn)
        if match is None:
            return False
        role = await self._store.role(match["account"], match["name"])
        if role is None or role.arn != role_arn:
            return False
        try:
            trust = parse(role.assume_role_policy, kind="trust")
        except MalformedPolicy:
            return False
        request = Request(
            caller=Caller(arn=service, account_id=None, role_arn=None),
            action="sts:AssumeRole",
            resource=role_arn,
            resource_account=match["account"],
            context={},
        )
        return evaluate(request, identity=(), resource=trust).allowed

    async def delete_access_key(self, access_key_id: str) -> bool:
        self.forget(access_key_id)
        return await self._store.delete_access_key(access_key_id)

    async def create_account(self, account_id: str | None = None) -> Credential:
        """A new account (a random id unless *account_id*), with its ``admin`` user and that
        user's first key, returned open; ``ResourceConflictException`` if the id is taken."""
        taken = {account.account_id for account in await self._store.accounts()}
        if account_id in taken:
            raise ResourceConflictException(f"Account {account_id} already exists.")
        while account_id is None or account_id in taken:
            account_id = "".join(secrets.choice(string.digits) for _ in range(12))
        credential, _ = await self.bootstrap(account_id)
        return credential

    async def account_exists(self, account_id: str) -> bool:
        return any(account.account_id == account_id for account in await self._store.accounts())

    async def accounts(self) -> list[Account]:
        return await self._store.accounts()

    async def bootstrap(self, account_id: str) -> tuple[Credential, bool]:
        """The default account's administrator key: the ``admin`` user (AdministratorAccess
        attached) and its first active key, created on the first start. Returns the credential
        and whether it was created now."""
        await self._store.put_account(Account(account_id=account_id, created=self._now_iso()))
        arn = user_arn(account_id, ADMIN_USER)
        if await self._store.user(account_id, ADMIN_USER) is None:
            admin = User(
                account_id=account_id,
                name=ADMIN_USER,
                user_id=_entity_id("AIDA"),
                path="/",
                created=self._now_iso(),
                attached_policies=(ADMINISTRATOR_ACCESS,),
            )
            with contextlib.suppress(KeyError):  # another node made it first
                await self._store.put_user(admin, None)
        for key in await self._store.access_keys(arn):
            if key.status == "Active":
                return Credential(
                    access_key_id=key.access_key_id,
                    secret_access_key=self._sealer.open(key.sealed_secret),
                    account_id=account_id,
                    principal_arn=arn,
                ), False
        return await self.create_access_key(account_id, arn), True
