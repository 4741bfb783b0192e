"""``rds-ha snapshot``: a manual snapshot, optionally exported to S3 (logic in ops_snapshot)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from rds_ha.cli import ops_snapshot, waiting
from rds_ha.cli.context import CliContext
from rds_ha.cli.databases import require_available, require_instance
from rds_ha.cli.errors import aws_errors
from rds_ha.cli.options import DbId, DryRun, Yes, begin_timing, timeout_option, utc_now
from rds_ha.cli.output import emit, timing_line
from rds_ha.cli.plans import approve, require_confirmation_possible


@aws_errors
def snapshot(
    ctx: typer.Context,
    db_id: DbId,
    *,
    snapshot_id: Annotated[
        str | None, typer.Option(metavar="ID", help="Default: <DB_ID>-rds-ha-<UTC timestamp>.")
    ] = None,
    export_to: Annotated[
        str | None, typer.Option(metavar="BUCKET", help="Export to this S3 bucket.")
    ] = None,
    role: Annotated[
        str | None, typer.Option(metavar="ROLE_ARN", help="IAM role ARN RDS uses to write.")
    ] = None,
    kms_key: Annotated[
        str | None, typer.Option(metavar="KEY_ARN", help="KMS key ARN for the export.")
    ] = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: Annotated[int, timeout_option(7200)] = 7200,
) -> None:
    """Take a manual snapshot, optionally export it to S3, and wait for both."""
    cli: CliContext = ctx.obj
    ops_snapshot.check_export_options(export_to, role, kms_key)
    if export_to:
        # An export always asks; a plain snapshot asks only of a single-AZ instance (see below).
        require_confirmation_possible(yes=yes, dry_run=dry_run)
    rds = cli.client("rds")
    database = require_instance(rds, db_id, "snapshot")
    require_available(database, "a snapshot")
    now = utc_now()
    if snapshot_id is None:
        snap_id, field = ops_snapshot.snapshot_id_for(database, now), "default snapshot id"
    else:
        snap_id, field = snapshot_id, "--snapshot-id"
    snap_id = ops_snapshot.check_snapshot_id(snap_id, field)
    ops_snapshot.check_snapshot(rds, snap_id, field)
    task_id = ops_snapshot.export_task_id_for(snap_id, now) if export_to else None
    if task_id:
        ops_snapshot.check_export_task(rds, task_id)
    plan = ops_snapshot.plan_snapshot(database, snap_id, export_to, task_id)
    # A single-AZ snapshot pauses I/O and an export copies the data out: both ask first. A plain
    # Multi-AZ snapshot is taken from the standby and touches nothing, so it does not.
    quiet = database.multi_az and not export_to
    if not approve(cli, plan, yes=yes or quiet, dry_run=dry_run):
        return
    timer = waiting.DEFAULT_TIMER
    timing = begin_timing()
    snap = ops_snapshot.create_snapshot(
        rds, database, snap_id, timeout_seconds=timeout, timer=timer
    )
    data: dict[str, Any] = {
        "database": database.identifier,
        "snapshot": snap_id,
        "snapshot_arn": snap.get("DBSnapshotArn"),
        "export": None,
    }
    if export_to and task_id:
        task = ops_snapshot.export_snapshot(
            rds,
            snap,
            task_id=task_id,
            bucket=export_to,
            role=role or "",
            kms_key=kms_key or "",
            timeout_seconds=timeout,
            timer=timer,
        )
        data["export"] = {
            "task": task.get("ExportTaskIdentifier"),
            "status": task.get("Status"),
            "location": f"s3://{export_to}/{task_id}/",
        }
    times = timing.end()
    data.update(times)

    def render(console: Console) -> None:
        console.print(f"Snapshot {snap_id} of {database.identifier} is available.")
        if data["export"]:
            console.print(f"Exported to {data['export']['location']} ({data['export']['status']}).")
        console.print(timing_line(times))

    emit(cli, data, render)
