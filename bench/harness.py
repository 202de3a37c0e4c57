"""Processes the benchmark owns: the lambent server and the bare ASGI baseline.

Every process is started with an argv list, its output goes to a log file in the run's temp
directory, and it is stopped by PID (SIGTERM, then SIGKILL after 10 s) in a ``finally``. Also
here: the machine description, deploying test functions over the raw HTTP API, and /proc
readers (CPU time, memory, descendants).
"""

from __future__ import annotations

import base64
import configparser
import contextlib
import importlib.metadata
import io
import json
import os
import platform
import signal
import socket
import stat
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from httpclient import Connection, build_request, sign_for

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
VENV_BIN = Path(sys.executable).parent
LAMBENT = VENV_BIN / "lambent"
FUNCTIONS_PATH = "/2015-03-31/functions"
CLK_TCK = os.sysconf("SC_CLK_TCK")
#: Test functions get one full vCPU's worth of memory (AWS's 1,769 MB), so a CPU quota
#: proportional to memory (as on AWS) does not throttle them: the platform is what is measured.
MEMORY_MB = 1769

NOOP_HANDLER = """\
def handler(event, context):
    return {}
"""
SLEEP_HANDLER = """\
import time


def handler(event, context):
    time.sleep(float(event.get("sleep_s", 0.1)))
    return {}
"""

#: A package's files: path in the zip -> content, or (content, unix mode) for another mode
#: than 0o644 (EXECUTABLE for a ``bootstrap``).
FileContent = str | bytes | tuple[str | bytes, int]
Files = Mapping[str, FileContent]
EXECUTABLE = 0o755

# -- the same no-op function in other runtimes (line 8) ---------------------------------------------

NODE_NOOP = "exports.handler = async () => ({});\n"
#: AWS's Python runtime interface client started as AWS's container images start it; the
#: package brings awslambdaric and its dependencies (see ``awslambdaric_package``).
RIC_BOOTSTRAP = '#!/bin/sh\ncd "$LAMBDA_TASK_ROOT"\nexec /usr/bin/python3.11 -m awslambdaric "$_HANDLER"\n'
RIC_DISTRIBUTIONS = ("awslambdaric", "simplejson", "snapshot-restore-py")
# AWS's custom-runtime tutorial (bash), unmodified: the files the acceptance tests deploy.
TUTORIAL = PROJECT_DIR / "tests" / "fixtures" / "aws-bash-tutorial"
TUTORIAL_BOOTSTRAP = (TUTORIAL / "bootstrap").read_text()
TUTORIAL_FUNCTION = (TUTORIAL / "function.sh").read_text()


def distribution_files(name: str) -> dict[str, bytes]:
    """The files pip installed for distribution *name* (no .pyc, no dist-info), by their path in site-packages."""
    files = importlib.metadata.files(name) or []
    return {
        str(f): f.locate().read_bytes()  # type: ignore[union-attr]
        for f in files
        if not str(f).endswith(".pyc") and ".dist-info/" not in str(f) and not str(f).startswith("..")
    }


def awslambdaric_package() -> dict[str, FileContent]:
    """``bootstrap`` (runs ``python3.11 -m awslambdaric``), the no-op ``app.py``, and the installed
    files of awslambdaric, simplejson and snapshot-restore-py (from this venv)."""
    files: dict[str, FileContent] = {"bootstrap": (RIC_BOOTSTRAP, EXECUTABLE), "app.py": NOOP_HANDLER}
    for distribution in RIC_DISTRIBUTIONS:
        files.update(distribution_files(distribution))
    return files


def bash_tutorial_package() -> dict[str, FileContent]:
    return {"bootstrap": (TUTORIAL_BOOTSTRAP, EXECUTABLE), "function.sh": (TUTORIAL_FUNCTION, EXECUTABLE)}


