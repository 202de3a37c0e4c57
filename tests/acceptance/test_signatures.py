"""SigV4 on a real server, with real clients: the administrator's key works, anything else is
refused in AWS's words; functions sign as their execution role; ``LAMBENT_AUTH=off`` is a
loopback-only escape."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.server import VENV_BIN, Server, create, free_port


def refusal(call: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"], error["Error"]["Message"]


def test_a_wrong_secret_or_an_unknown_key_is_refused_as_aws_refuses_it(server: Server) -> None:
    key_id, _secret = server.credentials()
    wrong_secret = server.client(credentials=(key_id, "x" * 40))
    status, code, message = refusal(wrong_secret.list_functions)
    assert (status, code) == (403, "InvalidSignatureException")
    assert message.startswith(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key "
        "and signing method. Consult the service documentation for details."
    )
    unknown = server.client(credentials=("AKIAAAAAAAAAAAAAAAAA", "x" * 40))
    assert refusal(unknown.list_functions) == (
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
    logs = server.client("logs", credentials=("AKIAAAAAAAAAAAAAAAAA", "x" * 40))
    assert refusal(lambda: logs.describe_log_streams(logGroupName="/aws/lambda/x")) == (
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_an_unsigned_request_is_refused_and_health_stays_open(server: Server) -> None:
    status, headers, body = server.request("GET", "/2015-03-31/functions", sign=False)
    assert status == 403 and headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert json.loads(body)["message"] == "Missing Authentication Token"
    assert server.request("GET", "/lambent/health", sign=False)[0] == 200


def test_the_aws_cli_works_with_the_profile_alone(server: Server) -> None:
    listed = subprocess.run(
        [str(VENV_BIN / "aws"), "lambda", "list-functions", "--output", "json"],
        env=server.cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    assert "Functions" in json.loads(listed.stdout)


def test_functions_sign_as_their_role_with_keys_of_their_own(server: Server, lam: Any, fn_name: str) -> None:
    code = (
        "import os, boto3\n"
        "def handler(event, context):\n"
        "    me = boto3.client('lambda').get_function_configuration(FunctionName=context.function_name)\n"
        "    return {'key': os.environ['AWS_ACCESS_KEY_ID'], 'token': os.environ['AWS_SESSION_TOKEN'], 'role': me['Role']}\n"
    )
    read_only = "arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess"
    roles = tuple(server.ensure_role(f"{fn_name}-{n}", read_only) for n in ("first", "second"))
    answers = []
    for index, role in enumerate(roles):
        # importing boto3 cold takes seconds at 128 MB on a busy machine: room for it
        create(lam, f"{fn_name}-{index}", code, Role=role, MemorySize=1024, Timeout=30)
        answer = lam.invoke(FunctionName=f"{fn_name}-{index}")
        assert "FunctionError" not in answer, answer["Payload"].read()
        answers.append(json.loads(answer["Payload"].read()))
    assert [a["role"] for a in answers] == list(roles)  # each called the API, signed with its own key
    assert all(a["key"].startswith("ASIA") and len(a["key"]) == 20 and len(a["token"]) > 100 for a in answers)
    assert answers[0]["key"] != answers[1]["key"] and answers[0]["token"] != answers[1]["token"]
    forged = server.client(credentials=(answers[0]["key"], "x" * 40, answers[1]["token"]))  # a token of another key
    assert refusal(forged.list_functions)[1] == "UnrecognizedClientException"


def test_auth_off_checks_nothing_and_is_refused_off_loopback(tmp_path: Path) -> None:
    permissive = Server(tmp_path / "data", LAMBENT_AUTH="off").start()
    try:
        assert permissive.client(credentials=("anything", "at all")).list_functions()["Functions"] == []
        assert permissive.request("GET", "/2015-03-31/functions", sign=False)[0] == 200
        assert "LAMBENT_AUTH=off: requests are not authenticated" in permissive.log_text()
        assert not permissive.credentials_file.exists()
    finally:
        permissive.stop()
    refused = subprocess.run(
        [str(VENV_BIN / "lambent"), "serve", "--host", "0.0.0.0", "--port", str(free_port()), "--data-dir", str(tmp_path / "d2")],
        env={**permissive.env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0
    said = " ".join((refused.stderr + refused.stdout).split())  # rich wraps the line at the terminal's width
    assert "auth off is refused on 0.0.0.0: a permissive server listens on loopback only" in said
