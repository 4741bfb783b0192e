"""``rds-ha maintenance``: list or apply pending maintenance (logic in ops_maintenance)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console

from rds_ha.cli import ops_maintenance, waiting
from rds_ha.cli.context import CliContext
from rds_ha.cli.databases import find_database, require_available
from rds_ha.cli.errors import aws_errors
from rds_ha.cli.options import DbId, DryRun, Yes, begin_timing, timeout_option
from rds_ha.cli.output import emit, table, timing_line
from rds_ha.cli.plans import approve, require_confirmation_possible


class ApplyWhen(StrEnum):
    IMMEDIATE = "immediate"
    NEXT_MAINTENANCE = "next-maintenance"


@aws_errors
def maintenance(
    ctx: typer.Context,
    db_id: DbId,
    *,
    apply: Annotated[
        ApplyWhen | None,
        typer.Option(
            "--apply",
            metavar="WHEN",
            help="Apply the pending actions: immediate or next-maintenance.",
        ),
    ] = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: Annotated[int, timeout_option(3600)] = 3600,
) -> None:
    """List pending maintenance actions; with --apply, apply them."""
    cli: CliContext = ctx.obj
    if apply is not None:
        require_confirmation_possible(yes=yes, dry_run=dry_run)
    rds = cli.client("rds")
    database = find_database(rds, db_id)
    actions = ops_maintenance.describe_actions(rds, database)
    applied: dict[str, Any] | None = None
    if apply is not None and actions:
        if apply is ApplyWhen.IMMEDIATE:
            require_available(database, "applying maintenance now")
        plan = ops_maintenance.plan_maintenance(database, actions, apply.value)
        if not approve(cli, plan, yes=yes, dry_run=dry_run):
            return
        timing = begin_timing()
        waited = ops_maintenance.apply_actions(
            rds,
            database,
            actions,
            apply.value,
            timeout_seconds=timeout,
            timer=waiting.DEFAULT_TIMER,
        )
        applied = {"opt_in_type": apply.value, "seconds": waited, **timing.end()}
    data = {"database": database.identifier, "pending": actions, "applied": applied}

    def render(console: Console) -> None:
        if not actions:
            console.print(f"No pending maintenance for {database.identifier}.")
            return
        rows = [
            (
                a["action"],
                a["description"],
                a["opt_in_status"],
                _date(a["auto_applied_after"]),
                _date(a["forced_apply_date"]),
            )
            for a in actions
        ]
        console.print(
            table(
                f"pending maintenance for {database.identifier}",
                ["Action", "Description", "Opt-in", "Auto-applied after", "Forced on"],
                rows,
            )
        )
        if applied:
            console.print(f"Applied ({applied['opt_in_type']}).")
            console.print(timing_line(applied))

    emit(cli, data, render)


def _date(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"
