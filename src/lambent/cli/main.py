"""``lambent``: run the server, and deploy, invoke and read functions with it.

Client commands speak the Lambda API through boto3, exactly as any other client, to the server
named by ``--endpoint-url`` / ``LAMBENT_ENDPOINT_URL`` (default: the local one).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import sys
import time
import zipfile
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Lambent: a self-hosted, Lambda-compatible serverless platform."
)
err = Console(stderr=True)
out = Console()

EndpointOption = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional here
    typer.Option("--endpoint-url", envvar="LAMBENT_ENDPOINT_URL", help="The Lambent server (default: the local one)."),
]


def _client(endpoint_url: str | None) -> Any:
    import boto3
    from botocore.config import Config

    env = os.environ
    return boto3.client(
        "lambda",
        endpoint_url=endpoint_url or f"http://127.0.0.1:{env.get('LAMBENT_PORT', '9001')}",
        region_name=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or env.get("LAMBENT_REGION") or "us-east-1",
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID", "lambent"),
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY", "lambent"),
        config=Config(retries={"max_attempts": 1}, read_timeout=960, connect_timeout=5),
    )


def _fail(exc: Exception) -> typer.Exit:
    from botocore.exceptions import ClientError, EndpointConnectionError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        err.print(f"[red]{error.get('Code')}[/red]: {error.get('Message')}")
    elif isinstance(exc, EndpointConnectionError):
        err.print(f"[red]cannot reach the server[/red]: {exc}")
    else:
        err.print(f"[red]error[/red]: {exc}")
    return typer.Exit(1)


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Address to bind (default 127.0.0.1).")] = None,  # noqa: UP045
    port: Annotated[Optional[int], typer.Option(help="Port (default 9001).")] = None,  # noqa: UP045
    data_dir: Annotated[Optional[Path], typer.Option(help="Where state lives (default ./.lambent).")] = None,  # noqa: UP045
    sandbox: Annotated[Optional[str], typer.Option(help="Sandbox mode.")] = None,  # noqa: UP045
    idle_timeout: Annotated[Optional[float], typer.Option(help="Seconds before an idle environment is reaped.")] = None,  # noqa: UP045
) -> None:
    """Run the server (flags also read from LAMBENT_HOST, LAMBENT_PORT, LAMBENT_DATA_DIR, ...)."""
    from lambent.errors import SettingsError
    from lambent.server import serve as serve_forever
    from lambent.settings import build_settings

    try:
        settings = build_settings(
            os.environ,
            {"host": host, "port": port, "data_dir": data_dir, "sandbox": sandbox, "idle_timeout_s": idle_timeout},
        )
    except SettingsError as exc:
        err.print(f"[red]bad setting[/red]: {exc}")
        raise typer.Exit(2) from None
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    serve_forever(settings, os.environ)


@app.command()
def doctor(
    sandbox: Annotated[Optional[str], typer.Option(help="Sandbox mode to check (default: auto).")] = None,  # noqa: UP045
) -> None:
    """List each protection of the sandbox this machine gives, on or off, and why; and the runtimes."""
    import tempfile

    from lambent.errors import SettingsError
    from lambent.runtimes import discover_python, discover_runtimes
    from lambent.server import SandboxNeeds, choose_sandbox
    from lambent.settings import build_settings

    try:
        settings = build_settings(os.environ, {"sandbox": sandbox})
    except SettingsError as exc:
        err.print(f"[red]bad setting[/red]: {exc}")
        raise typer.Exit(2) from None
    with tempfile.TemporaryDirectory() as scratch:

        async def nothing(_sock: Any, _runtime: Any) -> Any:
            raise RuntimeError("doctor serves nothing")

        try:
            needs = SandboxNeeds(
                settings=settings, data_dir=Path(scratch), serve_api=nothing, runtimes=discover_runtimes(os.environ)
            )
            chosen = choose_sandbox(needs)
        except Exception as exc:
            err.print(f"[red]sandbox {settings.sandbox} unavailable[/red]: {exc}")
            raise typer.Exit(1) from None
        table = Table("protection", "state", "why", title=f"sandbox: {chosen.name}")
        for protection in chosen.protections():
            table.add_row(protection.name, "[green]on[/green]" if protection.active else "[red]off[/red]", protection.reason)
        out.print(table)
    runtimes = discover_python(os.environ)
    out.print("runtimes: " + (", ".join(f"{r.name} ({r.executable})" for r in runtimes.values()) or "none found"))


def _zip_directory(source: Path) -> bytes:
    files = sorted(p for p in source.rglob("*") if p.is_file() or p.is_symlink())
    total = sum(p.lstat().st_size for p in files)
    buffer = io.BytesIO()
    with Progress(TextColumn("packaging"), BarColumn(), TransferSpeedColumn(), console=err, transient=True) as progress:
        task = progress.add_task("zip", total=total)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                info = zipfile.ZipInfo.from_file(path, path.relative_to(source).as_posix())
                if path.is_symlink():
                    info.external_attr = 0o120777 << 16
                    archive.writestr(info, os.readlink(path))
                else:
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, path.read_bytes())
                progress.advance(task, path.lstat().st_size)
    return buffer.getvalue()


@app.command()
def deploy(
    name: Annotated[str, typer.Argument(help="Function name.")],
    source: Annotated[Path, typer.Argument(help="A directory or a .zip file.", exists=True)],
    runtime: Annotated[str, typer.Option(help="Runtime identifier.")] = "python3.12",
    handler: Annotated[str, typer.Option(help="module.function")] = "app.handler",
    memory: Annotated[int, typer.Option(help="MemorySize in MB.")] = 128,
    timeout: Annotated[int, typer.Option(help="Timeout in seconds.")] = 3,
    env: Annotated[Optional[list[str]], typer.Option(help="KEY=VALUE, repeatable.")] = None,  # noqa: UP045
    role: Annotated[str, typer.Option(help="Execution role ARN (stored).")] = "arn:aws:iam::000000000000:role/lambent",
    endpoint_url: EndpointOption = None,
) -> None:
    """Create the function from SOURCE, or update its code and configuration if it exists."""
    from botocore.exceptions import ClientError

    data = source.read_bytes() if source.is_file() else _zip_directory(source)
    variables = dict(item.split("=", 1) for item in (env or []))
    client = _client(endpoint_url)
    try:
        with err.status(f"uploading {len(data) / 1e6:.1f} MB"):
            try:
                client.get_function_configuration(FunctionName=name)
                exists = True
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
                exists = False
            if exists:
                client.update_function_code(FunctionName=name, ZipFile=data)
                result = client.update_function_configuration(
                    FunctionName=name,
                    Runtime=runtime,
                    Handler=handler,
                    MemorySize=memory,
                    Timeout=timeout,
                    Environment={"Variables": variables},
                )
            else:
                result = client.create_function(
                    FunctionName=name,
                    Runtime=runtime,
                    Handler=handler,
                    MemorySize=memory,
                    Timeout=timeout,
                    Role=role,
                    Code={"ZipFile": data},
                    Environment={"Variables": variables},
                )
    except Exception as exc:
        raise _fail(exc) from None
    out.print(
        f"{'updated' if exists else 'created'} {result['FunctionArn']} "
        f"({result['CodeSize']} bytes, sha256 {result['CodeSha256']})"
    )


@app.command()
def invoke(
    name: Annotated[str, typer.Argument(help="Function name or ARN (name:qualifier too).")],
    payload: Annotated[Optional[str], typer.Argument(help="JSON payload; '-' reads stdin; '@file' reads a file.")] = None,  # noqa: UP045
    tail: Annotated[bool, typer.Option("--tail", help="Print the last 4 KB of the invocation's log.")] = False,
    event: Annotated[bool, typer.Option("--event", help="Invoke asynchronously (202).")] = False,
    endpoint_url: EndpointOption = None,
) -> None:
    """Invoke a function and print its result (exit status 1 on a function error)."""
    if payload == "-":
        body = sys.stdin.buffer.read()
    elif payload and payload.startswith("@"):
        body = Path(payload[1:]).read_bytes()
    else:
        body = (payload or "{}").encode()
    try:
        response = _client(endpoint_url).invoke(
            FunctionName=name,
            Payload=body,
            InvocationType="Event" if event else "RequestResponse",
            LogType="Tail" if tail and not event else "None",
        )
    except Exception as exc:
        raise _fail(exc) from None
    if tail and "LogResult" in response:
        err.print(base64.b64decode(response["LogResult"]).decode(errors="replace"), end="", markup=False, highlight=False)
    result = response["Payload"].read()
    if result:
        sys.stdout.write(result.decode(errors="replace") + "\n")
    elif event:
        out.print(f"accepted ({response['StatusCode']})")
    if response.get("FunctionError"):
        raise typer.Exit(1)


@app.command()
def logs(
    name: Annotated[str, typer.Argument(help="Function name.")],
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new events.")] = False,
    since: Annotated[float, typer.Option(help="Start this many minutes ago.")] = 60.0,
    endpoint_url: EndpointOption = None,
) -> None:
    """Print a function's log events (group /aws/lambda/NAME)."""
    client = _client(endpoint_url)
    import boto3

    logs_client = boto3.client(
        "logs",
        endpoint_url=client.meta.endpoint_url,
        region_name=client.meta.region_name,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "lambent"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "lambent"),
    )
    params: dict[str, Any] = {"logGroupName": f"/aws/lambda/{name}", "startTime": int((time.time() - since * 60) * 1000)}
    try:
        while True:
            page = logs_client.filter_log_events(**params)
            for item in page["events"]:
                sys.stdout.write(item["message"] + "\n")
            sys.stdout.flush()
            if page.get("nextToken"):
                params["nextToken"] = page["nextToken"]
            elif page["events"]:
                params["nextToken"] = page["events"][-1]["eventId"]
            if not follow:
                if not page.get("nextToken"):
                    return
                continue
            if not page.get("nextToken"):
                time.sleep(1.0)
    except KeyboardInterrupt:
        return
    except Exception as exc:
        raise _fail(exc) from None


