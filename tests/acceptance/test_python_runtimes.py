"""What each Python runtime lets a function import without packaging it, as AWS's runtimes do,
and AWS's blank-python sample (its layer imports pkg_resources) on the runtime it targets."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lambent.model.runtime_schedule import SCHEDULE
from lambent.runtimes import discover_python
from lambent.runtimes.python_libs import COMPLETE, INSTALLED
from tests.fixtures import samples
from tests.fixtures.server import ROLE, make_zip

RUNTIMES = ("python3.9", "python3.10", "python3.11", "python3.12", "python3.13")
FOUND = discover_python(os.environ)

PROBE = """\
import sys, boto3, botocore, urllib3, pip

def handler(event, context):
    try:
        import pkg_resources
        setuptools = pkg_resources.get_distribution("setuptools").version
    except ImportError as exc:
        setuptools = str(exc)
    usage = boto3.client("lambda").get_account_settings()["AccountUsage"]
    return {
        "python": "{}.{}".format(*sys.version_info[:2]),
        "boto3": boto3.__version__,
        "botocore": botocore.__version__,
        "urllib3": urllib3.__version__,
        "pip": pip.__version__,
        "setuptools": setuptools,
        "client": sorted(usage),
    }
"""


def _installed(folder: Path) -> dict[str, str]:
    """name -> version of each distribution in one runtime's prepared set."""
    pairs = (info.name.removesuffix(".dist-info").rsplit("-", 1) for info in folder.glob("*.dist-info"))
    return {name: version for name, version in pairs}


def _invoke(lam: Any, name: str, payload: Any) -> tuple[dict[str, Any], Any, str]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(payload).encode(), LogType="Tail")
    return response, json.loads(response["Payload"].read()), base64.b64decode(response["LogResult"]).decode()


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_runtime_provides_its_own_sdk_pip_and_setuptools(lam: Any, fn_name: str, runtime: str) -> None:
    folder = INSTALLED / runtime
    if runtime not in FOUND:
        pytest.skip(f"no {runtime} interpreter on this machine")
    if not (folder / COMPLETE).is_file():
        pytest.skip(f"{runtime}'s libraries are not installed (make runtimes)")
    blocked = SCHEDULE[runtime].block_create if runtime in SCHEDULE else None
    if blocked is not None and datetime.now(UTC).date() >= blocked:
        pytest.skip(f"AWS blocks creating {runtime} functions since {blocked}")
    versions = _installed(folder)
    minor = int(runtime.split(".")[1])
    lam.create_function(
        FunctionName=fn_name,
        Runtime=runtime,
        Handler="app.handler",
        Role=ROLE,
        Code={"ZipFile": make_zip({"app.py": PROBE})},
        MemorySize=1024,  # CPU follows memory: importing boto3 and pkg_resources at 128 MB is slow
        Timeout=30,
    )
    response, body, _ = _invoke(lam, fn_name, {})
    assert "FunctionError" not in response, body
    assert body == {
        "python": f"3.{minor}",
        "boto3": versions["boto3"],
        "botocore": versions["botocore"],
        "urllib3": versions["urllib3"],
        "pip": versions["pip"],
        # CPython's ensurepip stopped bundling setuptools in 3.12; AWS's 3.12+ runtimes lack it too.
        "setuptools": versions["setuptools"] if minor < 12 else "No module named 'pkg_resources'",
        "client": ["FunctionCount", "TotalCodeSize"],
    }
    if minor < 10:  # botocore's own pin: urllib3 2.x does not run on Python 3.9
        assert body["urllib3"].startswith("1.26.")


def _deploy_blank_python(lam: Any, name: str, runtime: str) -> None:
    files = samples.layer_files()
    if not files:
        pytest.skip("the blank-python sample's layer is not built (make runtimes)")
    layer = lam.publish_layer_version(
        LayerName=name,
        Description="Dependencies for the blank-python sample app.",
        Content={"ZipFile": make_zip(files)},
        CompatibleRuntimes=[samples.RUNTIME],
    )
    lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Handler=samples.HANDLER,
        Role=ROLE,
        Code={"ZipFile": make_zip({"lambda_function.py": samples.FUNCTION})},
        Description="Call the AWS Lambda API",
        Timeout=10,
        MemorySize=1024,
        TracingConfig={"Mode": "Active"},
        Layers=[layer["LayerVersionArn"]],
    )


def test_aws_blank_python_sample_on_its_runtime(lam: Any, fn_name: str) -> None:
    if samples.RUNTIME not in FOUND:
        pytest.skip(f"no {samples.RUNTIME} interpreter on this machine")
    _deploy_blank_python(lam, fn_name, samples.RUNTIME)
    response, body, log = _invoke(lam, fn_name, {"key1": "value1"})
    assert "FunctionError" not in response, body
    assert body == lam.get_account_settings()["AccountUsage"]
    assert '## EVENT\r{"key1": "value1"}' in log


def test_aws_blank_python_sample_needs_setuptools_after_3_11(lam: Any, fn_name: str) -> None:
    """On python3.12 the sample's layer fails to import, as on AWS: no setuptools there."""
    if "python3.12" not in FOUND:
        pytest.skip("no python3.12 interpreter on this machine")
    _deploy_blank_python(lam, fn_name, "python3.12")
    response, body, _ = _invoke(lam, fn_name, {})
    assert response["FunctionError"] == "Unhandled"
    assert body == {
        "errorMessage": "Unable to import module 'lambda_function': No module named 'pkg_resources'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }
