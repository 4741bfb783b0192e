"""`rds-ha snapshot`: a manual snapshot, optionally exported to S3, each waited for."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from rds_ha.cli.databases import Database
from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError
from rds_ha.cli.plans import Plan
from rds_ha.cli.tags import source_tags
from rds_ha.cli.waiting import Timer, wait_until

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[\w/+=,.@-]+$")


# DB snapshot identifiers: 1-255 letters, digits or hyphens, starting with a letter, no "--" and
# no trailing hyphen (CreateDBSnapshot). Export task identifiers follow the same rule with at most
# 60 characters (the RDS console's rule for an export identifier).
_NAME = r"^[a-z](?!.*--)[a-z0-9-]{{0,{rest}}}(?<!-)$"
_SNAPSHOT_ID = re.compile(_NAME.format(rest=254))
_EXPORT_ID = re.compile(_NAME.format(rest=59))
EXPORT_ID_MAX = 60
_MARKER = {"Key": "rds-ha:created-by", "Value": "rds-ha snapshot"}


def _stamp(now: datetime) -> str:
    return f"{now:%Y%m%d-%H%M%S}"


def _shortened(prefix: str, suffix: str, limit: int) -> str:
    return f"{prefix[: limit - len(suffix)].rstrip('-')}{suffix}"


def snapshot_id_for(database: Database, now: datetime) -> str:
    """<DB_ID>-rds-ha-<UTC timestamp>, the DB id shortened so that the id also names the export
    task (60 characters); the timestamp keeps it unique."""
    return _shortened(database.identifier, f"-rds-ha-{_stamp(now)}", EXPORT_ID_MAX)


def export_task_id_for(snapshot_id: str, now: datetime) -> str:
    if len(snapshot_id) <= EXPORT_ID_MAX:
        return snapshot_id
    return _shortened(snapshot_id, f"-{_stamp(now)}", EXPORT_ID_MAX)


def check_snapshot_id(value: str, field: str) -> str:
    folded = value.strip().lower()
    if not _SNAPSHOT_ID.match(folded):
        raise UnsafeOperationError(
            f"{field} {value!r} is not a valid DB snapshot identifier: 1-255 letters, digits or "
            "hyphens, starting with a letter, without '--' or a trailing hyphen."
        )
    return folded


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


def check_snapshot(rds: Any, snapshot_id: str, field: str) -> None:
    """``field`` names where the id came from: the user's --snapshot-id or the default."""
    try:
        rds.describe_db_snapshots(DBSnapshotIdentifier=snapshot_id)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "DBSnapshotNotFound":
            return
        raise
    raise UnsafeOperationError(
        f"{field} {snapshot_id!r} already exists; choose a new one. Nothing was created."
    )


def check_export_task(rds: Any, task_id: str) -> None:
    """Before the snapshot is taken: a bad or taken export name must not leave a snapshot
    behind that nobody asked for on its own."""
    if not _EXPORT_ID.match(task_id):
        raise UnsafeOperationError(
            f"export task id {task_id!r} is not valid: 1-{EXPORT_ID_MAX} letters, digits or "
            "hyphens, starting with a letter, without '--' or a trailing hyphen. Nothing was "
            "created."
        )
    try:
        taken = rds.describe_export_tasks(ExportTaskIdentifier=task_id).get("ExportTasks")
    except ClientError as error:
        # DescribeExportTasks may answer an unknown id with an empty list or with this fault.
        if not error.response.get("Error", {}).get("Code", "").startswith("ExportTaskNotFound"):
            raise
        taken = []
    if taken:
        raise UnsafeOperationError(
            f"export task {task_id!r} already exists; choose another --snapshot-id. Nothing was "
            "created."
        )


def plan_snapshot(
    database: Database, snapshot_id: str, bucket: str | None, task_id: str | None = None
) -> Plan:
    steps = [f"create manual snapshot {snapshot_id} of {database.identifier} and wait for it"]
    if bucket:
        steps.append(
            f"export the snapshot to s3://{bucket}/{task_id}/ (Parquet, export task {task_id}) "
            "and wait: this copies the database's data into the bucket"
        )
    impact = (
        "none: a Multi-AZ instance is snapshotted from its standby."
        if database.multi_az
        else "a single-AZ instance pauses I/O for seconds to minutes when the snapshot starts."
    )
    return Plan(action=f"snapshot {database.identifier}", steps=steps, impact=impact)


def create_snapshot(
    rds: Any, database: Database, snapshot_id: str, *, timeout_seconds: float, timer: Timer
) -> dict[str, Any]:
    rds.create_db_snapshot(
        DBSnapshotIdentifier=snapshot_id,
        DBInstanceIdentifier=database.identifier,
        Tags=source_tags(rds, database.arn, extra=[_MARKER]),
    )

    def judge(snapshot: dict[str, Any]) -> tuple[bool, str]:
        status = snapshot.get("Status", "unknown")
        if status in ("failed", "error"):
            raise CheckFailedError(f"snapshot {snapshot_id} is {status!r}.")
        percent = snapshot.get("PercentProgress")
        return status == "available", f"{status}" + (f" {percent}%" if percent else "")

    value: dict[str, Any] = wait_until(
        f"snapshot {snapshot_id}",
        lambda: rds.describe_db_snapshots(DBSnapshotIdentifier=snapshot_id)["DBSnapshots"][0],
        judge,
        timeout_seconds=timeout_seconds,
        timer=timer,
    ).latest
    return value


def export_snapshot(
    rds: Any,
    snapshot: dict[str, Any],
    *,
    task_id: str,
    bucket: str,
    role: str,
    kms_key: str,
    timeout_seconds: float,
    timer: Timer,
) -> dict[str, Any]:
    rds.start_export_task(
        ExportTaskIdentifier=task_id,
        SourceArn=snapshot["DBSnapshotArn"],
        S3BucketName=bucket,
        S3Prefix=task_id,
        IamRoleArn=role,
        KmsKeyId=kms_key,
    )

    def refresh() -> dict[str, Any]:
        tasks = rds.describe_export_tasks(ExportTaskIdentifier=task_id)["ExportTasks"]
        return tasks[0] if tasks else {}

    def judge(task: dict[str, Any]) -> tuple[bool, str]:
        status = str(task.get("Status", "unknown")).upper()
        if status in ("FAILED", "CANCELED", "CANCELING"):
            reason = task.get("FailureCause", "no cause given")
            raise CheckFailedError(f"export task {task_id} is {status}: {reason}")
        percent = task.get("PercentProgress")
        return status == "COMPLETE", status + (f" {percent}%" if percent else "")

    return wait_until(
        f"export {task_id}", refresh, judge, timeout_seconds=timeout_seconds, timer=timer
    ).latest
