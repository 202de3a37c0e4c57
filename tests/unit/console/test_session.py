"""The console's session cookie and CSRF token: sealed with the server's key, opened only
unaltered and before their end, never carrying a secret."""

from __future__ import annotations

import base64

from lambent.console import session as sessions
from lambent.console.routes import _next

KEY = sessions.console_key(b"s" * 32)
NOW = 1_800_000_000.0


def test_a_sealed_session_opens_with_its_key_until_it_ends() -> None:
    made = sessions.new_session("AKIAEXAMPLE", NOW, lifetime_s=60)
    cookie = sessions.seal(KEY, made)
    assert sessions.open_session(KEY, cookie, NOW) == made
    assert sessions.open_session(KEY, cookie, NOW + 59.9) == made
    assert sessions.open_session(KEY, cookie, NOW + 60) is None


def test_the_cookie_names_the_key_never_a_secret() -> None:
    cookie = sessions.seal(KEY, sessions.new_session("AKIAEXAMPLE", NOW))
    body = base64.urlsafe_b64decode(cookie.split(".")[0] + "==").decode()
    assert "AKIAEXAMPLE" in body
    assert set(sessions.msgspec.json.decode(body)) == {"access_key_id", "expires_at", "nonce"}


def test_another_servers_key_or_an_altered_cookie_opens_nothing() -> None:
    cookie = sessions.seal(KEY, sessions.new_session("AKIAEXAMPLE", NOW))
    other = sessions.console_key(b"t" * 32)
    assert sessions.open_session(other, cookie, NOW) is None
    body, mac = cookie.split(".")
    forged_body = base64.urlsafe_b64encode(b'{"access_key_id":"AKIAOTHER","expires_at":9e12,"nonce":"x"}').decode()
    assert sessions.open_session(KEY, f"{forged_body}.{mac}", NOW) is None
    altered = mac[:-1] + ("B" if mac[-1] == "A" else "A")  # one character of the MAC changed
    assert sessions.open_session(KEY, f"{body}.{altered}", NOW) is None
    for junk in (None, "", "nodot", "a.b.c", "!!.??"):
        assert sessions.open_session(KEY, junk, NOW) is None


def test_a_session_sealed_by_this_key_but_malformed_opens_nothing() -> None:
    body = base64.urlsafe_b64encode(b'{"access_key_id": 5}').decode().rstrip("=")
    assert sessions.open_session(KEY, f"{body}.{sessions._mac(KEY, body.encode())}", NOW) is None


def test_a_csrf_token_belongs_to_one_session() -> None:
    one, two = sessions.new_session("AKIAEXAMPLE", NOW), sessions.new_session("AKIAEXAMPLE", NOW)
    token = sessions.csrf_token(KEY, one)
    assert sessions.csrf_ok(KEY, one, token)
    assert not sessions.csrf_ok(KEY, two, token)
    assert not sessions.csrf_ok(KEY, one, None)
    assert not sessions.csrf_ok(KEY, one, "")
    assert not sessions.csrf_ok(sessions.console_key(b"t" * 32), one, token)


def test_sign_in_returns_only_to_console_paths() -> None:
    assert _next("/console/functions/f") == "/console/functions/f"
    for elsewhere in (None, "", "https://evil.example/console/x", "//evil.example/console/", "/console//evil", "/lambent/x"):
        assert _next(elsewhere) == "/console/functions"
