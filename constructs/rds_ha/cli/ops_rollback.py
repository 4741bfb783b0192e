"""Recovering a stack whose first create failed and whose rollback is blocked (ROLLBACK_FAILED).

A database is created with deletion protection on. When a later resource of the same first
create fails, CloudFormation rolls back by deleting what it created, RDS refuses to delete the
protected database, and the stack ends in ROLLBACK_FAILED; the only way on is to delete the stack
("ROLLBACK_FAILED: ... Delete the stack", CloudFormation user guide, "Stack status codes").
Deleting it keeps the resources whose DeletionPolicy is Retain or RetainExceptOnCreate
(RetainExceptOnCreate deletes only during the rollback of the create itself; a stack deletion
retains), and those with fixed names (the database identifier, the log groups) then block the
next deploy with "already exists".

This runbook finishes that rollback by hand, and only for what the failed create itself made:
each resource is checked to carry the failed stack's id (CloudFormation tags what it creates with
``aws:cloudformation:stack-id``) or to be no older than the stack, so nothing that existed before
the deploy, or belongs to another stack, is touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rds_ha.cli.errors import CheckFailedError, UnsafeOperationError
from rds_ha.cli.plans import Plan

BLOCKED_STATUS = "ROLLBACK_FAILED"
DATABASE_TYPES = {"AWS::RDS::DBInstance", "AWS::RDS::DBCluster"}
# Fixed-name resources that a stack deletion keeps (Retain / RetainExceptOnCreate) and that this
# runbook removes afterwards when the failed create made them.
LOG_GROUP_TYPE = "AWS::Logs::LogGroup"
RETAINED_ON_DELETE = {"Retain", "RetainExceptOnCreate"}
STACK_ID_TAG = "aws:cloudformation:stack-id"
FINAL_SNAPSHOT_SUFFIX = "-failed-create"


@dataclass
class BlockedDatabase:
    logical_id: str
    kind: str  # "instance" or "cluster"
    identifier: str
    created: datetime | None
    deletion_protection: bool

    @property
    def final_snapshot(self) -> str:
        return f"{self.identifier}{FINAL_SNAPSHOT_SUFFIX}"[:255]


@dataclass
class Recovery:
    stack_name: str
    stack_id: str
    stack_created: datetime
    databases: list[BlockedDatabase]
    log_groups: list[str] = field(default_factory=list)

    def plan(self) -> Plan:
        steps = []
        for db in self.databases:
            if db.deletion_protection:
                steps.append(f"turn off deletion protection of DB {db.kind} {db.identifier}")
            steps.append(
                f"delete DB {db.kind} {db.identifier} (created {_utc(db.created)} by the failed "
                f"create) with a final snapshot {db.final_snapshot}, and wait"
            )
        steps.append(f"delete stack {self.stack_name} and wait (finishes the rollback)")
        steps += [
            f"delete log group {name} (created by the failed create; a stack deletion keeps it)"
            for name in self.log_groups
        ]
        return Plan(
            action=f"finish the failed first create of {self.stack_name}",
            steps=steps,
            impact="deletes databases that the failed create made and that never served a "
            "completed deployment; anything written to them since is kept only in the final "
            "snapshot. Keys and buckets with generated names are left as the stack's retain "
            "policy says. Then `cdk deploy` can be run again.",
            details={
                "stack": self.stack_name,
                "stack_id": self.stack_id,
                "databases": [db.identifier for db in self.databases],
                "log_groups": self.log_groups,
            },
        )


def _utc(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else "at an unknown time"


def inspect(cloudformation: Any, rds: Any, stack_name: str) -> Recovery:
    """What the recovery would do; refuses (UnsafeOperationError) anything but a stack whose
    first create failed and whose rollback is blocked by databases that create made."""
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    status = stack["StackStatus"]
    if status != BLOCKED_STATUS:
        hint = {
            "UPDATE_ROLLBACK_FAILED": " For a failed update use `aws cloudformation "
            "continue-update-rollback`, which keeps the database.",
            "ROLLBACK_COMPLETE": " The rollback finished; delete the empty stack with `aws "
            "cloudformation delete-stack` and deploy again.",
        }.get(status, "")
        raise UnsafeOperationError(
            f"stack {stack_name!r} is {status}; this command only finishes a first create whose "
            f"rollback failed ({BLOCKED_STATUS}).{hint} Nothing was changed."
        )
    stack_id, stack_created = stack["StackId"], stack["CreationTime"]
    resources = _stack_resources(cloudformation, stack_name)
    blocked = [
        r
        for r in resources
        if r["ResourceType"] in DATABASE_TYPES
        and r["ResourceStatus"] == "DELETE_FAILED"
        and r.get("PhysicalResourceId")
    ]
    if not blocked:
        raise UnsafeOperationError(
            f"no database blocks the rollback of {stack_name!r}; read the stack events (`aws "
            f"cloudformation describe-stack-events --stack-name {stack_name}`) for what does. "
            "Nothing was changed."
        )
    databases = [_made_by_stack(rds, r, stack_id, stack_created) for r in blocked]
    template = cloudformation.get_template(StackName=stack_name, TemplateStage="Original")
    body = template["TemplateBody"]
    definitions = body.get("Resources", {}) if isinstance(body, dict) else {}
    log_groups = [
        r["PhysicalResourceId"]
        for r in resources
        if r["ResourceType"] == LOG_GROUP_TYPE
        and r.get("PhysicalResourceId")
        and r["ResourceStatus"] not in {"DELETE_COMPLETE", "DELETE_SKIPPED"}
        # CloudFormation cannot adopt an existing log group on create (the name is taken), so
        # one listed in a stack that never completed was made by that create.
        and definitions.get(r["LogicalResourceId"], {}).get("DeletionPolicy") in RETAINED_ON_DELETE
    ]
    return Recovery(stack_name, stack_id, stack_created, databases, log_groups)


def _stack_resources(cloudformation: Any, stack_name: str) -> list[dict[str, Any]]:
    paginator = cloudformation.get_paginator("list_stack_resources")
    return [
        summary
        for page in paginator.paginate(StackName=stack_name)
        for summary in page["StackResourceSummaries"]
    ]


def _made_by_stack(
    rds: Any, resource: dict[str, Any], stack_id: str, stack_created: datetime
) -> BlockedDatabase:
    identifier = resource["PhysicalResourceId"]
    if resource["ResourceType"] == "AWS::RDS::DBCluster":
        (db,) = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"]
        kind, created, tags = "cluster", db.get("ClusterCreateTime"), db.get("TagList", [])
    else:
        (db,) = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
        kind, created, tags = "instance", db.get("InstanceCreateTime"), db.get("TagList", [])
    owner = {t["Key"]: t["Value"] for t in tags}.get(STACK_ID_TAG)
    if owner != stack_id:
        raise UnsafeOperationError(
            f"DB {kind} {identifier} is not tagged {STACK_ID_TAG}={stack_id} (found "
            f"{owner!r}): it was not created by this stack's failed create, so it is left alone. "
            "Nothing was changed."
        )
    if created is not None and created < stack_created:
        raise UnsafeOperationError(
            f"DB {kind} {identifier} was created {_utc(created)}, before stack "
            f"{stack_id} ({_utc(stack_created)}): it is left alone. Nothing was changed."
        )
    return BlockedDatabase(
        logical_id=resource["LogicalResourceId"],
        kind=kind,
        identifier=identifier,
        created=created,
        deletion_protection=bool(db.get("DeletionProtection")),
    )


def delete_database(rds: Any, db: BlockedDatabase) -> None:
    if db.kind == "cluster":
        if db.deletion_protection:
            rds.modify_db_cluster(
                DBClusterIdentifier=db.identifier, DeletionProtection=False, ApplyImmediately=True
            )
        rds.delete_db_cluster(
            DBClusterIdentifier=db.identifier,
            SkipFinalSnapshot=False,
            FinalDBSnapshotIdentifier=db.final_snapshot,
        )
        return
    if db.deletion_protection:
        rds.modify_db_instance(
            DBInstanceIdentifier=db.identifier, DeletionProtection=False, ApplyImmediately=True
        )
    rds.delete_db_instance(
        DBInstanceIdentifier=db.identifier,
        SkipFinalSnapshot=False,
        FinalDBSnapshotIdentifier=db.final_snapshot,
    )


def database_gone(rds: Any, db: BlockedDatabase) -> tuple[bool, str]:
    try:
        if db.kind == "cluster":
            (found,) = rds.describe_db_clusters(DBClusterIdentifier=db.identifier)["DBClusters"]
            return False, found.get("Status", "unknown")
        (found,) = rds.describe_db_instances(DBInstanceIdentifier=db.identifier)["DBInstances"]
        return False, found.get("DBInstanceStatus", "unknown")
    except rds.exceptions.DBInstanceNotFoundFault:
        return True, "deleted"
    except rds.exceptions.DBClusterNotFoundFault:
        return True, "deleted"


def stack_gone(cloudformation: Any, stack_id: str) -> tuple[bool, str]:
    # By id: a deleted stack stays describable by its id, with DELETE_COMPLETE.
    (stack,) = cloudformation.describe_stacks(StackName=stack_id)["Stacks"]
    status = stack["StackStatus"]
    if status == "DELETE_FAILED":
        raise CheckFailedError(
            f"the deletion of stack {stack_id} failed: {stack.get('StackStatusReason', '')}. "
            "Read its events before trying again."
        )
    return status == "DELETE_COMPLETE", status
