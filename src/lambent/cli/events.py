"""``lambent events``: EventBridge's buses, their rules and targets, and TestEventPattern,
through the ``events`` API (boto3's client, as any other caller). It reads and tests only;
buses, rules and targets are made with ``aws events`` or boto3, as on AWS."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from lambent.cli.console import EndpointOption, Target, err, fail, out
from lambent.cli.layout import Column, json_text, records
from lambent.model.event_retry import DEFAULT_EVENT_AGE_S, DEFAULT_RETRY_ATTEMPTS

events_app = typer.Typer(help="EventBridge: event buses, their rules and targets.", no_args_is_help=True)

BusOption = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional here
    typer.Option("--bus", help="The event bus, by name or ARN (default: default)."),
]
#: The members TestEventPattern's event must have (AWS answers "Parameter Event is not valid.").
EVENT_MEMBERS = ("id", "account", "source", "time", "region", "detail-type")
_STATE_STYLES = {"ENABLED": "green", "DISABLED": "yellow"}


def _client(endpoint_url: str | None) -> Any:
    return Target(endpoint_url).client("events")


def _pages(client: Any, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every item of a listing, page after page (ListEventBuses has no boto3 paginator)."""
    while True:
        page = getattr(client, operation)(**params)
        yield from page.get(key, [])
        if not page.get("NextToken"):
            return
        params["NextToken"] = page["NextToken"]


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def _one_line(pattern: str) -> str:
    try:
        return json.dumps(json.loads(pattern), separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        return pattern


def _matching(rule: Mapping[str, Any]) -> str:
    """What a rule matches: its pattern on one line, or its schedule."""
    if rule.get("ScheduleExpression"):
        return str(rule["ScheduleExpression"])
    return _one_line(rule.get("EventPattern") or "")


def buses_table(buses: Sequence[Mapping[str, Any]], rule_counts: Mapping[str, int], width: int) -> RenderableType:
    """``lambent events ls``: each bus with its number of rules."""
    columns = [Column("rules", "right"), Column("created"), Column("description")]
    rows = [
        ([bus["Name"]], [str(rule_counts.get(bus["Name"], 0)), _when(bus.get("CreationTime")), bus.get("Description", "")])
        for bus in buses
    ]
    return records(["bus"], columns, rows, width)


def rules_table(rules: Sequence[Mapping[str, Any]], target_counts: Mapping[str, int], width: int) -> RenderableType:
    """``lambent events ls --bus NAME``: each rule with its state, what it matches and its number of targets."""
    columns = [Column("state"), Column("targets", "right"), Column("pattern / schedule")]
    rows = [([rule["Name"]], [rule.get("State", ""), str(target_counts.get(rule["Name"], 0)), _matching(rule)]) for rule in rules]
    return records(["rule"], columns, rows, width)


def _delivers(target: Mapping[str, Any]) -> str:
    """What a target is sent: the matched event, or what its input settings make of it."""
    if "Input" in target:
        return f"constant {target['Input']}"
    if "InputPath" in target:
        return f"path {target['InputPath']}"
    if "InputTransformer" in target:
        return f"template {target['InputTransformer'].get('InputTemplate', '')}"
    return "the matched event"


def _retries(target: Mapping[str, Any]) -> str:
    policy = target.get("RetryPolicy") or {}
    attempts = policy.get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS)
    age = policy.get("MaximumEventAgeInSeconds", DEFAULT_EVENT_AGE_S)
    return f"{attempts} retries within {age} s"


