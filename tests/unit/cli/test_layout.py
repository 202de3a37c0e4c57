"""`lambent usage` and `lambent ls` stay readable at 80 columns: no header or value is ever cut short."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from lambent.cli.functions import functions_table
from lambent.cli.layout import Column, records
from lambent.cli.usage import usage_table

LINES: list[dict[str, Any]] = [
    {
        "function": "orders-api-handler",
        "period": "2026-12",
        "requests": 1234,
        "billed_ms": 456789,
        "gb_seconds": "57.098625",
        "provisioned_gb_seconds": "0",
        "cost_usd": "0.0012",
        "cost_after_free_tier_usd": "0",
    },
    {
        "function": "f",
        "period": "2026-11",
        "requests": 1,
        "billed_ms": 1,
        "gb_seconds": "0.000125",
        "provisioned_gb_seconds": "2.5",
        "cost_usd": "0.0000002021",
        "cost_after_free_tier_usd": "12.3456789012",
    },
]


def render(width: int, lines: list[dict[str, Any]] = LINES, keys: tuple[str, ...] = ("function", "period")) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(usage_table(lines, keys, console.width))
    return console.export_text()


def test_at_80_columns_each_line_is_a_block_of_whole_figures() -> None:
    assert render(80) == (
        "function orders-api-handler  period 2026-12\n"
        "  requests                   1234\n"
        "  billed ms                456789\n"
        "  GB-s                     57.099\n"
        "  provisioned GB-s          0.000\n"
        "  cost $             0.0012000000\n"
        "  after free tier $  0.0000000000\n"
        "\n"
        "function f  period 2026-11\n"
        "  requests                      1\n"
        "  billed ms                     1\n"
        "  GB-s                      0.000\n"
        "  provisioned GB-s          2.500\n"
        "  cost $             0.0000002021\n"
        "  after free tier $ 12.3456789012\n"
    )


def test_a_wide_terminal_gets_one_table_with_every_header_whole() -> None:
    assert render(200) == (
        "┏━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓\n"
        "┃ function           ┃ period  ┃ requests ┃ billed ms ┃   GB-s ┃ provisioned GB-s ┃       cost $ ┃ after free tier $ ┃\n"
        "┡━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩\n"
        "│ orders-api-handler │ 2026-12 │     1234 │    456789 │ 57.099 │            0.000 │ 0.0012000000 │      0.0000000000 │\n"
        "│ f                  │ 2026-11 │        1 │         1 │  0.000 │            2.500 │ 0.0000002021 │     12.3456789012 │\n"
        "└────────────────────┴─────────┴──────────┴───────────┴────────┴──────────────────┴──────────────┴───────────────────┘\n"
    )


def test_the_table_is_kept_exactly_when_it_fits() -> None:
    table = render(200)
    width = max(len(line) for line in table.splitlines())
    assert render(width) == table
    assert render(width - 1).startswith("function orders-api-handler  period 2026-12\n")


def test_nothing_is_cut_at_any_width_from_40() -> None:
    long = [{**LINES[0], "function": "a-function-name-of-sixty-four-characters-which-aws-allows-xxxxxx"}]
    for width in range(40, 201, 7):
        for keys in (("function", "period"), ("account",)):
            text = render(width, long if keys[0] == "function" else [{**LINES[1], "account": "000000000000"}], keys)
            assert "…" not in text, (width, keys)
            assert "0.0012000000" in text or "0.0000002021" in text


FUNCTIONS: list[dict[str, Any]] = [
    {
        "FunctionName": "orders-api-handler",
        "Runtime": "python3.12",
        "MemorySize": 128,
        "Timeout": 3,
        "CodeSize": 1234,
        "LastModified": "2026-12-03T08:00:00.000+0000",
    },
    {
        "FunctionName": "bash-tutorial",
        "Runtime": "provided.al2023",
        "MemorySize": 1024,
        "Timeout": 30,
        "CodeSize": 98765,
        "LastModified": "2026-12-03T08:01:02.345+0000",
    },
]


def render_functions(width: int) -> list[str]:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(functions_table(FUNCTIONS, console.width))
    return [line.rstrip() for line in console.export_text().splitlines()]


def test_ls_at_80_columns_is_one_block_per_function() -> None:
    assert render_functions(80) == [
        "name orders-api-handler",
        "  runtime       python3.12",
        "  memory                                 128",
        "  timeout                                  3",
        "  code size                             1234",
        "  last modified 2026-12-03T08:00:00.000+0000",
        "",
        "name bash-tutorial",
        "  runtime       provided.al2023",
        "  memory                                1024",
        "  timeout                                 30",
        "  code size                            98765",
        "  last modified 2026-12-03T08:01:02.345+0000",
    ]


def test_ls_on_a_wide_terminal_is_one_table() -> None:
    assert render_functions(120) == [
        "┏━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓",
        "┃ name               ┃ runtime         ┃ memory ┃ timeout ┃ code size ┃ last modified                ┃",
        "┡━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩",
        "│ orders-api-handler │ python3.12      │    128 │       3 │      1234 │ 2026-12-03T08:00:00.000+0000 │",
        "│ bash-tutorial      │ provided.al2023 │   1024 │      30 │     98765 │ 2026-12-03T08:01:02.345+0000 │",
        "└────────────────────┴─────────────────┴────────┴─────────┴───────────┴──────────────────────────────┘",
    ]


def test_values_are_shown_as_written_never_as_markup() -> None:
    functions = [
        {"FunctionName": "f", "Runtime": "[red]x[/red] [/]", "MemorySize": 128, "Timeout": 3, "CodeSize": 1, "LastModified": "t"}
    ]
    for width in (200, 40):  # the table, and the blocks
        console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
        console.print(functions_table(functions, console.width))
        assert "[red]x[/red] [/]" in console.export_text()


def test_a_value_longer_than_the_terminal_goes_on_to_the_next_line_and_short_ones_stay_in_sight() -> None:
    long = "x" * 50 + "y" * 20
    console = Console(width=40, record=True, file=io.StringIO(), color_system=None)
    console.print(records(["key"], [Column("long"), Column("count", "right")], [(["k"], [long, "7"])], console.width))
    assert [line.rstrip() for line in console.export_text().splitlines()] == [
        "key k",
        "  long  " + "x" * 32,
        "        " + "x" * 18 + "y" * 14,
        "        " + "y" * 6,
        "  count" + " " * 32 + "7",
    ]
