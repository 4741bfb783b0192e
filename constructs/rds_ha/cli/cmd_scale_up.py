"""``rds-ha scale-up``: change the instance class (logic in ops_scale)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from rds_ha.cli import ops_scale, probe_options, waiting
from rds_ha.cli.context import CliContext
from rds_ha.cli.databases import require_instance
from rds_ha.cli.errors import UnsafeOperationError, aws_errors
from rds_ha.cli.options import DbId, DryRun, Yes, begin_timing, timeout_option
from rds_ha.cli.output import duration, emit, timing_line
from rds_ha.cli.plans import approve, require_confirmation_possible


@aws_errors
@probe_options.with_probe_options
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
    timeout: Annotated[int, timeout_option(3600)] = 3600,
    probe_request: probe_options.ProbeRequest,
) -> None:
    """Change the instance class (Multi-AZ: standby first, then a failover); with --probe (and
    --now), also report the downtime clients saw."""
    cli: CliContext = ctx.obj
    require_confirmation_possible(yes=yes, dry_run=dry_run)
    probe_request.check()
    if probe_request.probe and not now:
        raise UnsafeOperationError(
            "--probe needs --now: a change in the maintenance window happens after this command."
        )
    rds = cli.client("rds")
    db = require_instance(rds, db_id, "scale-up")
    change = ops_scale.check_class_change(db, to, allow_downsize=allow_downsize)
    pending = ops_scale.check_pending(db, now=now, include_pending=include_pending)
    warning = ops_scale.orderable_warning(rds, db, change.target.name)
    plan = ops_scale.plan_scale(db, change, now=now, warning=warning, pending=pending)
    prober = probe_request.prepare(cli, rds, db.identifier, plan)
    if not approve(cli, plan, yes=yes, dry_run=dry_run):
        return
    if prober is not None:
        prober.preflight()
    timing = begin_timing()

    def operation() -> dict[str, Any]:
        return ops_scale.apply_scale(
            rds, db, change, now=now, timeout_seconds=timeout, timer=waiting.DEFAULT_TIMER
        )

    result, report = probe_options.run_probed(
        prober, operation, what=f"the class change of {db_id}"
    )
    times = timing.end()
    data = {
        "database": db.identifier,
        "from": change.current.name,
        "to": change.target.name,
        **result,
        **times,
    }
    if prober is not None and report is not None:
        data["probe"] = prober.data(report)

    def render(console: Console) -> None:
        if result["state"] == "scheduled":
            window = db.raw.get("PreferredMaintenanceWindow", "unknown")
            console.print(
                f"Scheduled: {db.identifier} changes to {change.target.name} in the next "
                f"maintenance window ({window} UTC)."
            )
        else:
            took = f" in {duration(result['seconds'])}" if "seconds" in result else ""
            console.print(f"{db.identifier} now runs {result['instance_class']}{took}.")
        if report is not None:
            probe_options.render_downtime(console, report)
        console.print(timing_line(times))

    emit(cli, data, render)
    if prober is not None and report is not None:
        prober.raise_if_still_down(report)
