"""``rds-ha scale-up``: change the instance class (logic in ops_scale)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from rds_ha.cli import ops_scale, waiting
from rds_ha.cli.context import CliContext
from rds_ha.cli.databases import require_instance
from rds_ha.cli.errors import aws_errors
from rds_ha.cli.options import DbId, DryRun, Yes, begin_timing, timeout_option
from rds_ha.cli.output import duration, emit, timing_line
from rds_ha.cli.plans import approve, require_confirmation_possible


@aws_errors
def scale_up(
    ctx: typer.Context,
    db_id: DbId,
    *,
    to: Annotated[
        str, typer.Option("--to", metavar="CLASS", help="Target class, e.g. db.r6g.xlarge.")
    ],
    now: Annotated[
        bool, typer.Option("--now", help="Apply now, not in the next maintenance window.")
    ] = False,
    allow_downsize: Annotated[
        bool, typer.Option(help="Allow a class that is not larger than the current one.")
    ] = False,
    include_pending: Annotated[
        bool,
        typer.Option(help="With --now: also apply the modifications pending for the window."),
    ] = False,
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: timeout_option(3600) = 3600,
) -> None:
    """Change the instance class (Multi-AZ: standby first, then a failover)."""
    cli: CliContext = ctx.obj
    require_confirmation_possible(yes=yes, dry_run=dry_run)
    rds = cli.client("rds")
    database = require_instance(rds, db_id, "scale-up")
    change = ops_scale.check_class_change(database, to, allow_downsize=allow_downsize)
    pending = ops_scale.check_pending(database, now=now, include_pending=include_pending)
    warning = ops_scale.orderable_warning(rds, database, change.target.name)
    plan = ops_scale.plan_scale(database, change, now=now, warning=warning, pending=pending)
    if not approve(cli, plan, yes=yes, dry_run=dry_run):
        return
    timing = begin_timing()
    result = ops_scale.apply_scale(
        rds, database, change, now=now, timeout_seconds=timeout, timer=waiting.DEFAULT_TIMER
    )
    times = timing.end()
    data = {
        "database": database.identifier,
        "from": change.current.name,
        "to": change.target.name,
        **result,
        **times,
    }

    def render(console: Console) -> None:
        if result["state"] == "scheduled":
            window = database.raw.get("PreferredMaintenanceWindow", "unknown")
            console.print(
                f"Scheduled: {database.identifier} changes to {change.target.name} in the next "
                f"maintenance window ({window} UTC)."
            )
        else:
            took = f" in {duration(result['seconds'])}" if "seconds" in result else ""
            console.print(f"{database.identifier} now runs {result['instance_class']}{took}.")
        console.print(timing_line(times))

    emit(cli, data, render)
