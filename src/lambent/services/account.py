"""GetAccountSettings: the account's limits and what its functions and layers use of them.

As AWS counts them (its API reference: TotalCodeSize is "the amount of storage space, in bytes,
that's being used by deployment packages and layer archives"): every version of every function
counts its package, the same package published twice counting twice, and every layer version
counts its archive. The unreserved pool is the account's concurrency less every reservation and
less the provisioned concurrency of functions without one (a reservation already holds its
function's provisioned concurrency).
"""

from __future__ import annotations

from lambent.model.limits import TOTAL_CODE_SIZE_LIMIT_BYTES, UNZIPPED_LIMIT_BYTES, ZIPPED_LIMIT_BYTES
from lambent.services.function_index import FunctionIndex
from lambent.services.layers import LayerService
from lambent.services.provisioned import ProvisionedService


class AccountService:
    def __init__(self, functions: FunctionIndex, layers: LayerService, provisioned: ProvisionedService) -> None:
        self._functions = functions
        self._layers = layers
        self._provisioned = provisioned

    def settings(self, concurrency: int) -> dict[str, dict[str, int]]:
        """GetAccountSettings' two halves, ``AccountLimit`` and ``AccountUsage``."""
        unreserved = concurrency - self._functions.reserved_total() - self._provisioned.unreserved_total()
        usage = self._functions.account_usage()
        return {
            "AccountLimit": {
                "TotalCodeSize": TOTAL_CODE_SIZE_LIMIT_BYTES,
                "CodeSizeUnzipped": UNZIPPED_LIMIT_BYTES,
                "CodeSizeZipped": ZIPPED_LIMIT_BYTES,
                "ConcurrentExecutions": concurrency,
                "UnreservedConcurrentExecutions": unreserved,
            },
            "AccountUsage": {**usage, "TotalCodeSize": usage["TotalCodeSize"] + self._layers.code_size_total()},
        }
