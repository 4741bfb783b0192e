"""Entry point of the ``rds-ha`` console script."""

from __future__ import annotations

import typer

from rds_ha.cli.context import CliContext, OutputFormat

app = typer.Typer(
    name="rds-ha",
    help="Safe-by-default runbooks for highly available Amazon RDS databases.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _global_options(
    ctx: typer.Context,
    region: str | None = typer.Option(None, "--region", help="AWS region of the database."),
    profile: str | None = typer.Option(None, "--profile", help="AWS shared-config profile."),
    output: OutputFormat = typer.Option(
        OutputFormat.TEXT, "--output", help="Print results as text or JSON."
    ),
) -> None:
    ctx.obj = CliContext(region=region, profile=profile, output=output)


def main() -> None:
    app()


# Register the commands on the app.
from rds_ha.cli import commands as _commands  # noqa: E402, F401
from rds_ha.cli import guard_cmd as _guard_cmd  # noqa: E402, F401
from rds_ha.cli import probe_cmd as _probe_cmd  # noqa: E402, F401
from rds_ha.cli import rollback_cmd as _rollback_cmd  # noqa: E402, F401
