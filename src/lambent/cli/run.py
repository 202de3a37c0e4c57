"""``lambent serve`` and ``lambent doctor``: the server, and what isolation this machine gives."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from lambent.cli.console import err, out


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
