"""Where an HTTP API request is addressed (model.api_address), which function an integration
names (model.lambda_target), and how the control plane and the invoke are authorized
(model.apigateway_actions)."""

from __future__ import annotations

from lambent.model.api_address import ApiAddress, api_address_of, api_host_suffix, is_api_host, stage_and_path
from lambent.model.apigateway_actions import execute_api_arn, management_action, management_resource
from lambent.model.lambda_target import LambdaTarget, lambda_target

SUFFIXES = (api_host_suffix("us-east-1"), ".apis.example.com")


def test_an_api_is_addressed_by_host_or_by_path() -> None:
    assert api_address_of("abcdef1234.execute-api.us-east-1.localhost:9001", "/prod/x", SUFFIXES) == ApiAddress(
        api_id="abcdef1234", raw_path="/prod/x", domain_name="abcdef1234.execute-api.us-east-1.localhost"
    )
    assert api_address_of("ABCDEF1234.apis.example.com.", "", SUFFIXES) == ApiAddress(
        api_id="abcdef1234", raw_path="/", domain_name="abcdef1234.apis.example.com"
    )
    assert api_address_of("127.0.0.1:9001", "/lambent/apis/abcdef1234/a%20b", SUFFIXES) == ApiAddress(
        api_id="abcdef1234", raw_path="/a%20b", domain_name="127.0.0.1"
    )
    assert api_address_of("127.0.0.1:9001", "/lambent/apis/abcdef1234", SUFFIXES) == ApiAddress(
        api_id="abcdef1234", raw_path="/", domain_name="127.0.0.1"
    )
    for host, path in (("short.execute-api.us-east-1.localhost", "/"), ("127.0.0.1", "/lambent/apis/bad/"), ("x.test", "/")):
        assert api_address_of(host, path, SUFFIXES) is None
    assert is_api_host("bad.execute-api.us-east-1.localhost", SUFFIXES)
    assert not is_api_host("127.0.0.1:9001", SUFFIXES) and not is_api_host(None, SUFFIXES)


def test_the_first_part_names_a_stage_else_default_serves() -> None:
    stages = {"$default", "prod"}
    assert stage_and_path("/prod/pets/1", stages) == ("prod", "/prod", "/pets/1")
    assert stage_and_path("/prod", stages) == ("prod", "/prod", "/")
    assert stage_and_path("/pets/1", stages) == ("$default", "", "/pets/1")
    assert stage_and_path("/$default/x", stages) == ("$default", "", "/$default/x")
    assert stage_and_path("/pets", {"prod"}) is None


def test_lambda_targets_are_function_arns_or_invocation_uris() -> None:
    fn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    assert lambda_target(fn) == LambdaTarget(region="us-east-1", account="123456789012", name="f")
    assert lambda_target(f"{fn}:live") == LambdaTarget(region="us-east-1", account="123456789012", name="f", qualifier="live")
    invocation = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{fn}:3/invocations"
    target = lambda_target(invocation)
    assert target is not None and target.arn == f"{fn}:3"
    for uri in ("f", "https://example.com", "arn:aws:lambda:us-east-1:123:function:f", f"{fn}:a:b"):
        assert lambda_target(uri) is None


def test_management_is_authorized_by_method_on_the_path() -> None:
    assert management_action("patch") == "apigateway:PATCH"
    assert management_resource("us-east-1", "/v2/apis/abc/routes/r1") == "arn:aws:apigateway:us-east-1::/apis/abc/routes/r1"
    assert management_resource("us-east-1", "/v2/apis") == "arn:aws:apigateway:us-east-1::/apis"


def test_the_source_arn_names_api_stage_method_and_route_path() -> None:
    assert execute_api_arn("us-east-1", "1" * 12, "abc", "prod", "GET", "GET /pets/{id}") == (
        "arn:aws:execute-api:us-east-1:111111111111:abc/prod/GET/pets/{id}"
    )
    assert execute_api_arn("us-east-1", "1" * 12, "abc", "$default", "POST", "ANY /{proxy+}") == (
        "arn:aws:execute-api:us-east-1:111111111111:abc/$default/POST/{proxy+}"
    )
    assert execute_api_arn("us-east-1", "1" * 12, "abc", "$default", "GET", "$default") == (
        "arn:aws:execute-api:us-east-1:111111111111:abc/$default/$default"
    )
