"""What the invoker asks of the functions it runs, as a port the services layer implements.

The invoker never imports the services: the composition root hands it a ``FunctionDirectory``
(the services' function index, whose uids come from the registry in the store).
``HashedDirectory`` is a stand-in for tests and tools with no registry: its uids are the
name's hash (``model.uids.hashed_uid``, the registry's first choice), which two names can share.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from lambent.model.uids import hashed_uid


class FunctionDirectory(Protocol):
    def outbound(self, name: str) -> bool:
        """Whether new environments of function *name* get a route out to the network."""
        ...

    def uid(self, name: str) -> int:
        """The uid environments of function *name* run as: stable, distinct per function."""
        ...


class HashedDirectory:
    """A ``FunctionDirectory`` without a registry: hashed uids, and outbound as *outbound* says."""

    def __init__(self, outbound: Callable[[str], bool] = lambda _name: True) -> None:
        self._outbound = outbound

    def outbound(self, name: str) -> bool:
        return self._outbound(name)

    def uid(self, name: str) -> int:
        return hashed_uid(name)
