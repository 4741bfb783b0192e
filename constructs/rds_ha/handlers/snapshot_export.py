"""Export each new snapshot of one database to S3 (Parquet) with ``StartExportTask``.

Runs as a Lambda function behind an EventBridge rule for RDS snapshot events and AWS Backup job
events. Every decision is one JSON log line (``{"decision": ..., ...}``); events for other
databases, unfinished jobs and malformed events are logged and ignored, never retried.

Configuration comes from the environment: ``DATABASE_ARN`` (the DB instance or Multi-AZ DB
cluster), ``EXPORT_BUCKET``, ``EXPORT_PREFIX``, ``EXPORT_ROLE_ARN``, ``EXPORT_KEY_ARN``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3

MAX_TASK_ID_LENGTH = 60
# Export tasks in these states will (or did) put the snapshot in S3: never start another.
LIVE_OR_DONE = frozenset({"STARTING", "IN_PROGRESS", "COMPLETE"})
_SNAPSHOT_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):rds:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<kind>snapshot|cluster-snapshot):(?P<name>.+)$"
)
_DATABASE_ARN = re.compile(
    r"^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:(?P<kind>db|cluster):(?P<id>.+)$"
)


@dataclass(frozen=True)
class Settings:
    database_arn: str
    bucket: str
    prefix: str
    role_arn: str
    key_arn: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        return cls(
            database_arn=environ["DATABASE_ARN"],
            bucket=environ["EXPORT_BUCKET"],
            prefix=environ.get("EXPORT_PREFIX", ""),
            role_arn=environ["EXPORT_ROLE_ARN"],
            key_arn=environ["EXPORT_KEY_ARN"],
        )

    @property
    def database_kind(self) -> str:
        match = _DATABASE_ARN.match(self.database_arn)
        return match["kind"] if match else ""

    @property
    def database_id(self) -> str:
        match = _DATABASE_ARN.match(self.database_arn)
        return match["id"] if match else ""


class IgnoredEventError(Exception):
    """The event needs no export; the message says why."""


def log(decision: str, **fields: Any) -> dict[str, Any]:
    record = {"decision": decision, **fields}
    print(json.dumps(record, sort_keys=True, default=str), file=sys.stdout, flush=True)
    return record


def export_task_id(snapshot_arn: str, attempt: int = 0) -> str:
    """A valid, deterministic export task id for a snapshot.

    RDS wants 1-60 letters, digits and hyphens, starting with a letter, with no double or
    trailing hyphen. The snapshot name keeps the id readable; a hash of the full ARN keeps two
    snapshots whose names differ only in cut-off or punctuation apart. ``attempt`` > 0 gives a
    new id after an earlier export of the same snapshot failed.
    """
    digest = hashlib.sha256(snapshot_arn.encode()).hexdigest()[:10]
    suffix = f"-{digest}" + (f"-r{attempt}" if attempt else "")
    name = snapshot_arn.rsplit(":", 1)[-1] if ":" in snapshot_arn else snapshot_arn
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    head = f"x-{slug}" if slug else "x"
    head = head[: MAX_TASK_ID_LENGTH - len(suffix)].rstrip("-")
    return f"{head}{suffix}"


def _rds_snapshot_arn(event: Mapping[str, Any]) -> str:
    """The snapshot ARN of an RDS snapshot event; whose snapshot it is, RDS says later."""
    detail = event.get("detail") or {}
    snapshot_arn = detail.get("SourceArn")
    if not isinstance(snapshot_arn, str) or not _SNAPSHOT_ARN.match(snapshot_arn):
        raise IgnoredEventError("event has no snapshot SourceArn")
    return snapshot_arn


def _backup_snapshot_arn(event: Mapping[str, Any], settings: Settings) -> str:
    detail = event.get("detail") or {}
    state = detail.get("state") or detail.get("status")
    if state != "COMPLETED":
        raise IgnoredEventError(f"backup job state is {state!r}, not 'COMPLETED'")
    if detail.get("resourceArn") != settings.database_arn:
        raise IgnoredEventError(f"backup of another resource: {detail.get('resourceArn')!r}")
    candidates = [
        detail.get("destinationRecoveryPointArn"),
        detail.get("recoveryPointArn"),
        *(event.get("resources") or []),
    ]
    for candidate in candidates:
        if isinstance(candidate, str) and _SNAPSHOT_ARN.match(candidate):
            return candidate
    raise IgnoredEventError(
        "no RDS snapshot recovery point in the event (continuous backups cannot be exported)"
    )


def snapshot_arn_from_event(event: Any, settings: Settings) -> str:
    """The ARN of the snapshot to export, or ``IgnoredEventError`` with the reason."""
    if not isinstance(event, Mapping):
        raise IgnoredEventError(f"event is a {type(event).__name__}, not an object")
    source = event.get("source")
    if source == "aws.rds":
        return _rds_snapshot_arn(event)
    if source == "aws.backup":
        return _backup_snapshot_arn(event, settings)
    raise IgnoredEventError(f"unsupported event source {source!r}")


def _snapshot_database_arn(rds: Any, snapshot_arn: str) -> str:
    """Which database a snapshot belongs to, from RDS itself (snapshot names are free-form)."""
    match = _SNAPSHOT_ARN.match(snapshot_arn)
    assert match
    prefix = f"arn:{match['partition']}:rds:{match['region']}:{match['account']}"
    name = match["name"]
    # RDS lists automated and AWS Backup snapshots only when asked for their type.
    snapshot_type = (
        "automated"
        if name.startswith("rds:")
        else "awsbackup"
        if name.startswith("awsbackup:")
        else "manual"
    )
    if match["kind"] == "snapshot":
        snapshots = rds.describe_db_snapshots(
            DBSnapshotIdentifier=name, SnapshotType=snapshot_type
        )["DBSnapshots"]
        return f"{prefix}:db:{snapshots[0]['DBInstanceIdentifier']}" if snapshots else ""
    snapshots = rds.describe_db_cluster_snapshots(
        DBClusterSnapshotIdentifier=name, SnapshotType=snapshot_type
    )["DBClusterSnapshots"]
    return f"{prefix}:cluster:{snapshots[0]['DBClusterIdentifier']}" if snapshots else ""


def export_snapshot(rds: Any, snapshot_arn: str, settings: Settings, region: str) -> dict[str, Any]:
    """Start the export of one snapshot unless it is, or was, already exported."""
    match = _SNAPSHOT_ARN.match(snapshot_arn)
    assert match
    if match["region"] != region:
        return log(
            "ignored",
            reason=f"snapshot is in {match['region']}, not {region}",
            snapshot=snapshot_arn,
        )
    owner = _snapshot_database_arn(rds, snapshot_arn)
    if owner != settings.database_arn:
        return log(
            "ignored",
            reason="snapshot of another database",
            snapshot=snapshot_arn,
            database=owner or None,
        )
    tasks = rds.describe_export_tasks(SourceArn=snapshot_arn)["ExportTasks"]
    done = [task for task in tasks if task.get("Status", "").upper() in LIVE_OR_DONE]
    if done:
        return log(
            "skipped",
            reason="already exported",
            snapshot=snapshot_arn,
            export_task=done[0]["ExportTaskIdentifier"],
            status=done[0]["Status"],
        )
    task_id = export_task_id(snapshot_arn, attempt=len(tasks))
    try:
        rds.start_export_task(
            ExportTaskIdentifier=task_id,
            SourceArn=snapshot_arn,
            S3BucketName=settings.bucket,
            S3Prefix=settings.prefix,
            IamRoleArn=settings.role_arn,
            KmsKeyId=settings.key_arn,
        )
    except rds.exceptions.ExportTaskAlreadyExistsFault:
        # A concurrent invocation for the same snapshot won the race.
        return log(
            "skipped",
            reason="export task already exists",
            snapshot=snapshot_arn,
            export_task=task_id,
        )
    return log("started", snapshot=snapshot_arn, export_task=task_id, bucket=settings.bucket)


def handle(event: Any, rds: Any, settings: Settings, region: str) -> dict[str, Any]:
    try:
        snapshot_arn = snapshot_arn_from_event(event, settings)
    except IgnoredEventError as reason:
        event_id = event.get("id") if isinstance(event, Mapping) else None
        return log("ignored", reason=str(reason), event_id=event_id)
    return export_snapshot(rds, snapshot_arn, settings, region)


def handler(event: Any, context: Any) -> dict[str, Any]:  # pragma: no cover - Lambda entry
    region = os.environ["AWS_REGION"]
    return handle(
        event,
        boto3.client("rds", region_name=region),
        Settings.from_environment(os.environ),
        region,
    )
