"""``lambent sources``: event source mappings through the Lambda API (boto3's client, as any other
caller), each with what its poller counted and its lag: the queue's depth (messages waiting) or
the stream's iterator age (how old the last record read was), from Lambent's own statistics
endpoint (AWS shows these as CloudWatch metrics). It reads only; mappings are made with
``aws lambda create-event-source-mapping`` or boto3, as on AWS."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Optional

import typer
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from lambent.cli.console import EndpointOption, err, fail, lambda_client, lambent_api, out
from lambent.cli.layout import Column, records

sources_app = typer.Typer(help="Event source mappings: queues and streams feeding functions.", no_args_is_help=True)

FunctionOption = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional here
    typer.Option("--function", help="Only the mappings of this function (name or ARN)."),
]
_STATE_STYLES = {"Enabled": "green", "Disabled": "yellow"}


def _pages(client: Any, **params: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator("list_event_source_mappings").paginate(**params):
        yield from page.get("EventSourceMappings", [])


def source_of(mapping: Mapping[str, Any]) -> str:
    """What the mapping reads: its source's ARN, or a self-managed source's endpoints and topic."""
    if mapping.get("EventSourceArn"):
        return str(mapping["EventSourceArn"])
    endpoints = mapping.get("SelfManagedEventSource", {}).get("Endpoints", {})
    servers = ",".join(url for urls in endpoints.values() for url in urls)
    topics = ",".join(mapping.get("Topics", []))
    return f"{servers} {topics}".strip()


def lag(statistics: Mapping[str, Any] | None) -> str:
    """The mapping's lag: ``N waiting`` for a queue, ``age N ms`` for a stream, ``-`` when not polling."""
    if not statistics or not statistics.get("Polling"):
        return "-"
    if statistics.get("IteratorAgeMs") is not None:
        return f"age {statistics['IteratorAgeMs']:.0f} ms"
    if statistics.get("Depth") is not None:
        return f"{statistics['Depth']} waiting"
    return "?"


def _function_name(arn: str) -> str:
    return ":".join(arn.split(":")[6:]) if arn.startswith("arn:") else arn


def mappings_table(
    mappings: Sequence[Mapping[str, Any]], statistics: Mapping[str, Mapping[str, Any] | None], width: int
) -> RenderableType:
    """``lambent sources ls``: each mapping's function, source, state, batch size and lag."""
    columns = [Column("function"), Column("state"), Column("batch", "right"), Column("lag"), Column("source")]
    rows = [
        (
            [m["UUID"]],
            [
                _function_name(m["FunctionArn"]),
                m["State"],
                str(m.get("BatchSize", "")),
                lag(statistics.get(m["UUID"])),
                source_of(m),
            ],
        )
        for m in mappings
    ]
    return records(["mapping"], columns, rows, width)


def mapping_view(mapping: Mapping[str, Any], statistics: Mapping[str, Any] | None) -> RenderableType:
    """``lambent sources describe``: every setting the API shows, then the poller's counts."""
    title = Text(mapping["UUID"], style="bold")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    state = Text(mapping["State"], style=_STATE_STYLES.get(mapping["State"], "cyan"))
    grid.add_row("state", Text.assemble(state, f"  ({mapping.get('StateTransitionReason', '')})"))
    grid.add_row("function", mapping["FunctionArn"])
    grid.add_row("source", source_of(mapping))
    for key in sorted(mapping):
        if key in ("UUID", "State", "StateTransitionReason", "FunctionArn", "EventSourceArn", "ResponseMetadata"):
            continue
        value = mapping[key]
        if isinstance(value, datetime):
            value = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        grid.add_row(key, Text(str(value)))
    parts: list[RenderableType] = [title, grid]
    if statistics and statistics.get("Polling"):
        counts = Table.grid(padding=(0, 2))
        counts.add_column(style="dim")
        counts.add_column(justify="right")
        for key in ("Received", "Processed", "Filtered", "Failed", "Invocations", "Concurrency"):
            counts.add_row(key.lower(), str(statistics.get(key, 0)))
        counts.add_row("lag", lag(statistics))
        parts += [Text(""), Text("poller (since the server started)", style="bold"), counts]
    else:
        parts += [Text(""), Text("not polling", style="yellow")]
    return Group(*parts)


def _statistics(endpoint_url: str | None, uuid: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = lambent_api(endpoint_url, "GET", f"/event-source-mappings/{uuid}")
    except typer.Exit:
        return None
    return found


@sources_app.command("ls")
def list_sources(function: FunctionOption = None, endpoint_url: EndpointOption = None) -> None:
    """List event source mappings with their state and lag."""
    client = lambda_client(endpoint_url)
    try:
        mappings = list(_pages(client, **({"FunctionName": function} if function else {})))
    except Exception as exc:
        raise fail(exc) from None
    if not mappings:
        err.print("no event source mappings")
        return
    statistics = {m["UUID"]: _statistics(endpoint_url, m["UUID"]) for m in mappings}
    out.print(mappings_table(mappings, statistics, out.width))


@sources_app.command("describe")
def describe(uuid: Annotated[str, typer.Argument(help="The mapping's UUID.")], endpoint_url: EndpointOption = None) -> None:
    """A mapping's settings, state and what its poller counted."""
    client = lambda_client(endpoint_url)
    try:
        mapping = client.get_event_source_mapping(UUID=uuid)
    except Exception as exc:
        raise fail(exc) from None
    out.print(mapping_view(mapping, _statistics(endpoint_url, uuid)))