class BenchError(Exception):
    """A step of the benchmark failed (the server refused something, or did not start)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _wait_ready(server: Server, path: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            with Connection("127.0.0.1", server.port, timeout_s=2.0) as conn:
                if conn.request("GET", path).status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise BenchError(f"{server.name} not ready after {timeout_s:.0f} s:\n{server.log_tail()}")


def _start_time(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def stop(server: Server) -> None:
    """SIGTERM by PID, SIGKILL after 10 s; never by name.

    Then SIGKILL any process the server started (its environments) that outlived it: each is
    identified by PID and start time, noted before the server was stopped, so a reused PID is
    never hit.
    """
    process = server.process
    if process.poll() is None:
        children = {pid: _start_time(pid) for pid in descendants(process.pid)}
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        for pid, started_at in children.items():
            if started_at is not None and _start_time(pid) == started_at:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def started(
    name: str, argv: list[str], port: int, log_path: Path, ready_path: str, env: Mapping[str, str] | None = None
) -> Iterator[Server]:
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            argv, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=PROJECT_DIR, env=env
        )
    server = Server(name, process, port, log_path)
    try:
        _wait_ready(server, ready_path, 30.0)
        yield server
    finally:
        stop(server)


@contextlib.contextmanager
def started_tcp(name: str, argv: list[str], port: int, log_path: Path) -> Iterator[Server]:
    """A server that speaks no HTTP (Redis): ready once its port takes a connection."""
    import socket

    with log_path.open("wb") as log_file:
        process = subprocess.Popen(argv, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=PROJECT_DIR)
    server = Server(name, process, port, log_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise BenchError(f"{name} exited with {process.returncode}:\n{server.log_tail()}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise BenchError(f"{name} not ready after 30 s")
            time.sleep(0.05)
        yield server
    finally:
        stop(server)


#: The execution role the benchmark's functions name (CreateFunction checks that Lambda may assume it).
BENCH_ROLE = "arn:aws:iam::000000000000:role/bench"
#: The role line 16's schedules deliver as: Scheduler may assume it, and it may invoke any
#: function (AdministratorAccess, as the acceptance tests' scheduler role).
SCHEDULER_ROLE = "arn:aws:iam::000000000000:role/bench-scheduler"
SCHEDULER_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
#: What line 17's mappings need of the functions' role: to read their queues.
SQS_READER = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
#: And line 18's: to read their streams.
KINESIS_READER = "arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole"


def _roles(endpoint: str, key: tuple[str, str]) -> None:
    """The functions' execution role, and the role schedules deliver as."""
    import boto3

    from lambent.model.identity import LAMBDA_TRUST_POLICY

    iam = boto3.client(
        "iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key[0], aws_secret_access_key=key[1]
    )
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName=BENCH_ROLE.rsplit("/", 1)[1], AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY)
        iam.attach_role_policy(RoleName=BENCH_ROLE.rsplit("/", 1)[1], PolicyArn=SQS_READER)
        iam.attach_role_policy(RoleName=BENCH_ROLE.rsplit("/", 1)[1], PolicyArn=KINESIS_READER)
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        name = SCHEDULER_ROLE.rsplit("/", 1)[1]
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=SCHEDULER_TRUST)
        iam.attach_role_policy(RoleName=name, PolicyArn=ADMINISTRATOR_ACCESS)


