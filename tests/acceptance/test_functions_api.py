"""The control plane driven by boto3 against a real server: lifecycle, fields, errors."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import urllib.request
import zipfile
from typing import Any

import pytest

from tests.fixtures.server import ROLE, RUNTIME, create, make_zip

HELLO = "def handler(event, context):\n    return {'version': 1, 'event': event}\n"


def invoke_json(lam: Any, name: str, payload: Any = None, **kwargs: Any) -> Any:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}).encode(), **kwargs)
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response, response["Payload"].read()
    return json.loads(response["Payload"].read())


def test_full_lifecycle(lam: Any, fn_name: str) -> None:
    created = create(lam, fn_name, HELLO, Description="first", Environment={"Variables": {"GREETING": "hi"}})
    assert created["State"] == "Pending"
    assert created["Version"] == "$LATEST"
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{fn_name}"
    assert lam.get_function(FunctionName=fn_name)["Configuration"]["State"] == "Active"
    assert invoke_json(lam, fn_name, {"a": 1}) == {"version": 1, "event": {"a": 1}}

    before = lam.get_function_configuration(FunctionName=fn_name)
    new_code = "import os\ndef handler(event, context):\n    return {'version': 2, 'greeting': os.environ.get('GREETING')}\n"
    updated = lam.update_function_code(FunctionName=fn_name, ZipFile=make_zip({"app.py": new_code}))
    assert updated["CodeSha256"] != before["CodeSha256"]
    assert updated["RevisionId"] != before["RevisionId"]
    lam.get_waiter("function_updated_v2").wait(FunctionName=fn_name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    assert invoke_json(lam, fn_name) == {"version": 2, "greeting": "hi"}

    configured = lam.update_function_configuration(
        FunctionName=fn_name, MemorySize=256, Timeout=10, Environment={"Variables": {"GREETING": "hello"}}
    )
    assert (configured["MemorySize"], configured["Timeout"]) == (256, 10)
    assert configured["RevisionId"] != updated["RevisionId"]
    assert invoke_json(lam, fn_name) == {"version": 2, "greeting": "hello"}

    lam.delete_function(FunctionName=fn_name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as error:
        lam.get_function(FunctionName=fn_name)
    assert error.value.response["Error"]["Message"] == (
        f"Function not found: arn:aws:lambda:us-east-1:000000000000:function:{fn_name}"
    )


def test_configuration_has_every_aws_field(lam: Any, fn_name: str) -> None:
    data = make_zip({"app.py": HELLO})
    create(
        lam,
        fn_name,
        HELLO,
        MemorySize=512,
        Timeout=30,
        EphemeralStorage={"Size": 1024},
        Architectures=["arm64"],
        Tags={"team": "core"},
    )
    got = lam.get_function(FunctionName=fn_name)
    config = got["Configuration"]
    assert config["CodeSha256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert config["CodeSize"] == len(data)
    assert config["MemorySize"] == 512 and config["Timeout"] == 30
    assert config["EphemeralStorage"] == {"Size": 1024}
    assert config["Architectures"] == ["arm64"]
    assert config["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{fn_name}"}
    assert config["TracingConfig"] == {"Mode": "PassThrough"}
    assert config["PackageType"] == "Zip" and config["Runtime"] == RUNTIME and config["Role"] == ROLE
    assert config["LastUpdateStatus"] == "Successful" and config["State"] == "Active"
    assert config["SnapStart"] == {"ApplyOn": "None", "OptimizationStatus": "Off"}
    assert len(config["LastModified"]) == 28 and config["LastModified"].endswith("+0000")
    assert got["Tags"] == {"team": "core"}
    # Code.Location downloads exactly the uploaded zip.
    with urllib.request.urlopen(got["Code"]["Location"]) as response:
        assert response.read() == data


def test_identifier_forms(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, HELLO)
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{fn_name}"
    for identifier in (fn_name, arn, f"000000000000:function:{fn_name}", f"{fn_name}:$LATEST", f"{arn}:$LATEST"):
        assert lam.get_function_configuration(FunctionName=identifier)["FunctionName"] == fn_name
        assert invoke_json(lam, identifier)["version"] == 1
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as error:
        lam.get_function(FunctionName=f"{fn_name}:$LATEST", Qualifier="1")
    assert error.value.response["Error"]["Message"] == (
        "The derived qualifier from the function name does not match the specified qualifier."
    )
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=f"arn:aws:lambda:eu-west-1:000000000000:function:{fn_name}")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as missing:
        lam.get_function(FunctionName=fn_name, Qualifier="7")
    assert missing.value.response["Error"]["Message"].endswith(f"function:{fn_name}:7")


def test_list_functions_pages(lam: Any, fn_name: str) -> None:
    names = [f"{fn_name}-{i}" for i in range(5)]
    for name in names:
        create(lam, name, HELLO)
    seen: list[str] = []
    marker = None
    pages = 0
    while True:
        kwargs = {"MaxItems": 2} | ({"Marker": marker} if marker else {})
        page = lam.list_functions(**kwargs)
        assert len(page["Functions"]) <= 2
        seen += [f["FunctionName"] for f in page["Functions"]]
        pages += 1
        marker = page.get("NextMarker")
        if not marker:
            break
    assert pages >= 3
    assert [n for n in seen if n.startswith(fn_name)] == sorted(names)
    assert len(seen) == len(set(seen))
    paginated = [f["FunctionName"] for p in lam.get_paginator("list_functions").paginate() for f in p["Functions"]]
    assert paginated == seen


def test_tags(lam: Any, fn_name: str) -> None:
    arn = create(lam, fn_name, HELLO, Tags={"a": "1"})["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"b": "2", "a": "3"})
    assert lam.list_tags(Resource=arn)["Tags"] == {"a": "3", "b": "2"}
    lam.untag_resource(Resource=arn, TagKeys=["a"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"b": "2"}
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.list_tags(Resource=arn + "-missing")


def test_account_settings(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, HELLO)
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountLimit"]["CodeSizeZipped"] == 52428800
    assert settings["AccountLimit"]["CodeSizeUnzipped"] == 262144000
    assert settings["AccountUsage"]["FunctionCount"] >= 1
    assert settings["AccountUsage"]["TotalCodeSize"] > 0


# -- errors, each by boto3's modelled class and AWS's message --------------------------------


def error_of(excinfo: pytest.ExceptionInfo[Any]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_duplicate_create_conflicts(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, HELLO)
    with pytest.raises(lam.exceptions.ResourceConflictException) as error:
        create(lam, fn_name, HELLO)
    assert error_of(error) == ("ResourceConflictException", f"Function already exist: {fn_name}")


def test_model_constraints_are_validation_errors(lam: Any, fn_name: str) -> None:
    zipped = {"ZipFile": make_zip({"app.py": HELLO})}
    base = {"FunctionName": fn_name, "Runtime": RUNTIME, "Handler": "app.handler", "Role": ROLE, "Code": zipped}
    cases = [
        (
            {"MemorySize": 10241},
            "Value '10241' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240",
        ),
        (
            {"Timeout": 901},
            "Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900",
        ),
        (
            {"EphemeralStorage": {"Size": 10241}},
            "Value '10241' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value less than or equal to 10240",
        ),
        (
            {"FunctionName": "bad!name"},
            "Value 'bad!name' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern",
        ),
        (
            {"Handler": "has space"},
            "Value 'has space' at 'handler' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+",
        ),
    ]
    for change, message in cases:
        with pytest.raises(lam.exceptions.ClientError) as error:
            lam.create_function(**(base | change))
        code, text = error_of(error)
        assert code == "ValidationException", change
        assert text.startswith("1 validation error detected: " + message), text
    with pytest.raises(lam.exceptions.ClientError) as error:
        lam.create_function(**(base | {"MemorySize": 20000, "Timeout": 1000}))
    assert error_of(error)[1].startswith("2 validation errors detected: ")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=fn_name)  # nothing was created by any of these


def test_semantic_errors_are_invalid_parameter_values(lam: Any, fn_name: str) -> None:
    def attempt(**change: Any) -> tuple[str, str]:
        params = {
            "FunctionName": fn_name,
            "Runtime": RUNTIME,
            "Handler": "app.handler",
            "Role": ROLE,
            "Code": {"ZipFile": make_zip({"app.py": HELLO})},
        } | change
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as error:
            lam.create_function(**params)
        return error_of(error)

    assert attempt(Environment={"Variables": {"AWS_REGION": "x", "LAMBDA_TASK_ROOT": "y"}})[1] == (
        "Lambda was unable to configure your environment variables because the environment variables you have "
        "provided contains reserved keys that are currently not supported for modification. "
        "Reserved keys used in this request: AWS_REGION, LAMBDA_TASK_ROOT"
    )
    big = {"Variables": {"BIG": "x" * 4096}}
    assert attempt(Environment=big)[1].startswith(
        "Lambda was unable to configure your environment variables because the environment variables you have "
        'provided exceeded the 4KB limit. String measured: {"BIG":"xxx'
    )
    assert attempt(Code={"ZipFile": b"this is not a zip"})[1] == (
        "Could not unzip uploaded file. Please check your file, then try to upload again."
    )
    assert attempt(Runtime="python2.0")[1].startswith(
        "Value python2.0 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: ["
    )
    message = attempt(Runtime="python3.15")[1]
    assert "python3.15" in message and RUNTIME in message  # names the runtimes that are installed
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=fn_name)


def _zip_with(entries: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return buffer.getvalue()


def _link(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = 0o120777 << 16
    return info, target.encode()


@pytest.mark.parametrize(
    "entry",
    [
        (zipfile.ZipInfo("../escape.py"), b"x"),
        (zipfile.ZipInfo("/etc/cron.d/evil"), b"x"),
        (zipfile.ZipInfo("pkg/../../escape.py"), b"x"),
        _link("link", "../../../etc/passwd"),
        _link("abs", "/etc/passwd"),
    ],
    ids=["dotdot", "absolute", "nested-dotdot", "relative-link-out", "absolute-link"],
)
def test_unsafe_zip_entries_are_refused(lam: Any, fn_name: str, server: Any, entry: tuple[zipfile.ZipInfo, bytes]) -> None:
    data = _zip_with([(zipfile.ZipInfo("app.py"), HELLO.encode()), entry])
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as error:
        lam.create_function(FunctionName=fn_name, Runtime=RUNTIME, Handler="app.handler", Role=ROLE, Code={"ZipFile": data})
    assert error_of(error)[1].startswith("Could not unzip uploaded file.")
    assert not (server.data_dir / "escape.py").exists() and not (server.data_dir.parent / "escape.py").exists()
    assert not list((server.data_dir / "code").glob(".extract-*"))


def test_links_inside_the_package_are_kept(lam: Any, fn_name: str) -> None:
    code = "import os\ndef handler(e, c):\n    return [os.readlink('alias.py'), open('alias.py').read()]\n"
    data = _zip_with(
        [(zipfile.ZipInfo("app.py"), code.encode()), (zipfile.ZipInfo("real.py"), b"REAL"), _link("alias.py", "real.py")]
    )
    lam.create_function(FunctionName=fn_name, Runtime=RUNTIME, Handler="app.handler", Role=ROLE, Code={"ZipFile": data})
    assert invoke_json(lam, fn_name) == ["real.py", "REAL"]


def test_package_size_limits(lam: Any, fn_name: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", HELLO)
        with archive.open("zeros.bin", "w", force_zip64=True) as sink:
            chunk = bytes(1 << 20)
            for _ in range(251):
                sink.write(chunk)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as error:
        lam.create_function(
            FunctionName=fn_name, Runtime=RUNTIME, Handler="app.handler", Role=ROLE, Code={"ZipFile": buffer.getvalue()}
        )
    assert error_of(error)[1] == "Unzipped size must be smaller than 262144000 bytes"

    with pytest.raises(lam.exceptions.ClientError) as error:
        lam.create_function(
            FunctionName=fn_name, Runtime=RUNTIME, Handler="app.handler", Role=ROLE, Code={"ZipFile": b"\0" * (53 * 1024 * 1024)}
        )
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert error_of(error) == (
        "RequestEntityTooLargeException",
        "Request must be smaller than 70167211 bytes for the CreateFunction operation",
    )


def test_update_with_stale_revision_fails(lam: Any, fn_name: str) -> None:
    create(lam, fn_name, HELLO)
    with pytest.raises(lam.exceptions.PreconditionFailedException):
        lam.update_function_configuration(FunctionName=fn_name, Timeout=5, RevisionId="not-the-revision")
    assert lam.get_function_configuration(FunctionName=fn_name)["Timeout"] == 3


def test_unknown_fields_and_bad_json_are_refused(server: Any, fn_name: str) -> None:
    for body in (b"{not json", json.dumps({"FunctionName": fn_name, "Role": ROLE, "Code": {}, "Bogus": 1}).encode()):
        status, headers, answer = server.request("POST", "/2015-03-31/functions", body)
        assert status == 400
        assert headers["x-amzn-ErrorType"] == "InvalidRequestContentException"
        assert headers["x-amzn-RequestId"]
        assert json.loads(answer)["Type"] == "User"
