"""Aliases: a name for a published version, optionally splitting traffic with a second one.

Pure: the routing decision takes the random draw as an argument. AWS's rules: an alias names
``$LATEST`` or a published version; RoutingConfig may add one more published version with a
weight in [0, 1]; neither version of a split may be ``$LATEST``, and they must differ.
"""

from __future__ import annotations

from typing import Any

import msgspec

from lambent.errors import InvalidParameterValueException
from lambent.model.arns import LATEST, function_arn


class RoutingInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    additional_version_weights: dict[str, float] = msgspec.field(default_factory=dict, name="AdditionalVersionWeights")


class CreateAliasInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str = msgspec.field(name="Name")
    function_version: str = msgspec.field(name="FunctionVersion")
    description: str = msgspec.field(default="", name="Description")
    routing: RoutingInput | None = msgspec.field(default=None, name="RoutingConfig")


class UpdateAliasInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    function_version: str | None = msgspec.field(default=None, name="FunctionVersion")
    description: str | None = msgspec.field(default=None, name="Description")
    routing: RoutingInput | None = msgspec.field(default=None, name="RoutingConfig")
    revision_id: str | None = msgspec.field(default=None, name="RevisionId")


class Alias(msgspec.Struct, frozen=True, kw_only=True):
    function_name: str
    name: str
    function_version: str
    description: str = ""
    #: The one additional version and the share of invocations it receives.
    additional_weights: dict[str, float] = msgspec.field(default_factory=dict)
    revision_id: str


def check_routing(function_version: str, weights: dict[str, float], published: set[str]) -> None:
    """Refuse what AWS refuses for an alias's versions and routing."""
    if function_version != LATEST and function_version not in published:
        raise InvalidParameterValueException(f"Function version {function_version} does not exist.")
    if not weights:
        return
    if len(weights) > 1:
        raise InvalidParameterValueException("Only one additional version is supported in the alias routing configuration.")
    (extra,) = weights
    if function_version == LATEST or extra == LATEST:
        raise InvalidParameterValueException("$LATEST is not supported for an alias pointing to more than 1 version")
    if extra == function_version:
        raise InvalidParameterValueException(
            "Invalid function version: the primary version and the additional version must be different."
        )
    if extra not in published:
        raise InvalidParameterValueException(f"Function version {extra} does not exist.")


def route(alias: Alias, draw: float) -> str:
    """The version an invocation through *alias* runs, for a uniform *draw* in [0, 1)."""
    for version, weight in alias.additional_weights.items():
        if draw < weight:
            return version
    return alias.function_version


def alias_document(alias: Alias, region: str, account_id: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "AliasArn": function_arn(region, account_id, alias.function_name, alias.name),
        "Name": alias.name,
        "FunctionVersion": alias.function_version,
        "Description": alias.description,
        "RevisionId": alias.revision_id,
    }
    if alias.additional_weights:
        doc["RoutingConfig"] = {"AdditionalVersionWeights": dict(alias.additional_weights)}
    return doc