@app.command("ls")
def list_functions(endpoint_url: EndpointOption = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List functions."""
    client = _client(endpoint_url)
    try:
        functions = [f for page in client.get_paginator("list_functions").paginate() for f in page["Functions"]]
    except Exception as exc:
        raise _fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(functions, indent=2) + "\n")
        return
    table = Table("name", "runtime", "memory", "timeout", "code size", "last modified")
    for f in functions:
        table.add_row(
            f["FunctionName"],
            f.get("Runtime", ""),
            str(f["MemorySize"]),
            str(f["Timeout"]),
            str(f["CodeSize"]),
            f["LastModified"],
        )
    out.print(table)


@app.command("rm")
def remove(names: Annotated[list[str], typer.Argument(help="Function names.")], endpoint_url: EndpointOption = None) -> None:
    """Delete functions."""
    client = _client(endpoint_url)
    for name in names:
        try:
            client.delete_function(FunctionName=name)
        except Exception as exc:
            raise _fail(exc) from None
        out.print(f"deleted {name}")


def _endpoint(endpoint_url: str | None) -> str:
    return endpoint_url or f"http://127.0.0.1:{os.environ.get('LAMBENT_PORT', '9001')}"


def _lambent_api(endpoint_url: str | None, method: str, path: str, body: Any = None) -> Any:
    """Call Lambent's own API (usage, budgets) and decode its JSON answer."""
    import urllib.error
    import urllib.request

    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - the URL is the server's, http(s) only
        f"{_endpoint(endpoint_url)}/lambent/2026-11-27{path}", data=data, method=method
    )
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            payload = response.read()
    except urllib.error.HTTPError as exc:
        document = json.loads(exc.read() or b"{}")
        err.print(f"[red]{document.get('__type', exc.code)}[/red]: {document.get('message', exc.reason)}")
        raise typer.Exit(1) from None
    except OSError as exc:
        err.print(f"[red]cannot reach the server[/red]: {exc}")
        raise typer.Exit(1) from None
    return json.loads(payload) if payload else None


