"""How the CLI shows a list of records: one table when it fits the terminal whole, else one
block per record (its keys, then a value per line). Rich would cut every header and value that
does not fit to an ellipsis (``cost $ 0.00000…``); nothing shown here is ever cut short."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Literal, NamedTuple

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text


class Column(NamedTuple):
    header: str
    justify: Literal["left", "right"] = "left"


#: One record: the values of its keys, then one value per column.
Row = tuple[Sequence[str], Sequence[str]]


def records(keys: Sequence[str], columns: Sequence[Column], rows: Sequence[Row], width: int) -> RenderableType:
    """*rows* for a terminal *width* columns wide: the table if its natural width fits, else blocks."""
    table = Table(*keys)
    for column in columns:
        table.add_column(column.header, justify=column.justify, no_wrap=True)
    for names, values in rows:  # as text: a value is never read as Rich markup ("[red]", "[/x]")
        table.add_row(*(Text(name) for name in names), *(Text(value) for value in values))
    if Console(width=10_000).measure(table).maximum <= width:  # its natural width, unconstrained
        return table
    label_width = 2 + max((len(c.header) for c in columns), default=0)
    longest = max((len(value) for _, values in rows for value in values), default=0)
    value_width = max(min(longest, width - label_width - 1), 1)  # aligned across blocks, within the terminal
    blocks: list[RenderableType] = []
    for names, values in rows:
        lines = Table.grid(padding=(0, 1))
        lines.add_column(no_wrap=True, min_width=label_width)
        lines.add_column(min_width=value_width, overflow="fold")  # a value longer than a line goes on to the next
        for column, value in zip(columns, values, strict=True):
            lines.add_row(f"  {column.header}", Text(value, justify=column.justify))
        title = "  ".join(f"{key} {name}" for key, name in zip(keys, names, strict=True))
        blocks += [Text(title, style="bold", overflow="fold"), lines, Text("")]
    return Group(*blocks[:-1])


def json_text(text: str, width: int) -> str:
    """JSON text on one line where it fits in *width* columns, else indented; anything else as
    it is (event patterns, targets' inputs)."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    one_line = json.dumps(parsed, ensure_ascii=False)
    return one_line if len(one_line) <= width else json.dumps(parsed, indent=2, ensure_ascii=False)
