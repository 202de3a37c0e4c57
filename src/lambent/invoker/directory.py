"""What the invoker asks of the functions it runs, as a port the services layer implements.

The invoker never imports the services: the composition root hands it a ``FunctionDirectory``
(the functions service, with its uid registry in the store). ``HashedDirectory`` is the
stand-in until that registry exists: its uids come from a hash, which two names can share.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Protocol


class FunctionDirectory(Protocol):
    def outbound(self, name: str) -> bool:
        """Whether new environments of function *name* get a route out to the network."""
        ...

    def uid(self, name: str) -> int:
        """The uid environments of function *name* run as: stable, distinct per function."""
        ...


def function_uid(name: str) -> int:
    """A stable uid per function name, in a range no machine account uses (20000-59999).

    Distinct for distinct names except on a crc32 collision modulo 40,000: a registry of
    assigned uids in the store removes that residue.
    """
    return 20000 + zlib.crc32(name.encode()) % 40000


class HashedDirectory:
    """A ``FunctionDirectory`` whose uids are ``function_uid`` hashes (transitional)."""

    def __init__(self, outbound: Callable[[str], bool] = lambda _name: True) -> None:
        self._outbound = outbound

    def outbound(self, name: str) -> bool:
        return self._outbound(name)

    def uid(self, name: str) -> int:
        return function_uid(name)
