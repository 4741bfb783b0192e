"""`rds-ha restore`: point-in-time restore into a new instance configured like the source."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rds_ha.cli.databases import Database, find_instance, require_instance
from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError
from rds_ha.cli.output import utc
from rds_ha.cli.plans import Plan
from rds_ha.cli.tags import source_tags
from rds_ha.cli.waiting import Timer, wait_until

Raw = dict[str, Any]


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


def load_source(rds: Any, identifier: str) -> Database:
    return require_instance(
        rds,
        identifier,
        "restore",
        hint="use `aws rds restore-db-cluster-to-point-in-time` for clusters",
    )


# --- what the new instance inherits ------------------------------------------------------------


@dataclass(frozen=True)
class Carried:
    """One setting of the source: the API parameter that sets it and how to read it from a
    described instance (None: the source does not have it, so nothing is passed)."""

    param: str
    read: Callable[[Raw], Any]


def _key(name: str) -> Callable[[Raw], Any]:
    return lambda raw: raw.get(name)


def _flag(name: str) -> Callable[[Raw], Any]:
    return lambda raw: bool(raw.get(name))


def _inner(name: str, key: str) -> Callable[[Raw], Any]:
    return lambda raw: (raw.get(name) or {}).get(key)


def _first(name: str, key: str) -> Callable[[Raw], Any]:
    return lambda raw: (raw.get(name) or [{}])[0].get(key)


def _sorted(name: str, key: str | None = None) -> Callable[[Raw], Any]:
    def read(raw: Raw) -> Any:
        items = [item[key] if key else item for item in raw.get(name) or []]
        return sorted(items) or None

    return read


def _option_group(raw: Raw) -> Any:
    # A default option group ("default:postgres-16") is what the restore picks by itself.
    name = _first("OptionGroupMemberships", "OptionGroupName")(raw)
    return None if name is None or name.startswith("default:") else name


# gp3 below this much storage runs at the baseline IOPS and throughput, which RDS refuses to be
# given explicitly ("Working with storage for Amazon RDS DB instances", gp3 storage).
def _gp3_threshold_gib(engine: str) -> int:
    if engine.startswith("sqlserver"):
        return 0
    if engine.startswith(("oracle", "db2")):
        return 200
    return 400


def _provisioned(name: str, *, gp3_only: bool) -> Callable[[Raw], Any]:
    def read(raw: Raw) -> Any:
        storage = raw.get("StorageType")
        if storage == "gp3":
            big_enough = int(raw.get("AllocatedStorage") or 0) >= _gp3_threshold_gib(
                raw.get("Engine", "")
            )
            return raw.get(name) if big_enough else None
        return raw.get(name) if storage in ("io1", "io2") and not gp3_only else None

    return read


# Everything RestoreDBInstanceToPointInTime accepts that the source can have.
RESTORED: tuple[Carried, ...] = (
    Carried("DBInstanceClass", _key("DBInstanceClass")),
    Carried("MultiAZ", _flag("MultiAZ")),
    Carried("DeletionProtection", _flag("DeletionProtection")),
    Carried("PubliclyAccessible", _flag("PubliclyAccessible")),
    Carried("CopyTagsToSnapshot", _flag("CopyTagsToSnapshot")),
    Carried("AutoMinorVersionUpgrade", _flag("AutoMinorVersionUpgrade")),
    Carried("EnableIAMDatabaseAuthentication", _flag("IAMDatabaseAuthenticationEnabled")),
    Carried("Port", _inner("Endpoint", "Port")),
    Carried("DBSubnetGroupName", _inner("DBSubnetGroup", "DBSubnetGroupName")),
    Carried("VpcSecurityGroupIds", _sorted("VpcSecurityGroups", "VpcSecurityGroupId")),
    Carried("DBParameterGroupName", _first("DBParameterGroups", "DBParameterGroupName")),
    Carried("OptionGroupName", _option_group),
    Carried("AllocatedStorage", _key("AllocatedStorage")),
    Carried("StorageType", _key("StorageType")),
    Carried("Iops", _provisioned("Iops", gp3_only=False)),
    Carried("StorageThroughput", _provisioned("StorageThroughput", gp3_only=True)),
    Carried("MaxAllocatedStorage", _key("MaxAllocatedStorage")),
    Carried("EnableCloudwatchLogsExports", _sorted("EnabledCloudwatchLogsExports")),
    Carried("BackupRetentionPeriod", _key("BackupRetentionPeriod")),
    Carried("PreferredBackupWindow", _key("PreferredBackupWindow")),
    Carried("CACertificateIdentifier", _key("CACertificateIdentifier")),
    Carried("NetworkType", _key("NetworkType")),
    Carried("LicenseModel", _key("LicenseModel")),
    Carried("EngineLifecycleSupport", _key("EngineLifecycleSupport")),
    # Not ManageMasterUserPassword: on RestoreDBInstanceToPointInTime (and ...FromDBSnapshot)
    # it "Applies to RDS for Oracle only" (the RDS API reference, as botocore's model carries
    # it); see credentials_follow_up.
)


def _when_insights(name: str) -> Callable[[Raw], Any]:
    return lambda raw: raw.get(name) if raw.get("PerformanceInsightsEnabled") else None


def _when_monitored(name: str) -> Callable[[Raw], Any]:
    return lambda raw: raw.get(name) if raw.get("MonitoringInterval") else None


# What the restore call cannot set: applied with modify_db_instance once the new instance is up.
FOLLOW_UP: tuple[Carried, ...] = (
    Carried("EnablePerformanceInsights", lambda raw: raw.get("PerformanceInsightsEnabled") or None),
    Carried("PerformanceInsightsKMSKeyId", _when_insights("PerformanceInsightsKMSKeyId")),
    Carried(
        "PerformanceInsightsRetentionPeriod", _when_insights("PerformanceInsightsRetentionPeriod")
    ),
    Carried("MonitoringInterval", _when_monitored("MonitoringInterval")),
    Carried("MonitoringRoleArn", _when_monitored("MonitoringRoleArn")),
    Carried("PreferredMaintenanceWindow", _key("PreferredMaintenanceWindow")),
)

# Inherited from the backups themselves; checked, never passed.
INHERITED: tuple[Carried, ...] = (
    Carried("StorageEncrypted", _flag("StorageEncrypted")),
    Carried("KmsKeyId", _key("KmsKeyId")),
)


def _values(carried: tuple[Carried, ...], raw: Raw) -> dict[str, Any]:
    return {c.param: value for c in carried if (value := c.read(raw)) is not None}


def follow_up_parameters(source: Database, restored: Raw) -> dict[str, Any]:
    """The follow-up settings the restored instance does not have yet."""
    wanted = _values(FOLLOW_UP, source.raw)
    return {
        c.param: wanted[c.param]
        for c in FOLLOW_UP
        if c.param in wanted and c.read(restored) != wanted[c.param]
    } | credentials_follow_up(source.raw, restored)


def secret_key_of(source: Raw) -> str | None:
    """The key for the new instance's master secret: the source's master secret's key when RDS
    manages it (credentials = "rds-managed"), else the source's storage key, which encrypts
    the stack's own secret too (credentials = "secret")."""
    return (source.get("MasterUserSecret") or {}).get("KmsKeyId") or source.get("KmsKeyId")


