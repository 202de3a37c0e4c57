"""``lambent usage`` and ``lambent budget``: metered use and cost, and monthly caps, through
Lambent's own API."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any, Optional

import typer
from rich.console import RenderableType

from lambent.cli.console import EndpointOption, err, lambent_api, out
from lambent.cli.layout import Column, records

USAGE_COLUMNS = ("requests", "billed_ms", "gb_seconds", "provisioned_gb_seconds", "cost_usd", "cost_after_free_tier_usd")
USAGE_HEADERS = ("requests", "billed ms", "GB-s", "provisioned GB-s", "cost $", "after free tier $")


def usage_cells(line: Mapping[str, Any]) -> list[str]:
    """One usage line's figures as shown: counts whole, GB-s to 3 places, dollars to 10."""
    return [
        str(line["requests"]),
        str(line["billed_ms"]),
        f"{float(line['gb_seconds']):.3f}",
        f"{float(line['provisioned_gb_seconds']):.3f}",
        *(f"{Decimal(line[c]):.10f}" for c in ("cost_usd", "cost_after_free_tier_usd")),
    ]


def usage_table(lines: Sequence[Mapping[str, Any]], keys: Sequence[str], width: int) -> RenderableType:
    """The usage report for a terminal *width* columns wide (``cli/layout.py``): a cost shown is
    always the cost to the tenth decimal."""
    rows = [([str(line.get(k, "")) for k in keys], usage_cells(line)) for line in lines]
    return records(keys, [Column(header, "right") for header in USAGE_HEADERS], rows, width)


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

    if by not in ("account", "function", "version") or period not in ("day", "month", "all"):
        err.print("[red]error[/red]: --by is account, function or version; --period is day, month or all")
        raise typer.Exit(2)
    if output not in ("table", "json", "csv"):
        err.print("[red]error[/red]: --format is table, json or csv")
        raise typer.Exit(2)
    group = {"account": "account", "function": "function", "version": "function,version"}[by]
    query = {"group_by": group, "period": "" if period == "all" else period}
    query.update({k: v for k, v in {"function": function, "version": version, "start": start, "end": end}.items() if v})
    lines = lambent_api(endpoint_url, "GET", f"/usage?{urllib.parse.urlencode(query)}")["Usage"]
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
    out.print(usage_table(lines, keys, out.width))


budget_app = typer.Typer(help="Monthly budgets: alert, or throttle new invocations, at a cap.", no_args_is_help=True)


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
    sys.stdout.write(json.dumps(lambent_api(endpoint_url, "PUT", f"/budgets/{name}", body), indent=2) + "\n")


@budget_app.command("show")
def budget_show(name: Annotated[str, typer.Argument()], endpoint_url: EndpointOption = None) -> None:
    """A budget, this month's spend and its alerts."""
    sys.stdout.write(json.dumps(lambent_api(endpoint_url, "GET", f"/budgets/{name}"), indent=2) + "\n")


@budget_app.command("ls")
def budget_list(endpoint_url: EndpointOption = None) -> None:
    """List budgets."""
    sys.stdout.write(json.dumps(lambent_api(endpoint_url, "GET", "/budgets")["Budgets"], indent=2) + "\n")


@budget_app.command("rm")
def budget_remove(name: Annotated[str, typer.Argument()], endpoint_url: EndpointOption = None) -> None:
    """Delete a budget."""
    lambent_api(endpoint_url, "DELETE", f"/budgets/{name}")
    out.print(f"deleted budget {name}")
