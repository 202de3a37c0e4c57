"""What the invoker asks of the functions it runs, as a port the services layer implements.

The invoker never imports the services: the composition root hands it a ``FunctionDirectory``
(the services' function index, whose uids come from the registry in the store) and
``RoleSessions`` (the identity service, which issues each environment its execution role's
temporary credentials).
``HashedDirectory`` is a stand-in for tests and tools with no registry: its uids are the
name's hash (``model.uids.hashed_uid``, the registry's first choice), which two names can share.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from lambent.model.identity import Credential
from lambent.model.uids import hashed_uid


class FunctionDirectory(Protocol):
    def outbound(self, name: str) -> bool:
        """Whether new environments of function *name* get a route out to the network."""
        ...

    def uid(self, name: str) -> int:
        """The uid environments of function *name* run as: stable, distinct per function."""
        ...


class RoleSessions(Protocol):
    def session(self, role_arn: str, function_name: str) -> Credential:
        """Temporary credentials of *role_arn* for a new environment of *function_name*
        (``ASIA...`` with a session token, as the role's session named after the function)."""
        ...


class StaticSessions:
    """``RoleSessions`` for tests and tools without an identity service: one fixed key for all."""

    def __init__(self, access_key_id: str = "LAMBENTFUNCTIONKEY00", secret_access_key: str = "lambent-function-secret") -> None:  # noqa: S107
        self._key = (access_key_id, secret_access_key)

    def session(self, role_arn: str, function_name: str) -> Credential:
        account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
        return Credential(
            access_key_id=self._key[0],
            secret_access_key=self._key[1],
            account_id=account,
            principal_arn=role_arn,
            session_token="lambent-session",  # noqa: S106 - a stand-in nothing checks
        )


class HashedDirectory:
    """A ``FunctionDirectory`` without a registry: hashed uids, and outbound as *outbound* says."""

    def __init__(self, outbound: Callable[[str], bool] = lambda _name: True) -> None:
        self._outbound = outbound

    def outbound(self, name: str) -> bool:
        return self._outbound(name)

    def uid(self, name: str) -> int:
        return hashed_uid(name)
