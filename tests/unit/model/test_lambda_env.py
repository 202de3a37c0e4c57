"""model/lambda_env.py: Lambda's variables for an environment, a pure function of its inputs."""

from __future__ import annotations

import msgspec

from lambent.model.function import FunctionVersion
from lambent.model.identity import Credential
from lambent.model.lambda_env import EnvironmentContext, EnvironmentPaths, lambda_environment

VERSION = FunctionVersion(
    name="fn",
    version="4",
    runtime="python3.12",
    handler="app.handler",
    role="r",
    memory_mb=256,
    environment={"MY_SETTING": "on", "PATH": "/mine"},
    code_sha256_hex="00",
    code_size=1,
    last_modified="x",
    revision_id="r",
)
CONTEXT = EnvironmentContext(
    region="eu-west-1",
    endpoint_url="http://127.0.0.1:9000",
    sandbox_measures_memory=True,
)
CREDENTIAL = Credential(
    access_key_id="ASIAEXAMPLE", secret_access_key="SK", account_id="1", principal_arn="arn:x", session_token="TOKEN"
)
PATHS = EnvironmentPaths(task_root="/var/task", runtime_dir="/var/runtime", opt="/opt")


def build(version: FunctionVersion = VERSION, **changes: object) -> dict[str, str]:
    fields: dict[str, object] = {
        "runtime_family": "python",
        "execution_env": "AWS_Lambda_python3.12",
        "stream": "s/1",
        "credential": CREDENTIAL,
    }
    fields.update(changes)
    return lambda_environment(version, CONTEXT, PATHS, **fields)  # type: ignore[arg-type]


def test_the_reserved_variables_name_the_function_and_the_platform() -> None:
    env = build()
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "fn" and env["AWS_LAMBDA_FUNCTION_VERSION"] == "4"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256" and env["_HANDLER"] == "app.handler"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_ACCESS_KEY_ID"] == env["AWS_ACCESS_KEY"] == "ASIAEXAMPLE" and env["AWS_SECRET_ACCESS_KEY"] == "SK"
    assert env["AWS_SESSION_TOKEN"] == "TOKEN"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9000" and env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert env["LAMBDA_TASK_ROOT"] == "/var/task" and env["LAMBDA_RUNTIME_DIR"] == "/var/runtime"
    assert env["_LAMBENT_PYTHON_PATH"] == "/var/runtime/python" and env["_LAMBENT_SELF_MEASURE"] == "0"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/fn" and env["AWS_LAMBDA_LOG_STREAM_NAME"] == "s/1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12" and "NODE_PATH" not in env
    assert "AWS_LAMBDA_LOG_FORMAT" not in env and "AWS_LAMBDA_LOG_LEVEL" not in env


def test_the_function_may_override_path_but_not_a_reserved_variable() -> None:
    env = build(msgspec.structs.replace(VERSION, environment={"PATH": "/mine", "AWS_REGION": "moon-1", "MY": "x"}))
    assert env["PATH"] == "/mine" and env["MY"] == "x"
    assert env["AWS_REGION"] == "eu-west-1"
    assert list(env)[:4] == ["PATH", "LANG", "TZ", "LD_LIBRARY_PATH"]


def test_snap_start_environments_get_no_log_group_or_stream() -> None:
    env = build(initialization="snap-start")
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "snap-start"
    assert "AWS_LAMBDA_LOG_GROUP_NAME" not in env and "AWS_LAMBDA_LOG_STREAM_NAME" not in env


def test_node_custom_runtimes_and_log_settings() -> None:
    node = build(runtime_family="nodejs", execution_env="AWS_Lambda_nodejs22.x")
    assert node["NODE_PATH"].startswith("/opt/nodejs/node_modules:")
    assert "AWS_EXECUTION_ENV" not in build(runtime_family="provided", execution_env=None)
    logged = build(msgspec.structs.replace(VERSION, log_format="JSON", application_log_level="DEBUG"))
    assert logged["AWS_LAMBDA_LOG_FORMAT"] == "JSON" and logged["AWS_LAMBDA_LOG_LEVEL"] == "DEBUG"
    measured = lambda_environment(
        VERSION,
        msgspec.structs.replace(CONTEXT, sandbox_measures_memory=False),
        msgspec.structs.replace(PATHS, opt="/x/opt"),
        runtime_family="python",
        execution_env=None,
        stream="s",
        credential=CREDENTIAL,
    )
    assert measured["_LAMBENT_SELF_MEASURE"] == "1" and measured["LD_LIBRARY_PATH"].endswith(":/x/opt/lib")
