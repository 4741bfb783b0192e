"""`rds-ha restore --from-vault`: restore in the DR region from the newest recovery point of the
database in the DR AWS Backup vault, with an AWS Backup restore job (the network checks are
ops_restore_region's)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError
from rds_ha.cli.ops_restore_region import Network, error_code, network_checks
from rds_ha.cli.output import duration, utc
from rds_ha.cli.plans import Plan
from rds_ha.cli.waiting import Timer, wait_until

Raw = dict[str, Any]

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")


@dataclass(frozen=True)
class RecoveryPoint:
    raw: Raw
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        value: str = self.raw["RecoveryPointArn"]
        return value

    @property
    def created(self) -> datetime:
        value: datetime = self.raw["CreationDate"]
        return value


def check_role(iam_role_arn: str | None) -> str:
    if not iam_role_arn or not _ROLE_ARN.match(iam_role_arn):
        raise UnsafeOperationError(
            f"--iam-role-arn {iam_role_arn!r}: a restore from a vault needs the ARN of a role "
            "AWS Backup can assume to create the instance (arn:aws:iam::ACCOUNT:role/NAME; the "
            "stack's Backups/BackupRole). Nothing was created."
        )
    return iam_role_arn


def latest_recovery_point(backup: Any, vault: str, db_id: str) -> RecoveryPoint:
    """The newest completed recovery point of DB_ID in the vault, with its restore metadata."""
    region = backup.meta.region_name
    points = []
    try:
        pages = backup.get_paginator("list_recovery_points_by_backup_vault").paginate(
            BackupVaultName=vault, ByResourceType="RDS"
        )
        for page in pages:
            points += page.get("RecoveryPoints", [])
    except ClientError as error:
        if error_code(error) not in ("ResourceNotFoundException", "AccessDeniedException"):
            raise
        raise UnsafeOperationError(
            f"--from-vault {vault!r}: {error.response['Error'].get('Message')} ({region}). "
            "Nothing was created."
        ) from None
    mine = [
        p
        for p in points
        if p.get("ResourceArn", "").endswith(f":db:{db_id}") and p.get("Status") == "COMPLETED"
    ]
    if not mine:
        raise UnsafeOperationError(
            f"--from-vault {vault!r}: no completed recovery point of DB instance {db_id!r} in "
            f"{region} ({len(points)} RDS recovery points in the vault). Nothing was created."
        )
    newest = max(mine, key=lambda p: p["CreationDate"])
    metadata = backup.get_recovery_point_restore_metadata(
        BackupVaultName=vault, RecoveryPointArn=newest["RecoveryPointArn"]
    ).get("RestoreMetadata", {})
    return RecoveryPoint(newest, metadata)


# Names that belong to the lost region: replaced by the DR region's (network) or dropped (an
# AZ name of another region; RDS picks one in the subnet group).
_REPLACED = ("DBInstanceIdentifier", "DBSubnetGroupName", "VpcSecurityGroupIds")
_DROPPED = ("AvailabilityZone",)
# Named groups the recorded configuration uses: kept if they exist in the DR region.
_GROUPS = (
    ("DBParameterGroupName", "describe_db_parameter_groups", "DBParameterGroupNotFound"),
    ("OptionGroupName", "describe_option_groups", "OptionGroupNotFoundFault"),
)


def vault_metadata(
    rds: Any, point: RecoveryPoint, target_id: str, network: Network
) -> tuple[dict[str, str], list[str]]:
    """The restore metadata for the DR region, and a warning for each group left out."""
    metadata = {k: v for k, v in point.metadata.items() if k not in _REPLACED and k not in _DROPPED}
    warnings = []
    for key, describe, missing in _GROUPS:
        name = metadata.get(key)
        if not name or name.startswith("default"):
            continue
        try:
            getattr(rds, describe)(**{key: name})
        except ClientError as error:
            if error_code(error) != missing:
                raise
            del metadata[key]
            warnings.append(
                f"{key} {name!r} does not exist in {rds.meta.region_name}: the restore uses the "
                "default; create it there and apply it afterwards"
            )
    metadata |= {
        "DBInstanceIdentifier": target_id,
        "DBSubnetGroupName": network.subnet_group,
        "VpcSecurityGroupIds": json.dumps(network.security_groups),
    }
    return metadata, warnings


def plan_vault(
    point: RecoveryPoint, vault: str, metadata: dict[str, Any], warnings: list[str], now: datetime
) -> Plan:
    loss = (now - point.created).total_seconds()
    target = metadata["DBInstanceIdentifier"]
    return Plan(
        action=f"restore {point.raw.get('ResourceArn')} from vault {vault} (recovery point of "
        f"{utc(point.created)}) into {target}",
        steps=[
            f"start-restore-job {point.arn} (AWS Backup, tags of the backup copied)",
            f"into subnet group {metadata['DBSubnetGroupName']}, security groups "
            f"{', '.join(json.loads(metadata['VpcSecurityGroupIds']))}; the rest as recorded "
            f"at backup time: class {metadata.get('DBInstanceClass', 'as recorded')}, Multi-AZ "
            f"{metadata.get('MultiAZ', 'as recorded')}",
            "wait for the restore job, then until the new instance is available",
            "check its subnet group and security groups",
        ],
        impact=f"nothing in the source's region is called; the new instance has no writes after "
        f"{utc(point.created)} (data-loss window {duration(loss)}, the age of the newest copy); "
        "applications must be repointed to the new endpoint.",
        warnings=warnings,
        details={
            "recovery_point_arn": point.arn,
            "recovery_point_created": point.created,
            "data_loss_window_seconds": round(loss),
            "target": target,
        },
    )


def start_vault_restore(
    backup: Any, point: RecoveryPoint, metadata: dict[str, Any], iam_role_arn: str
) -> str:
    value: str = backup.start_restore_job(
        RecoveryPointArn=point.arn,
        Metadata=metadata,
        IamRoleArn=iam_role_arn,
        ResourceType="RDS",
        CopySourceTagsToRestoredResource=True,
        # A retried command with the same target does not start a second job.
        IdempotencyToken=f"rds-ha-restore-{metadata['DBInstanceIdentifier']}",
    )["RestoreJobId"]
    return value


def wait_for_restore_job(backup: Any, job_id: str, *, timeout_seconds: float, timer: Timer) -> Raw:
    def judge(job: Raw) -> tuple[bool, str]:
        status = job.get("Status", "unknown")
        if status in ("FAILED", "ABORTED"):
            raise CheckFailedError(
                f"AWS Backup restore job {job_id} is {status}: {job.get('StatusMessage')}"
            )
        percent = job.get("PercentDone")
        return status == "COMPLETED", f"{status} {percent}" if percent else status

    value: dict[str, Any] = wait_until(
        f"restore job {job_id}",
        lambda: backup.describe_restore_job(RestoreJobId=job_id),
        judge,
        timeout_seconds=timeout_seconds,
        timer=timer,
    ).latest
    return value


def verify_vault(metadata: dict[str, Any], restored: Raw) -> list[str]:
    checks = network_checks(
        metadata["DBSubnetGroupName"], json.loads(metadata["VpcSecurityGroupIds"]), restored
    )
    return [
        f"{k}: asked {want!r}, restored {got!r}" for k, (want, got) in checks.items() if want != got
    ]
