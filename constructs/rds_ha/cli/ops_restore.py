"""`rds-ha restore`: point-in-time restore into a new instance configured like the source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rds_ha.cli.databases import Database, find_database, find_instance
from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError
from rds_ha.cli.plans import Plan
from rds_ha.cli.waiting import Timer, wait_for


def parse_restore_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UnsafeOperationError(
            f"--to {value!r} is not an ISO 8601 time; use e.g. 2026-11-03T02:15:00Z."
        ) from None
    if parsed.tzinfo is None:
        # A wall-clock time without offset is ambiguous at 3 a.m.; refuse rather than guess.
        raise UnsafeOperationError(
            f"--to {value!r} has no UTC offset; add Z or +HH:MM, e.g. 2026-11-03T02:15:00Z."
        )
    return parsed


@dataclass(frozen=True)
class RestoreWindow:
    earliest: datetime | None
    latest: datetime | None


def restore_window(rds: Any, source: Database) -> RestoreWindow:
    latest = source.raw.get("LatestRestorableTime")
    earliest = None
    backups = rds.describe_db_instance_automated_backups(
        DBInstanceIdentifier=source.identifier
    ).get("DBInstanceAutomatedBackups", [])
    for backup in backups:
        window = backup.get("RestoreWindow", {})
        if window.get("EarliestTime") and (earliest is None or window["EarliestTime"] < earliest):
            earliest = window["EarliestTime"]
    return RestoreWindow(earliest, latest)


def check_restore(
    rds: Any, source: Database, target_id: str, to: datetime | None, window: RestoreWindow
) -> None:
    """Refuse, before anything is created, a restore that would fail or overwrite."""
    if int(source.raw.get("BackupRetentionPeriod") or 0) == 0 or window.latest is None:
        raise UnsafeOperationError(
            f"{source.identifier} has no automated backups (retention 0): nothing to restore "
            "from. Nothing was created."
        )
    if to is not None:
        if window.earliest is None:
            raise UnsafeOperationError(
                f"--to {to.isoformat()}: the earliest restorable time of {source.identifier} is "
                "unknown (no automated backup found), so the time cannot be checked; use "
                "--latest or restore from a snapshot. Nothing was created."
            )
        if not window.earliest <= to <= window.latest:
            raise UnsafeOperationError(
                f"--to {to.isoformat()} is outside the restore window of {source.identifier}: "
                f"{window.earliest.isoformat()} to {window.latest.isoformat()}. "
                "Nothing was created."
            )
    if find_instance(rds, target_id) is not None:
        raise UnsafeOperationError(
            f"--target {target_id!r} already exists; choose a new identifier. Nothing was created."
        )


def restore_parameters(rds: Any, source: Database, target_id: str, to: datetime | None) -> dict:
    raw = source.raw
    tags = rds.list_tags_for_resource(ResourceName=source.arn).get("TagList", [])
    params: dict[str, Any] = {
        "SourceDBInstanceIdentifier": source.identifier,
        "TargetDBInstanceIdentifier": target_id,
        "DBInstanceClass": raw["DBInstanceClass"],
        "MultiAZ": bool(raw.get("MultiAZ")),
        "DeletionProtection": bool(raw.get("DeletionProtection")),
        "PubliclyAccessible": bool(raw.get("PubliclyAccessible")),
        "CopyTagsToSnapshot": bool(raw.get("CopyTagsToSnapshot")),
        "VpcSecurityGroupIds": [g["VpcSecurityGroupId"] for g in raw.get("VpcSecurityGroups", [])],
        "Tags": tags,
    }
    if raw.get("DBSubnetGroup", {}).get("DBSubnetGroupName"):
        params["DBSubnetGroupName"] = raw["DBSubnetGroup"]["DBSubnetGroupName"]
    groups = raw.get("DBParameterGroups", [])
    if groups:
        params["DBParameterGroupName"] = groups[0]["DBParameterGroupName"]
    if to is None:
        params["UseLatestRestorableTime"] = True
    else:
        params["RestoreTime"] = to
    return params


def plan_restore(source: Database, params: dict, window: RestoreWindow) -> Plan:
    raw = source.raw
    point = params.get("RestoreTime") or window.latest
    key = raw.get("KmsKeyId") or "none (unencrypted source)"
    return Plan(
        action=f"restore {source.identifier} as of {point.isoformat()} into "
        f"{params['TargetDBInstanceIdentifier']}",
        steps=[
            "restore to point in time into a new instance "
            f"(class {params['DBInstanceClass']}, Multi-AZ {params['MultiAZ']}, "
            f"deletion protection {params['DeletionProtection']})",
            f"subnet group {params.get('DBSubnetGroupName', 'default')}, security groups "
            f"{', '.join(params['VpcSecurityGroupIds']) or 'default'}, parameter group "
            f"{params.get('DBParameterGroupName', 'default')}, KMS key {key} (inherited), "
            f"{len(params['Tags'])} tags",
            "wait until the new instance is available",
        ],
        impact=f"none on {source.identifier}; the new instance costs as much as the source.",
        details={"restore_time": point, "target": params["TargetDBInstanceIdentifier"]},
    )


def wait_for_instance(
    rds: Any, identifier: str, *, timeout_seconds: float, timer: Timer, what: str
) -> dict[str, Any]:
    latest: dict[str, Any] = {}

    def poll() -> tuple[bool, str]:
        nonlocal latest
        latest = find_instance(rds, identifier) or {}
        status = latest.get("DBInstanceStatus", "not visible yet")
        if status in ("failed", "incompatible-restore", "incompatible-parameters"):
            raise CheckFailedError(f"{identifier} is {status!r}; see `aws rds describe-events`.")
        return status == "available", status

    wait_for(what, poll, timeout_seconds=timeout_seconds, timer=timer)
    return latest


def verify_restored(source: Database, restored: dict[str, Any]) -> list[str]:
    """Settings the restore must have carried over; a mismatch is reported, never ignored."""
    expected = {
        "KmsKeyId": source.raw.get("KmsKeyId"),
        "MultiAZ": bool(source.raw.get("MultiAZ")),
        "DeletionProtection": bool(source.raw.get("DeletionProtection")),
        "StorageEncrypted": bool(source.raw.get("StorageEncrypted")),
    }
    actual = {
        "KmsKeyId": restored.get("KmsKeyId"),
        "MultiAZ": bool(restored.get("MultiAZ")),
        "DeletionProtection": bool(restored.get("DeletionProtection")),
        "StorageEncrypted": bool(restored.get("StorageEncrypted")),
    }
    return [
        f"{key}: source {expected[key]!r}, restored {actual[key]!r}"
        for key in expected
        if expected[key] != actual[key]
    ]


def load_source(rds: Any, identifier: str) -> Database:
    source = find_database(rds, identifier)
    if source.kind != "instance":
        raise UnsafeOperationError(
            f"DB_ID {identifier!r} is a DB cluster; `rds-ha restore` restores DB instances "
            "(use `aws rds restore-db-cluster-to-point-in-time` for clusters)."
        )
    return source