@contextlib.contextmanager
def lambent_server(
    work_dir: Path, idle_timeout_s: float, auth: bool = True, env: Mapping[str, str] | None = None
) -> Iterator[Server]:
    """A lambent server on its embedded defaults; requests to it are signed with the key it
    wrote on its first start (*auth* False: ``LAMBENT_AUTH=off``, nothing signed); *env*: more
    ``LAMBENT_*`` settings."""
    port = free_port()
    credentials = work_dir / "aws" / "credentials"
    argv = [
        str(LAMBENT),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(work_dir / "data"),
        "--idle-timeout",
        str(idle_timeout_s),
    ]
    env = {
        **os.environ,
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_CONFIG_FILE": str(credentials.with_name("config")),
        "LAMBENT_AUTH": "on" if auth else "off",
        **(env or {}),
    }
    with started("lambent", argv, port, work_dir / "lambent.log", "/lambent/health", env) as server:
        host = f"127.0.0.1:{port}"
        if auth:
            parser = configparser.ConfigParser()
            parser.read(credentials)
            key = (parser["lambent"]["aws_access_key_id"], parser["lambent"]["aws_secret_access_key"])
            sign_for(host, key)
            _roles(f"http://{host}", key)
        try:
            yield server
        finally:
            sign_for(host, None)


def moto_server(work_dir: Path) -> contextlib.AbstractContextManager[Server]:
    """moto's server as a process of its own (its SQS for line 17), on loopback."""
    port = free_port()
    argv = [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)]
    return started("moto", argv, port, work_dir / "moto.log", "/moto-api/")


def bare_server(work_dir: Path) -> contextlib.AbstractContextManager[Server]:
    port = free_port()
    argv = [sys.executable, str(BENCH_DIR / "bare_asgi.py"), str(port)]
    return started("bare-asgi", argv, port, work_dir / "bare.log", "/")


# -- functions over the raw HTTP API -----------------------------------------------------------


