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


def _dates(deprecated: date, block_create: date | None, block_update: date | None) -> Deprecation:
    return Deprecation(deprecated=deprecated, block_create=block_create, block_update=block_update)


#: AWS's Lambda runtimes page as last seen (docs/runtimes.md gives each row's source). In June 2026
#: AWS moved most blocks to 2027-02-01 (create) and 2027-03-03 (update), re-opening creates of
#: some runtimes it had blocked; blocks that had happened before stay where they were.
_AWS_2027_CREATE, _AWS_2027_UPDATE = date(2027, 2, 1), date(2027, 3, 3)
SCHEDULE: dict[str, Deprecation] = {
    "python3.7": _dates(date(2023, 12, 4), date(2024, 1, 9), _AWS_2027_UPDATE),
    "python3.8": _dates(date(2024, 10, 14), _AWS_2027_CREATE, _AWS_2027_UPDATE),
    "python3.9": _dates(date(2025, 12, 15), _AWS_2027_CREATE, _AWS_2027_UPDATE),
    "nodejs16.x": _dates(date(2024, 6, 12), _AWS_2027_CREATE, _AWS_2027_UPDATE),
    "nodejs18.x": _dates(date(2025, 9, 1), _AWS_2027_CREATE, _AWS_2027_UPDATE),
    "nodejs20.x": _dates(date(2026, 4, 30), _AWS_2027_CREATE, _AWS_2027_UPDATE),
    "provided": _dates(date(2024, 1, 8), date(2024, 2, 8), _AWS_2027_UPDATE),
}


def _family_and_version(runtime: str) -> tuple[str, tuple[int, ...]]:
    match = re.fullmatch(r"([a-z]+?)(\d+(?:\.\d+)*)(\.x)?", runtime)
    if match is None:
        return runtime, ()
    return match.group(1), tuple(int(part) for part in match.group(2).split("."))


def successor(runtime: str, known: list[str]) -> str:
    """The runtime AWS recommends instead: the newest of *runtime*'s language in the model."""
    family, version = _family_and_version(runtime)
    if not version:  # an OS-only runtime: its newest operating system (provided -> provided.al2023)
        return max((name for name in known if name.startswith(f"{runtime}.")), key=lambda n: (len(n), n), default=runtime)
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
