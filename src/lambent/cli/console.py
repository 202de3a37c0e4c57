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


class Target:
    """Where and as whom the CLI calls: the endpoint, the region, and a botocore session.

    Credentials come from AWS's usual chain; with none in the environment and no
    ``AWS_PROFILE``, the ``lambent`` profile that ``lambent serve`` wrote is used, and its
    ``endpoint_url`` too, unless ``--endpoint-url`` / ``LAMBENT_ENDPOINT_URL`` says otherwise.
    """

    def __init__(self, endpoint_url: str | None) -> None:
        import boto3
        import botocore.session

        env = os.environ
        profile = env.get("AWS_PROFILE")
        if profile is None and "AWS_ACCESS_KEY_ID" not in env and "lambent" in boto3.Session().available_profiles:
            profile = "lambent"
        self.session = boto3.Session(profile_name=profile)
        scoped = botocore.session.Session(profile=profile).get_scoped_config() if profile else {}
        self.endpoint_url = (
            endpoint_url or scoped.get("endpoint_url") or f"http://127.0.0.1:{env.get('LAMBENT_PORT', '9001')}"
        ).rstrip("/")
        self.region = self.session.region_name or env.get("LAMBENT_REGION") or "us-east-1"

    def client(self, service: str, **config: Any) -> Any:
        from botocore.config import Config

        return self.session.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            config=Config(retries={"max_attempts": 1}, read_timeout=960, connect_timeout=5, **config),
        )


def lambda_client(endpoint_url: str | None) -> Any:
    return Target(endpoint_url).client("lambda")


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


def lambent_api(endpoint_url: str | None, method: str, path: str, body: Any = None) -> Any:
    """Call Lambent's own API (usage, budgets), signed as Lambda's is, and decode its JSON answer."""
    import urllib.error
    import urllib.parse
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    target = Target(endpoint_url)
    data = json.dumps(body).encode() if body is not None else None
    base, _, query = path.partition("?")
    if query:  # encoded as SigV4 canonicalises it (RFC 3986), so the query sent is the one signed
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        base += "?" + urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote, safe="-_.~")
    url = f"{target.endpoint_url}/lambent/2026-11-27{base}"
    signed = AWSRequest(method=method, url=url, data=data, headers={"Content-Type": "application/json"})
    credentials = target.session.get_credentials()
    if credentials is not None:
        SigV4Auth(credentials.get_frozen_credentials(), "lambda", target.region).add_auth(signed)
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - the URL is the server's, http(s) only
    for name, value in signed.headers.items():
        request.add_header(name, value)
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
