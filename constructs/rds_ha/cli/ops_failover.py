"""`rds-ha failover`: a forced failover to the standby, measured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rds_ha.cli.databases import (
    CLUSTER,
    Database,
    cluster_writer,
    find_cluster,
    find_instance,
    require_available,
)
from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError
from rds_ha.cli.plans import Plan
from rds_ha.cli.waiting import Timer, wait_until


@dataclass(frozen=True)
class Placement:
    writer: str  # the instance that takes writes
    az: str | None


def describe(rds: Any, database: Database) -> tuple[str, Placement]:
    """The database's status and where its writer runs."""
    if database.kind == CLUSTER:
        cluster = find_cluster(rds, database.identifier) or {}
        writer = cluster_writer(cluster)
        instance = find_instance(rds, writer) if writer else None
        placed = Placement(writer or "unknown", (instance or {}).get("AvailabilityZone"))
        return cluster.get("Status", "unknown"), placed
    instance = find_instance(rds, database.identifier) or {}
    placed = Placement(database.identifier, instance.get("AvailabilityZone"))
    return instance.get("DBInstanceStatus", "unknown"), placed


def check_failover(database: Database, target_instance: str | None = None) -> None:
    """Refuse, before anything changes, a failover that cannot or must not happen."""
    if database.kind == CLUSTER:
        members = database.raw.get("DBClusterMembers", [])
        if len(members) < 2:
            raise UnsafeOperationError(
                f"{database.identifier} has {len(members)} member instance(s); a failover needs a "
                "reader to promote. Nothing was changed."
            )
        readers = [m["DBInstanceIdentifier"] for m in members if not m.get("IsClusterWriter")]
        if target_instance is not None and target_instance not in readers:
            raise UnsafeOperationError(
                f"--target-instance {target_instance!r} is not a reader of "
                f"{database.identifier}; readers: {', '.join(readers) or 'none'}."
            )
    elif target_instance is not None:
        raise UnsafeOperationError(
            "--target-instance applies to DB clusters; a DB instance fails over to its standby."
        )
    elif not database.multi_az:
        raise UnsafeOperationError(
            f"{database.identifier} is single-AZ: it has no standby, so a forced failover would "
            "only be a reboot with an outage. Nothing was changed."
        )
    require_available(database, "a failover")


def plan_failover(database: Database, before: Placement, target_instance: str | None) -> Plan:
    if database.kind == CLUSTER:
        target = target_instance or "a reader chosen by RDS"
        steps = [
            f"fail over DB cluster {database.identifier}: promote {target}, demote {before.writer}",
            "wait until the cluster is available with a new writer",
        ]
    else:
        standby = database.raw.get("SecondaryAvailabilityZone") or "the standby's AZ"
        steps = [
            f"reboot {database.identifier} with forced failover: primary {before.az} -> {standby}",
            "wait until the instance is available in the other AZ",
        ]
    # AWS's figures: a Multi-AZ DB cluster fails over typically in under 35 seconds, a Multi-AZ
    # DB instance typically in 60-120 seconds.
    took = "typically under 35 seconds" if database.kind == CLUSTER else "about one to two minutes"
    return Plan(
        action=f"fail over {database.identifier} to its standby",
        steps=steps,
        impact=f"connections drop for {took} while the endpoint moves to the new primary; "
        "applications must reconnect.",
        details={"writer_before": before.writer, "az_before": before.az},
    )


def start_failover(rds: Any, database: Database, target_instance: str | None) -> None:
    if database.kind == CLUSTER:
        kwargs: dict[str, Any] = {"DBClusterIdentifier": database.identifier}
        if target_instance:
            kwargs["TargetDBInstanceIdentifier"] = target_instance
        rds.failover_db_cluster(**kwargs)
    else:
        rds.reboot_db_instance(DBInstanceIdentifier=database.identifier, ForceFailover=True)


def wait_for_failover(
    rds: Any, database: Database, before: Placement, *, timeout_seconds: float, timer: Timer
) -> Placement:
    """Wait until the database is available again with its writer moved. If it comes back
    available without having moved after it was seen busy, the failover did not happen."""
    seen_busy = False

    def judge(state: tuple[str, Placement]) -> tuple[bool, str]:
        nonlocal seen_busy
        status, now = state
        moved = (now.writer, now.az) != (before.writer, before.az)
        if status != "available":
            seen_busy = True
            return False, status
        if moved:
            return True, f"available, writer {now.writer} in {now.az}"
        if seen_busy:
            raise CheckFailedError(
                f"{database.identifier} is available again but still has writer {now.writer} "
                f"in {now.az}: the failover did not happen. Check `aws rds describe-events`."
            )
        return False, "available, failover not started yet"

    return wait_until(
        f"failover of {database.identifier}",
        lambda: describe(rds, database),
        judge,
        timeout_seconds=timeout_seconds,
        timer=timer,
    ).latest[1]
