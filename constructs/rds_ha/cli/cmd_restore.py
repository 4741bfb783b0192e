"""``rds-ha restore``: point-in-time restore into a new instance (logic in ops_restore)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from rds_ha.cli import ops_restore, waiting
from rds_ha.cli.cmd_restore_region import (
    DrRequest,
    restore_from_replicated_backups,
    restore_from_vault,
)
from rds_ha.cli.context import CliContext
from rds_ha.cli.databases import UnknownDatabaseError, check_identifier
from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError, aws_errors
from rds_ha.cli.options import DbId, DryRun, Yes, begin_timing, timeout_option, utc_now
from rds_ha.cli.output import duration, emit, timing_line, utc
from rds_ha.cli.plans import approve, require_confirmation_possible


@aws_errors
def restore(
    ctx: typer.Context,
    db_id: DbId,
    *,
    target: Annotated[
        str, typer.Option("--target", metavar="NEW_ID", help="Identifier of the new instance.")
    ],
    to: Annotated[
        str | None, typer.Option("--to", metavar="TIME", help="Restore time, ISO 8601 with offset.")
    ] = None,
    latest: Annotated[bool, typer.Option("--latest", help="Latest restorable time.")] = False,
    from_vault: Annotated[
        str | None,
        typer.Option(
            metavar="VAULT", help="DR only: the newest recovery point in this AWS Backup vault."
        ),
    ] = None,
    iam_role_arn: Annotated[
        str | None,
        typer.Option(metavar="ARN", help="With --from-vault: the role AWS Backup restores with."),
    ] = None,
    subnet_group: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="DR only: DB subnet group in --region."),
    ] = None,
    security_group: Annotated[
        list[str] | None,
        typer.Option(metavar="ID", help="DR only: VPC security group in --region (repeatable)."),
    ] = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: Annotated[int, timeout_option(7200)] = 7200,
) -> None:
    """Restore to a point in time into a new instance configured like the source.

    In a DR region where DB_ID does not exist, restore from its automated backups replicated
    there, or with --from-vault from the DR vault, into --subnet-group and --security-group.
    """
    cli: CliContext = ctx.obj
    require_confirmation_possible(yes=yes, dry_run=dry_run)
    if (to is None) == (not latest):
        raise UnsafeOperationError("give exactly one of --to TIME or --latest.")
    restore_time = ops_restore.parse_restore_time(to) if to is not None else None
    target_id = check_identifier("--target", target)
    rds = cli.client("rds")
    dr = DrRequest(
        db_id, target_id, restore_time, subnet_group, security_group or [], yes, dry_run, timeout
    )
    if from_vault is not None:
        restore_from_vault(cli, rds, dr, from_vault, iam_role_arn)
        return
    try:
        source = ops_restore.load_source(rds, db_id)
    except UnknownDatabaseError:
        # Not in this region: the region may be the DR region of a lost primary.
        restore_from_replicated_backups(cli, rds, dr)
        return
    if subnet_group or security_group or iam_role_arn:
        raise UnsafeOperationError(
            f"--subnet-group, --security-group and --iam-role-arn are for a restore from "
            f"another region's backups; {source.identifier} is in {rds.meta.region_name}, so "
            "the restore uses its own. Nothing was created."
        )
    window = ops_restore.restore_window(rds, source)
    ops_restore.check_restore(rds, source, target_id, restore_time, window)
    params = ops_restore.restore_parameters(rds, source, target_id, restore_time)
    plan = ops_restore.plan_restore(source, params, window)
    if not approve(cli, plan, yes=yes, dry_run=dry_run):
        return
    if restore_time is None:
        # UseLatestRestorableTime restores to whatever RDS reports at the call, a few minutes
        # later than the plan's figure; read it again so the reported window is close to it.
        window = ops_restore.RestoreWindow(
            window.earliest, ops_restore.latest_restorable_time(rds, source) or window.latest
        )
    timing = begin_timing()
    requested = utc_now()
    point = restore_time or window.latest
    assert point is not None, "check_restore refused a source without a latest restorable time"
    rds.restore_db_instance_to_point_in_time(**params)
    restored = ops_restore.wait_for_instance(
        rds,
        target_id,
        timeout_seconds=timeout,
        timer=waiting.DEFAULT_TIMER,
        what=f"restore into {target_id}",
    )
    restored = ops_restore.apply_follow_up(
        rds, source, restored, timeout_seconds=timeout, timer=waiting.DEFAULT_TIMER
    )
    mismatches = ops_restore.verify_restored(source, restored)
    times = timing.end()
    endpoint = restored.get("Endpoint", {})
    loss = (requested - point).total_seconds()
    data = {
        "source": source.identifier,
        "target": target_id,
        "restore_time": point,
        # --latest: RDS picks the time at the call; this is the value read just before it.
        "restore_time_approximate": restore_time is None,
        "endpoint": f"{endpoint.get('Address')}:{endpoint.get('Port')}",
        "data_loss_window_seconds": round(loss),
        "mismatches": mismatches,
        **times,
    }

    def render(console: Console) -> None:
        about = "about " if restore_time is None else ""
        console.print(f"Restored {source.identifier} as of {about}{utc(point)} into {target_id}.")
        console.print(f"Endpoint: {data['endpoint']}")
        console.print(
            f"Data loss window: {about}{duration(loss)} (changes after {utc(point)} are "
            f"not in {target_id})."
        )
        console.print(timing_line(times))

    emit(cli, data, render)
    if mismatches:
        raise CheckFailedError(
            f"{target_id} differs from {source.identifier}: {'; '.join(mismatches)}"
        )
