"""The operation -> IAM action map: AWS's action names and resource kinds, the ARNs authorized
on (qualified where AWS qualifies them), and every Lambda operation Lambent's route table serves
has an entry."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import botocore
import pytest
from starlette.routing import Match

from lambent.model.lambda_actions import OPERATIONS, Operation, resource_arn

R, A = "us-east-1", "123456789012"
FN = f"arn:aws:lambda:{R}:{A}:function:f"


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("Invoke", Operation("lambda:InvokeFunction", "function", qualifiable=True)),
        ("InvokeAsync", Operation("lambda:InvokeAsync", "function")),
        ("GetFunction", Operation("lambda:GetFunction", "function", qualifiable=True)),
        ("GetFunctionConfiguration", Operation("lambda:GetFunctionConfiguration", "function", qualifiable=True)),
        ("UpdateFunctionCode", Operation("lambda:UpdateFunctionCode", "function")),
        ("CreateFunction", Operation("lambda:CreateFunction", "function")),
        ("ListFunctions", Operation("lambda:ListFunctions", "*")),
        ("GetAccountSettings", Operation("lambda:GetAccountSettings", "*")),
        ("AddPermission", Operation("lambda:AddPermission", "function", qualifiable=True)),
        ("GetPolicy", Operation("lambda:GetPolicy", "function", qualifiable=True)),
        ("CreateAlias", Operation("lambda:CreateAlias", "function")),
        ("CreateFunctionUrlConfig", Operation("lambda:CreateFunctionUrlConfig", "function", qualifiable=True)),
        ("DeleteFunctionUrlConfig", Operation("lambda:DeleteFunctionUrlConfig", "function", qualifiable=True)),
        ("ListFunctionUrlConfigs", Operation("lambda:ListFunctionUrlConfigs", "function")),
        ("ListLayers", Operation("lambda:ListLayers", "*")),
        ("ListLayerVersions", Operation("lambda:ListLayerVersions", "layer")),
        ("PublishLayerVersion", Operation("lambda:PublishLayerVersion", "layer")),
        ("GetLayerVersion", Operation("lambda:GetLayerVersion", "layer_version")),
        ("GetLayerVersionByArn", Operation("lambda:GetLayerVersion", "layer_version")),
        ("AddLayerVersionPermission", Operation("lambda:AddLayerVersionPermission", "layer_version")),
        ("ListCodeSigningConfigs", Operation("lambda:ListCodeSigningConfigs", "*")),
        ("GetCodeSigningConfig", Operation("lambda:GetCodeSigningConfig", "code_signing_config")),
        ("PutFunctionCodeSigningConfig", Operation("lambda:PutFunctionCodeSigningConfig", "function")),
        ("TagResource", Operation("lambda:TagResource", "function")),
        ("GetUsage", Operation("lambent:GetUsage", "*")),
        ("PutBudget", Operation("lambent:PutBudget", "*")),
        ("PutBucketNotificationConfiguration", Operation("s3:PutBucketNotification", "bucket")),
        ("CreateAccount", Operation("lambent:CreateAccount", "*", server=True)),
        ("FilterLogEvents", Operation("logs:FilterLogEvents", "log_group")),
        ("GetLogEvents", Operation("logs:GetLogEvents", "log_stream")),
    ],
)
def test_operation(op: str, expected: Operation) -> None:
    assert OPERATIONS[op] == expected


def test_actions_are_the_operation_names_but_five() -> None:
    renamed = {op: o.action for op, o in OPERATIONS.items() if o.action.split(":", 1)[1] != op}
    assert renamed == {
        "Invoke": "lambda:InvokeFunction",
        "InvokeWithResponseStream": "lambda:InvokeFunction",  # the Service Authorization Reference's
        "GetLayerVersionByArn": "lambda:GetLayerVersion",
        # S3's own actions for its bucket notification operations
        "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
        "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    }


@pytest.mark.parametrize(
    ("op", "parts", "arn"),
    [
        ("Invoke", {"function": "f"}, FN),
        ("Invoke", {"function": "f", "qualifier": "1"}, FN + ":1"),
        ("Invoke", {"function": "f", "qualifier": "prod"}, FN + ":prod"),
        ("Invoke", {"function": "f", "qualifier": "$LATEST"}, FN + ":$LATEST"),
        ("GetFunction", {"function": "f", "qualifier": "2"}, FN + ":2"),
        ("DeleteFunction", {"function": "f", "qualifier": "2"}, FN + ":2"),
        ("GetPolicy", {"function": "f", "qualifier": "prod"}, FN + ":prod"),
        ("PutProvisionedConcurrencyConfig", {"function": "f", "qualifier": "prod"}, FN + ":prod"),
        ("UpdateFunctionUrlConfig", {"function": "f", "qualifier": "live"}, FN + ":live"),
        ("ListFunctionUrlConfigs", {"function": "f", "qualifier": "live"}, FN),
        # Operations without a Qualifier are on the function, whatever qualifier is passed.
        ("UpdateFunctionCode", {"function": "f", "qualifier": "1"}, FN),
        ("PublishVersion", {"function": "f"}, FN),
        ("GetAlias", {"function": "f", "qualifier": "prod"}, FN),
        ("PutFunctionConcurrency", {"function": "f"}, FN),
        ("InvokeAsync", {"function": "f", "qualifier": "1"}, FN),
        ("ListFunctions", {}, "*"),
        ("ListFunctions", {"function": "f"}, "*"),
        ("GetAccountSettings", {}, "*"),
        ("ListLayers", {}, "*"),
        ("PublishLayerVersion", {"layer": "my-layer"}, f"arn:aws:lambda:{R}:{A}:layer:my-layer"),
        ("ListLayerVersions", {"layer": "my-layer"}, f"arn:aws:lambda:{R}:{A}:layer:my-layer"),
        ("GetLayerVersion", {"layer": "my-layer", "version": 3}, f"arn:aws:lambda:{R}:{A}:layer:my-layer:3"),
        ("DeleteLayerVersion", {"layer": "my-layer", "version": "3"}, f"arn:aws:lambda:{R}:{A}:layer:my-layer:3"),
        ("GetCodeSigningConfig", {"code_signing_config": "csc-0123"}, f"arn:aws:lambda:{R}:{A}:code-signing-config:csc-0123"),
        ("TagResource", {"arn": FN}, FN),
        ("GetUsage", {}, "*"),
        ("ListBudgets", {}, "*"),
        ("PutBucketNotificationConfiguration", {"bucket": "photos"}, "arn:aws:s3:::photos"),
        ("FilterLogEvents", {"log_group": "/aws/lambda/f"}, f"arn:aws:logs:{R}:{A}:log-group:/aws/lambda/f:log-stream:"),
        ("DescribeLogStreams", {"log_group": "/aws/lambda/f"}, f"arn:aws:logs:{R}:{A}:log-group:/aws/lambda/f:log-stream:"),
        (
            "GetLogEvents",
            {"log_group": "/aws/lambda/f", "log_stream": "2026/12/03/[$LATEST]abc"},
            f"arn:aws:logs:{R}:{A}:log-group:/aws/lambda/f:log-stream:2026/12/03/[$LATEST]abc",
        ),
    ],
)
def test_resource_arn(op: str, parts: dict[str, Any], arn: str) -> None:
    assert resource_arn(op, region=R, account_id=A, **parts) == arn


@pytest.mark.parametrize(
    ("op", "parts"),
    [
        ("GetFunction", {}),
        ("GetLayerVersion", {"layer": "l"}),
        ("GetLogEvents", {"log_group": "g"}),
        ("GetBucketNotificationConfiguration", {}),
    ],
)
def test_resource_arn_needs_its_parts(op: str, parts: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=op):
        resource_arn(op, region=R, account_id=A, **parts)


def test_unknown_operation() -> None:
    with pytest.raises(KeyError):
        resource_arn("Frobnicate", region=R, account_id=A)


def test_a_log_group_policy_pattern_covers_its_arns() -> None:
    from lambent.model.iam_wildcards import resource_matches

    pattern = f"arn:aws:logs:{R}:{A}:log-group:/aws/lambda/f:*"
    for op, parts in [("FilterLogEvents", {}), ("GetLogEvents", {"log_stream": "s"})]:
        assert resource_matches(pattern, resource_arn(op, region=R, account_id=A, log_group="/aws/lambda/f", **parts))


class _AnyHandler:
    """Every handler attribute the route table asks for: an endpoint that is never called."""

    def __getattr__(self, name: str) -> Any:
        async def endpoint(*_: Any) -> None:
            raise AssertionError("not called")

        return endpoint


def _served_operations() -> dict[str, str]:
    """Lambda's operations (from botocore's model) that a route of Lambent's table matches, each
    with the operation name that route is guarded as."""
    from lambent.api.routes import Handlers, routes

    named: dict[int, str] = {}

    def guard(operation: str, endpoint: Any) -> Any:
        named[id(endpoint)] = operation
        return endpoint

    handlers = Handlers(**{field: _AnyHandler() for field in Handlers.__struct_fields__})  # type: ignore[arg-type]
    table = [r for r in routes(handlers, guard) if getattr(r, "path", "") not in ("/{rest:path}", "/")]  # type: ignore[arg-type]
    model_path = Path(botocore.__file__).parent / "data" / "lambda" / "2015-03-31" / "service-2.json.gz"
    model = json.loads(gzip.decompress(model_path.read_bytes()))
    served = {}
    for name, op in model["operations"].items():
        uri = op["http"]["requestUri"].split("?", 1)[0]
        path = re.sub(r"\{[^}]+\}", "x1", uri)
        scope = {"type": "http", "method": op["http"]["method"], "path": path, "path_params": {}}
        for route in table:
            if route.matches(scope)[0] is Match.FULL:
                served[name] = named.get(id(getattr(route, "endpoint", None)), "(unguarded)")
                break
    return served


def test_every_operation_lambent_serves_is_mapped_and_guarded_by_its_own_name() -> None:
    served = _served_operations()
    assert {"Invoke", "CreateFunction", "ListLayers", "GetAccountSettings", "TagResource", "AddPermission"} <= set(served)
    assert set(served) - set(OPERATIONS) == set()
    # each route is authorized as the operation AWS's model says it is (two share a path with
    # another and are told apart by their query, in api/guard's _BY_QUERY)
    assert {name: guarded for name, guarded in served.items() if guarded != name} == {
        "GetLayerVersionByArn": "ListLayers",
        "ListProvisionedConcurrencyConfigs": "GetProvisionedConcurrencyConfig",
    }
