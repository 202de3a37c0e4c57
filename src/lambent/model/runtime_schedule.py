"""AWS's deprecation schedule for the runtimes Lambent knows, and the rule it enforces. Pure.

A deprecated runtime goes in stages (AWS's runtime deprecation policy): on its deprecation date
it loses patches; from "block function create" CreateFunction refuses it; from "block function
update" UpdateFunctionConfiguration and UpdateFunctionCode refuse it too. Invocations keep
working. Both refusals are AWS's one message. The date is an argument (UTC), never read here.
The dates and their sources are in docs/runtimes.md; AWS has moved them before.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

import msgspec

from lambent.errors import InvalidParameterValueException


class Deprecation(msgspec.Struct, frozen=True, kw_only=True):
    deprecated: date
    #: None: AWS has published no date (yet) from which it refuses.
    block_create: date | None
    block_update: date | None


SCHEDULE: dict[str, Deprecation] = {
    "nodejs16.x": Deprecation(deprecated=date(2024, 6, 12), block_create=date(2025, 2, 28), block_update=date(2025, 3, 31)),
    "nodejs18.x": Deprecation(deprecated=date(2025, 9, 1), block_create=date(2025, 10, 1), block_update=date(2025, 11, 1)),
    "nodejs20.x": Deprecation(deprecated=date(2026, 4, 30), block_create=None, block_update=None),
    "python3.9": Deprecation(deprecated=date(2025, 12, 15), block_create=date(2027, 2, 1), block_update=date(2027, 3, 3)),
}


def _family_and_version(runtime: str) -> tuple[str, tuple[int, ...]]:
    match = re.fullmatch(r"([a-z]+?)(\d+(?:\.\d+)*)(\.x)?", runtime)
    if match is None:
        return runtime, ()
    return match.group(1), tuple(int(part) for part in match.group(2).split("."))


def successor(runtime: str, known: list[str]) -> str:
    """The runtime AWS recommends instead: the newest of *runtime*'s language in the model."""
    family, _version = _family_and_version(runtime)
    same = [name for name in known if _family_and_version(name)[0] == family and _family_and_version(name)[1]]
    return max(same, key=lambda name: _family_and_version(name)[1], default=runtime)


def blocked_message(runtime: str, known: list[str]) -> str:
    return (
        f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda "
        f"functions. We recommend you use the new runtime ({successor(runtime, known)}) while creating or "
        "updating functions."
    )


def check_not_blocked(runtime: str | None, operation: Literal["create", "update"], today: date, known: list[str]) -> None:
    """Refuse *operation* on a function of *runtime* from the date AWS blocks it."""
    deprecation = SCHEDULE.get(runtime or "")
    if deprecation is None or runtime is None:
        return
    since = deprecation.block_create if operation == "create" else deprecation.block_update
    if since is not None and today >= since:
        raise InvalidParameterValueException(blocked_message(runtime, known))
