"""Layers through boto3: publish, read, share, delete; functions using them from /opt."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures.server import ROLE, RUNTIME, create, make_zip


def test_layer_lifecycle(lam: Any, fn_name: str) -> None:
    name = f"{fn_name}-layer"
    data = make_zip({"python/shared_lib.py": "VALUE = 'one'\n"})
    first = lam.publish_layer_version(
        LayerName=name, Content={"ZipFile": data}, Description="first", CompatibleRuntimes=[RUNTIME], LicenseInfo="MIT"
    )
    assert first["Version"] == 1 and first["LayerVersionArn"] == f"{first['LayerArn']}:1"
    assert first["LayerArn"] == f"arn:aws:lambda:us-east-1:000000000000:layer:{name}"
    assert first["Content"]["CodeSize"] == len(data) and first["CompatibleRuntimes"] == [RUNTIME]
    second = lam.publish_layer_version(LayerName=name, Content={"ZipFile": make_zip({"python/shared_lib.py": "VALUE = 2\n"})})
    assert second["Version"] == 2
    assert lam.get_layer_version(LayerName=name, VersionNumber=1)["Description"] == "first"
    assert lam.get_layer_version_by_arn(Arn=first["LayerVersionArn"])["Version"] == 1
    assert [v["Version"] for v in lam.list_layer_versions(LayerName=name)["LayerVersions"]] == [2, 1]
    listed = {layer["LayerName"]: layer for layer in lam.list_layers()["Layers"]}
    assert listed[name]["LatestMatchingVersion"]["Version"] == 2

    added = lam.add_layer_version_permission(
        LayerName=name, VersionNumber=1, StatementId="share", Action="lambda:GetLayerVersion", Principal="*"
    )
    assert json.loads(added["Statement"])["Sid"] == "share"
    policy = json.loads(lam.get_layer_version_policy(LayerName=name, VersionNumber=1)["Policy"])
    assert policy["Statement"][0]["Action"] == "lambda:GetLayerVersion"
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.add_layer_version_permission(
            LayerName=name, VersionNumber=1, StatementId="share", Action="lambda:GetLayerVersion", Principal="*"
        )
    lam.remove_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="share")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_layer_version_policy(LayerName=name, VersionNumber=1)

    lam.delete_layer_version(LayerName=name, VersionNumber=2)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_layer_version(LayerName=name, VersionNumber=2)
    third = lam.publish_layer_version(LayerName=name, Content={"ZipFile": data})
    assert third["Version"] == 3  # numbers are never reused


def test_python_function_imports_from_layers_in_order(lam: Any, fn_name: str) -> None:
    base = lam.publish_layer_version(
        LayerName=f"{fn_name}-base",
        Content={
            "ZipFile": make_zip({"python/dep.py": "WHO = 'base'\n", "python/only_base.py": "X = 1\n", "bin/tool": "#!/bin/sh\n"})
        },
    )
    over = lam.publish_layer_version(
        LayerName=f"{fn_name}-over", Content={"ZipFile": make_zip({"python/dep.py": "WHO = 'override'\n"})}
    )
    code = (
        "import os, dep, only_base\n"
        "def handler(event, context):\n"
        "    return {'who': dep.WHO, 'base': only_base.X, 'path_has_opt_bin': os.environ['PATH'].endswith('/bin')}\n"
    )
    created = create(lam, fn_name, code, Layers=[base["LayerVersionArn"], over["LayerVersionArn"]])
    assert [layer["Arn"] for layer in created["Layers"]] == [base["LayerVersionArn"], over["LayerVersionArn"]]
    assert created["Layers"][0]["CodeSize"] == base["Content"]["CodeSize"]
    result = json.loads(lam.invoke(FunctionName=fn_name, Payload=b"{}")["Payload"].read())
    assert result == {"who": "override", "base": 1, "path_has_opt_bin": True}
    # Removing the override layer takes effect on the next invoke.
    lam.update_function_configuration(FunctionName=fn_name, Layers=[base["LayerVersionArn"]])
    assert json.loads(lam.invoke(FunctionName=fn_name, Payload=b"{}")["Payload"].read())["who"] == "base"


def test_node_function_requires_a_module_from_a_layer(lam: Any, fn_name: str) -> None:
    layer = lam.publish_layer_version(
        LayerName=f"{fn_name}-mod",
        Content={"ZipFile": make_zip({"nodejs/node_modules/greeter/index.js": "module.exports = (n) => `hello ${n}`;\n"})},
    )
    code = "const greet = require('greeter');\nexports.handler = async (event) => greet(event.name);\n"
    lam.create_function(
        FunctionName=fn_name,
        Runtime="nodejs20.x",
        Handler="index.handler",
        Role=ROLE,
        Code={"ZipFile": make_zip({"index.js": code})},
        Layers=[layer["LayerVersionArn"]],
    )
    response = lam.invoke(FunctionName=fn_name, Payload=json.dumps({"name": "layers"}).encode())
    assert json.loads(response["Payload"].read()) == "hello layers"


def test_layer_errors(lam: Any, fn_name: str) -> None:
    layer = lam.publish_layer_version(LayerName=f"{fn_name}-l", Content={"ZipFile": make_zip({"python/x.py": ""})})
    arn = layer["LayerVersionArn"]
    missing = arn[: arn.rindex(":")] + ":99"
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as error:
        create(lam, fn_name, "def handler(e, c):\n    return 1\n", Layers=[missing])
    assert error.value.response["Error"]["Message"] == f"Layer version {missing} does not exist."
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as error:
        create(lam, fn_name, "def handler(e, c):\n    return 1\n", Layers=[arn] * 6)
    assert error.value.response["Error"]["Message"] == "Cannot reference more than 5 layers."
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_layer_version(LayerName=f"{fn_name}-none", VersionNumber=1)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=fn_name)  # nothing was created


def _zeros_zip(name: str, megabytes: int) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", "def handler(e, c):\n    return 1\n")
        with archive.open(name, "w", force_zip64=True) as sink:
            for _ in range(megabytes):
                sink.write(bytes(1 << 20))
    return buffer.getvalue()


def test_function_and_layers_share_the_250_mb_limit(lam: Any, fn_name: str) -> None:
    layer = lam.publish_layer_version(LayerName=f"{fn_name}-big", Content={"ZipFile": _zeros_zip("python/big.bin", 150)})
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as error:
        lam.create_function(
            FunctionName=fn_name,
            Runtime=RUNTIME,
            Handler="app.handler",
            Role=ROLE,
            Code={"ZipFile": _zeros_zip("data.bin", 110)},
            Layers=[layer["LayerVersionArn"]],
        )
    message = error.value.response["Error"]["Message"]
    assert message.startswith(
        "Function code combined with layers exceeds the maximum allowed size of 262144000 bytes. The actual size is "
    )
    assert int(message.rsplit(" ", 2)[1]) > 260 * 1024 * 1024
