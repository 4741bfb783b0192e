"""``rds-ha guard``: fail when new templates would delete, replace or unprotect stateful
resources (the comparison is rds_ha.guard's)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rds_ha.cli.context import CliContext, OutputFormat
from rds_ha.cli.errors import UnsafeOperationError
from rds_ha.guard import GuardInputError, compare_paths
from rds_ha.guard.report import print_report, report_to_json


def guard(
    ctx: typer.Context,
    baseline: Annotated[
        Path, typer.Argument(help="Released cloud assembly (cdk.out) or one template.")
    ],
    current: Annotated[Path, typer.Argument(help="New cloud assembly (cdk.out) or one template.")],
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also list the safe (in-place) changes.")
    ] = False,
) -> None:
    """Fail when CURRENT would delete, replace or unprotect a stateful resource of BASELINE."""
    cli: CliContext = ctx.obj
    try:
        report = compare_paths(baseline, current)
    except GuardInputError as error:
        raise UnsafeOperationError(str(error)) from error
    if cli.output is OutputFormat.JSON:
        typer.echo(report_to_json(report))
    else:
        print_report(report, cli.console, verbose=verbose)
    if not report.safe:
        raise typer.Exit(code=1)
