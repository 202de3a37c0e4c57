"""Lambda's environment variables for one execution environment. Pure.

AWS's reserved variables are set over the function's own (``RESERVED_ENVIRONMENT_KEYS`` refuses
those at the API), except the few a function may override (``PATH``, ``LANG``, ``TZ``,
``LD_LIBRARY_PATH``), which come first. The log group and stream are not given to SnapStart
environments, as on AWS (a snapshot is shared by many streams). The ``_LAMBENT_*`` variables are
the built-in runtimes' own.
"""

from __future__ import annotations

import msgspec

from lambent.model.function import FunctionVersion
from lambent.model.identity import Credential


class EnvironmentPaths(msgspec.Struct, frozen=True, kw_only=True):
    """Where things appear inside the environment (the sandbox decides)."""

    task_root: str
    runtime_dir: str
    opt: str


class EnvironmentContext(msgspec.Struct, frozen=True, kw_only=True):
    """The platform's facts every environment is told: where it runs and how to call back."""

    region: str
    endpoint_url: str
    #: The sandbox measures the whole environment's memory, so the runtime need not.
    sandbox_measures_memory: bool


def lambda_environment(
    version: FunctionVersion,
    context: EnvironmentContext,
    paths: EnvironmentPaths,
    *,
    runtime_family: str,
    execution_env: str | None,
    stream: str,
    credential: Credential,
    initialization: str = "on-demand",
) -> dict[str, str]:
    """Lambda's environment variables for an environment of *version*, then the function's own.

    *credential*: the execution role's temporary credentials for this environment.
    *initialization*: ``on-demand``, ``provisioned-concurrency`` or ``snap-start``; *stream*: the
    environment's log stream; *execution_env*: ``AWS_EXECUTION_ENV`` (None: not set)."""
    opt = paths.opt
    env = {
        "PATH": f"/usr/local/bin:/usr/bin/:/bin:{opt}/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LD_LIBRARY_PATH": f"/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:{opt}/lib",
        **version.environment,
        "_HANDLER": version.handler,
        "AWS_REGION": context.region,
        "AWS_DEFAULT_REGION": context.region,
        "AWS_LAMBDA_FUNCTION_NAME": version.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(version.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": version.version,
        "AWS_LAMBDA_INITIALIZATION_TYPE": initialization,
        "AWS_ACCESS_KEY": credential.access_key_id,
        "AWS_ACCESS_KEY_ID": credential.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credential.secret_access_key,
        "AWS_SESSION_TOKEN": credential.session_token or "",
        "AWS_ENDPOINT_URL": context.endpoint_url,
        "LAMBDA_TASK_ROOT": paths.task_root,
        "LAMBDA_RUNTIME_DIR": paths.runtime_dir,
        "_LAMBENT_CHANNEL_FD": "3",
        "_LAMBENT_PYTHON_PATH": f"{paths.runtime_dir}/python",
        "_LAMBENT_OPT": opt,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "_LAMBENT_SELF_MEASURE": "0" if context.sandbox_measures_memory else "1",
    }
    if initialization != "snap-start":  # not available to SnapStart functions, as on AWS
        env["AWS_LAMBDA_LOG_GROUP_NAME"] = version.log_group_name
        env["AWS_LAMBDA_LOG_STREAM_NAME"] = stream
    if execution_env is not None:
        env["AWS_EXECUTION_ENV"] = execution_env
    if runtime_family == "nodejs":
        env["NODE_PATH"] = f"{opt}/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task"
    if version.log_format == "JSON":
        env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
    if version.application_log_level:
        env["AWS_LAMBDA_LOG_LEVEL"] = version.application_log_level
    return env
