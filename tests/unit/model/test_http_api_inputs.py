"""Bodies checked against botocore's apigatewayv2 model (model.http_api_inputs): wire names
mapped to the model's, every violation listed in AWS's words, as BadRequestException; decoding
refuses members an operation does not take."""

from __future__ import annotations

import pytest

from lambent.errors import BadRequestException
from lambent.model.http_api_inputs import CreateApiInput, IntegrationInput, check, decode


def test_valid_bodies_pass() -> None:
    check("CreateApi", {"name": "x", "protocolType": "HTTP", "corsConfiguration": {"maxAge": 10}}, {})
    check("CreateIntegration", {"integrationType": "AWS_PROXY", "timeoutInMillis": 50}, {"ApiId": "a"})


def test_violations_are_listed_with_wire_names() -> None:
    with pytest.raises(BadRequestException) as caught:
        check("CreateApi", {"protocolType": "GRPC", "corsConfiguration": {"maxAge": 86401}}, {})
    assert caught.value.message == (
        "3 validation errors detected: Value null at 'name' failed to satisfy constraint: Member must not be null; "
        "Value '86401' at 'corsConfiguration.maxAge' failed to satisfy constraint: "
        "Member must have value less than or equal to 86400; "
        "Value 'GRPC' at 'protocolType' failed to satisfy constraint: Member must satisfy enum value set: [WEBSOCKET, HTTP]"
    )  # in the model's order of members
    with pytest.raises(BadRequestException) as caught:
        check("CreateIntegration", {"integrationType": "AWS_PROXY", "timeoutInMillis": 30001}, {"ApiId": "a"})
    assert caught.value.message == (
        "1 validation error detected: Value '30001' at 'timeoutInMillis' failed to satisfy constraint: "
        "Member must have value less than or equal to 30000"
    )


def test_decoding_refuses_unknown_members_and_wrong_types() -> None:
    assert decode({"name": "x", "protocolType": "HTTP", "tags": {"a": "b"}}, CreateApiInput).tags == {"a": "b"}
    with pytest.raises(BadRequestException):
        decode({"name": "x", "protocolType": "HTTP", "colour": "red"}, CreateApiInput)
    with pytest.raises(BadRequestException):
        decode({"timeoutInMillis": "soon"}, IntegrationInput)
