"""`rds-ha snapshot`: a manual snapshot, optionally exported to S3, each waited for."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from rds_ha.cli.databases import Database, check_identifier
from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError
from rds_ha.cli.plans import Plan
from rds_ha.cli.waiting import Timer, wait_for

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[\w/+=,.@-]+$")


def snapshot_id_for(database: Database, now: datetime) -> str:
    return f"{database.identifier}-rds-ha-{now:%Y%m%d-%H%M%S}"


def check_export_options(bucket: str | None, role: str | None, kms_key: str | None) -> None:
    if bucket is None:
        if role or kms_key:
            raise UnsafeOperationError("--role and --kms-key only apply with --export-to BUCKET.")
        return
    problems = []
    if not _BUCKET.match(bucket):
        problems.append(f"--export-to {bucket!r} is not an S3 bucket name (3-63 a-z 0-9 . -)")
    if role is None or not _ROLE_ARN.match(role):
        problems.append(
            f"--role {role!r}: the export needs an IAM role ARN, arn:aws:iam::<account>:role/<name>"
        )
    if kms_key is None or not _KMS_ARN.match(kms_key):
        problems.append(
            f"--kms-key {kms_key!r}: the export needs a KMS key ARN, "
            "arn:aws:kms:<region>:<account>:key/<id>"
        )
    if problems:
        raise UnsafeOperationError("; ".join(problems) + ". Nothing was created.")


def check_snapshot(rds: Any, database: Database, snapshot_id: str) -> None:
    check_identifier("--snapshot-id", snapshot_id)
    try:
        rds.describe_db_snapshots(DBSnapshotIdentifier=snapshot_id)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "DBSnapshotNotFound":
            return
        raise
    raise UnsafeOperationError(
        f"--snapshot-id {snapshot_id!r} already exists; choose a new one. Nothing was created."
    )


def plan_snapshot(database: Database, snapshot_id: str, bucket: str | None) -> Plan:
    steps = [f"create manual snapshot {snapshot_id} of {database.identifier} and wait for it"]
    if bucket:
        steps.append(f"export the snapshot to s3://{bucket}/{snapshot_id}/ (Parquet) and wait")
    impact = (
        "none: a Multi-AZ instance is snapshotted from its standby."
        if database.multi_az
        else "a single-AZ instance pauses I/O for seconds to minutes when the snapshot starts."
    )
    return Plan(action=f"snapshot {database.identifier}", steps=steps, impact=impact)


def create_snapshot(
    rds: Any, database: Database, snapshot_id: str, *, timeout_seconds: float, timer: Timer
) -> dict[str, Any]:
    tags = rds.list_tags_for_resource(ResourceName=database.arn).get("TagList", [])
    rds.create_db_snapshot(
        DBSnapshotIdentifier=snapshot_id,
        DBInstanceIdentifier=database.identifier,
        Tags=[*tags, {"Key": "rds-ha:created-by", "Value": "rds-ha snapshot"}],
    )
    snapshot: dict[str, Any] = {}

    def poll() -> tuple[bool, str]:
        nonlocal snapshot
        snapshot = rds.describe_db_snapshots(DBSnapshotIdentifier=snapshot_id)["DBSnapshots"][0]
        status = snapshot.get("Status", "unknown")
        if status in ("failed", "error"):
            raise CheckFailedError(f"snapshot {snapshot_id} is {status!r}.")
        percent = snapshot.get("PercentProgress")
        return status == "available", f"{status}" + (f" {percent}%" if percent else "")

    wait_for(f"snapshot {snapshot_id}", poll, timeout_seconds=timeout_seconds, timer=timer)
    return snapshot


def export_snapshot(
    rds: Any,
    snapshot: dict[str, Any],
    *,
    bucket: str,
    role: str,
    kms_key: str,
    timeout_seconds: float,
    timer: Timer,
) -> dict[str, Any]:
    task_id = snapshot["DBSnapshotIdentifier"]
    rds.start_export_task(
        ExportTaskIdentifier=task_id,
        SourceArn=snapshot["DBSnapshotArn"],
        S3BucketName=bucket,
        S3Prefix=task_id,
        IamRoleArn=role,
        KmsKeyId=kms_key,
    )
    task: dict[str, Any] = {}

    def poll() -> tuple[bool, str]:
        nonlocal task
        tasks = rds.describe_export_tasks(ExportTaskIdentifier=task_id)["ExportTasks"]
        task = tasks[0] if tasks else {}
        status = str(task.get("Status", "unknown")).upper()
        if status in ("FAILED", "CANCELED", "CANCELING"):
            reason = task.get("FailureCause", "no cause given")
            raise CheckFailedError(f"export task {task_id} is {status}: {reason}")
        percent = task.get("PercentProgress")
        return status == "COMPLETE", status + (f" {percent}%" if percent else "")

    wait_for(f"export {task_id}", poll, timeout_seconds=timeout_seconds, timer=timer)
    return task
