"""TagResource, UntagResource and ListTags refused as AWS refuses them: whole error responses.

Sources: the botocore model (Tags: keys 1-128, values 0-256; the Resource pattern); AWS's words
for a qualified ARN as LocalStack records them against AWS and as users quote them
("Tags on function aliases and versions are not supported"); limits from AWS's quotas page.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.aws_errors import aws_error, wire_error
from tests.fixtures.server import create

CODE = "def handler(event, context):\n    return 1\n"
ARN = "arn:aws:lambda:us-east-1:000000000000:function:"


def test_more_than_50_tags_are_refused(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE, Tags={f"k{i}": "v" for i in range(40)})
    assert wire_error(lam, lambda: lam.tag_resource(Resource=ARN + fn_name, Tags={f"n{i}": "v" for i in range(11)})) == aws_error(
        400, "InvalidParameterValueException", "Number of tags exceeds resource tag limit."
    )
    assert len(lam.list_tags(Resource=ARN + fn_name)["Tags"]) == 40
    lam.tag_resource(Resource=ARN + fn_name, Tags={f"n{i}": "v" for i in range(10)})
    assert len(lam.list_tags(Resource=ARN + fn_name)["Tags"]) == 50


def test_a_tag_key_over_128_and_a_value_over_256_are_refused(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    key = "k" * 129
    assert wire_error(lam, lambda: lam.tag_resource(Resource=ARN + fn_name, Tags={key: "v"})) == aws_error(
        400,
        "ValidationException",
        f"1 validation error detected: Value '{key}' at 'tags' failed to satisfy constraint: "
        "Map keys must satisfy constraint: [Member must have length less than or equal to 128]",
    )
    value = "v" * 257
    assert wire_error(lam, lambda: lam.tag_resource(Resource=ARN + fn_name, Tags={"k": value})) == aws_error(
        400,
        "ValidationException",
        f"1 validation error detected: Value '{value}' at 'tags' failed to satisfy constraint: "
        "Map value must satisfy constraint: [Member must have length less than or equal to 256]",
    )
    lam.tag_resource(Resource=ARN + fn_name, Tags={"k" * 128: "v" * 256})
    assert lam.list_tags(Resource=ARN + fn_name)["Tags"] == {"k" * 128: "v" * 256}


@pytest.mark.parametrize("qualifier", ["1", "$LATEST", "live"])
def test_tagging_a_version_or_alias_arn_is_refused(lam: Any, fn_name: str, qualifier: str) -> None:
    create(lam, fn_name, CODE)
    refusal = aws_error(
        400,
        "InvalidParameterValueException",
        "Tags on function aliases and versions are not supported. Please specify a function ARN.",
    )
    resource = f"{ARN}{fn_name}:{qualifier}"
    assert wire_error(lam, lambda: lam.tag_resource(Resource=resource, Tags={"k": "v"})) == refusal
    assert wire_error(lam, lambda: lam.list_tags(Resource=resource)) == refusal
    assert wire_error(lam, lambda: lam.untag_resource(Resource=resource, TagKeys=["k"])) == refusal


def test_tagging_a_function_that_does_not_exist(lam: Any, fn_name: str) -> None:
    missing = aws_error(404, "ResourceNotFoundException", f"Function not found: {ARN}{fn_name}")
    assert wire_error(lam, lambda: lam.tag_resource(Resource=ARN + fn_name, Tags={"k": "v"})) == missing
    assert wire_error(lam, lambda: lam.list_tags(Resource=ARN + fn_name)) == missing
    assert wire_error(lam, lambda: lam.untag_resource(Resource=ARN + fn_name, TagKeys=["k"])) == missing


def test_tagging_an_arn_of_another_region(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, CODE)
    elsewhere = f"arn:aws:lambda:eu-west-1:000000000000:function:{fn_name}"
    assert wire_error(lam, lambda: lam.tag_resource(Resource=elsewhere, Tags={"k": "v"})) == aws_error(
        404, "ResourceNotFoundException", f"Function not found: {elsewhere}"
    )
