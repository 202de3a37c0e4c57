"""Function identifiers in every form AWS accepts, and the ARNs Lambent answers with.

Accepted: ``name``, ``name:qualifier``, ``123456789012:function:name[:qualifier]`` and
``arn:aws:lambda:region:123456789012:function:name[:qualifier]``. A qualifier given both in the
identifier and as the ``Qualifier`` parameter must agree. Pure: no I/O.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

import msgspec

from lambent.errors import InvalidParameterValueException, ResourceNotFoundException
from lambent.model.limits import FUNCTION_NAME_LIMIT

LATEST = "$LATEST"

_IDENTIFIER = re.compile(
    r"(?:arn:(?P<partition>aws[a-zA-Z-]*)?:lambda:)?"
    r"(?:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d{1}):)?"
    r"(?:(?P<account>\d{12}):)?"
    r"(?P<function>function:)?"
    r"(?P<name>[a-zA-Z0-9-_]+)"
    r"(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?"
)


class FunctionRef(msgspec.Struct, frozen=True, kw_only=True):
    """A parsed function identifier: which function, and which version or alias of it."""

    name: str
    qualifier: str | None = None


def function_arn(region: str, account_id: str, name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{region}:{account_id}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


@functools.lru_cache(maxsize=4096)
def parse_function_ref(identifier: str, region: str, account_id: str, qualifier: str | None = None) -> FunctionRef:
    """Parse *identifier* (already checked against the API model's pattern).

    An ARN naming another region is refused as AWS refuses it (404, "Functions from ... are not
    reachable in this region"); one naming another account cannot name a function here: 404.
    """
    match = _IDENTIFIER.fullmatch(identifier)
    if match is None:
        raise InvalidParameterValueException(f"Invalid function identifier: {identifier}")
    if match["partition"] is not None and match["region"] is None:
        raise InvalidParameterValueException(f"Invalid function identifier: {identifier}")
    if match["account"] is not None and match["function"] is None:
        raise InvalidParameterValueException(f"Invalid function identifier: {identifier}")
    name, derived = match["name"], match["qualifier"]
    if match["region"] not in (None, region):
        raise ResourceNotFoundException(f"Functions from '{match['region']}' are not reachable in this region ('{region}')")
    if match["account"] not in (None, account_id):
        raise ResourceNotFoundException(
            f"Function not found: {function_arn(match['region'] or region, match['account'] or account_id, name, derived)}"
        )
    if derived is not None and qualifier is not None and derived != qualifier:
        raise InvalidParameterValueException(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    return FunctionRef(name=name, qualifier=derived if derived is not None else qualifier)


class FunctionResource(NamedTuple):
    arn: str
    account: str
    name: str
    qualifier: str | None


def function_resource(identifier: str, region: str, account_id: str, qualifier: str | None = None) -> FunctionResource | None:
    """The function *identifier* names, as authorization sees it before any check: the ARN's own
    account and region where it gives them, the qualifier from the name or *qualifier*. None when
    it names nothing (the operation refuses it in its own words)."""
    match = _IDENTIFIER.fullmatch(identifier)
    if match is None:
        return None
    account = match["account"] or account_id
    qualifier = match["qualifier"] or qualifier
    arn = function_arn(match["region"] or region, account, match["name"], qualifier)
    return FunctionResource(arn, account, match["name"], qualifier)


def check_creatable_name(identifier: str) -> None:
    """Refuse a bare function name over 64 characters, in the words (and type) AWS uses."""
    if ":" not in identifier and len(identifier) > FUNCTION_NAME_LIMIT:
        raise InvalidParameterValueException(
            f"1 validation error detected: Value '{identifier}' at 'functionName' failed to satisfy constraint: "
            f"Member must have length less than or equal to {FUNCTION_NAME_LIMIT}"
        )


def parse_function_resource_arn(arn: str, region: str, account_id: str) -> str:
    """The function name of a taggable resource ARN (an unqualified function ARN)."""
    match = re.fullmatch(
        r"arn:aws[a-zA-Z-]*:lambda:(?P<region>[^:]+):(?P<account>\d{12}):function:(?P<name>[a-zA-Z0-9-_]+)(?::(?P<q>.+))?",
        arn,
    )
    if match is None:
        raise InvalidParameterValueException(f"Invalid resource ARN: {arn}")
    if match["q"] is not None:
        raise InvalidParameterValueException(
            "Tags on function aliases and versions are not supported. Please specify a function ARN."
        )
    if match["region"] != region or match["account"] != account_id:
        raise ResourceNotFoundException(f"Function not found: {arn}")
    return match["name"]
