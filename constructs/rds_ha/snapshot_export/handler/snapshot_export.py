"""Export each new snapshot of the databases it serves to S3 (Parquet) with ``StartExportTask``.

Runs as a Lambda function behind EventBridge rules for AWS Backup job events and, when every
snapshot is exported, RDS snapshot events. Every decision is one JSON log line
(``{"decision": ..., ...}``); events for other databases, unfinished jobs and malformed events
are logged and ignored, never retried.

Configuration comes from the environment: ``DATABASE_ARN`` (the DB instances and Multi-AZ DB
clusters served, comma-separated: one ARN for one database), ``EXPORT_BUCKET``,
``EXPORT_PREFIX``, ``EXPORT_ROLE_ARN``, ``EXPORT_KEY_ARN`` and ``EXPORT_SNAPSHOTS``:
``monthly`` (default) exports only snapshots tagged ``rds-ha:backup-rule=Monthly`` by the AWS
Backup plan's monthly rule, ``all`` every snapshot.
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
# The AWS Backup plan tags the snapshots of its monthly rule (recovery point tags land on the
# RDS snapshot itself), so the function needs no AWS Backup API to tell them apart.
BACKUP_RULE_TAG = "rds-ha:backup-rule"
MONTHLY_RULE = "Monthly"
EXPORT_MONTHLY = "monthly"
EXPORT_ALL = "all"
BACKUP_JOB_EVENT = "Backup Job State Change"


@dataclass(frozen=True)
class Settings:
    database_arns: frozenset[str]
    bucket: str
    prefix: str
    role_arn: str
    key_arn: str
    export_snapshots: str = EXPORT_MONTHLY

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        return cls(
            database_arns=parse_database_arns(environ["DATABASE_ARN"]),
            bucket=environ["EXPORT_BUCKET"],
            prefix=environ.get("EXPORT_PREFIX", ""),
            role_arn=environ["EXPORT_ROLE_ARN"],
            key_arn=environ["EXPORT_KEY_ARN"],
            export_snapshots=environ.get("EXPORT_SNAPSHOTS", EXPORT_MONTHLY),
        )


def parse_database_arns(value: str) -> frozenset[str]:
    """``DATABASE_ARN``: one ARN, or several separated by commas (ARNs hold no commas)."""
    return frozenset(arn.strip() for arn in value.split(",") if arn.strip())


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
    # Only the in-region backup job: a copy job's recovery point is in the DR region, and the
    # snapshot it copies was already exported when its own backup job completed.
    if event.get("detail-type") != BACKUP_JOB_EVENT:
        raise IgnoredEventError(f"not a backup job event: {event.get('detail-type')!r}")
    detail = event.get("detail") or {}
    state = detail.get("state") or detail.get("status")
    if state != "COMPLETED":
        raise IgnoredEventError(f"backup job state is {state!r}, not 'COMPLETED'")
    if detail.get("resourceArn") not in settings.database_arns:
        raise IgnoredEventError(f"backup of another resource: {detail.get('resourceArn')!r}")
    candidates = [
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


@dataclass(frozen=True)
class SnapshotFacts:
    database_arn: str
    tags: dict[str, str]


def _lookup_type(name: str, *, cluster: bool) -> dict[str, str]:
    """The ``SnapshotType`` filter that finds a snapshot by name.

    RDS finds automated snapshots by name only when asked for them, and AWS Backup DB snapshots
    only with ``awsbackup``, which ``DescribeDBClusterSnapshots`` rejects (it accepts automated,
    manual, shared and public): AWS Backup's cluster snapshots are found without a type.
    """
    if name.startswith("rds:"):
        return {"SnapshotType": "automated"}
    if name.startswith("awsbackup:") and not cluster:
        return {"SnapshotType": "awsbackup"}
    return {}


def describe_snapshot(rds: Any, snapshot_arn: str) -> SnapshotFacts | None:
    """Whose snapshot this is and its tags, from RDS itself (snapshot names are free-form)."""
    match = _SNAPSHOT_ARN.match(snapshot_arn)
    assert match
    prefix = f"arn:{match['partition']}:rds:{match['region']}:{match['account']}"
    name = match["name"]
    if match["kind"] == "snapshot":
        snapshots = rds.describe_db_snapshots(
            DBSnapshotIdentifier=name, **_lookup_type(name, cluster=False)
        )["DBSnapshots"]
        owner = f"{prefix}:db:{snapshots[0]['DBInstanceIdentifier']}" if snapshots else ""
    else:
        snapshots = rds.describe_db_cluster_snapshots(
            DBClusterSnapshotIdentifier=name, **_lookup_type(name, cluster=True)
        )["DBClusterSnapshots"]
        owner = f"{prefix}:cluster:{snapshots[0]['DBClusterIdentifier']}" if snapshots else ""
    if not snapshots:
        return None
    tags = {tag["Key"]: tag["Value"] for tag in snapshots[0].get("TagList") or []}
    return SnapshotFacts(database_arn=owner, tags=tags)


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
    facts = describe_snapshot(rds, snapshot_arn)
    if facts is None or facts.database_arn not in settings.database_arns:
        return log(
            "ignored",
            reason="snapshot of another database",
            snapshot=snapshot_arn,
            database=facts.database_arn if facts else None,
        )
    if settings.export_snapshots != EXPORT_ALL and facts.tags.get(BACKUP_RULE_TAG) != MONTHLY_RULE:
        return log(
            "ignored",
            reason=f"not a monthly AWS Backup snapshot (no tag {BACKUP_RULE_TAG}={MONTHLY_RULE})",
            snapshot=snapshot_arn,
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
