"""`rds-ha promote`: promote a read replica (same-region or cross-region) to a standalone DB
instance, with its replica lag shown as the data-loss window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rds_ha.cli.databases import (
    INSTANCE,
    Database,
    check_identifier,
    find_cluster,
    find_instance,
    require_available,
)
from rds_ha.cli.errors import AWS_FAILURES, CheckFailedError, UnsafeOperationError
from rds_ha.cli.output import duration
from rds_ha.cli.plans import Plan
from rds_ha.cli.waiting import Timer, wait_until

Raw = dict[str, Any]

# What `rds-ha promote` sets when the source's own retention cannot be read (or is 0).
DEFAULT_BACKUP_RETENTION_DAYS = 7
# Above this replica lag the plan warns: that many seconds of writes are not on the replica.
DEFAULT_MAX_LAG_SECONDS = 60
LAG_LOOKBACK = timedelta(minutes=5)
FAILED_STATES = ("failed", "incompatible-parameters", "incompatible-restore", "storage-full")


def load_replica(rds: Any, identifier: str) -> Database:
    """The read replica ``identifier``; exit 2 for anything promote must not act on."""
    identifier = check_identifier("REPLICA_ID", identifier)
    region = rds.meta.region_name
    instance = find_instance(rds, identifier)
    if instance is None:
        if find_cluster(rds, identifier) is not None:
            raise UnsafeOperationError(
                f"REPLICA_ID {identifier!r} is a DB cluster; `rds-ha promote` promotes DB "
                "instance read replicas (a cross-region replica DB cluster is promoted with "
                "`aws rds promote-read-replica-db-cluster`). Nothing was changed."
            )
        raise UnsafeOperationError(
            f"REPLICA_ID {identifier!r}: no DB instance with that identifier in {region} "
            "(--region is the replica's region). Nothing was changed."
        )
    cluster = instance.get("DBClusterIdentifier")
    if cluster:
        # A cluster's reader is not a read replica: making it the writer is a cluster failover.
        raise UnsafeOperationError(
            f"REPLICA_ID {identifier!r} is a member instance of DB cluster {cluster!r}, not a "
            f"read replica; to make it the writer run `rds-ha failover {cluster} "
            f"--target-instance {identifier}`. Nothing was changed."
        )
    database = Database(INSTANCE, instance)
    if not source_of(database):
        raise UnsafeOperationError(
            f"{identifier} is not a read replica (it has no replication source): it is already "
            "a standalone DB instance. Nothing was changed."
        )
    require_available(database, "promotion")
    return database


def source_of(replica: Database) -> str | None:
    """The replica's source: an identifier (same region) or an ARN (another region)."""
    return replica.raw.get("ReadReplicaSourceDBInstanceIdentifier") or None


def source_region(replica: Database, replica_region: str) -> str:
    source = source_of(replica) or ""
    # arn:aws:rds:REGION:ACCOUNT:db:NAME
    parts = source.split(":")
    return parts[3] if source.startswith("arn:") and len(parts) > 3 else replica_region


def source_name(replica: Database) -> str:
    return (source_of(replica) or "").rsplit(":", 1)[-1]


# --- checks that read other services ------------------------------------------------------------


@dataclass(frozen=True)
class Lag:
    """The replica's ``ReplicaLag`` (Maximum over the last 5 minutes), in seconds; None when
    CloudWatch has no datapoint. -1 is RDS's value for replication that is not running."""

    seconds: float | None
    datapoints: int


def replica_lag(cloudwatch: Any, replica: Database, now: datetime) -> Lag:
    response = cloudwatch.get_metric_statistics(
        Namespace="AWS/RDS",
        MetricName="ReplicaLag",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": replica.identifier}],
        StartTime=now - LAG_LOOKBACK,
        EndTime=now,
        Period=60,
        Statistics=["Maximum"],
    )
    values = [point["Maximum"] for point in response.get("Datapoints", [])]
    return Lag(max(values) if values else None, len(values))


@dataclass(frozen=True)
class Retention:
    days: int
    reason: str  # where the figure comes from, for the plan


def backup_retention(requested: int | None, source_rds: Any | None, replica: Database) -> Retention:
    """--backup-retention-days, else the source's retention, else 7. ``source_rds`` is None when
    the source's region is not to be asked; any AWS failure reading it falls back to 7."""
    if requested is not None:
        return Retention(requested, "--backup-retention-days")
    if source_rds is not None:
        try:
            source = find_instance(source_rds, source_name(replica))
        except AWS_FAILURES as error:  # a lost region: timeouts, connection errors, 5xx
            return Retention(
                DEFAULT_BACKUP_RETENTION_DAYS,
                f"default; the source could not be read ({type(error).__name__})",
            )
        days = int((source or {}).get("BackupRetentionPeriod") or 0)
        if days > 0:
            return Retention(days, f"the source's, {source_name(replica)}")
        if source is None:
            return Retention(DEFAULT_BACKUP_RETENTION_DAYS, "default; the source was not found")
    return Retention(DEFAULT_BACKUP_RETENTION_DAYS, "default")