def credentials_follow_up(source: Raw, restored: Raw) -> dict[str, Any]:
    """A master secret of the new instance's own, managed by RDS, whatever the source's mode.

    A restored instance has the source's master password as of the restore point, which
    rotation (by RDS, or by the stack's rotation function) may have changed since, and no
    secret: RDS does not carry ManageMasterUserPassword over on a restore (it "Applies to RDS
    for Oracle only" there). ModifyDBInstance turns management on for any engine ("If the DB
    instance doesn't manage the master user password with Amazon Web Services Secrets Manager,
    you can turn on this management"), which sets a new password that only the new secret
    holds."""
    if restored.get("MasterUserSecret"):
        return {}
    key = secret_key_of(source)
    return {"ManageMasterUserPassword": True} | ({"MasterUserSecretKmsKeyId": key} if key else {})


# --- restore window ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreWindow:
    earliest: datetime | None
    latest: datetime | None


def restore_window(rds: Any, source: Database) -> RestoreWindow:
    """Only the source's own automated backups count: a deleted instance that had the same
    identifier leaves retained backups with another DbiResourceId, and an older window."""
    resource_id = source.raw.get("DbiResourceId")
    earliest = None
    backups = rds.describe_db_instance_automated_backups(
        DBInstanceIdentifier=source.identifier
    ).get("DBInstanceAutomatedBackups", [])
    for backup in backups:
        if backup.get("DbiResourceId") != resource_id:
            continue
        start = backup.get("RestoreWindow", {}).get("EarliestTime")
        if start and (earliest is None or start < earliest):
            earliest = start
    return RestoreWindow(earliest, source.raw.get("LatestRestorableTime"))


