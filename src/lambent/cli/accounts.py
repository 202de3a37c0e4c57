"""``lambent account``: make more accounts on one server (each with its own IAM users and roles),
and list them. The new account's administrator key is printed once, as IAM shows a new key."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer

from lambent.cli.console import EndpointOption, lambent_api

account_app = typer.Typer(no_args_is_help=True, help="Accounts on this server.")


@account_app.command("create")
def account_create(
    account_id: Annotated[Optional[str], typer.Option("--id", help="12 digits (default: random).")] = None,  # noqa: UP045
    endpoint_url: EndpointOption = None,
) -> None:
    """Create an account and its ``admin`` user; print the admin's key (shown only now)."""
    body = {"AccountId": account_id} if account_id else {}
    sys.stdout.write(json.dumps(lambent_api(endpoint_url, "POST", "/accounts", body), indent=2) + "\n")


@account_app.command("ls")
def account_list(endpoint_url: EndpointOption = None) -> None:
    """List the server's accounts."""
    sys.stdout.write(json.dumps(lambent_api(endpoint_url, "GET", "/accounts")["Accounts"], indent=2) + "\n")
