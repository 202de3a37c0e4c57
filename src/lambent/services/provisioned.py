"""Provisioned concurrency: environments of a published version or alias kept initialised.

A config names a version or an alias (never $LATEST, as AWS); the invoker starts that many
environments with AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency and keeps them (they
are never reaped; ones that end are replaced). Invocations beyond them spill over to on-demand
environments. Status is IN_PROGRESS until all are initialised, then READY (FAILED with the
init error if one fails).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from lambent.clock import Clock, SystemClock
from lambent.errors import InvalidParameterValueException, ProvisionedConcurrencyConfigNotFoundException
from lambent.invoker.invoker import Invoker
from lambent.model.arns import LATEST, FunctionRef
from lambent.model.concurrency import check_provisioned
from lambent.model.function import FunctionVersion, aws_timestamp
from lambent.services.function_events import FunctionListener
from lambent.services.function_index import FunctionIndex
from lambent.store import ProvisionedStore

log = logging.getLogger(__name__)


class ProvisionedService(FunctionListener):
    """Listens to ``FunctionEvents``: a deleted function's configs go with it."""

    def __init__(self, store: ProvisionedStore, functions: FunctionIndex, invoker: Invoker, clock: Clock | None = None) -> None:
        self._store = store
        self._clock = clock or SystemClock()
        self._functions = functions
        self._invoker = invoker
        self._configs: dict[tuple[str, str], tuple[int, str]] = {}

    async def load(self) -> None:
        for name, qualifier, count, modified in await self._store.load_provisioned():
            self._configs[(name, qualifier)] = (count, modified)
            try:
                self._invoker.provision(self._version(name, qualifier), count)
            except Exception as exc:  # the version may be gone: the config stays, reported FAILED
                log.warning("provisioned concurrency of %s:%s not restored: %s", name, qualifier, exc)

    def _version(self, name: str, qualifier: str | None) -> FunctionVersion:
        if qualifier in (None, "", LATEST):
            raise InvalidParameterValueException(
                "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
            )
        return self._functions.resolve(FunctionRef(name=name, qualifier=qualifier))

    def unreserved_total(self, but: str | None = None) -> int:
        """The provisioned concurrency of functions without a reservation (but *but*): what it
        takes from the account's unreserved pool."""
        return sum(
            count
            for (name, _q), (count, _m) in self._configs.items()
            if name != but and name in self._functions and self._functions.reserved(name) is None
        )

    async def put(self, name: str, qualifier: str | None, count: int, account_limit: int) -> dict[str, Any]:
        version = self._version(name, qualifier)
        assert qualifier is not None
        reserved = self._functions.reserved(name)
        others = sum(c for (n, q), (c, _m) in self._configs.items() if n == name and q != qualifier)
        pool = account_limit - self._functions.reserved_total() - self.unreserved_total(but=name)
        check_provisioned(count, reserved, others, account_limit, pool)
        modified = aws_timestamp(datetime.fromtimestamp(self._clock.time(), UTC))
        await self._store.put_provisioned(name, qualifier, count, modified)
        self._configs[(name, qualifier)] = (count, modified)
        self._invoker.provision(version, count)
        return self.status(name, qualifier)

    def status(self, name: str, qualifier: str | None) -> dict[str, Any]:
        config = self._configs.get((name, qualifier or ""))
        if config is None:
            raise ProvisionedConcurrencyConfigNotFoundException("No Provisioned Concurrency Config found for this function")
        count, modified = config
        state = self._invoker.provisioned(self._version(name, qualifier))
        allocated = state.allocated if state is not None else 0
        document: dict[str, Any] = {
            "RequestedProvisionedConcurrentExecutions": count,
            "AvailableProvisionedConcurrentExecutions": allocated,
            "AllocatedProvisionedConcurrentExecutions": allocated,
            "Status": "READY" if allocated >= count else "IN_PROGRESS",
            "LastModified": modified,
        }
        if state is not None and state.failure is not None:
            document["Status"], document["StatusReason"] = "FAILED", state.failure
        return document

    def list(self, name: str) -> list[dict[str, Any]]:
        """Every config of *name* (404 when the function does not exist)."""
        self._functions.resolve(FunctionRef(name=name))
        return [{"FunctionArn": self._functions.arn(n, q), **self.status(n, q)} for (n, q) in sorted(self._configs) if n == name]

    async def delete(self, name: str, qualifier: str | None) -> None:
        self.status(name, qualifier)  # 404 when there is none
        assert qualifier is not None
        await self._store.put_provisioned(name, qualifier, None, "")
        del self._configs[(name, qualifier)]
        self._invoker.provision(self._version(name, qualifier), 0)

    async def function_deleted(self, name: str) -> None:
        for key in [k for k in self._configs if k[0] == name]:
            await self._store.put_provisioned(name, key[1], None, "")
            del self._configs[key]