USAGE_COLUMNS = ("requests", "billed_ms", "gb_seconds", "provisioned_gb_seconds", "cost_usd", "cost_after_free_tier_usd")


@app.command()
def usage(
    by: Annotated[str, typer.Option("--by", help="Group by: account, function or version.")] = "function",
    period: Annotated[str, typer.Option("--period", help="day, month or all.")] = "month",
    function: Annotated[Optional[str], typer.Option("--function", help="Only this function.")] = None,  # noqa: UP045
    version: Annotated[Optional[str], typer.Option("--version", help="Only this version.")] = None,  # noqa: UP045
    start: Annotated[Optional[str], typer.Option("--start", help="First day, YYYY-MM-DD.")] = None,  # noqa: UP045
    end: Annotated[Optional[str], typer.Option("--end", help="Last day, YYYY-MM-DD.")] = None,  # noqa: UP045
    output: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    endpoint_url: EndpointOption = None,
) -> None:
    """Usage and cost, before and after the free tier."""
    import csv
    import urllib.parse
    from decimal import Decimal

    if by not in ("account", "function", "version") or period not in ("day", "month", "all"):
        err.print("[red]error[/red]: --by is account, function or version; --period is day, month or all")
        raise typer.Exit(2)
    if output not in ("table", "json", "csv"):
        err.print("[red]error[/red]: --format is table, json or csv")
        raise typer.Exit(2)
    group = {"account": "account", "function": "function", "version": "function,version"}[by]
    query = {"group_by": group, "period": "" if period == "all" else period}
    query.update({k: v for k, v in {"function": function, "version": version, "start": start, "end": end}.items() if v})
    lines = _lambent_api(endpoint_url, "GET", f"/usage?{urllib.parse.urlencode(query)}")["Usage"]
    keys = [k for k in ("account", "function", "version", "period") if any(k in line for line in lines)] or ["account"]
    if output == "json":
        sys.stdout.write(json.dumps(lines, indent=2) + "\n")
        return
    if output == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow([*keys, *USAGE_COLUMNS])
        for line in lines:
            writer.writerow([line.get(k, "") for k in (*keys, *USAGE_COLUMNS)])
        return
    table = Table(*keys, "requests", "billed ms", "GB-s", "provisioned GB-s", "cost $", "after free tier $")
    for line in lines:
        money = [f"{Decimal(line[c]):.10f}" for c in ("cost_usd", "cost_after_free_tier_usd")]
        table.add_row(
            *(str(line.get(k, "")) for k in keys),
            str(line["requests"]),
            str(line["billed_ms"]),
            f"{float(line['gb_seconds']):.3f}",
            f"{float(line['provisioned_gb_seconds']):.3f}",
            *money,
        )
    out.print(table)


