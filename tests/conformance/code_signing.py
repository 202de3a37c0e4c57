"""Code signing configs, the config a function uses, and deployments verified against it, on a
real server through boto3, with packages signed by ``lambent sign`` (decision 0020).

Sources: the botocore model (paths, statuses, shapes: GetCodeSigningConfig and its kin answer
ResourceNotFoundException, PutFunctionCodeSigningConfig and CreateFunction
CodeSigningConfigNotFoundException); AWS's words as LocalStack records them ("The Lambda code
signing configuration ... can not be found.", "The code signing configuration cannot be found.
Check that the provided configuration is not deleted: ..."); CodeVerificationFailedException's
as CloudFormation relays them (aws/aws-cdk#29474); InvalidCodeSignatureException's docstring.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.aws_errors import aws_error, wire_error
from tests.fixtures.server import RUNTIME, VENV_BIN, Server, create, make_zip

REGION_ACCOUNT = "us-east-1:000000000000"
CODE = "def handler(event, context):\n    return 'signed'\n"
PROFILE_ARN = re.compile(r"arn:aws:signer:us-east-1:000000000000:/signing-profiles/(\w+)/([a-zA-Z0-9]{10})")
JOB_ARN = re.compile(r"arn:aws:signer:us-east-1:000000000000:/signing-jobs/[0-9a-f-]{36}")
CONFIG_ARN = re.compile(r"arn:aws:lambda:us-east-1:000000000000:code-signing-config:(csc-[a-z0-9]{17})")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000")


def _lambent(server: Server, *args: str) -> str:
    env = server.cli_env(LAMBENT_ENDPOINT_URL=server.endpoint)
    done = subprocess.run([str(VENV_BIN / "lambent"), *args], capture_output=True, env=env, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _sign(server: Server, profile: str, package: bytes) -> bytes:
    body = json.dumps({"ProfileVersionArn": profile, "ZipFile": base64.b64encode(package).decode()}).encode()
    status, _headers, answer = server.request("POST", "/lambent/2026-11-27/signing-jobs", body)
    assert status == 200, answer
    return base64.b64decode(json.loads(answer)["ZipFile"])


@pytest.fixture(scope="module")
def profiles(server: Server) -> tuple[str, str]:
    """Two signing profile versions, made with ``lambent signing-profile create``."""
    trusted, other = (
        _lambent(server, "signing-profile", "create", "trusted_team"),
        _lambent(server, "signing-profile", "create", "other_team"),
    )
    assert PROFILE_ARN.fullmatch(trusted) and PROFILE_ARN.fullmatch(other)
    return trusted, other


def _config(lam: Any, profile: str, policy: str, description: str = "") -> str:
    made = lam.create_code_signing_config(
        Description=description,
        AllowedPublishers={"SigningProfileVersionArns": [profile]},
        CodeSigningPolicies={"UntrustedArtifactOnDeployment": policy},
    )
    return str(made["CodeSigningConfig"]["CodeSigningConfigArn"])


def _body(made: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in made.items() if k != "ResponseMetadata"}


def _create(lam: Any, name: str, package: bytes, config_arn: str) -> dict[str, Any]:
    return dict(
        lam.create_function(
            FunctionName=name,
            Runtime=RUNTIME,
            Handler="app.handler",
            Role="arn:aws:iam::000000000000:role/lambent-test",
            Code={"ZipFile": package},
            CodeSigningConfigArn=config_arn,
        )
    )


def test_a_config_from_create_to_delete(lam: Any, profiles: tuple[str, str]) -> None:
    trusted, other = profiles
    made = lam.create_code_signing_config(Description="team code", AllowedPublishers={"SigningProfileVersionArns": [trusted]})
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 201
    config = made["CodeSigningConfig"]
    arn, config_id = config["CodeSigningConfigArn"], config["CodeSigningConfigId"]
    assert CONFIG_ARN.fullmatch(arn) and CONFIG_ARN.fullmatch(arn).group(1) == config_id  # type: ignore[union-attr]
    assert TIMESTAMP.fullmatch(config["LastModified"])
    assert config == {
        "CodeSigningConfigId": config_id,
        "CodeSigningConfigArn": arn,
        "Description": "team code",
        "AllowedPublishers": {"SigningProfileVersionArns": [trusted]},
        "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": "Warn"},  # AWS's default
        "LastModified": config["LastModified"],
    }
    assert _body(lam.get_code_signing_config(CodeSigningConfigArn=arn)) == {"CodeSigningConfig": config}

    updated = lam.update_code_signing_config(
        CodeSigningConfigArn=arn, CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"}
    )["CodeSigningConfig"]
    assert updated == {
        **config,
        "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": "Enforce"},
        "LastModified": updated["LastModified"],
    }
    again = lam.update_code_signing_config(
        CodeSigningConfigArn=arn, Description="", AllowedPublishers={"SigningProfileVersionArns": [trusted, other]}
    )["CodeSigningConfig"]
    assert again["Description"] == "" and again["AllowedPublishers"]["SigningProfileVersionArns"] == [trusted, other]
    assert again["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Enforce"}  # left out: kept

    assert lam.delete_code_signing_config(CodeSigningConfigArn=arn)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert wire_error(lam, lambda: lam.get_code_signing_config(CodeSigningConfigArn=arn)) == aws_error(
        404, "ResourceNotFoundException", f"The Lambda code signing configuration {arn} can not be found."
    )


def test_configs_are_listed_in_pages(lam: Any, profiles: tuple[str, str]) -> None:
    made = {_config(lam, profiles[0], "Warn", f"paged {i}") for i in range(3)}
    seen: list[dict[str, Any]] = []
    for page in lam.get_paginator("list_code_signing_configs").paginate(PaginationConfig={"PageSize": 1}):
        assert len(page["CodeSigningConfigs"]) <= 1
        seen.extend(page["CodeSigningConfigs"])
    arns = [c["CodeSigningConfigArn"] for c in seen]
    assert made <= set(arns) and len(arns) == len(set(arns))
    listed = lam.list_code_signing_configs()
    assert "NextMarker" not in listed and [c["CodeSigningConfigArn"] for c in listed["CodeSigningConfigs"]] == arns
    first = lam.list_code_signing_configs(MaxItems=1)
    assert first["NextMarker"] and first["CodeSigningConfigs"] == seen[:1]


def test_configs_that_do_not_exist(lam: Any, fn_name: str, profiles: tuple[str, str]) -> None:
    arn = f"arn:aws:lambda:{REGION_ACCOUNT}:code-signing-config:csc-0123456789abcdefg"
    missing = aws_error(404, "ResourceNotFoundException", f"The Lambda code signing configuration {arn} can not be found.")
    assert wire_error(lam, lambda: lam.get_code_signing_config(CodeSigningConfigArn=arn)) == missing
    assert wire_error(lam, lambda: lam.update_code_signing_config(CodeSigningConfigArn=arn, Description="x")) == missing
    assert wire_error(lam, lambda: lam.delete_code_signing_config(CodeSigningConfigArn=arn)) == missing
    assert wire_error(lam, lambda: lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)) == missing
    not_found = aws_error(
        404,
        "CodeSigningConfigNotFoundException",
        f"The code signing configuration cannot be found. Check that the provided configuration is not deleted: {arn}.",
    )
    create(lam, fn_name, CODE)
    assert (
        wire_error(lam, lambda: lam.put_function_code_signing_config(FunctionName=fn_name, CodeSigningConfigArn=arn)) == not_found
    )
    assert wire_error(lam, lambda: _create(lam, f"{fn_name}-new", make_zip({"app.py": CODE}), arn)) == not_found
    assert wire_error(lam, lambda: lam.get_function(FunctionName=f"{fn_name}-new"))["status"] == 404  # nothing made


def test_refusals_of_the_inputs(lam: Any) -> None:
    refused = wire_error(
        lam,
        lambda: lam.create_code_signing_config(
            AllowedPublishers={"SigningProfileVersionArns": ["arn:aws:iam::000000000000:role/not-a-profile"]}
        ),
    )
    assert refused["status"] == 400 and refused["type"] == "InvalidParameterValueException"
    assert wire_error(lam, lambda: lam.get_code_signing_config(CodeSigningConfigArn="csc-nope"))["type"] == "ValidationException"


def test_the_config_a_function_uses(lam: Any, fn_name: str, profiles: tuple[str, str]) -> None:
    arn = _config(lam, profiles[0], "Warn")
    create(lam, fn_name, CODE)
    function_arn = f"arn:aws:lambda:{REGION_ACCOUNT}:function:{fn_name}"
    assert _body(lam.get_function_code_signing_config(FunctionName=fn_name)) == {}
    put = lam.put_function_code_signing_config(FunctionName=fn_name, CodeSigningConfigArn=arn)
    assert _body(put) == {"CodeSigningConfigArn": arn, "FunctionName": fn_name}
    assert _body(lam.get_function_code_signing_config(FunctionName=function_arn)) == _body(put)
    assert _body(lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)) == {"FunctionArns": [function_arn]}

    conflict = wire_error(lam, lambda: lam.delete_code_signing_config(CodeSigningConfigArn=arn))
    assert (
        conflict["status"] == 409
        and conflict["type"] == "ResourceConflictException"
        and function_arn in conflict["body"]["message"]
    )

    deleted = lam.delete_function_code_signing_config(FunctionName=fn_name)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert _body(lam.get_function_code_signing_config(FunctionName=fn_name)) == {}
    assert _body(lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)) == {"FunctionArns": []}
    lam.delete_code_signing_config(CodeSigningConfigArn=arn)


def test_a_deleted_function_lets_its_config_go(lam: Any, fn_name: str, profiles: tuple[str, str]) -> None:
    arn = _config(lam, profiles[0], "Warn")
    create(lam, fn_name, CODE)
    lam.put_function_code_signing_config(FunctionName=fn_name, CodeSigningConfigArn=arn)
    lam.delete_function(FunctionName=fn_name)
    missing = aws_error(
        404, "ResourceNotFoundException", f"Function not found: arn:aws:lambda:{REGION_ACCOUNT}:function:{fn_name}"
    )
    assert wire_error(lam, lambda: lam.get_function_code_signing_config(FunctionName=fn_name)) == missing
    assert lam.delete_code_signing_config(CodeSigningConfigArn=arn)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_lambent_sign_and_enforce(server: Server, lam: Any, fn_name: str, profiles: tuple[str, str], tmp_path: Path) -> None:
    trusted, other = profiles
    arn = _config(lam, trusted, "Enforce")
    source, signed_path = tmp_path / "code.zip", tmp_path / "signed.zip"
    source.write_bytes(make_zip({"app.py": CODE}))
    job = _lambent(server, "sign", "--profile-version-arn", trusted, str(source), str(signed_path))
    assert JOB_ARN.fullmatch(job)

    refused = aws_error(
        400,
        "CodeVerificationFailedException",
        "Lambda cannot deploy the function. The function or layer might be signed using a signature that the client "
        f"is not configured to accept. Check the provided signature for {fn_name}.",
    )
    assert wire_error(lam, lambda: _create(lam, fn_name, source.read_bytes(), arn)) == refused  # unsigned
    by_other = _sign(server, other, source.read_bytes())
    assert wire_error(lam, lambda: _create(lam, fn_name, by_other, arn)) == refused  # not an allowed publisher

    created = _create(lam, fn_name, signed_path.read_bytes(), arn)
    assert created["SigningProfileVersionArn"] == trusted and created["SigningJobArn"] == job
    lam.get_waiter("function_active_v2").wait(FunctionName=fn_name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    configuration = lam.get_function(FunctionName=fn_name)["Configuration"]
    assert (configuration["SigningProfileVersionArn"], configuration["SigningJobArn"]) == (trusted, job)
    assert _body(lam.get_function_code_signing_config(FunctionName=fn_name)) == {
        "CodeSigningConfigArn": arn,
        "FunctionName": fn_name,
    }
    assert json.loads(lam.invoke(FunctionName=fn_name)["Payload"].read()) == "signed"

    # UpdateFunctionCode is checked the same way; what was refused leaves the function as it was.
    assert wire_error(lam, lambda: lam.update_function_code(FunctionName=fn_name, ZipFile=by_other)) == refused
    assert lam.get_function_configuration(FunctionName=fn_name)["SigningJobArn"] == job
    second = _sign(server, trusted, make_zip({"app.py": CODE.replace("signed", "signed again")}))
    updated = lam.update_function_code(FunctionName=fn_name, ZipFile=second)
    assert updated["SigningProfileVersionArn"] == trusted and JOB_ARN.fullmatch(updated["SigningJobArn"])
    assert updated["SigningJobArn"] != job


@pytest.mark.parametrize("policy", ["Warn", "Enforce"])
def test_a_tampered_package_is_refused_under_any_policy(
    server: Server, lam: Any, fn_name: str, profiles: tuple[str, str], policy: str
) -> None:
    arn = _config(lam, profiles[0], policy)
    signed = _sign(server, profiles[0], make_zip({"app.py": CODE}))
    at = signed.index(b"app.py") + len(b"app.py") + 2  # a byte of the stored data, past the local header
    tampered = signed[:at] + bytes([signed[at] ^ 0x01]) + signed[at + 1 :]
    assert wire_error(lam, lambda: _create(lam, fn_name, tampered, arn)) == aws_error(
        400,
        "InvalidCodeSignatureException",
        "The code signature failed the integrity check. If the integrity check fails, then Lambda blocks deployment, "
        "even if the code signing policy is set to WARN.",
    )


def test_warn_deploys_what_enforce_refuses(server: Server, lam: Any, fn_name: str, profiles: tuple[str, str]) -> None:
    arn = _config(lam, profiles[0], "Warn")
    created = _create(lam, fn_name, make_zip({"app.py": CODE}), arn)  # unsigned: deployed, with a warning logged
    assert "SigningProfileVersionArn" not in created and "SigningJobArn" not in created
    by_other = _sign(server, profiles[1], make_zip({"app.py": CODE}))
    lam.get_waiter("function_active_v2").wait(FunctionName=fn_name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    updated = lam.update_function_code(FunctionName=fn_name, ZipFile=by_other)
    assert "SigningProfileVersionArn" not in updated
    assert f"code of {fn_name} deployed under {arn}: untrusted (policy Warn)" in server.log_text()