def check_restore(
    rds: Any, source: Database, target_id: str, to: datetime | None, window: RestoreWindow
) -> None:
    """Refuse, before anything is created, a restore that would fail or overwrite."""
    if int(source.raw.get("BackupRetentionPeriod") or 0) == 0:
        raise UnsafeOperationError(
            f"{source.identifier} has no automated backups (retention 0): nothing to restore "
            "from. Nothing was created."
        )
    if window.latest is None:
        raise UnsafeOperationError(
            f"{source.identifier} has no latest restorable time yet (a new instance has none "
            "until its first automated backup completes); try again later or restore from a "
            "snapshot. Nothing was created."
        )
    if to is not None:
        check_time_in_window(source.identifier, to, window)
    refuse_existing_target(rds, target_id)


def check_time_in_window(source: str, to: datetime, window: RestoreWindow) -> None:
    if window.earliest is None:
        raise UnsafeOperationError(
            f"--to {utc(to)}: the earliest restorable time of {source} is "
            "unknown (no automated backup of this instance found), so the time cannot be "
            "checked; use --latest or restore from a snapshot. Nothing was created."
        )
    assert window.latest is not None, (
        "check_restore refused a source without a latest restorable time"
    )
    if not window.earliest <= to <= window.latest:
        raise UnsafeOperationError(
            f"--to {utc(to)} is outside the restore window of {source}: "
            f"{utc(window.earliest)} to {utc(window.latest)}. "
            "Nothing was created."
        )


def refuse_existing_target(rds: Any, target_id: str) -> None:
    if find_instance(rds, target_id) is not None:
        raise UnsafeOperationError(
            f"--target {target_id!r} already exists; choose a new identifier. Nothing was created."
        )


def latest_restorable_time(rds: Any, source: Database) -> datetime | None:
    """Read again right before the restore: it moves forward every few minutes."""
    return (find_instance(rds, source.identifier) or {}).get("LatestRestorableTime")


# --- restore -------------------------------------------------------------------------------------


def restore_parameters(
    rds: Any, source: Database, target_id: str, to: datetime | None
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "SourceDBInstanceIdentifier": source.identifier,
        "TargetDBInstanceIdentifier": target_id,
        **_values(RESTORED, source.raw),
        "Tags": source_tags(rds, source.arn),
    }
    if to is None:
        params["UseLatestRestorableTime"] = True
    else:
        params["RestoreTime"] = to
    return params


