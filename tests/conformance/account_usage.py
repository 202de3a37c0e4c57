"""GetAccountSettings, whole, as creates, updates, publishes and deletes move it.

Sources: AWS's API reference (AccountUsage.TotalCodeSize: "the amount of storage space, in bytes,
that's being used by deployment packages and layer archives"; AccountLimit's members); the
quotas page for the limits; each version counting its own package as LocalStack records AWS.
"""

from __future__ import annotations

from typing import Any

from tests.fixtures.server import create, make_zip

ONE = "def handler(event, context):\n    return 1\n"
TWO = "def handler(event, context):\n    return 'a longer answer than the first'\n"


def _settings(lam: Any) -> dict[str, Any]:
    document = lam.get_account_settings()
    document.pop("ResponseMetadata")
    return dict(document)


def _expected(before: dict[str, Any], functions: int, code: int) -> dict[str, Any]:
    usage = before["AccountUsage"]
    return {
        "AccountLimit": {
            "TotalCodeSize": 80 * 1024**3,
            "CodeSizeUnzipped": 250 * 1024**2,
            "CodeSizeZipped": 50 * 1024**2,
            "ConcurrentExecutions": 1000,
            "UnreservedConcurrentExecutions": before["AccountLimit"]["UnreservedConcurrentExecutions"],
        },
        "AccountUsage": {"TotalCodeSize": usage["TotalCodeSize"] + code, "FunctionCount": usage["FunctionCount"] + functions},
    }


def test_usage_follows_each_version_and_layer(lam: Any, fn_name: str) -> None:
    before = _settings(lam)
    first = create(lam, fn_name, ONE)["CodeSize"]
    assert _settings(lam) == _expected(before, 1, first)

    lam.publish_version(FunctionName=fn_name)  # version 1 counts its package too
    assert _settings(lam) == _expected(before, 1, 2 * first)

    lam.update_function_configuration(FunctionName=fn_name, Description="configuration only")
    lam.get_waiter("function_updated_v2").wait(FunctionName=fn_name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    assert _settings(lam) == _expected(before, 1, 2 * first)

    second = lam.update_function_code(FunctionName=fn_name, ZipFile=make_zip({"app.py": TWO}))["CodeSize"]
    lam.get_waiter("function_updated_v2").wait(FunctionName=fn_name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    assert second != first
    assert _settings(lam) == _expected(before, 1, first + second)

    layer = lam.publish_layer_version(LayerName=fn_name, Content={"ZipFile": make_zip({"python/extra.py": TWO})})
    assert _settings(lam) == _expected(before, 1, first + second + layer["Content"]["CodeSize"])
    lam.delete_layer_version(LayerName=fn_name, VersionNumber=layer["Version"])
    assert _settings(lam) == _expected(before, 1, first + second)

    lam.delete_function(FunctionName=fn_name)
    assert _settings(lam) == _expected(before, 0, 0)


def test_provisioned_concurrency_of_an_unreserved_function_leaves_the_pool(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, ONE)
    version = lam.publish_version(FunctionName=fn_name)["Version"]
    before = _settings(lam)["AccountLimit"]["UnreservedConcurrentExecutions"]
    lam.put_provisioned_concurrency_config(FunctionName=fn_name, Qualifier=version, ProvisionedConcurrentExecutions=1)
    try:
        assert _settings(lam)["AccountLimit"]["UnreservedConcurrentExecutions"] == before - 1
        lam.put_function_concurrency(FunctionName=fn_name, ReservedConcurrentExecutions=3)
        # The reservation holds the function's provisioned concurrency: the pool loses 3, not 4.
        assert _settings(lam)["AccountLimit"]["UnreservedConcurrentExecutions"] == before - 3
    finally:
        lam.delete_provisioned_concurrency_config(FunctionName=fn_name, Qualifier=version)
        lam.delete_function_concurrency(FunctionName=fn_name)
    assert _settings(lam)["AccountLimit"]["UnreservedConcurrentExecutions"] == before