def package(files: Files) -> bytes:
    """A zip of *files*, carrying each file's unix mode as ``zip -X`` on Linux does."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in files.items():
            content, mode = value if isinstance(value, tuple) else (value, 0o644)
            info = zipfile.ZipInfo(name)
            info.create_system = 3  # unix: the server reads the mode bits below
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def create_function(
    conn: Connection,
    name: str,
    runtime: str,
    source: str | Files,
    memory_mb: int = MEMORY_MB,
    timeout_s: int = 30,
    *,
    handler: str = "app.handler",
    extra: Mapping[str, object] | None = None,
) -> None:
    """Deploy *source*: a Python module's text (the package's ``app.py``), or a package's files;
    *extra*: more CreateFunction fields (``SnapStart``)."""
    files = {"app.py": source} if isinstance(source, str) else source
    body = json.dumps(
        {
            "FunctionName": name,
            "Runtime": runtime,
            "Handler": handler,
            "MemorySize": memory_mb,
            "Timeout": timeout_s,
            "Role": BENCH_ROLE,
            "Code": {"ZipFile": base64.b64encode(package(files)).decode()},
            **(extra or {}),
        }
    ).encode()
    response = conn.request("POST", FUNCTIONS_PATH, body)
    if response.status != 201:
        raise BenchError(f"CreateFunction {name}: {response.status} {response.body[:300]!r}")


def public_url(conn: Connection, name: str, invoke_mode: str = "BUFFERED") -> str:
    """Give *name* a function URL of AuthType NONE with the two statements a public URL needs;
    its URL id."""
    config = {"AuthType": "NONE", "InvokeMode": invoke_mode}
    response = conn.request("POST", f"/2021-10-31/functions/{name}/url", json.dumps(config).encode())
    if response.status != 201:
        raise BenchError(f"CreateFunctionUrlConfig {name}: {response.status} {response.body[:300]!r}")
    statements = [
        {"StatementId": "url", "Action": "lambda:InvokeFunctionUrl", "Principal": "*", "FunctionUrlAuthType": "NONE"},
        {"StatementId": "invoke", "Action": "lambda:InvokeFunction", "Principal": "*", "InvokedViaFunctionUrl": True},
    ]
    for statement in statements:
        added = conn.request("POST", f"{FUNCTIONS_PATH}/{name}/policy", json.dumps(statement).encode())
        if added.status != 201:
            raise BenchError(f"AddPermission {name}: {added.status} {added.body[:300]!r}")
    url: str = json.loads(response.body)["FunctionUrl"]
    return url.split("//", 1)[1].split(".", 1)[0]


def public_http_api(conn: Connection, name: str, region: str = "us-east-1", account: str = "000000000000") -> str:
    """Quick-create an HTTP API whose ``$default`` route invokes *name* (payload 2.0), and the
    permission API Gateway needs to invoke it (quick create adds none, as on AWS); the API id."""
    target = f"arn:aws:lambda:{region}:{account}:function:{name}"
    response = conn.request("POST", "/v2/apis", json.dumps({"name": name, "protocolType": "HTTP", "target": target}).encode())
    if response.status != 201:
        raise BenchError(f"CreateApi {name}: {response.status} {response.body[:300]!r}")
    api_id: str = json.loads(response.body)["apiId"]
    statement = {
        "StatementId": "apigateway",
        "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": f"arn:aws:execute-api:{region}:{account}:{api_id}/*",
    }
    added = conn.request("POST", f"{FUNCTIONS_PATH}/{name}/policy", json.dumps(statement).encode())
    if added.status != 201:
        raise BenchError(f"AddPermission {name}: {added.status} {added.body[:300]!r}")
    return api_id


def publish_version(conn: Connection, name: str) -> str:
    """Publish *name*'s $LATEST and wait until the new version is Active."""
    response = conn.request("POST", f"{FUNCTIONS_PATH}/{name}/versions", b"{}")
    if response.status != 201:
        raise BenchError(f"PublishVersion {name}: {response.status} {response.body[:300]!r}")
    version: str = json.loads(response.body)["Version"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # a SnapStart version is Pending until its snapshot is made
        answer = conn.request("GET", f"{FUNCTIONS_PATH}/{name}/configuration?Qualifier={version}")
        if answer.status == 200 and json.loads(answer.body)["State"] == "Active":
            return version
        time.sleep(0.05)
    raise BenchError(f"PublishVersion {name}: version {version} did not become Active in 60 s")


def update_environment(conn: Connection, name: str, variables: dict[str, str]) -> None:
    body = json.dumps({"Environment": {"Variables": variables}}).encode()
    response = conn.request("PUT", f"{FUNCTIONS_PATH}/{name}/configuration", body)
    if response.status != 200:
        raise BenchError(f"UpdateFunctionConfiguration {name}: {response.status} {response.body[:300]!r}")


def delete_function(conn: Connection, name: str) -> None:
    """Delete *name*; its idle environments are stopped with it."""
    response = conn.request("DELETE", f"{FUNCTIONS_PATH}/{name}")
    if response.status != 204:
        raise BenchError(f"DeleteFunction {name}: {response.status} {response.body[:300]!r}")


@contextlib.contextmanager
def function(port: int, name: str, runtime: str, source: str | Files, handler: str = "app.handler") -> Iterator[str]:
    """A function that exists for the block, then is deleted (freeing its environments)."""
    with Connection("127.0.0.1", port) as conn:
        create_function(conn, name, runtime, source, handler=handler)
    try:
        yield name
    finally:
        with Connection("127.0.0.1", port) as conn:
            delete_function(conn, name)


def invoke_path(name: str) -> str:
    return f"{FUNCTIONS_PATH}/{name}/invocations"


def json11_request(host: str, target: str, params: object) -> bytes:
    """A JSON 1.1 call (``X-Amz-Target: <target>``, at the root path), signed for its service."""
    headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
    return build_request("POST", host, "/", json.dumps(params).encode(), headers)


def json11(conn: Connection, target: str, params: object) -> dict[str, Any]:
    """Call *target* (``AWSEvents.PutRule``, ``Logs_20140328.FilterLogEvents``) with *params*; its answer."""
    response = conn.send_raw(json11_request(f"{conn.host}:{conn.port}", target, params))
    if response.status != 200:
        raise BenchError(f"{target}: {response.status} {response.body[:300]!r}")
    answer: dict[str, Any] = json.loads(response.body or b"{}")
    return answer


def allow_rule(conn: Connection, name: str, rule_arn: str) -> None:
    """Let EventBridge invoke *name* for the rule *rule_arn* (the function's resource policy)."""
    statement = {
        "StatementId": f"events-{rule_arn.rsplit('/', 1)[-1]}",
        "Action": "lambda:InvokeFunction",
        "Principal": "events.amazonaws.com",
        "SourceArn": rule_arn,
    }
    added = conn.request("POST", f"{FUNCTIONS_PATH}/{name}/policy", json.dumps(statement).encode())
    if added.status != 201:
        raise BenchError(f"AddPermission {name}: {added.status} {added.body[:300]!r}")


# -- /proc ---------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of *pid* itself (children excluded)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _ppid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            ppid = _ppid(int(entry))
            if ppid is not None:
                parents[int(entry)] = ppid
    found: list[int] = []
    frontier = {root}
    while frontier:
        children = [pid for pid, ppid in parents.items() if ppid in frontier]
        found += children
        frontier = set(children)
    return found


def _memory_cgroup(pid: int) -> str | None:
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:  # cgroup v1's memory controller, else the v2 unified path
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return path
    return next((line.split(":", 2)[2] for line in lines if line.startswith("0::")), None)


def _session(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[3])
    except (OSError, ValueError, IndexError):
        return None


def environments(server_pid: int, pids: Iterable[int]) -> dict[str, list[int]]:
    """*pids* (processes the server started) grouped into environments.

    An environment is its own memory cgroup where the sandbox gives it one (namespaces mode),
    else its own session (the process sandbox makes each environment a session leader).
    """
    server_cgroup = _memory_cgroup(server_pid)
    groups: dict[str, list[int]] = {}
    for pid in pids:
        cgroup = _memory_cgroup(pid)
        own_cgroup = cgroup is not None and cgroup != server_cgroup
        key = f"cgroup {cgroup}" if own_cgroup else f"session {_session(pid)}"
        groups.setdefault(key, []).append(pid)
    return groups


def uid(pid: int) -> int | None:
    """The real uid *pid* runs as (None once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    line = next((line for line in status.splitlines() if line.startswith("Uid:")), None)
    return int(line.split()[1]) if line else None


def command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def memory_kb(pid: int) -> dict[str, int]:
    """Rss, Pss and USS (Private_Clean + Private_Dirty) from smaps_rollup, in kB."""
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup") as handle:
        for line in handle:
            name, _, rest = line.partition(":")
            parts = rest.split()
            if len(parts) == 2 and parts[1] == "kB":
                values[name] = int(parts[0])
    return {
        "rss": values.get("Rss", 0),
        "pss": values.get("Pss", 0),
        "uss": values.get("Private_Clean", 0) + values.get("Private_Dirty", 0),
    }


def wait_quiet(pid: int, timeout_s: float, window_s: float = 0.3, busy_fraction: float = 0.05) -> float:
    """Wait until *pid* uses under *busy_fraction* of a core over *window_s*; seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        before = cpu_seconds(pid)
        time.sleep(window_s)
        if cpu_seconds(pid) - before <= busy_fraction * window_s:
            break
    return time.monotonic() - started


# -- the machine -------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str:
    try:
        result = subprocess.run(
            ["git", "-C", str(PROJECT_DIR), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except OSError:
        return "unknown"
    dirty = ""
    status = subprocess.run(
        ["git", "-C", str(PROJECT_DIR), "status", "--porcelain", "--", "src"],
        capture_output=True,
        text=True,
        timeout=5,
        check=False,
    )
    if status.stdout.strip():
        dirty = "+dirty"
    return (result.stdout.strip() or "unknown") + dirty


def machine(runtime: str, runtime_executable: str) -> dict[str, object]:
    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "runtime": runtime,
        "runtime_executable": runtime_executable,
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lambent_commit": _git_commit(),
    }
