"""``rds-ha failover``: a forced failover, timed, with the AZ change (logic in ops_failover)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from rds_ha.cli import ops_failover, probe_options, waiting
from rds_ha.cli.context import CliContext
from rds_ha.cli.databases import check_identifier, find_database
from rds_ha.cli.errors import aws_errors
from rds_ha.cli.options import DbId, DryRun, Yes, begin_timing, timeout_option
from rds_ha.cli.output import duration, emit, timing_line
from rds_ha.cli.plans import approve, require_confirmation_possible


@aws_errors
@probe_options.with_probe_options
def failover(
    ctx: typer.Context,
    db_id: DbId,
    *,
    target_instance: Annotated[
        str | None, typer.Option(metavar="INSTANCE", help="DB cluster only: the reader to promote.")
    ] = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: Annotated[int, timeout_option(1200)] = 1200,
    probe_request: probe_options.ProbeRequest,
) -> None:
    """Fail over to the standby (forced failover) and report the time and the AZ change; with
    --probe, also the downtime clients saw."""
    cli: CliContext = ctx.obj
    require_confirmation_possible(yes=yes, dry_run=dry_run)
    probe_request.check()
    rds = cli.client("rds")
    database = find_database(rds, db_id)
    if target_instance is not None:
        target_instance = check_identifier("--target-instance", target_instance)
    ops_failover.check_failover(database, target_instance)
    _, before = ops_failover.describe(rds, database)
    plan = ops_failover.plan_failover(database, before, target_instance)
    prober = probe_request.prepare(cli, rds, database.identifier, plan)
    if not approve(cli, plan, yes=yes, dry_run=dry_run):
        return
    if prober is not None:
        prober.preflight()
    timer = waiting.DEFAULT_TIMER
    timing = begin_timing()
    started = timer.clock()

    def operation() -> tuple[ops_failover.Placement, float]:
        ops_failover.start_failover(rds, database, target_instance)
        placed = ops_failover.wait_for_failover(
            rds, database, before, timeout_seconds=timeout, timer=timer
        )
        # RDS's time, without the probe's wait for clients to get answers again.
        return placed, timer.clock() - started

    (after, seconds), report = probe_options.run_probed(
        prober, operation, what=f"the failover of {db_id}"
    )
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
    if prober is not None and report is not None:
        data["probe"] = prober.data(report)

    def render(console: Console) -> None:
        console.print(
            f"Failover of {database.identifier} complete in {duration(seconds)}: writer "
            f"{before.writer} in {before.az} -> {after.writer} in {after.az}."
        )
        if report is not None:
            probe_options.render_downtime(console, report)
        console.print(timing_line(times))

    emit(cli, data, render)
    if prober is not None and report is not None:
        prober.raise_if_still_down(report)
