"""Console sessions and their CSRF tokens: what the cookie says and how it is checked. Pure.

A session names an access key id, when it ends, and a random nonce; never the key's secret. The
cookie is the session's JSON (base64url) and an HMAC-SHA256 of it under a key derived from the
server's secret, so only this server makes one that opens. ``open_session`` refuses a cookie
whose MAC does not match, that does not parse, or whose end has passed (*now* is an argument:
no clock is read here). Whether the key is still active is the caller's check, on every request.

A CSRF token is the HMAC of the session's nonce: tied to one session, useless in another, and
checked in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import msgspec

#: How long a session lasts after sign-in.
SESSION_S = 8 * 3600
COOKIE = "lambent_console"


class Session(msgspec.Struct, frozen=True, kw_only=True):
    access_key_id: str
    #: Epoch seconds.
    expires_at: float
    nonce: str


def console_key(server_secret: bytes) -> bytes:
    """The console's own MAC key, derived so that it is used for nothing else."""
    return hmac.new(server_secret, b"lambent console session v1", hashlib.sha256).digest()


def new_session(access_key_id: str, now: float, lifetime_s: float = SESSION_S) -> Session:
    return Session(access_key_id=access_key_id, expires_at=now + lifetime_s, nonce=secrets.token_urlsafe(16))


def _mac(key: bytes, data: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(key, data, hashlib.sha256).digest()).decode().rstrip("=")


def seal(key: bytes, session: Session) -> str:
    body = base64.urlsafe_b64encode(msgspec.json.encode(session)).decode().rstrip("=")
    return f"{body}.{_mac(key, body.encode())}"


def open_session(key: bytes, cookie: str | None, now: float) -> Session | None:
    """The session *cookie* carries, if this key sealed it and it has not ended at *now*."""
    if not cookie or cookie.count(".") != 1:
        return None
    body, mac = cookie.split(".")
    if not hmac.compare_digest(mac, _mac(key, body.encode())):
        return None
    try:
        session = msgspec.json.decode(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)), type=Session)
    except (ValueError, msgspec.DecodeError):
        return None
    return session if now < session.expires_at else None


def csrf_token(key: bytes, session: Session) -> str:
    return _mac(key, f"csrf:{session.nonce}".encode())


def csrf_ok(key: bytes, session: Session, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(str(token), csrf_token(key, session))
