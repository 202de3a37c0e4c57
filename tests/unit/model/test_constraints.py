"""Input checked against botocore's Lambda model, worded as AWS words it (lambent.model.constraints)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.loaders import Loader
from hypothesis import given
from hypothesis import strategies as st

from lambent.errors import ValidationException
from lambent.model.constraints import runtime_names, validate, violations

ROLE = "arn:aws:iam::123456789012:role/lambda-role"
VALID: dict[str, Any] = {
    "FunctionName": "my-function",
    "Role": ROLE,
    "Code": {"ZipFile": b"PK\x05\x06" + bytes(18)},
    "Runtime": "python3.12",
    "Handler": "app.handler",
    "Timeout": 3,
    "MemorySize": 128,
}


def create(**changes: Any) -> dict[str, Any]:
    return {**VALID, **changes}


def message_of(operation: str, params: dict[str, Any]) -> str:
    with pytest.raises(ValidationException) as caught:
        validate(operation, params)
    assert caught.value.status == 400
    assert caught.value.error_type == "ValidationException"
    return caught.value.message


def function_name_pattern() -> str:
    model = Loader().load_service_model("lambda", "service-2")
    pattern: str = model["shapes"]["FunctionName"]["pattern"]
    return pattern


def test_valid_create_function_raises_nothing() -> None:
    validate("CreateFunction", VALID)
    assert violations("CreateFunction", VALID) == []


def test_valid_create_function_with_every_bound_at_its_limit() -> None:
    params = create(
        MemorySize=10240,
        Timeout=900,
        EphemeralStorage={"Size": 10240},
        Description="d" * 256,
        Environment={"Variables": {"KEY_1": "v"}},
        Architectures=["arm64"],
    )
    assert violations("CreateFunction", params) == []
    params = create(MemorySize=128, Timeout=1, EphemeralStorage={"Size": 512})
    assert violations("CreateFunction", params) == []


def test_memory_size_too_large() -> None:
    assert message_of("CreateFunction", create(MemorySize=20000)) == (
        "1 validation error detected: Value '20000' at 'memorySize' failed to satisfy constraint: "
        "Member must have value less than or equal to 10240"
    )


def test_memory_size_too_small() -> None:
    assert message_of("CreateFunction", create(MemorySize=127)) == (
        "1 validation error detected: Value '127' at 'memorySize' failed to satisfy constraint: "
        "Member must have value greater than or equal to 128"
    )


def test_timeout_too_long() -> None:
    assert message_of("CreateFunction", create(Timeout=901)) == (
        "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: "
        "Member must have value less than or equal to 900"
    )


def test_timeout_zero() -> None:
    assert message_of("CreateFunction", create(Timeout=0)) == (
        "1 validation error detected: Value '0' at 'timeout' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )


def test_missing_role() -> None:
    params = create()
    del params["Role"]
    assert message_of("CreateFunction", params) == (
        "1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null"
    )


def test_explicit_null_role_is_missing_too() -> None:
    assert "Value null at 'role' failed to satisfy constraint: Member must not be null" in message_of(
        "CreateFunction", create(Role=None)
    )


def test_two_violations_are_counted_and_joined() -> None:
    assert message_of("CreateFunction", create(MemorySize=20000, Timeout=901)) == (
        "2 validation errors detected: "
        "Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900; "
        "Value '20000' at 'memorySize' failed to satisfy constraint: "
        "Member must have value less than or equal to 10240"
    )


def test_every_missing_required_member_is_listed() -> None:
    assert message_of("CreateFunction", {}) == (
        "3 validation errors detected: "
        "Value null at 'functionName' failed to satisfy constraint: Member must not be null; "
        "Value null at 'role' failed to satisfy constraint: Member must not be null; "
        "Value null at 'code' failed to satisfy constraint: Member must not be null"
    )


@pytest.mark.parametrize("name", ["f!", "my function", "a/b", "fn.py"])
def test_bad_function_name_pattern(name: str) -> None:
    assert message_of("CreateFunction", create(FunctionName=name)) == (
        f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {function_name_pattern()}"
    )


def test_function_name_too_long() -> None:
    name = "f" * 141
    assert message_of("CreateFunction", create(FunctionName=name)) == (
        f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: "
        "Member must have length less than or equal to 140"
    )


def test_ephemeral_storage_size_path_is_dotted() -> None:
    assert message_of("CreateFunction", create(EphemeralStorage={"Size": 20000})) == (
        "1 validation error detected: Value '20000' at 'ephemeralStorage.size' failed to satisfy constraint: "
        "Member must have value less than or equal to 10240"
    )


def test_ephemeral_storage_size_too_small() -> None:
    assert message_of("CreateFunction", create(EphemeralStorage={"Size": 511})) == (
        "1 validation error detected: Value '511' at 'ephemeralStorage.size' failed to satisfy constraint: "
        "Member must have value greater than or equal to 512"
    )


def test_description_too_long() -> None:
    text = "x" * 257
    assert message_of("CreateFunction", create(Description=text)) == (
        f"1 validation error detected: Value '{text}' at 'description' failed to satisfy constraint: "
        "Member must have length less than or equal to 256"
    )


def test_architecture_enum_and_list_length() -> None:
    assert message_of("CreateFunction", create(Architectures=["sparc"])) == (
        "1 validation error detected: Value '[sparc]' at 'architectures' failed to satisfy constraint: "
        "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]"
    )
    assert message_of("CreateFunction", create(Architectures=["x86_64", "arm64"])) == (
        "1 validation error detected: Value '[x86_64, arm64]' at 'architectures' failed to satisfy constraint: "
        "Member must have length less than or equal to 1"
    )


def test_environment_key_pattern() -> None:
    message = message_of("CreateFunction", create(Environment={"Variables": {"1BAD": "x"}}))
    assert message.startswith(
        "1 validation error detected: Value '1BAD' at 'environment.variables' failed to satisfy constraint: "
        "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: "
    )


def test_unknown_runtime_is_left_to_check_runtime() -> None:
    # AWS answers an unknown runtime with InvalidParameterValueException, not a validation error.
    assert violations("CreateFunction", create(Runtime="cobol85")) == []


def test_null_optional_members_are_not_checked() -> None:
    assert violations("CreateFunction", create(MemorySize=None, Timeout=None, EphemeralStorage=None)) == []


def test_other_operations_use_their_own_shapes() -> None:
    assert violations("UpdateFunctionConfiguration", {"FunctionName": "f", "MemorySize": 256}) == []
    assert message_of("UpdateFunctionConfiguration", {"FunctionName": "f", "Timeout": 1000}) == (
        "1 validation error detected: Value '1000' at 'timeout' failed to satisfy constraint: "
        "Member must have value less than or equal to 900"
    )
    assert message_of("UpdateFunctionConfiguration", {"MemorySize": 256}) == (
        "1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null"
    )


@given(st.integers(min_value=-(2**31), max_value=2**31))
def test_memory_size_range(memory: int) -> None:
    problems = violations("CreateFunction", create(MemorySize=memory))
    if 128 <= memory <= 10240:
        assert problems == []
    else:
        assert len(problems) == 1
        assert problems[0].startswith(f"Value '{memory}' at 'memorySize' failed to satisfy constraint: ")


@given(st.integers(min_value=-10_000, max_value=10_000))
def test_timeout_range(timeout: int) -> None:
    problems = violations("CreateFunction", create(Timeout=timeout))
    assert (problems == []) == (1 <= timeout <= 900)


def test_runtime_names_come_from_the_model() -> None:
    names = runtime_names()
    assert "python3.12" in names
    assert "nodejs20.x" in names
    assert len(names) == len(set(names))