def rule_view(rule: Mapping[str, Any], targets: Sequence[Mapping[str, Any]], width: int) -> RenderableType:
    """``lambent events describe``: the rule's settings, then its targets."""
    state = rule.get("State", "")
    shown: list[tuple[str, str | Text]] = [
        ("rule", rule["Name"]),
        ("arn", rule["Arn"]),
        ("bus", rule.get("EventBusName", "default")),
        ("state", Text(state, style=_STATE_STYLES.get(state, ""))),
    ]
    for label, key in (
        ("pattern", "EventPattern"),
        ("schedule", "ScheduleExpression"),
        ("description", "Description"),
        ("role", "RoleArn"),
        ("created by", "CreatedBy"),
    ):
        if rule.get(key):
            shown.append((label, rule[key]))
    label_width = max(len(label) for label, _ in shown) + 2
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="bold", no_wrap=True)
    fields.add_column(overflow="fold")
    for label, value in shown:
        if label == "pattern" and isinstance(value, str):
            value = json_text(value, width - label_width)
        fields.add_row(label, value if isinstance(value, Text) else Text(value))
    heading = Text(f"targets ({len(targets)})" if targets else "no targets", style="bold")
    parts: list[RenderableType] = [fields, Text(""), heading]
    if targets:
        columns = [Column("arn"), Column("sends"), Column("retries"), Column("dead letters to")]
        rows = [
            (
                [target["Id"]],
                [target["Arn"], _delivers(target), _retries(target), (target.get("DeadLetterConfig") or {}).get("Arn", "")],
            )
            for target in targets
        ]
        parts.append(records(["target"], columns, rows, width))
    return Group(*parts)


@events_app.command("ls")
def list_events(bus: BusOption = None, endpoint_url: EndpointOption = None) -> None:
    """List event buses, each with its number of rules; with --bus, that bus's rules."""
    client = _client(endpoint_url)
    try:
        if bus is None:
            buses = list(_pages(client, "list_event_buses", "EventBuses"))
            counts = {b["Name"]: sum(1 for _ in _pages(client, "list_rules", "Rules", EventBusName=b["Name"])) for b in buses}
            out.print(buses_table(buses, counts, out.width))
            return
        rules = list(_pages(client, "list_rules", "Rules", EventBusName=bus))
        targets = {
            rule["Name"]: sum(1 for _ in _pages(client, "list_targets_by_rule", "Targets", Rule=rule["Name"], EventBusName=bus))
            for rule in rules
        }
    except Exception as exc:
        raise fail(exc) from None
    if not rules:
        err.print(f"no rules on event bus {bus}")
        return
    out.print(rules_table(rules, targets, out.width))


@events_app.command("describe")
def describe(
    rule: Annotated[str, typer.Argument(help="The rule's name.")], bus: BusOption = None, endpoint_url: EndpointOption = None
) -> None:
    """A rule's settings and its targets."""
    client = _client(endpoint_url)
    on_bus = {"EventBusName": bus} if bus else {}
    try:
        described = client.describe_rule(Name=rule, **on_bus)
        targets = list(_pages(client, "list_targets_by_rule", "Targets", Rule=rule, **on_bus))
    except Exception as exc:
        raise fail(exc) from None
    out.print(rule_view(described, targets, out.width))


def _read(argument: str) -> str:
    """A JSON argument as given: '@file' reads the file, '-' reads stdin."""
    if argument == "-":
        return sys.stdin.read()
    if argument.startswith("@"):
        return Path(argument[1:]).read_text()
    return argument


@events_app.command("test-pattern")
def try_pattern(
    pattern: Annotated[str, typer.Argument(help="The event pattern: JSON, '@file' or '-' (stdin).")],
    event: Annotated[str, typer.Argument(help="The event: JSON, '@file' or '-' (stdin).")],
    endpoint_url: EndpointOption = None,
) -> None:
    """Whether PATTERN matches EVENT, by TestEventPattern: matched or not matched (exit 0 either way, 1 on error)."""
    from botocore.exceptions import ClientError

    if pattern == "-" and event == "-":
        err.print("[red]error[/red]: only one of PATTERN and EVENT can be read from stdin")
        raise typer.Exit(1)
    try:
        body = {"EventPattern": _read(pattern), "Event": _read(event)}
        matched = _client(endpoint_url).test_event_pattern(**body)["Result"]
    except ClientError as exc:
        error = exc.response.get("Error", {})
        failed = fail(exc)
        if error.get("Message") == "Parameter Event is not valid.":
            err.print(f"an event needs the members {', '.join(EVENT_MEMBERS)}")
        raise failed from None
    except Exception as exc:
        raise fail(exc) from None
    out.print("[green]matched[/green]" if matched else "[yellow]not matched[/yellow]")
