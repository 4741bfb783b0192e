"""`rds-ha upgrade`: the blue/green deployment's steps once the plan (ops_upgrade) is approved:
the parameter group, the deployment, the wait for the green, its verification, the switchover
and the cleanup of the old blue."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from rds_ha.cli.databases import Database, find_instance
from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError
from rds_ha.cli.ops_upgrade import ParameterGroupChoice, UpgradePlan
from rds_ha.cli.output import utc
from rds_ha.cli.plans import Plan
from rds_ha.cli.tags import source_tags
from rds_ha.cli.waiting import Timer, wait_until

# ModifyDBParameterGroup takes at most 20 parameters per call.
PARAMETERS_PER_CALL = 20
# The switchover is watched more closely than the build: its time is a figure we report.
SWITCHOVER_POLL_SECONDS = 5.0
# Beyond the switchover timeout, how long to wait for RDS to report the outcome (a rollback).
SWITCHOVER_MARGIN_SECONDS = 120
SWITCHED_AT_TAG = "rds-ha:switched-over-at"
_MARKER = {"Key": "rds-ha:created-by", "Value": "rds-ha upgrade"}


def identifier_of(arn: str) -> str:
    """``arn:aws:rds:eu-west-1:111111111111:db:orders-db`` -> ``orders-db``."""
    return arn.rsplit(":", 1)[-1]


# --- the parameter group -----------------------------------------------------------------------


def create_parameter_group(rds: Any, database: Database, group: ParameterGroupChoice) -> int:
    """Create the new family's group with the current group's user values; on a value RDS
    rejects (a parameter the new family dropped), delete the group again and fail."""
    rds.create_db_parameter_group(
        DBParameterGroupName=group.target,
        DBParameterGroupFamily=group.family,
        Description=f"{database.identifier} on {group.family}, copied from {group.current} "
        "by rds-ha upgrade",
        Tags=source_tags(rds, database.arn, extra=[_MARKER]),
    )
    parameters = [
        {
            "ParameterName": p["ParameterName"],
            "ParameterValue": p["ParameterValue"],
            # A static parameter only takes pending-reboot; the green starts with it anyway.
            "ApplyMethod": "pending-reboot" if p.get("ApplyType") == "static" else "immediate",
        }
        for p in group.user_parameters
    ]
    try:
        for start in range(0, len(parameters), PARAMETERS_PER_CALL):
            rds.modify_db_parameter_group(
                DBParameterGroupName=group.target,
                Parameters=parameters[start : start + PARAMETERS_PER_CALL],
            )
    except ClientError as error:
        rds.delete_db_parameter_group(DBParameterGroupName=group.target)
        info = error.response.get("Error", {})
        raise CheckFailedError(
            f"RDS refused a value of {group.current} in the {group.family} family "
            f"({info.get('Code')}: {info.get('Message')}); parameter group {group.target} was "
            "deleted again. Create it yourself and pass --parameter-group. The pre-upgrade "
            "snapshot is kept; nothing else was created."
        ) from None
    return len(parameters)


# --- the deployment ----------------------------------------------------------------------------


def create_deployment(rds: Any, upgrade: UpgradePlan) -> dict[str, Any]:
    database = upgrade.database
    kwargs: dict[str, Any] = {
        "BlueGreenDeploymentName": upgrade.deployment_name,
        "Source": database.arn,
        "TargetEngineVersion": upgrade.version.target,
        "TargetDBParameterGroupName": upgrade.parameter_group.target,
        "Tags": source_tags(rds, database.arn, extra=[_MARKER]),
    }
    if upgrade.instance_class != database.instance_class:
        kwargs["TargetDBInstanceClass"] = upgrade.instance_class
    value: dict[str, Any] = rds.create_blue_green_deployment(**kwargs)["BlueGreenDeployment"]
    return value


def describe_deployment(rds: Any, identifier: str) -> dict[str, Any]:
    value: dict[str, Any] = rds.describe_blue_green_deployments(
        BlueGreenDeploymentIdentifier=identifier
    )["BlueGreenDeployments"][0]
    return value


def _progress(deployment: dict[str, Any]) -> str:
    status = deployment.get("Status", "unknown")
    running = [
        f"{t['Name']} {t['Status']}"
        for t in deployment.get("Tasks", [])
        if t.get("Status") not in ("COMPLETED",)
    ]
    value: str = status + (f" ({', '.join(running)})" if running else "")
    return value


def _cleanup_hint(database: str) -> str:
    return f"`rds-ha upgrade {database} --cleanup` deletes the deployment and its green"


def wait_for_green(
    rds: Any, identifier: str, database: str, *, timeout_seconds: float, timer: Timer
) -> tuple[dict[str, Any], float]:
    def judge(deployment: dict[str, Any]) -> tuple[bool, str]:
        status = deployment.get("Status")
        if status in {"INVALID_CONFIGURATION", "PROVISIONING_FAILED"}:
            raise CheckFailedError(
                f"blue/green deployment {identifier} is {status}: "
                f"{deployment.get('StatusDetails') or 'no details'}. {database} is unchanged and "
                f"still the primary; {_cleanup_hint(database)}."
            )
        return status == "AVAILABLE", _progress(deployment)

    waited = wait_until(
        f"green of {database}",
        lambda: describe_deployment(rds, identifier),
        judge,
        timeout_seconds=timeout_seconds,
        timer=timer,
    )
    return waited.latest, waited.seconds


def green_differences(rds: Any, deployment: dict[str, Any], upgrade: UpgradePlan) -> list[str]:
    """Where the green differs from what the plan promised (empty when it matches)."""
    green = find_instance(rds, deployment["Target"]) or {}
    groups = green.get("DBParameterGroups") or [{}]
    seen = {
        "EngineVersion": green.get("EngineVersion"),
        "DBInstanceClass": green.get("DBInstanceClass"),
        "DBParameterGroupName": groups[0].get("DBParameterGroupName"),
        "MultiAZ": bool(green.get("MultiAZ")),
        "DeletionProtection": bool(green.get("DeletionProtection")),
        "StorageEncrypted": bool(green.get("StorageEncrypted")),
        "KmsKeyId": green.get("KmsKeyId"),
    }
    return [
        f"{key}: planned {wanted!r}, green has {seen[key]!r}"
        for key, wanted in upgrade.expected_green().items()
        if seen[key] != wanted
    ]


def switch_over(
    rds: Any, identifier: str, database: str, *, timeout_seconds: int, timer: Timer
) -> tuple[dict[str, Any], float]:
    """Switch over and wait for the outcome; return the deployment and the seconds from the
    request to SWITCHOVER_COMPLETED (accurate to one poll, at most SWITCHOVER_POLL_SECONDS)."""
    rds.switchover_blue_green_deployment(
        BlueGreenDeploymentIdentifier=identifier, SwitchoverTimeout=timeout_seconds
    )

    def judge(deployment: dict[str, Any]) -> tuple[bool, str]:
        status = deployment.get("Status")
        if status == "SWITCHOVER_FAILED":
            raise CheckFailedError(
                f"the switchover of {identifier} failed: "
                f"{deployment.get('StatusDetails') or 'no details'}. RDS rolls a failed "
                f"switchover back, so {database} is still the old version and the primary; "
                f"check it, then retry with `aws rds switchover-blue-green-deployment` or "
                f"{_cleanup_hint(database)}."
            )
        return status == "SWITCHOVER_COMPLETED", _progress(deployment)

    poll = min(timer.poll_seconds, SWITCHOVER_POLL_SECONDS)
    close = dataclasses.replace(timer, poll_seconds=poll)
    waited = wait_until(
        f"switchover of {database}",
        lambda: describe_deployment(rds, identifier),
        judge,
        timeout_seconds=timeout_seconds + SWITCHOVER_MARGIN_SECONDS,
        timer=close,
    )
    return waited.latest, waited.seconds


def after_switchover(
    rds: Any, upgrade: UpgradePlan, deployment: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Re-assert deletion protection on the new primary (when the old one had it) and mark the
    old instance with the switchover time, which --cleanup reads."""
    database = upgrade.database.identifier
    reasserted = False
    if upgrade.database.raw.get("DeletionProtection"):
        rds.modify_db_instance(
            DBInstanceIdentifier=database, DeletionProtection=True, ApplyImmediately=True
        )
        reasserted = True
    old = deployment.get("Source", "")
    if old and identifier_of(old) != database:
        rds.add_tags_to_resource(
            ResourceName=old,
            Tags=[{"Key": SWITCHED_AT_TAG, "Value": utc(now)}],
        )
    primary = find_instance(rds, database) or {}
    return {
        "old_instance": identifier_of(old) if old else None,
        "deletion_protection_reasserted": reasserted,
        "engine_version": primary.get("EngineVersion"),
        "instance_class": primary.get("DBInstanceClass"),
    }


