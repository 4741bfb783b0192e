"""`rds-ha maintenance`: list pending maintenance actions and apply them."""

from __future__ import annotations

from typing import Any

from rds_ha.cli.databases import CLUSTER, INSTANCE, Database, find_cluster, find_instance
from rds_ha.cli.ops_doctor import pending_actions
from rds_ha.cli.plans import Plan
from rds_ha.cli.waiting import Timer, wait_until


def describe_actions(rds: Any, database: Database) -> list[dict[str, Any]]:
    return [
        {
            "action": a.get("Action"),
            "description": a.get("Description", ""),
            "opt_in_status": a.get("OptInStatus", "none"),
            "auto_applied_after": a.get("AutoAppliedAfterDate"),
            "forced_apply_date": a.get("ForcedApplyDate"),
            "current_apply_date": a.get("CurrentApplyDate"),
        }
        for a in pending_actions(rds, database.arn)
    ]


def _impact(action: str, database: Database) -> str:
    if database.kind == CLUSTER:
        # A Multi-AZ DB cluster is patched rolling: the readers first, then a writer failover.
        return (
            f"{action}: rolling, the readers first, then a short failover to an updated reader, "
            "then the old writer"
        )
    multi_az = database.multi_az
    if action == "db-upgrade":
        # RDS upgrades primary and standby together for engine upgrades: Multi-AZ does not help.
        return f"{action}: an outage while the engine is upgraded, Multi-AZ or not"
    if multi_az:
        return f"{action}: standby first, then a failover of about a minute, then the old primary"
    return f"{action}: an outage while the single-AZ instance is patched and restarted"


def plan_maintenance(database: Database, actions: list[dict[str, Any]], opt_in: str) -> Plan:
    when = "now" if opt_in == "immediate" else "in the next maintenance window"
    window = database.raw.get("PreferredMaintenanceWindow", "unknown")
    return Plan(
        action=f"apply {len(actions)} pending maintenance action(s) to {database.identifier} "
        f"{when}" + ("" if opt_in == "immediate" else f" ({window} UTC)"),
        steps=[f"apply {a['action']} ({opt_in})" for a in actions]
        + (
            ["wait until no applied action is pending and the database is available"]
            if opt_in == "immediate"
            else []
        ),
        impact="; ".join(_impact(a["action"], database) for a in actions),
        details={"opt_in_type": opt_in},
    )


def apply_actions(
    rds: Any,
    database: Database,
    actions: list[dict[str, Any]],
    opt_in: str,
    *,
    timeout_seconds: float,
    timer: Timer,
) -> float | None:
    for action in actions:
        rds.apply_pending_maintenance_action(
            ResourceIdentifier=database.arn, ApplyAction=action["action"], OptInType=opt_in
        )
    if opt_in != "immediate":
        return None
    applied = {a["action"] for a in actions}

    def refresh() -> tuple[set[str], str]:
        remaining = {a["Action"] for a in pending_actions(rds, database.arn)} & applied
        described = (
            find_instance(rds, database.identifier)
            if database.kind == INSTANCE
            else find_cluster(rds, database.identifier)
        ) or {}
        return remaining, Database(database.kind, described).status

    def judge(state: tuple[set[str], str]) -> tuple[bool, str]:
        remaining, status = state
        if remaining:
            return False, f"{status}, pending: {', '.join(sorted(remaining))}"
        return status == "available", status

    return wait_until(
        f"maintenance of {database.identifier}",
        refresh,
        judge,
        timeout_seconds=timeout_seconds,
        timer=timer,
    ).seconds
