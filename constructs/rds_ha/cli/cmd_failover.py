"""``rds-ha failover``: a forced failover, timed, with the AZ change (logic in ops_failover)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from rds_ha.cli import ops_failover, waiting
from rds_ha.cli.context import CliContext
from rds_ha.cli.databases import check_identifier, find_database
from rds_ha.cli.errors import aws_errors
from rds_ha.cli.options import DbId, DryRun, Yes, begin_timing, timeout_option
from rds_ha.cli.output import duration, emit, timing_line
from rds_ha.cli.plans import approve, require_confirmation_possible


@aws_errors
def failover(
    ctx: typer.Context,
    db_id: DbId,
    *,
    target_instance: Annotated[
        str | None, typer.Option(metavar="INSTANCE", help="DB cluster only: the reader to promote.")
    ] = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: timeout_option(1200) = 1200,
) -> None:
    """Fail over to the standby (forced failover) and report the time and the AZ change."""
    cli: CliContext = ctx.obj
    require_confirmation_possible(yes=yes, dry_run=dry_run)
    rds = cli.client("rds")
    database = find_database(rds, db_id)
    if target_instance is not None:
        target_instance = check_identifier("--target-instance", target_instance)
    ops_failover.check_failover(database, target_instance)
    _, before = ops_failover.describe(rds, database)
    plan = ops_failover.plan_failover(database, before, target_instance)
    if not approve(cli, plan, yes=yes, dry_run=dry_run):
        return
    timer = waiting.DEFAULT_TIMER
    timing = begin_timing()
    started = timer.clock()
    ops_failover.start_failover(rds, database, target_instance)
    after = ops_failover.wait_for_failover(
        rds, database, before, timeout_seconds=timeout, timer=timer
    )
    seconds = timer.clock() - started
    times = timing.end()
    data = {
        "database": database.identifier,
        "writer_before": before.writer,
        "az_before": before.az,
        "writer_after": after.writer,
        "az_after": after.az,
        "seconds": round(seconds, 1),
        **times,
    }

    def render(console: Console) -> None:
        console.print(
            f"Failover of {database.identifier} complete in {duration(seconds)}: writer "
            f"{before.writer} in {before.az} -> {after.writer} in {after.az}."
        )
        console.print(timing_line(times))

    emit(cli, data, render)