# --- cleanup -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Cleanup:
    deployment: dict[str, Any]
    switched_over: bool
    old_instance: str | None  # the old blue, renamed -old1, after a switchover
    final_snapshot_id: str | None


def find_cleanup(rds: Any, database: Database, deployments: list[dict[str, Any]]) -> Cleanup:
    if not deployments:
        raise UnsafeOperationError(
            f"{database.identifier} has no blue/green deployment to clean up. Nothing was changed."
        )
    if len(deployments) > 1:
        names = ", ".join(d["BlueGreenDeploymentIdentifier"] for d in deployments)
        raise UnsafeOperationError(
            f"{database.identifier} has {len(deployments)} blue/green deployments ({names}); "
            "delete the extra ones with `aws rds delete-blue-green-deployment`. "
            "Nothing was changed."
        )
    deployment = deployments[0]
    if deployment.get("Status") == "SWITCHOVER_IN_PROGRESS":
        raise UnsafeOperationError(
            f"deployment {deployment['BlueGreenDeploymentIdentifier']} is switching over; "
            "wait for it to finish. Nothing was changed."
        )
    if deployment.get("Status") != "SWITCHOVER_COMPLETED":
        return Cleanup(deployment, False, None, None)
    old = identifier_of(deployment["Source"])
    stamp = f"{datetime.now(UTC):%Y%m%d-%H%M%S}"
    return Cleanup(deployment, True, old, f"{old}-final-{stamp}")


