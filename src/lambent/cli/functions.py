"""The function commands: deploy, invoke, logs, ls and rm, through the Lambda API."""

from __future__ import annotations

import base64
import io
import json
import os
import sys
import time
import zipfile
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import RenderableType
from rich.progress import BarColumn, Progress, TextColumn, TransferSpeedColumn

from lambent.cli.console import EndpointOption, Target, err, fail, lambda_client, out
from lambent.cli.layout import Column, records
from lambent.model.identity import LAMBDA_TRUST_POLICY


def zip_directory(source: Path) -> bytes:
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


#: The role ``lambent deploy`` gives a function when none is named, as SAM makes one per function.
DEFAULT_ROLE = "lambent-basic-execution"
_BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def default_role(target: Target) -> str:
    """The ARN of the caller's account's ``lambent-basic-execution`` role, made on first use:
    trusting Lambda, with AWSLambdaBasicExecutionRole (logs only) attached."""
    iam = target.client("iam")
    try:
        return str(iam.get_role(RoleName=DEFAULT_ROLE)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        arn = str(iam.create_role(RoleName=DEFAULT_ROLE, AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY)["Role"]["Arn"])
        iam.attach_role_policy(RoleName=DEFAULT_ROLE, PolicyArn=_BASIC_EXECUTION)
        return arn


def deploy(
    name: Annotated[str, typer.Argument(help="Function name.")],
    source: Annotated[Path, typer.Argument(help="A directory or a .zip file.", exists=True)],
    runtime: Annotated[str, typer.Option(help="Runtime identifier.")] = "python3.12",
    handler: Annotated[str, typer.Option(help="module.function")] = "app.handler",
    memory: Annotated[int, typer.Option(help="MemorySize in MB.")] = 128,
    timeout: Annotated[int, typer.Option(help="Timeout in seconds.")] = 3,
    env: Annotated[Optional[list[str]], typer.Option(help="KEY=VALUE, repeatable.")] = None,  # noqa: UP045
    role: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help=f"Execution role ARN (default: {DEFAULT_ROLE}, made with AWSLambdaBasicExecutionRole)."),
    ] = None,
    endpoint_url: EndpointOption = None,
) -> None:
    """Create the function from SOURCE, or update its code and configuration if it exists."""
    from botocore.exceptions import ClientError

    data = source.read_bytes() if source.is_file() else zip_directory(source)
    variables = dict(item.split("=", 1) for item in (env or []))
    target = Target(endpoint_url)
    client = target.client("lambda")
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
                role = role or default_role(target)
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
        raise fail(exc) from None
    out.print(
        f"{'updated' if exists else 'created'} {result['FunctionArn']} "
        f"({result['CodeSize']} bytes, sha256 {result['CodeSha256']})"
    )


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
        response = lambda_client(endpoint_url).invoke(
            FunctionName=name,
            Payload=body,
            InvocationType="Event" if event else "RequestResponse",
            LogType="Tail" if tail and not event else "None",
        )
    except Exception as exc:
        raise fail(exc) from None
    if tail and "LogResult" in response:
        err.print(base64.b64decode(response["LogResult"]).decode(errors="replace"), end="", markup=False, highlight=False)
    result = response["Payload"].read()
    if result:
        sys.stdout.write(result.decode(errors="replace") + "\n")
    elif event:
        out.print(f"accepted ({response['StatusCode']})")
    if response.get("FunctionError"):
        raise typer.Exit(1)


def logs(
    name: Annotated[str, typer.Argument(help="Function name.")],
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new events.")] = False,
    since: Annotated[float, typer.Option(help="Start this many minutes ago.")] = 60.0,
    filter_pattern: Annotated[
        str | None, typer.Option("--filter", help="Only events matching this CloudWatch Logs filter pattern.")
    ] = None,
    log_group: Annotated[str | None, typer.Option(help="The group to read (default /aws/lambda/NAME).")] = None,
    endpoint_url: EndpointOption = None,
) -> None:
    """Print a function's log events, as ``aws logs tail`` does (FilterLogEvents)."""
    logs_client = Target(endpoint_url).client("logs")
    start_ms = int((time.time() - since * 60) * 1000)
    params: dict[str, Any] = {"logGroupName": log_group or f"/aws/lambda/{name}", "startTime": start_ms}
    if filter_pattern:
        params["filterPattern"] = filter_pattern
    seen: set[str] = set()  # the ids printed at the newest timestamp, which the next poll repeats
    try:
        while True:
            page = logs_client.filter_log_events(**params)
            newest = params["startTime"]
            for item in page["events"]:
                if item["eventId"] in seen:
                    continue
                sys.stdout.write(item["message"] + "\n")
                if item["timestamp"] > newest:
                    newest, seen = item["timestamp"], set()
                seen.add(item["eventId"])
            sys.stdout.flush()
            if page.get("nextToken"):
                params["nextToken"] = page["nextToken"]
                continue
            if not follow:
                return
            params.pop("nextToken", None)
            params["startTime"] = newest
            time.sleep(1.0)
    except KeyboardInterrupt:
        return
    except Exception as exc:
        raise fail(exc) from None


def list_functions(endpoint_url: EndpointOption = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List functions."""
    client = lambda_client(endpoint_url)
    try:
        functions = [f for page in client.get_paginator("list_functions").paginate() for f in page["Functions"]]
    except Exception as exc:
        raise fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(functions, indent=2) + "\n")
        return
    out.print(functions_table(functions, out.width))


def functions_table(functions: list[dict[str, Any]], width: int) -> RenderableType:
    """``lambent ls`` for a terminal *width* columns wide: a table where it fits, else blocks."""
    columns = [Column("runtime"), Column("memory", "right"), Column("timeout", "right"), Column("code size", "right")]
    columns.append(Column("last modified"))
    rows = [
        (
            [f["FunctionName"]],
            [f.get("Runtime", ""), str(f["MemorySize"]), str(f["Timeout"]), str(f["CodeSize"]), f["LastModified"]],
        )
        for f in functions
    ]
    return records(["name"], columns, rows, width)


def remove(names: Annotated[list[str], typer.Argument(help="Function names.")], endpoint_url: EndpointOption = None) -> None:
    """Delete functions."""
    client = lambda_client(endpoint_url)
    for name in names:
        try:
            client.delete_function(FunctionName=name)
        except Exception as exc:
            raise fail(exc) from None
        out.print(f"deleted {name}")
