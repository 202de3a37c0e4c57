"""GetAccountSettings: the account's limits and what its functions and layers use of them.

As AWS counts them (its API reference: TotalCodeSize is "the amount of storage space, in bytes,
that's being used by deployment packages and layer archives"): every version of every function
counts its package, the same package published twice counting twice, and every layer version
counts its archive. The unreserved pool is the account's concurrency less every reservation and
less the provisioned concurrency of functions without one (a reservation already holds its
function's provisioned concurrency).
"""

from __future__ import annotations

from lambent.services.functions import FunctionService
from lambent.services.layers import LayerService
from lambent.services.provisioned import ProvisionedService


class AccountService:
    def __init__(self, functions: FunctionService, layers: LayerService, provisioned: ProvisionedService) -> None:
        self._functions = functions
        self._layers = layers
        self._provisioned = provisioned

    def settings(self, concurrency: int) -> dict[str, dict[str, int]]:
        """GetAccountSettings' two halves, ``AccountLimit`` and ``AccountUsage``."""
        document = self._functions.account_settings(concurrency)
        document["AccountLimit"]["UnreservedConcurrentExecutions"] -= self._provisioned.unreserved_total()
        document["AccountUsage"]["TotalCodeSize"] += self._layers.code_size_total()
        return document
