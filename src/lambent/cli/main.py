"""``lambent``: run the server, deploy, invoke and read functions with it, and read its event buses,
schedules and event source mappings.

Client commands speak the Lambda API through boto3, exactly as any other client, to the server
named by ``--endpoint-url`` / ``LAMBENT_ENDPOINT_URL`` (default: the local one).
"""

from __future__ import annotations

import typer

from lambent.cli import accounts, events, functions, metrics, run, schedules, signing, sources, usage

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Lambent: a self-hosted, Lambda-compatible serverless platform."
)
#: The command table: one line per command, in the order ``lambent --help`` lists them.
app.command()(run.serve)
app.command()(run.doctor)
app.command()(functions.deploy)
app.command()(functions.invoke)
app.command()(functions.logs)
app.command()(metrics.metrics)
app.command()(metrics.top)
app.command("ls")(functions.list_functions)
app.command("rm")(functions.remove)
app.command()(usage.usage)
app.add_typer(usage.budget_app, name="budget")
app.add_typer(accounts.account_app, name="account")
app.add_typer(events.events_app, name="events")
app.add_typer(schedules.schedules_app, name="schedules")
app.add_typer(sources.sources_app, name="sources")
app.add_typer(signing.profile_app, name="signing-profile")
app.command()(signing.sign)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