budget_app = typer.Typer(help="Monthly budgets: alert, or throttle new invocations, at a cap.", no_args_is_help=True)
app.add_typer(budget_app, name="budget")


@budget_app.command("set")
def budget_set(
    name: Annotated[str, typer.Argument(help="The budget's name.")],
    limit: Annotated[str, typer.Option("--limit", help="The monthly cap.")],
    unit: Annotated[str, typer.Option("--unit", help="USD (after the free tier) or GB-s.")] = "USD",
    action: Annotated[str, typer.Option("--action", help="ALERT or THROTTLE.")] = "ALERT",
    function: Annotated[Optional[str], typer.Option("--function", help="Cap one function.")] = None,  # noqa: UP045
    notify: Annotated[Optional[str], typer.Option("--notify", help="Alert destination ARN.")] = None,  # noqa: UP045
    thresholds: Annotated[str, typer.Option("--thresholds", help="Alert percentages.")] = "50,80,100",
    endpoint_url: EndpointOption = None,
) -> None:
    """Create or replace a budget."""
    try:
        percents = [int(t) for t in thresholds.split(",") if t]
    except ValueError:
        err.print("[red]error[/red]: --thresholds takes percentages separated by commas")
        raise typer.Exit(2) from None
    body = {"Limit": limit, "Unit": unit, "Action": action.upper(), "Thresholds": percents}
    if function:
        body["FunctionName"] = function
    if notify:
        body["Notify"] = notify
    sys.stdout.write(json.dumps(_lambent_api(endpoint_url, "PUT", f"/budgets/{name}", body), indent=2) + "\n")


@budget_app.command("show")
def budget_show(name: Annotated[str, typer.Argument()], endpoint_url: EndpointOption = None) -> None:
    """A budget, this month's spend and its alerts."""
    sys.stdout.write(json.dumps(_lambent_api(endpoint_url, "GET", f"/budgets/{name}"), indent=2) + "\n")


@budget_app.command("ls")
def budget_list(endpoint_url: EndpointOption = None) -> None:
    """List budgets."""
    sys.stdout.write(json.dumps(_lambent_api(endpoint_url, "GET", "/budgets")["Budgets"], indent=2) + "\n")


@budget_app.command("rm")
def budget_remove(name: Annotated[str, typer.Argument()], endpoint_url: EndpointOption = None) -> None:
    """Delete a budget."""
    _lambent_api(endpoint_url, "DELETE", f"/budgets/{name}")
    out.print(f"deleted budget {name}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
