"""Which uid a function runs as. Pure: the registry of assigned uids is the store's.

Each function gets its own uid in ``FUNCTION_UID_FIRST``-``FUNCTION_UID_LAST`` when it is created,
distinct from every other function's, and keeps it for as long as the registry lives (a function
created again under the same name gets its uid back). The first choice is the uid Lambent used
to derive from the name (``crc32 mod 40,000``), so existing functions keep theirs; on a
collision, the lowest free uid. Only when every uid of the range is taken does a uid of a
deleted function serve again.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Set

from lambent.errors import ServiceException
from lambent.model.limits import FUNCTION_UID_FIRST, FUNCTION_UID_LAST

_RANGE = FUNCTION_UID_LAST - FUNCTION_UID_FIRST + 1


def hashed_uid(name: str) -> int:
    """The uid derived from the name alone (what Lambent used before the registry)."""
    return FUNCTION_UID_FIRST + zlib.crc32(name.encode()) % _RANGE


def pick_uid(key: str, registry: Mapping[str, int], live: Set[str]) -> int:
    """The uid for the function *key* (``uid_key``), given the *registry* (key -> uid, deleted
    functions' included) and the keys of the functions that exist (*live*). Raises
    ``ServiceException`` when all are live (Lambent's limit, not the caller's fault)."""
    if key in registry:
        return registry[key]
    taken = set(registry.values())
    preferred = hashed_uid(key.rpartition(":")[2])  # the name's, as before accounts
    if preferred not in taken:
        return preferred
    free = next((uid for uid in range(FUNCTION_UID_FIRST, FUNCTION_UID_LAST + 1) if uid not in taken), None)
    if free is not None:
        return free
    reusable = sorted(uid for owner, uid in registry.items() if owner not in live)
    if not reusable:
        raise ServiceException("No function uid is free: every uid Lambent gives functions belongs to one.")
    return reusable[0]


def uid_key(account: str, name: str) -> str:
    """The registry's key of function *name* of *account*: uids are distinct across accounts."""
    return f"{account}:{name}"
