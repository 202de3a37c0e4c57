"""Names, qualifiers, tags and the runtime enum at and around each limit, as the pure rules
(``model.constraints`` against botocore's model, ``model.arns``) answer them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.errors import InvalidParameterValueException, ValidationException
from lambent.model.constraints import RUNTIMES_AS_AWS_LISTS, runtime_enum_message, runtime_names, validate, violations
from lambent.model.function import check_runtime

TAG_RESOURCE = "arn:aws:lambda:us-east-1:123456789012:function:f"
keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=200)


@given(keys)
def test_a_tag_key_is_refused_exactly_past_128(key: str) -> None:
    problems = violations("TagResource", {"Resource": TAG_RESOURCE, "Tags": {key: "v"}})
    if len(key) <= 128:
        assert problems == []
    else:
        assert problems == [
            f"Value '{key}' at 'tags' failed to satisfy constraint: "
            "Map keys must satisfy constraint: [Member must have length less than or equal to 128]"
        ]


@given(st.integers(0, 400))
def test_a_tag_value_is_refused_exactly_past_256(length: int) -> None:
    value = "v" * length
    problems = violations("TagResource", {"Resource": TAG_RESOURCE, "Tags": {"k": value}})
    expected = (
        []
        if length <= 256
        else [
            f"Value '{value}' at 'tags' failed to satisfy constraint: "
            "Map value must satisfy constraint: [Member must have length less than or equal to 256]"
        ]
    )
    assert problems == expected


@given(st.integers(1, 200))
def test_a_qualifier_is_refused_exactly_past_128(length: int) -> None:
    qualifier = "q" * length
    problems = violations("GetFunction", {"FunctionName": "f", "Qualifier": qualifier}, partial=True)
    expected = (
        []
        if length <= 128
        else [
            f"Value '{qualifier}' at 'qualifier' failed to satisfy constraint: Member must have length less than or equal to 128"
        ]
    )
    assert problems == expected


@given(st.integers(1, 200))
def test_a_create_function_name_is_refused_by_the_model_past_140(length: int) -> None:
    # The model's bound; the 64 of a bare name is model.arns.check_creatable_name's.
    name = "n" * length
    problems = violations("CreateFunction", {"FunctionName": name}, partial=True)
    expected = (
        []
        if length <= 140
        else [f"Value '{name}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 140"]
    )
    assert problems == expected


def test_aws_lists_open_runtimes_all_of_which_the_model_knows() -> None:
    listed = RUNTIMES_AS_AWS_LISTS.split(", ")
    assert len(listed) == len(set(listed)) == 24
    assert set(listed) <= set(runtime_names())


@given(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.", min_size=1, max_size=20).filter(lambda r: r not in runtime_names())
)
def test_a_runtime_outside_the_enum_gets_aws_words(runtime: str) -> None:
    with pytest.raises(InvalidParameterValueException) as caught:
        check_runtime(runtime, "app.handler", ["python3.12"], runtime_names())
    assert (
        caught.value.message
        == runtime_enum_message(runtime)
        == (
            f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "
            f"[{RUNTIMES_AS_AWS_LISTS}] or be a valid ARN"
        )
    )


def test_validation_errors_are_counted() -> None:
    with pytest.raises(ValidationException) as caught:
        validate("TagResource", {"Resource": TAG_RESOURCE, "Tags": {"k" * 129: "v" * 257}})
    assert caught.value.message.startswith("2 validation errors detected: ")
