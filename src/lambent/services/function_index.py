"""The in-memory index of every function: what the invoke path and every read consult.

The store is the truth; this index is its copy in memory, loaded once at start, so resolving a
function never touches the database. Only the functions and aliases services change it, each
change after the store accepted it and under the function's lock (``lock``), so a failed write
leaves both as they were. Reading needs no lock: every change replaces whole records.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import msgspec

from lambent.errors import ResourceNotFoundException
from lambent.model.alias import Alias, route
from lambent.model.arns import LATEST, FunctionRef, function_arn
from lambent.model.function import FunctionVersion, outbound_allowed
from lambent.model.function_policy import FunctionPolicy
from lambent.model.paging import page
from lambent.model.uids import hashed_uid
from lambent.store import FunctionRecord


class IndexedFunction(msgspec.Struct, kw_only=True):
    """One function as the index holds it (mutable: the services replace its fields)."""

    name: str
    tags: dict[str, str]
    versions: dict[str, FunctionVersion]
    aliases: dict[str, Alias] = msgspec.field(default_factory=dict)
    reserved: int | None = None
    recursive_loop: str = "Terminate"
    #: Resource policies by qualifier ("" for the unqualified function).
    policies: dict[str, FunctionPolicy] = msgspec.field(default_factory=dict)

    def published(self) -> set[str]:
        return {v for v in self.versions if v != LATEST}


class FunctionIndex:
    def __init__(self, region: str, account_id: str, outbound_default: bool = True) -> None:
        """*outbound_default*: whether functions without the outbound tag get a route out."""
        self.region = region
        self.account_id = account_id
        self._outbound_default = outbound_default
        self._functions: dict[str, IndexedFunction] = {}
        self._uids: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._reserved_total = 0

    def load(self, records: Iterable[FunctionRecord], uids: dict[str, int]) -> None:
        self._functions = {
            r.name: IndexedFunction(
                name=r.name,
                tags=dict(r.tags),
                versions=dict(r.versions),
                aliases=dict(r.aliases),
                reserved=r.reserved_concurrency,
                recursive_loop=r.recursive_loop,
                policies=dict(r.policies),
            )
            for r in records
        }
        self._uids = dict(uids)
        self._reserved_total = sum(f.reserved or 0 for f in self._functions.values())

    # -- changing (the functions and aliases services) -------------------------------------------

    def lock(self, name: str) -> asyncio.Lock:
        """The lock serialising changes of function *name*."""
        return self._locks.setdefault(name, asyncio.Lock())

    def add(self, function: IndexedFunction, uid: int) -> None:
        self._functions[function.name] = function
        self._uids[function.name] = uid

    def remove(self, name: str) -> None:
        """Forget *name* (its uid stays: a function created again under the name gets it back)."""
        function = self._functions.pop(name)
        self._reserved_total -= function.reserved or 0
        self._locks.pop(name, None)

    def set_reserved(self, name: str, reserved: int | None) -> None:
        function = self.function(name)
        self._reserved_total += (reserved or 0) - (function.reserved or 0)
        function.reserved = reserved

    # -- reading ------------------------------------------------------------------------------

    def arn(self, name: str, qualifier: str | None = None) -> str:
        return function_arn(self.region, self.account_id, name, qualifier)

    def __contains__(self, name: str) -> bool:
        return name in self._functions

    def function(self, name: str, qualifier: str | None = None) -> IndexedFunction:
        """The function *name*; 404 (naming *qualifier* in the ARN) when there is none."""
        function = self._functions.get(name)
        if function is None:
            raise ResourceNotFoundException(f"Function not found: {self.arn(name, qualifier)}")
        return function

    def resolve(self, ref: FunctionRef, draw: float | None = None) -> FunctionVersion:
        """The version *ref* names (``$LATEST`` when unqualified; an alias's primary version).

        With *draw* (uniform in [0, 1)), an alias's routing weights choose the version, as an
        invocation through it does.
        """
        function = self.function(ref.name, ref.qualifier)
        qualifier = ref.qualifier or LATEST
        alias = function.aliases.get(qualifier)
        if alias is not None:
            qualifier = route(alias, draw) if draw is not None else alias.function_version
        version = function.versions.get(qualifier)
        if version is None:
            # AWS words a missing version and a missing alias alike here (GetAlias has its own words).
            raise ResourceNotFoundException(f"Function not found: {self.arn(ref.name, ref.qualifier)}")
        return version

    def page(self, marker: str | None, max_items: int | None) -> tuple[list[FunctionVersion], str | None]:
        """$LATEST of each function in name order, at most 50 a page, as AWS pages them."""
        chosen, next_marker = page(sorted(self._functions), lambda name: name, marker, max_items)
        return [self._functions[name].versions[LATEST] for name in chosen], next_marker

    def versions_page(self, name: str, marker: str | None, max_items: int | None) -> tuple[list[FunctionVersion], str | None]:
        """$LATEST then published versions in order, paged as ListFunctions pages."""
        ordered = sorted(self.function(name).versions.values(), key=lambda v: -1 if v.version == LATEST else int(v.version))
        return page(ordered, lambda v: v.version, marker, max_items)

    def tags(self, name: str) -> dict[str, str]:
        return dict(self.function(name).tags)

    def reserved(self, name: str) -> int | None:
        return self.function(name).reserved

    def reserved_total(self) -> int:
        """The sum of all reservations (kept as a running total: the invoke path asks for it)."""
        return self._reserved_total

    def recursive_loop(self, name: str) -> str:
        return self.function(name).recursive_loop

    def outbound(self, name: str) -> bool:
        """Whether new environments of *name* get outbound network."""
        function = self._functions.get(name)
        return outbound_allowed(function.tags if function else {}, self._outbound_default)

    def uid(self, name: str) -> int:
        """The uid environments of *name* run as (from the registry; a name never registered,
        which no environment can have, gets the hashed uid)."""
        uid = self._uids.get(name)
        return hashed_uid(name) if uid is None else uid

    def code_in_use(self) -> set[str]:
        """The code packages (sha256 hex) any version of any function refers to."""
        return {v.code_sha256_hex for f in self._functions.values() for v in f.versions.values()}

    def account_usage(self) -> dict[str, int]:
        """FunctionCount, and TotalCodeSize as AWS counts it: each version its package."""
        total = sum(v.code_size for f in self._functions.values() for v in f.versions.values())
        return {"TotalCodeSize": total, "FunctionCount": len(self._functions)}