def plan_restore(source: Database, params: dict[str, Any], window: RestoreWindow) -> Plan:
    raw = source.raw
    point: datetime | None = params.get("RestoreTime") or window.latest
    assert point is not None, "check_restore refused a source without a latest restorable time"
    when = (
        utc(point)
        if params.get("RestoreTime")
        else f"the latest restorable time at the call (now {utc(point)})"
    )
    key = raw.get("KmsKeyId") or "none (unencrypted source)"
    follow_up = _values(FOLLOW_UP, raw)
    steps = [
        "restore to point in time into a new instance "
        f"(class {params['DBInstanceClass']}, Multi-AZ {params['MultiAZ']}, "
        f"deletion protection {params['DeletionProtection']})",
        f"subnet group {params.get('DBSubnetGroupName', 'default')}, security groups "
        f"{', '.join(params.get('VpcSecurityGroupIds', [])) or 'default'}, parameter group "
        f"{params.get('DBParameterGroupName', 'default')}, KMS key {key} (inherited), "
        f"{len(params['Tags'])} tags",
        "carry over: " + ", ".join(p for p in params if p not in _NOT_SETTINGS and p != "Tags"),
        "wait until the new instance is available",
    ]
    follow_up["ManageMasterUserPassword"] = True
    steps.append(
        "then apply what a restore cannot set (modify-db-instance, applied immediately): "
        + ", ".join(follow_up)
        + "; the master password becomes a new one in a secret RDS manages for the new "
        f"instance, under key {secret_key_of(raw) or 'aws/secretsmanager'}"
    )
    steps.append("check every carried-over setting on the new instance")
    return Plan(
        action=f"restore {source.identifier} as of {when} into "
        f"{params['TargetDBInstanceIdentifier']}",
        steps=steps,
        impact=f"none on {source.identifier}; the new instance costs as much as the source.",
        details={"restore_time": point, "target": params["TargetDBInstanceIdentifier"]},
    )


_NOT_SETTINGS = frozenset(
    {"SourceDBInstanceIdentifier", "TargetDBInstanceIdentifier", "RestoreTime"}
    | {"UseLatestRestorableTime"}
)


def wait_for_instance(
    rds: Any, identifier: str, *, timeout_seconds: float, timer: Timer, what: str
) -> Raw:
    def judge(latest: Raw) -> tuple[bool, str]:
        status = latest.get("DBInstanceStatus", "not visible yet")
        if status in ("failed", "incompatible-restore", "incompatible-parameters"):
            raise CheckFailedError(f"{identifier} is {status!r}; see `aws rds describe-events`.")
        return status == "available", status

    return wait_until(
        what,
        lambda: find_instance(rds, identifier) or {},
        judge,
        timeout_seconds=timeout_seconds,
        timer=timer,
    ).latest


def apply_follow_up(
    rds: Any, source: Database, restored: Raw, *, timeout_seconds: float, timer: Timer
) -> Raw:
    """Set what the restore call cannot (Performance Insights, Enhanced Monitoring, maintenance
    window) and wait until the new instance has it."""
    changes = follow_up_parameters(source, restored)
    if not changes:
        return restored
    target = restored["DBInstanceIdentifier"]
    rds.modify_db_instance(DBInstanceIdentifier=target, ApplyImmediately=True, **changes)
    return wait_for_instance(
        rds,
        target,
        timeout_seconds=timeout_seconds,
        timer=timer,
        what=f"settings of {target} ({', '.join(changes)})",
    )


def verify_restored(source: Database, restored: Raw) -> list[str]:
    """Every setting the restore must have carried over; a mismatch is reported, never ignored."""
    mismatches = []
    for carried in (*RESTORED, *FOLLOW_UP, *INHERITED):
        expected = carried.read(source.raw)
        if expected is None:
            continue
        actual = carried.read(restored)
        if actual != expected:
            mismatches.append(f"{carried.param}: source {expected!r}, restored {actual!r}")
    if not restored.get("MasterUserSecret"):
        mismatches.append("MasterUserSecret: the restored instance has no master secret")
    return mismatches
