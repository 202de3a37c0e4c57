"""The execution-role checks: may Lambda assume this role (CreateFunction and a Role update),
may Scheduler assume a schedule's target role (each delivery)?

``Roles`` is the port the function service asks (``services.identity.IdentityService``
answers it from the account's roles and their trust policies); ``AnyRole`` is what a server with
authentication off (decision 0017) uses instead: every role is taken as given, unchecked.
"""

from __future__ import annotations

from typing import Protocol


class Roles(Protocol):
    async def assumable_by_lambda(self, role_arn: str) -> bool:
        """Whether *role_arn* names a role of its account whose trust policy lets
        ``lambda.amazonaws.com`` assume it."""
        ...

    async def assumable_by(self, role_arn: str, service: str) -> bool:
        """The same for the service principal *service*."""
        ...


class AnyRole:
    async def assumable_by_lambda(self, role_arn: str) -> bool:
        return True

    async def assumable_by(self, role_arn: str, service: str) -> bool:
        return True
