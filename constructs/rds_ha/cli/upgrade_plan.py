"""`rds-ha upgrade`: the names of what the upgrade creates and the plan it shows before it
creates anything (the checks are in ops_upgrade)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from rds_ha.cli.databases import Database
from rds_ha.cli.ops_upgrade import MIN_FREE_STORAGE_PERCENT, UpgradePlan
from rds_ha.cli.plans import Plan


def names_for(database: Database, target: str, now: datetime) -> tuple[str, str]:
    """The manual snapshot taken first and the deployment's name (60 characters at most)."""
    stamp = f"{now.astimezone(UTC):%Y%m%d-%H%M%S}"
    version = re.sub(r"[^a-z0-9]+", "-", target.lower()).strip("-")
    snapshot = f"{database.identifier}-pre-upgrade-{version}-{stamp}"[:255]
    suffix = f"-to-{version}-{stamp}"
    deployment = f"{database.identifier[: 60 - len(suffix)].rstrip('-')}{suffix}"
    return snapshot, deployment


# --- the plan ----------------------------------------------------------------------------------


def render_plan(upgrade: UpgradePlan) -> Plan:
    db, version, group = upgrade.database, upgrade.version, upgrade.parameter_group
    kind = "major" if version.major else "minor"
    steps = [f"take manual snapshot {upgrade.snapshot_id} and wait until it is available"]
    if group.create:
        steps.append(
            f"create parameter group {group.target} ({group.family}) with the "
            f"{len(group.user_parameters)} non-default value(s) of {group.current}"
        )
    class_note = (
        f", class {upgrade.instance_class}" if upgrade.instance_class != db.instance_class else ""
    )
    steps += [
        f"create blue/green deployment {upgrade.deployment_name}: a green copy of "
        f"{db.identifier} on {version.engine} {version.target}, parameter group "
        f"{group.target}{class_note}, kept in sync by replication",
        "wait until the green is AVAILABLE (copying and upgrading: minutes to hours)",
        "verify the green: engine version, class, parameter group, Multi-AZ, deletion "
        "protection, encryption",
        f"switch over (timeout {upgrade.switchover_timeout_seconds} s; RDS rolls back a "
        "switchover that runs over it): the green takes the name and endpoint "
        f"{db.identifier}, the old instance becomes {db.identifier}-old1",
        "re-assert deletion protection on the new primary"
        if db.raw.get("DeletionProtection")
        else "report the switchover time",
        f"keep {db.identifier}-old1 (read-only) as a fallback: this command does not delete it",
    ]
    warnings = list(upgrade.warnings)
    if upgrade.free_storage["ok"] is None:
        warnings.append(
            "CloudWatch has no FreeStorageSpace datapoint for the last hour, so free storage "
            f"(at least {MIN_FREE_STORAGE_PERCENT} % needed) was not checked."
        )
    return Plan(
        action=f"{kind} upgrade of {db.identifier} from {version.engine} {version.current} to "
        f"{version.target} with a blue/green deployment",
        steps=steps,
        impact="none while the green is built; at the switchover writes are blocked and "
        "connections dropped on both environments, typically under a minute (RDS's figure), "
        "then clients reconnect to the same endpoint. Until then the green costs as much as "
        "the database.",
        warnings=warnings,
        details={
            "engine": version.engine,
            "from_version": version.current,
            "to_version": version.target,
            "major": version.major,
            "parameter_group": group.target,
            "parameter_group_created": group.create,
            "instance_class": upgrade.instance_class,
            "switchover_timeout_seconds": upgrade.switchover_timeout_seconds,
            "free_storage": upgrade.free_storage,
            "snapshot_id": upgrade.snapshot_id,
            "deployment_name": upgrade.deployment_name,
        },
    )