# --- plan -----------------------------------------------------------------------------------------


def lag_warnings(lag: Lag, max_lag_seconds: float) -> list[str]:
    if lag.seconds is None:
        return [
            "no ReplicaLag datapoint in the last 5 minutes: the data-loss window is unknown; "
            "check replication before promoting"
        ]
    if lag.seconds < 0:
        return [
            "ReplicaLag is -1: replication is not running, so writes since it stopped are not "
            "on the replica; the data-loss window is unknown"
        ]
    if lag.seconds > max_lag_seconds:
        return [
            f"replica lag {duration(lag.seconds)} is above {duration(max_lag_seconds)} "
            "(--max-lag-seconds): writes of that period on the source are not on the replica "
            "and are lost to it"
        ]
    return []


def lag_text(lag: Lag) -> str:
    if lag.seconds is None:
        return "unknown (no ReplicaLag datapoint in the last 5 minutes)"
    if lag.seconds < 0:
        return "unknown (replication is not running)"
    return f"up to {duration(lag.seconds)} (ReplicaLag, Maximum of the last 5 minutes)"


def plan_promote(
    replica: Database, region: str, lag: Lag, retention: Retention, max_lag_seconds: float
) -> Plan:
    source = source_of(replica)
    where = source_region(replica, region)
    cross = "cross-region " if where != region else ""
    return Plan(
        action=f"promote {cross}read replica {replica.identifier} ({region}) to a standalone "
        f"DB instance",
        steps=[
            f"promote-read-replica {replica.identifier}: it stops replicating from {source} "
            f"({where}), becomes writable and reboots",
            f"backup retention {retention.days} days ({retention.reason})",
            "wait until it is available and no longer a read replica",
            "check that it is standalone, available and has that backup retention",
        ],
        impact=f"{replica.identifier} is unavailable while it reboots (usually a few minutes); "
        f"the source {source} is untouched and keeps taking writes if it is up; the promotion "
        f"cannot be undone ({replica.identifier} never replicates from it again); applications "
        f"must be repointed to {replica.identifier}'s endpoint. Data-loss window: "
        f"{lag_text(lag)}.",
        warnings=lag_warnings(lag, max_lag_seconds),
        details={
            "replica": replica.identifier,
            "source": source,
            "source_region": where,
            "replica_lag_seconds": lag.seconds,
            "backup_retention_days": retention.days,
        },
    )


# --- promote --------------------------------------------------------------------------------------


def promote(rds: Any, replica: Database, retention_days: int) -> None:
    rds.promote_read_replica(
        DBInstanceIdentifier=replica.identifier, BackupRetentionPeriod=retention_days
    )


def wait_for_promotion(rds: Any, replica: Database, *, timeout_seconds: float, timer: Timer) -> Raw:
    """Until the instance is available with no replication source. It can read 'available' and
    still be a replica just after the call, before RDS starts; that is not done."""

    def judge(latest: Raw) -> tuple[bool, str]:
        status = latest.get("DBInstanceStatus", "not visible")
        if status in FAILED_STATES:
            raise CheckFailedError(
                f"{replica.identifier} is {status!r}; see `aws rds describe-events`."
            )
        still_replica = bool(latest.get("ReadReplicaSourceDBInstanceIdentifier"))
        if status == "available" and not still_replica:
            return True, "available, standalone"
        return False, f"{status}, still a read replica" if still_replica else status

    return wait_until(
        f"promotion of {replica.identifier}",
        lambda: find_instance(rds, replica.identifier) or {},
        judge,
        timeout_seconds=timeout_seconds,
        timer=timer,
    ).latest


def verify_promoted(promoted: Raw, retention_days: int) -> list[str]:
    problems = []
    if promoted.get("ReadReplicaSourceDBInstanceIdentifier"):
        problems.append("it still has a replication source")
    if promoted.get("DBInstanceStatus") != "available":
        problems.append(f"status {promoted.get('DBInstanceStatus')!r}, not 'available'")
    actual = promoted.get("BackupRetentionPeriod")
    if actual != retention_days:
        problems.append(f"backup retention {actual!r} days, asked for {retention_days}")
    return problems
