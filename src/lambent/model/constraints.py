"""Input checked against the Lambda API model that ships with botocore, worded as AWS words it.

AWS answers input that breaks a shape's constraint (pattern, length, range, enum, required) with
a 400 ``ValidationException`` listing every violation::

    2 validation errors detected: Value 'f!' at 'functionName' failed to satisfy constraint:
    Member must satisfy regular expression pattern: ...; Value '20000' at 'memorySize' ...

The model is the one boto3 itself uses, so client and server agree on every constraint. A few
ranges are narrowed to what standard Lambda functions accept (the model also covers managed
instances, which allow more memory and longer timeouts).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import regex
from botocore.loaders import Loader

from lambent.errors import ValidationException

#: Shape name -> (min, max) for standard functions, where the shared model allows more.
_RANGE_OVERRIDES: dict[str, tuple[int, int]] = {
    "MemorySize": (128, 10240),
    "Timeout": (1, 900),
    "EphemeralStorageSize": (512, 10240),
}


@functools.cache
def _model(service: str = "lambda") -> dict[str, Any]:
    model: dict[str, Any] = Loader().load_service_model(service, "service-2")
    return model


def service_model(service: str) -> dict[str, Any]:
    """The botocore model of *service* (``lambda``, ``apigatewayv2``...), loaded once."""
    return _model(service)


@functools.cache
def _compiled(pattern: str) -> regex.Pattern[str]:
    # The model's patterns are Java regular expressions (\\p{L} and kin): ``regex`` reads them.
    return regex.compile(pattern)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    if isinstance(value, list):
        return "'[" + ", ".join(str(v) for v in value) + "]'"
    return f"'{value}'"


def _check_scalar(shape: Mapping[str, Any], shape_name: str, value: Any) -> list[str]:
    problems: list[str] = []
    kind = shape.get("type")
    if kind == "string" and isinstance(value, str):
        # AWS words an unknown runtime as InvalidParameterValueException: see check_runtime.
        if "enum" in shape and shape_name != "Runtime" and value not in shape["enum"]:
            problems.append("Member must satisfy enum value set: [" + ", ".join(shape["enum"]) + "]")
        if "min" in shape and len(value) < shape["min"]:
            problems.append(f"Member must have length greater than or equal to {shape['min']}")
        if "max" in shape and len(value) > shape["max"]:
            problems.append(f"Member must have length less than or equal to {shape['max']}")
        if "pattern" in shape and _compiled(shape["pattern"]).fullmatch(value) is None:
            problems.append(f"Member must satisfy regular expression pattern: {shape['pattern']}")
    elif kind in ("double", "float") and isinstance(value, int | float) and not isinstance(value, bool):
        if "min" in shape and value < shape["min"]:
            problems.append(f"Member must have value greater than or equal to {float(shape['min'])}")
        if "max" in shape and value > shape["max"]:
            problems.append(f"Member must have value less than or equal to {float(shape['max'])}")
    elif kind in ("integer", "long") and isinstance(value, int) and not isinstance(value, bool):
        low, high = _RANGE_OVERRIDES.get(shape_name, (shape.get("min"), shape.get("max")))
        if low is not None and value < low:
            problems.append(f"Member must have value greater than or equal to {low}")
        if high is not None and value > high:
            problems.append(f"Member must have value less than or equal to {high}")
    return problems


def _walk(shape_name: str, value: Any, path: str, out: list[str], partial: bool = False, service: str = "lambda") -> None:
    shapes = _model(service)["shapes"]
    shape = shapes[shape_name]
    kind = shape.get("type")
    if kind == "structure":
        if not isinstance(value, Mapping):
            return
        for required in [] if partial else shape.get("required", []):
            if value.get(required) is None:
                where = f"{path}.{_lower_first(required)}" if path else _lower_first(required)
                out.append(f"Value null at '{where}' failed to satisfy constraint: Member must not be null")
        for member, spec in shape.get("members", {}).items():
            if member in value and value[member] is not None:
                where = f"{path}.{_lower_first(member)}" if path else _lower_first(member)
                _walk(spec["shape"], value[member], where, out, service=service)
    elif kind == "list":
        if not isinstance(value, list):
            return
        if "min" in shape and len(value) < shape["min"]:
            out.append(
                f"Value {_show(value)} at '{path}' failed to satisfy constraint: "
                f"Member must have length greater than or equal to {shape['min']}"
            )
        if "max" in shape and len(value) > shape["max"]:
            out.append(
                f"Value {_show(value)} at '{path}' failed to satisfy constraint: "
                f"Member must have length less than or equal to {shape['max']}"
            )
        member_shape = shape["member"]["shape"]
        if shapes[member_shape].get("type") == "structure":  # each item walked, named as AWS names it
            for index, item in enumerate(value, start=1):
                _walk(member_shape, item, f"{path}.{index}.member", out, service=service)
            return
        inner = [p for item in value for p in _check_scalar(shapes[member_shape], member_shape, item)]
        if inner:
            out.append(
                f"Value {_show(value)} at '{path}' failed to satisfy constraint: Member must satisfy constraint: [{inner[0]}]"
            )
    elif kind == "map":
        if not isinstance(value, Mapping):
            return
        key_shape, value_shape = shape["key"]["shape"], shape["value"]["shape"]
        if "max" in shape and len(value) > shape["max"]:
            shown = "{" + ", ".join(f"{k}={v}" for k, v in value.items()) + "}"
            out.append(
                f"Value '{shown}' at '{path}' failed to satisfy constraint: "
                f"Member must have length less than or equal to {shape['max']}"
            )
        for key, item in value.items():
            for problem in _check_scalar(shapes[key_shape], key_shape, key):
                out.append(
                    f"Value '{key}' at '{path}' failed to satisfy constraint: Map keys must satisfy constraint: [{problem}]"
                )
            for problem in _check_scalar(shapes[value_shape], value_shape, item):
                out.append(
                    f"Value '{item}' at '{path}' failed to satisfy constraint: Map value must satisfy constraint: [{problem}]"
                )
    else:
        for problem in _check_scalar(shape, shape_name, value):
            out.append(f"Value {_show(value)} at '{path}' failed to satisfy constraint: {problem}")


def violations(operation: str, params: Mapping[str, Any], partial: bool = False, service: str = "lambda") -> list[str]:
    """Every constraint of *operation*'s input that *params* (members by model name) breaks.

    *partial*: check only the members given (the path's, before the body is read). *service*:
    whose model (``lambda``; ``iam`` and ``sts`` word their violations the same way).
    """
    input_shape = _model(service)["operations"][operation]["input"]["shape"]
    out: list[str] = []
    _walk(input_shape, params, "", out, partial, service)
    return out


def shape_violations(shape_name: str, value: Any, path: str, service: str) -> list[str]:
    """Every constraint of the model's shape *shape_name* that *value* (members by model name)
    breaks, named from *path* (``targets.1.member.input``...): for a part of an input checked
    on its own."""
    out: list[str] = []
    _walk(shape_name, value, path, out, service=service)
    return out


@functools.lru_cache(maxsize=4096)
def _cached_violations(operation: str, items: tuple[tuple[str, str], ...], partial: bool) -> tuple[str, ...]:
    return tuple(violations(operation, dict(items), partial))


def summary(problems: list[str]) -> str:
    """AWS's message for a list of violations: ``N validation error(s) detected: a; b``."""
    noun = "error" if len(problems) == 1 else "errors"
    return f"{len(problems)} validation {noun} detected: " + "; ".join(problems)


def validate(operation: str, params: Mapping[str, Any], partial: bool = False) -> None:
    """Raise AWS's ``ValidationException`` listing each violation, if there is any.

    Inputs of strings only (paths, headers: the invoke path) are answered from a cache.
    """
    if all(isinstance(v, str) for v in params.values()):
        problems = list(_cached_violations(operation, tuple(sorted(params.items())), partial))
    else:
        problems = violations(operation, params, partial)
    if problems:
        raise ValidationException(summary(problems))


#: The runtimes AWS lists when it refuses one outside its enum (CreateFunction's and
#: UpdateFunctionConfiguration's "Member must satisfy enum value set: [...] or be a valid ARN"):
#: the runtimes open for new functions, in the order AWS's answers list them (a set's order,
#: not the model's). Recorded against AWS by LocalStack's snapshots (``VALID_RUNTIMES`` in
#: localstack/services/lambda_/runtimes.py); see docs/decisions/0014-aws-error-words.md.
RUNTIMES_AS_AWS_LISTS = (
    "nodejs20.x, python3.14, provided.al2023, python3.12, python3.13, nodejs24.x, nodejs22.x, java17, "
    "nodejs16.x, java25, dotnet8, python3.10, java11, python3.11, dotnet6, java21, nodejs18.x, provided.al2, "
    "ruby3.3, ruby3.4, java8.al2, ruby3.2, python3.8, python3.9"
)


def runtime_enum_message(runtime: str) -> str:
    """AWS's words for a runtime outside the enum (answered as InvalidParameterValueException)."""
    return (
        f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "
        f"[{RUNTIMES_AS_AWS_LISTS}] or be a valid ARN"
    )


def runtime_names() -> list[str]:
    """Every runtime identifier the API model knows."""
    return list(_model()["shapes"]["Runtime"]["enum"])
