"""Which account's Lambda a request acts in, for the endpoints: the guard decides, they ask here.

AWS resolves an operation's account as the guard does (``api.guard``): a resource named by an
ARN is that ARN's account's (another account's function, once a resource policy lets the caller
in); a bare name, and an operation on no resource (ListFunctions), is the caller's own account.
With no verified principal (authentication off, a body too large to verify), the account is the
one the access key names or the server's default (decision 0017).
"""

from __future__ import annotations

from starlette.types import Scope

from lambent.errors import ResourceNotFoundException
from lambent.services.cells import Cell, Cells

#: The request scope's key for the account a request acts in (set by the guard).
ACCOUNT_SCOPE_KEY = "lambent.account"


class RequestCells:
    def __init__(self, cells: Cells, default_account: str) -> None:
        self._cells = cells
        self._default = default_account

    async def of(self, scope: Scope) -> Cell:
        """The cell of the account the request of *scope* acts in."""
        account = scope.get(ACCOUNT_SCOPE_KEY) or self._default
        cell = await self._cells.of(account)
        if cell is None:  # the guard refuses such a request first: no policy of the account lets anyone in
            raise ResourceNotFoundException(f"Account {account} does not exist.")
        return cell


class CellPolicies:
    """The resource policies the guard consults, each from its account's cell (an account with no
    open cell owns nothing yet, so it has no policy)."""

    def __init__(self, cells: Cells) -> None:
        self._cells = cells

    async def function_policy(self, account: str, name: str, qualifier: str | None) -> str | None:
        cell = self._cells.find(account)
        return await cell.permissions.policy_for(name, qualifier) if cell is not None else None

    async def layer_policy(self, account: str, name: str, version: int) -> str | None:
        cell = self._cells.find(account)
        return await cell.layers.policy_for(name, version) if cell is not None else None
