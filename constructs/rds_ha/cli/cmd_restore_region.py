"""The two ``rds-ha restore`` paths for a lost primary region, run in the DR region given with
--region: from replicated RDS automated backups, or from the DR AWS Backup vault (--from-vault).
cmd_restore chooses the path; the logic is in ops_restore_region."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.console import Console

from rds_ha.cli import ops_restore, ops_restore_region, ops_restore_vault, waiting
from rds_ha.cli.context import CliContext
from rds_ha.cli.databases import check_identifier
from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError
from rds_ha.cli.options import begin_timing, utc_now
from rds_ha.cli.output import duration, emit, timing_line, utc
from rds_ha.cli.plans import approve


@dataclass(frozen=True)
class DrRequest:
    db_id: str
    target_id: str
    restore_time: datetime | None
    subnet_group: str | None
    security_groups: list[str]
    yes: bool
    dry_run: bool
    timeout: int


def restore_from_replicated_backups(cli: CliContext, rds: Any, request: DrRequest) -> None:
    region = rds.meta.region_name
    backup = ops_restore_region.find_replicated_backup(rds, request.db_id)
    ops_restore_region.check_replicated(backup, request.restore_time)
    network = ops_restore_region.check_network(
        rds, cli.client("ec2"), request.subnet_group, request.security_groups
    )
    ops_restore_region.check_target(rds, request.target_id)
    params = ops_restore_region.replicated_parameters(
        backup, request.target_id, network, request.restore_time
    )
    plan = ops_restore_region.plan_replicated(backup, params, region, utc_now())
    if not approve(cli, plan, yes=request.yes, dry_run=request.dry_run):
        return
    timing = begin_timing()
    requested = utc_now()
    # --latest: the latest restorable time read for the plan; RDS uses its own at the call.
    point = request.restore_time or backup.window.latest
    assert point is not None, "the replicated backups have a latest restorable time"
    rds.restore_db_instance_to_point_in_time(**params)
    restored = ops_restore.wait_for_instance(
        rds,
        request.target_id,
        timeout_seconds=request.timeout,
        timer=waiting.DEFAULT_TIMER,
        what=f"restore into {request.target_id}",
    )
    mismatches = ops_restore_region.verify_replicated(params, backup, restored)
    _report(
        cli,
        restored,
        mismatches,
        timing.end(),
        region=rds.meta.region_name,
        source=f"{request.db_id} (replicated from {backup.source_region})",
        point=point,
        loss_seconds=(requested - point).total_seconds(),
        approximate=request.restore_time is None,
        extra={"source_region": backup.source_region, "automated_backups_arn": backup.arn},
    )


def restore_from_vault(
    cli: CliContext, rds: Any, request: DrRequest, vault: str, iam_role_arn: str | None
) -> None:
    if request.restore_time is not None:
        raise UnsafeOperationError(
            "--to applies to a restore from automated backups; a DR vault copy is a snapshot: "
            "use --latest for its newest recovery point. Nothing was created."
        )
    db_id = check_identifier("DB_ID", request.db_id)
    role = ops_restore_vault.check_role(iam_role_arn)
    backup_client = cli.client("backup")
    point = ops_restore_vault.latest_recovery_point(backup_client, vault, db_id)
    network = ops_restore_region.check_network(
        rds, cli.client("ec2"), request.subnet_group, request.security_groups
    )
    ops_restore_region.check_target(rds, request.target_id)
    metadata, warnings = ops_restore_vault.vault_metadata(rds, point, request.target_id, network)
    plan = ops_restore_vault.plan_vault(point, vault, metadata, warnings, utc_now())
    if not approve(cli, plan, yes=request.yes, dry_run=request.dry_run):
        return
    timing = begin_timing()
    requested = utc_now()
    job_id = ops_restore_vault.start_vault_restore(backup_client, point, metadata, role)
    ops_restore_vault.wait_for_restore_job(
        backup_client, job_id, timeout_seconds=request.timeout, timer=waiting.DEFAULT_TIMER
    )
    restored = ops_restore.wait_for_instance(
        rds,
        request.target_id,
        timeout_seconds=request.timeout,
        timer=waiting.DEFAULT_TIMER,
        what=f"restore into {request.target_id}",
    )
    _report(
        cli,
        restored,
        ops_restore_vault.verify_vault(metadata, restored),
        timing.end(),
        region=rds.meta.region_name,
        source=f"{point.raw.get('ResourceArn')} (vault {vault})",
        point=point.created,
        loss_seconds=(requested - point.created).total_seconds(),
        approximate=False,
        extra={"recovery_point_arn": point.arn, "restore_job_id": job_id},
    )


def _report(
    cli: CliContext,
    restored: dict[str, Any],
    mismatches: list[str],
    times: dict[str, Any],
    *,
    region: str,
    source: str,
    point: datetime,
    loss_seconds: float,
    approximate: bool,
    extra: dict[str, Any],
) -> None:
    target = restored.get("DBInstanceIdentifier")
    endpoint = restored.get("Endpoint", {})
    data = {
        "source": source,
        "target": target,
        "region": region,
        "restore_time": point,
        "restore_time_approximate": approximate,
        "endpoint": f"{endpoint.get('Address')}:{endpoint.get('Port')}",
        "data_loss_window_seconds": round(loss_seconds),
        "mismatches": mismatches,
        **extra,
        **times,
    }

    def render(console: Console) -> None:
        about = "about " if approximate else ""
        console.print(f"Restored {source} as of {about}{utc(point)} into {target}.")
        console.print(f"Endpoint: {data['endpoint']} (repoint applications here)")
        console.print(
            f"Data loss window: {about}{duration(loss_seconds)} (changes after {utc(point)} "
            f"are not in {target})."
        )
        console.print(timing_line(times))

    emit(cli, data, render)
    if mismatches:
        raise CheckFailedError(f"{target} differs from what was asked: {'; '.join(mismatches)}")
