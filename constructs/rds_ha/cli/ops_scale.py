"""`rds-ha scale-up`: change the instance class, through the standby on Multi-AZ."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rds_ha.catalog import instance_classes as ic
from rds_ha.cli.databases import Database, find_instance, require_available
from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError
from rds_ha.cli.plans import Plan
from rds_ha.cli.waiting import Timer, wait_until


@dataclass(frozen=True)
class ClassChange:
    current: ic.InstanceClassSpec
    target: ic.InstanceClassSpec
    capacity: ic.Capacity


def check_class_change(database: Database, to: str, *, allow_downsize: bool) -> ClassChange:
    try:
        target = ic.get(to)
    except ic.UnknownInstanceClassError as error:
        raise UnsafeOperationError(f"--to: {error}") from None
    current_name = database.instance_class or "unknown"
    current = ic.lookup(current_name)
    if current is None:
        raise UnsafeOperationError(
            f"{database.identifier} runs {current_name!r}, which the instance-class catalog does "
            "not know, so `--to` cannot be compared with it. Nothing was changed."
        )
    capacity = target.compare(current)
    if capacity is ic.Capacity.SAME and target.name == current.name:
        raise UnsafeOperationError(f"{database.identifier} already runs {current.name}.")
    if capacity is not ic.Capacity.LARGER and not allow_downsize:
        raise UnsafeOperationError(
            f"--to {target.name} ({_describe(target)}) is not larger than {current.name} "
            f"({_describe(current)}); pass --allow-downsize to apply a change that removes "
            "capacity or only moves sideways. Nothing was changed."
        )
    require_available(database, "a class change")
    return ClassChange(current, target, capacity)


def _describe(spec: ic.InstanceClassSpec) -> str:
    burst = ", burstable" if spec.burstable else ""
    return f"{spec.vcpus} vCPU, {spec.memory_gib:g} GiB{burst}"


def orderable_warning(rds: Any, database: Database, target: str) -> str | None:
    """Ask RDS whether it offers ``target`` for this engine version. Returns a warning when RDS
    cannot say; raises (exit 2) when RDS lists classes for the version but not this one."""
    engine, version = database.engine, database.raw.get("EngineVersion")
    query = {"Engine": engine, "EngineVersion": version, "MaxRecords": 20}
    if rds.describe_orderable_db_instance_options(**query, DBInstanceClass=target).get(
        "OrderableDBInstanceOptions"
    ):
        return None
    if rds.describe_orderable_db_instance_options(**query).get("OrderableDBInstanceOptions"):
        raise UnsafeOperationError(
            f"--to {target}: RDS does not offer it for {engine} {version} in "
            f"{rds.meta.region_name}. Nothing was changed."
        )
    return (
        f"RDS lists no orderable classes for {engine} {version} here, so it could not confirm "
        f"that {target} is offered; RDS rejects the change if it is not."
    )


def pending_changes(database: Database) -> dict[str, Any]:
    """Modifications waiting for the maintenance window; ApplyImmediately applies them too."""
    return dict(database.raw.get("PendingModifiedValues") or {})


def check_pending(database: Database, *, now: bool, include_pending: bool) -> dict[str, Any]:
    pending = pending_changes(database)
    if now and pending and not include_pending:
        listed = ", ".join(f"{key}={value!r}" for key, value in pending.items())
        raise UnsafeOperationError(
            f"{database.identifier} has pending modifications ({listed}); --now applies them "
            "together with the class change. Pass --include-pending to apply them as well, or "
            "leave out --now to change the class in the maintenance window. Nothing was changed."
        )
    return pending


def plan_scale(
    database: Database,
    change: ClassChange,
    *,
    now: bool,
    warning: str | None,
    pending: dict[str, Any] | None = None,
) -> Plan:
    window = database.raw.get("PreferredMaintenanceWindow", "unknown")
    when = "now" if now else f"in the next maintenance window ({window} UTC)"
    if database.multi_az:
        steps = [
            f"modify the standby to {change.target.name}",
            "fail over to the standby (about a minute of dropped connections)",
            f"modify the old primary to {change.target.name}; it becomes the new standby",
        ]
        impact = "a failover of about a minute; the database stays up otherwise."
    else:
        steps = [f"modify {database.identifier} to {change.target.name} in place"]
        impact = (
            "an OUTAGE: a single-AZ instance is unavailable while its class changes "
            "(typically several minutes)."
        )
    if now and pending:
        steps.insert(
            0,
            "also apply the pending modifications now: "
            + ", ".join(f"{key} -> {value!r}" for key, value in pending.items()),
        )
    if now:
        steps.append("wait until the instance is available on the new class")
    return Plan(
        action=f"change {database.identifier} from {change.current.name} to "
        f"{change.target.name} {when}",
        steps=steps,
        impact=impact,
        warnings=[w for w in [warning, _sideways(change)] if w],
        details={
            "from": change.current.name,
            "to": change.target.name,
            "when": "now" if now else "next-maintenance-window",
            "pending_modifications": pending or {},
        },
    )


def _sideways(change: ClassChange) -> str | None:
    if change.capacity is ic.Capacity.LARGER:
        return None
    return (
        f"{change.target.name} is not larger than {change.current.name} ({change.capacity.value})"
    )


def apply_scale(
    rds: Any,
    database: Database,
    change: ClassChange,
    *,
    now: bool,
    timeout_seconds: float,
    timer: Timer,
) -> dict[str, Any]:
    rds.modify_db_instance(
        DBInstanceIdentifier=database.identifier,
        DBInstanceClass=change.target.name,
        ApplyImmediately=now,
    )
    if not now:
        instance = find_instance(rds, database.identifier) or {}
        pending = instance.get("PendingModifiedValues", {}).get("DBInstanceClass")
        if instance.get("DBInstanceClass") == change.target.name:
            return {"state": "applied", "instance_class": change.target.name}
        if pending != change.target.name:
            raise CheckFailedError(
                f"RDS accepted the change but shows no pending class change to "
                f"{change.target.name} (pending: {pending!r})."
            )
        return {"state": "scheduled", "instance_class": instance.get("DBInstanceClass")}

    def judge(seen: dict[str, Any]) -> tuple[bool, str]:
        status = seen.get("DBInstanceStatus", "unknown")
        done = status == "available" and seen.get("DBInstanceClass") == change.target.name
        return done, f"{status}, class {seen.get('DBInstanceClass')}"

    waited = wait_until(
        f"class change of {database.identifier}",
        lambda: find_instance(rds, database.identifier) or {},
        judge,
        timeout_seconds=timeout_seconds,
        timer=timer,
    )
    return {
        "state": "applied",
        "instance_class": waited.latest["DBInstanceClass"],
        "seconds": waited.seconds,
    }