def check_keep_period(rds: Any, cleanup: Cleanup, keep_hours: float, now: datetime) -> str | None:
    """Refuse to delete the old instance before ``keep_hours`` after the switchover; return a
    warning when the switchover time is unknown (it was not done by rds-ha upgrade)."""
    if not cleanup.switched_over or cleanup.old_instance is None:
        return None
    tags = rds.list_tags_for_resource(ResourceName=cleanup.deployment["Source"]).get("TagList", [])
    stamp = next((t["Value"] for t in tags if t["Key"] == SWITCHED_AT_TAG), None)
    if stamp is None:
        return (
            f"{cleanup.old_instance} has no {SWITCHED_AT_TAG} tag, so the time since the "
            "switchover is unknown."
        )
    switched = datetime.fromisoformat(stamp)
    if now - switched < timedelta(hours=keep_hours):
        left = switched + timedelta(hours=keep_hours) - now
        raise UnsafeOperationError(
            f"{cleanup.old_instance} is the fallback of a switchover at {stamp}; it is kept "
            f"{keep_hours:g} h (another {left.total_seconds() / 3600:.1f} h). Pass --keep-hours "
            "with a smaller number to remove it sooner. Nothing was changed."
        )
    return None


def plan_cleanup(database: Database, cleanup: Cleanup, warning: str | None) -> Plan:
    deployment_id = cleanup.deployment["BlueGreenDeploymentIdentifier"]
    if cleanup.switched_over:
        steps = [
            f"delete blue/green deployment {deployment_id} (DeleteTarget false: RDS keeps both "
            "instances)",
            f"turn off deletion protection on {cleanup.old_instance} if it is on",
            f"delete {cleanup.old_instance} with final snapshot {cleanup.final_snapshot_id}",
            f"wait until {cleanup.old_instance} is gone",
        ]
        impact = (
            f"none for {database.identifier}; the fallback {cleanup.old_instance} is gone "
            "(its final snapshot stays)."
        )
    else:
        green = identifier_of(cleanup.deployment.get("Target", "")) or "the green"
        steps = [
            f"delete blue/green deployment {deployment_id} ({cleanup.deployment.get('Status')}) "
            f"and its green {green} (DeleteTarget true; its deletion protection turned off "
            "first: it never served)",
        ]
        impact = f"none: {database.identifier} was not switched over and stays as it is."
    return Plan(
        action=f"clean up the blue/green deployment of {database.identifier}",
        steps=steps,
        impact=impact,
        warnings=[warning] if warning else [],
        details={"deployment": deployment_id, "old_instance": cleanup.old_instance},
    )


def run_cleanup(rds: Any, cleanup: Cleanup, *, timeout_seconds: float, timer: Timer) -> None:
    deployment_id = cleanup.deployment["BlueGreenDeploymentIdentifier"]
    if not cleanup.switched_over:
        # The green copied the blue's deletion protection; it never served, so it may go.
        green = find_instance(rds, cleanup.deployment.get("Target", ""))
        if green and green.get("DeletionProtection"):
            rds.modify_db_instance(
                DBInstanceIdentifier=green["DBInstanceIdentifier"],
                DeletionProtection=False,
                ApplyImmediately=True,
            )
        rds.delete_blue_green_deployment(
            BlueGreenDeploymentIdentifier=deployment_id, DeleteTarget=True
        )
        return
    rds.delete_blue_green_deployment(
        BlueGreenDeploymentIdentifier=deployment_id, DeleteTarget=False
    )
    old = cleanup.old_instance
    assert old is not None and cleanup.final_snapshot_id is not None
    instance = find_instance(rds, old)
    if instance is None:
        return
    if instance.get("DeletionProtection"):
        rds.modify_db_instance(
            DBInstanceIdentifier=old, DeletionProtection=False, ApplyImmediately=True
        )
    rds.delete_db_instance(
        DBInstanceIdentifier=old,
        SkipFinalSnapshot=False,
        FinalDBSnapshotIdentifier=cleanup.final_snapshot_id,
    )

    def judge(seen: dict[str, Any] | None) -> tuple[bool, str]:
        return seen is None, "deleted" if seen is None else seen.get("DBInstanceStatus", "?")

    wait_until(
        f"deletion of {old}",
        lambda: find_instance(rds, old),
        judge,
        timeout_seconds=timeout_seconds,
        timer=timer,
    )
