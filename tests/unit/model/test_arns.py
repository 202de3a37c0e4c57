"""Function identifiers in every form AWS accepts (lambent.model.arns)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambent.errors import InvalidParameterValueException, ResourceNotFoundException
from lambent.model.arns import (
    LATEST,
    FunctionRef,
    check_creatable_name,
    function_arn,
    parse_function_ref,
    parse_function_resource_arn,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"
MISMATCH = "The derived qualifier from the function name does not match the specified qualifier."

names = st.from_regex(r"[a-zA-Z0-9_-]{1,64}", fullmatch=True)
qualifiers = st.one_of(st.just(LATEST), st.from_regex(r"[a-zA-Z0-9_-]{1,64}", fullmatch=True))


def parse(identifier: str, qualifier: str | None = None) -> FunctionRef:
    return parse_function_ref(identifier, REGION, ACCOUNT, qualifier)


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("my-function", FunctionRef(name="my-function")),
        ("my_function_2", FunctionRef(name="my_function_2")),
        ("my-function:7", FunctionRef(name="my-function", qualifier="7")),
        ("my-function:prod", FunctionRef(name="my-function", qualifier="prod")),
        ("my-function:$LATEST", FunctionRef(name="my-function", qualifier=LATEST)),
        (f"{ACCOUNT}:function:f", FunctionRef(name="f")),
        (f"{ACCOUNT}:function:f:3", FunctionRef(name="f", qualifier="3")),
        (f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f", FunctionRef(name="f")),
        (f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f:live", FunctionRef(name="f", qualifier="live")),
        (f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f:$LATEST", FunctionRef(name="f", qualifier=LATEST)),
    ],
)
def test_parse_function_ref(identifier: str, expected: FunctionRef) -> None:
    assert parse(identifier) == expected


def test_qualifier_parameter_applies_to_an_unqualified_identifier() -> None:
    assert parse("f", "prod") == FunctionRef(name="f", qualifier="prod")
    assert parse(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f", "2") == FunctionRef(name="f", qualifier="2")


def test_agreeing_qualifiers_are_accepted() -> None:
    assert parse("f:prod", "prod") == FunctionRef(name="f", qualifier="prod")
    assert parse(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f:1", "1") == FunctionRef(name="f", qualifier="1")


@pytest.mark.parametrize(
    ("identifier", "qualifier"),
    [
        ("f:prod", "dev"),
        ("f:1", "2"),
        ("f:$LATEST", "1"),
        (f"{ACCOUNT}:function:f:1", "$LATEST"),
        (f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f:live", "prod"),
    ],
)
def test_qualifier_mismatch(identifier: str, qualifier: str) -> None:
    with pytest.raises(InvalidParameterValueException) as caught:
        parse(identifier, qualifier)
    assert caught.value.message == MISMATCH
    assert caught.value.status == 400


regions = st.from_regex(r"[a-z]{2}(-gov)?-[a-z]{1,10}-[0-9]", fullmatch=True).filter(lambda r: r != REGION)


@given(regions, names.filter(lambda n: n != "function"), st.none() | qualifiers)
def test_other_region_is_not_reachable(region: str, name: str, qualifier: str | None) -> None:
    # AWS's words for an ARN of another region (not "Function not found").
    with pytest.raises(ResourceNotFoundException) as caught:
        parse(function_arn(region, ACCOUNT, name, qualifier))
    assert caught.value.message == f"Functions from '{region}' are not reachable in this region ('{REGION}')"
    assert caught.value.status == 404


@pytest.mark.parametrize(
    ("identifier", "arn"),
    [
        (f"arn:aws:lambda:{REGION}:210987654321:function:f", f"arn:aws:lambda:{REGION}:210987654321:function:f"),
        ("210987654321:function:f:3", f"arn:aws:lambda:{REGION}:210987654321:function:f:3"),
    ],
)
def test_other_account_is_not_found(identifier: str, arn: str) -> None:
    with pytest.raises(ResourceNotFoundException) as caught:
        parse(identifier)
    assert caught.value.message == f"Function not found: {arn}"
    assert caught.value.status == 404


def test_other_account_is_not_found_even_when_qualifiers_disagree() -> None:
    # Whose qualifier is right does not matter for a function that is not here.
    with pytest.raises(ResourceNotFoundException):
        parse("210987654321:function:f:1", "2")


@pytest.mark.parametrize(
    "identifier",
    [
        "",
        "f!",
        "f:a:b",
        f"{ACCOUNT}:f",  # an account without "function:"
        f"arn:aws:lambda:{ACCOUNT}:function:f",  # an ARN without a region
        "f:",
    ],
)
def test_malformed_identifiers(identifier: str) -> None:
    with pytest.raises(InvalidParameterValueException) as caught:
        parse(identifier)
    assert caught.value.message == f"Invalid function identifier: {identifier}"


@given(names, st.none() | qualifiers)
def test_function_arn_round_trips(name: str, qualifier: str | None) -> None:
    arn = function_arn(REGION, ACCOUNT, name, qualifier)
    assert parse(arn) == FunctionRef(name=name, qualifier=qualifier)


def _unambiguous(name: str) -> bool:
    # AWS's pattern reads "function:1", "us-east-1:prod" and "123456789012:5" as a prefix and a
    # name, not as a name and a qualifier; such names only round-trip in the longer forms.
    return name != "function" and not re.fullmatch(r"[a-z]{2}(-gov)?-[a-z]+-\d|\d{12}", name)


@given(names.filter(_unambiguous), qualifiers)
def test_every_form_names_the_same_function(name: str, qualifier: str) -> None:
    forms = [
        f"{name}:{qualifier}",
        f"{ACCOUNT}:function:{name}:{qualifier}",
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}:{qualifier}",
    ]
    for form in forms:
        assert parse(form) == FunctionRef(name=name, qualifier=qualifier)
        assert parse(form, qualifier) == FunctionRef(name=name, qualifier=qualifier)


@given(st.from_regex(r"[a-zA-Z0-9_-]{65,140}", fullmatch=True))
def test_a_bare_name_over_64_cannot_be_created(name: str) -> None:
    with pytest.raises(InvalidParameterValueException) as caught:
        check_creatable_name(name)
    assert caught.value.message == (
        f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64"
    )


@given(names)
def test_a_bare_name_up_to_64_can_be_created(name: str) -> None:
    check_creatable_name(name)


def test_the_64_limit_is_for_bare_names_only() -> None:
    check_creatable_name(function_arn(REGION, ACCOUNT, "f" * 64))
    check_creatable_name(f"{ACCOUNT}:function:{'f' * 64}")


def test_function_arn() -> None:
    assert function_arn(REGION, ACCOUNT, "f") == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"
    assert function_arn(REGION, ACCOUNT, "f", "3") == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f:3"
    assert function_arn(REGION, ACCOUNT, "f", None) == function_arn(REGION, ACCOUNT, "f", "")


# --- resource ARNs (tagging) ---------------------------------------------------------------


def test_parse_function_resource_arn() -> None:
    assert parse_function_resource_arn(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:my-fn", REGION, ACCOUNT) == "my-fn"


@pytest.mark.parametrize("qualifier", ["1", "$LATEST", "prod"])
def test_resource_arn_with_qualifier_is_refused(qualifier: str) -> None:
    with pytest.raises(InvalidParameterValueException) as caught:
        parse_function_resource_arn(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f:{qualifier}", REGION, ACCOUNT)
    assert caught.value.message == ("Tags on function aliases and versions are not supported. Please specify a function ARN.")


@pytest.mark.parametrize(
    "arn",
    [f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:f", f"arn:aws:lambda:{REGION}:210987654321:function:f"],
)
def test_resource_arn_elsewhere_is_not_found(arn: str) -> None:
    with pytest.raises(ResourceNotFoundException) as caught:
        parse_function_resource_arn(arn, REGION, ACCOUNT)
    assert caught.value.message == f"Function not found: {arn}"


@pytest.mark.parametrize(
    "arn",
    [
        "f",
        f"{ACCOUNT}:function:f",
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:f",
        f"arn:aws:lambda:{REGION}:1234:function:f",
        f"arn:aws:s3:{REGION}:{ACCOUNT}:function:f",
    ],
)
def test_malformed_resource_arn(arn: str) -> None:
    with pytest.raises(InvalidParameterValueException) as caught:
        parse_function_resource_arn(arn, REGION, ACCOUNT)
    assert caught.value.message == f"Invalid resource ARN: {arn}"
