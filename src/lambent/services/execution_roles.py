"""The execution-role check CreateFunction and a Role update make: may Lambda assume this role?

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


class AnyRole:
    async def assumable_by_lambda(self, role_arn: str) -> bool:
        return True
