"""What every CLI command shares: the two consoles, the endpoint option, and the clients of
the server's two APIs (Lambda's through boto3, Lambent's own over HTTP)."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

err = Console(stderr=True)
out = Console()

EndpointOption = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional here
    typer.Option("--endpoint-url", envvar="LAMBENT_ENDPOINT_URL", help="The Lambent server (default: the local one)."),
]


def lambda_client(endpoint_url: str | None) -> Any:
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


def fail(exc: Exception) -> typer.Exit:
    from botocore.exceptions import ClientError, EndpointConnectionError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        err.print(f"[red]{error.get('Code')}[/red]: {error.get('Message')}")
    elif isinstance(exc, EndpointConnectionError):
        err.print(f"[red]cannot reach the server[/red]: {exc}")
    else:
        err.print(f"[red]error[/red]: {exc}")
    return typer.Exit(1)


def endpoint(endpoint_url: str | None) -> str:
    return endpoint_url or f"http://127.0.0.1:{os.environ.get('LAMBENT_PORT', '9001')}"


def lambent_api(endpoint_url: str | None, method: str, path: str, body: Any = None) -> Any:
    """Call Lambent's own API (usage, budgets) and decode its JSON answer."""
    import urllib.error
    import urllib.request

    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - the URL is the server's, http(s) only
        f"{endpoint(endpoint_url)}/lambent/2026-11-27{path}", data=data, method=method
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
