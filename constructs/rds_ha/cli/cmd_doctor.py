"""``rds-ha doctor``: audit a live database against the HA checklist (checks in ops_doctor)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from rds_ha.cli import ops_doctor
from rds_ha.cli.context import CliContext
from rds_ha.cli.databases import find_database
from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError, aws_errors
from rds_ha.cli.options import DbId, utc_now
from rds_ha.cli.output import emit, table


def _status_style(status: str) -> Text:
    colour = {"pass": "green", "warn": "yellow", "fail": "red", "error": "red"}.get(status, "dim")
    return Text(status.upper(), style=colour)


@aws_errors
def doctor(
    ctx: typer.Context,
    db_id: DbId,
    *,
    skip: Annotated[
        list[str] | None,
        typer.Option(
            "--skip",
            metavar="CHECK",
            help=f"Skip a check (repeatable): {', '.join(ops_doctor.CHECKS)}.",
        ),
    ] = None,
    min_backup_retention_days: Annotated[
        int,
        typer.Option(min=1, max=35, metavar="DAYS", help="Fail below this backup retention."),
    ] = 7,
    max_data_loss_minutes: Annotated[
        float,
        typer.Option(
            min=1, metavar="MINUTES", help="Fail when the latest restorable time is older."
        ),
    ] = 15.0,
) -> None:
    """Audit a live database; exit 1 if any check fails (use it to gate CI)."""
    cli: CliContext = ctx.obj
    unknown = sorted(set(skip or []) - set(ops_doctor.CHECKS))
    if unknown:
        raise UnsafeOperationError(
            f"--skip {', '.join(unknown)}: unknown check; allowed: {', '.join(ops_doctor.CHECKS)}."
        )
    rds = cli.client("rds")
    database = find_database(rds, db_id)
    clients = ops_doctor.Clients(rds=rds, cloudwatch=cli.client("cloudwatch"))
    thresholds = ops_doctor.Thresholds(min_backup_retention_days, max_data_loss_minutes)
    results = ops_doctor.run_checks(
        database, clients, thresholds=thresholds, skip=frozenset(skip or []), now=utc_now()
    )
    failed = ops_doctor.failed(results)
    data = {
        "database": database.identifier,
        "kind": database.kind,
        "passed": not failed,
        "checks": [r.as_dict() for r in results],
    }

    def render(console: Console) -> None:
        rows = [(r.id, _status_style(r.status), r.detail) for r in results]
        console.print(
            table(
                f"doctor {database.identifier} ({database.kind})",
                ["Check", "Status", "Detail"],
                rows,
            )
        )
        console.print(f"{len(results) - len(failed)} of {len(results)} checks passed or skipped.")

    emit(cli, data, render)
    if failed:
        raise CheckFailedError(f"{len(failed)} check(s) failed: {', '.join(r.id for r in failed)}")
