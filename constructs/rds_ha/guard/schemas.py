"""What the guard knows about resource types: which ones hold data, and what CloudFormation
does when their properties change. Create-only properties come from the CloudFormation resource
provider schemas that cfn-lint ships, so they follow AWS rather than a hand-kept list."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

# Resources whose replacement or deletion loses data or access to it (the key that encrypts a
# database or its backups, the secret holding its credentials, the backups themselves).
# DBSubnetGroup and DBParameterGroup are deliberately not here: losing one loses no data. What
# matters is that replacing one can replace the database that references it, and the comparison
# catches exactly that by following Ref/Fn::GetAtt from the database's create-only properties.
STATEFUL_TYPES: frozenset[str] = frozenset(
    {
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBCluster",
        "AWS::KMS::Key",
        "AWS::SecretsManager::Secret",
        "AWS::Backup::BackupVault",
        "AWS::Backup::BackupPlan",
        "AWS::S3::Bucket",
        "AWS::Logs::LogGroup",
    }
)

# Create-only properties hardly differ between regions; one region keeps results reproducible.
SCHEMA_REGION = "us-east-1"

DELETE = "Delete"
SNAPSHOT = "Snapshot"
RETAIN = "Retain"
RETAIN_EXCEPT_ON_CREATE = "RetainExceptOnCreate"

# How much each policy keeps: a move to a lower rank is a weakening.
POLICY_RANK: dict[str, int] = {DELETE: 0, SNAPSHOT: 1, RETAIN: 2, RETAIN_EXCEPT_ON_CREATE: 2}


# A change (old value, new value) of a conditional create-only property that replaces the resource.
Replaces = Callable[[Any, Any], bool]


def _always(_old: Any, _new: Any) -> bool:
    return True


def _instance_engine_replaces(old: Any, new: Any) -> bool:
    """ModifyDBInstance changes the engine of a DB instance in one case only: an Oracle non-CDB
    to a CDB, oracle-ee -> oracle-ee-cdb or oracle-se2 -> oracle-se2-cdb (API reference,
    ModifyDBInstance, parameter Engine). Any other engine needs a new instance."""
    return not (old in ("oracle-ee", "oracle-se2") and new == f"{old}-cdb")


# conditionalCreateOnlyProperties lists properties that replace the resource only in some
# cases; most of them are updated in place on a standalone DB instance (MultiAZ,
# PreferredMaintenanceWindow, AutoMinorVersionUpgrade, BackupRetentionPeriod,
# DBParameterGroupName, PerformanceInsightsKMSKeyId: "Update requires: No interruption" or "Some
# interruptions" in the CloudFormation AWS::RDS::DBInstance reference). So conditional
# properties count as in-place, except these, which the Modify API of the type cannot set:
# AvailabilityZone "Update requires: Replacement" in the AWS::RDS::DBInstance reference; the
# restore and replica sources create a new instance when they change (same reference,
# DBSnapshotIdentifier and SourceDBInstanceIdentifier); ModifyDBCluster has no parameter for a
# cluster's AvailabilityZones, Engine, GlobalClusterIdentifier or MasterUsername.
CONDITIONAL_REPLACEMENTS: Mapping[str, Mapping[str, Replaces]] = {
    "AWS::RDS::DBInstance": {
        "/properties/AvailabilityZone": _always,
        "/properties/Engine": _instance_engine_replaces,
        "/properties/DBSnapshotIdentifier": _always,
        "/properties/DBClusterSnapshotIdentifier": _always,
        "/properties/SourceDBInstanceIdentifier": _always,
        "/properties/SourceDBClusterIdentifier": _always,
        "/properties/SourceDbiResourceId": _always,
        "/properties/SourceDBInstanceAutomatedBackupsArn": _always,
        "/properties/RestoreTime": _always,
        "/properties/UseLatestRestorableTime": _always,
    },
    "AWS::RDS::DBCluster": {
        "/properties/AvailabilityZones": _always,
        "/properties/Engine": _always,
        "/properties/GlobalClusterIdentifier": _always,
        "/properties/MasterUsername": _always,
    },
}

# Automated backups (and with them point-in-time restore) stop when the retention becomes 0;
# CloudFormation's default for a DB instance is 1 day.
BACKUP_RETENTION = "/properties/BackupRetentionPeriod"
BACKUP_TYPES = frozenset({"AWS::RDS::DBInstance", "AWS::RDS::DBCluster"})
DEFAULT_BACKUP_RETENTION_DAYS = 1


@dataclass(frozen=True)
class ReplacementRules:
    """JSON pointers (``/properties/A/B``) from a type's provider schema.

    ``create_only``: changing one always replaces the resource.
    ``conditional``: conditional create-only properties that CloudFormation documents as
    replacing the resource, each with the test of the changes that do (see
    CONDITIONAL_REPLACEMENTS); the schema's other conditional properties are updated in place.
    """

    create_only: tuple[str, ...]
    conditional: tuple[tuple[str, Replaces], ...]
    deletion_protection: tuple[str, ...]


@cache
def replacement_rules(resource_type: str) -> ReplacementRules | None:
    """The type's replacement rules, or None when cfn-lint has no schema for it."""
    # Imported here: loading cfn-lint takes longer than the rest of the CLI's startup.
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # noqa: PLC0415
    from cfnlint.schema._exceptions import ResourceNotFoundError  # noqa: PLC0415

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, resource_type).schema
    except ResourceNotFoundError:
        return None
    properties = schema.get("properties", {})
    protection = tuple(
        f"/properties/{name}"
        for name, spec in sorted(properties.items())
        if name.startswith("DeletionProtection") and spec.get("type") == "boolean"
    )
    return ReplacementRules(
        create_only=tuple(schema.get("createOnlyProperties", ())),
        conditional=tuple(
            (pointer, replaces)
            for pointer in schema.get("conditionalCreateOnlyProperties", ())
            if (replaces := CONDITIONAL_REPLACEMENTS.get(resource_type, {}).get(pointer))
        ),
        deletion_protection=protection,
    )


def is_stateful(resource_type: str) -> bool:
    return resource_type in STATEFUL_TYPES


def default_deletion_policy(resource_type: str, properties: dict[str, Any]) -> str:
    """What CloudFormation does on delete when a resource has no DeletionPolicy.

    From the DeletionPolicy attribute reference
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html):
    "The default policy is Snapshot for AWS::RDS::DBCluster resources and for
    AWS::RDS::DBInstance resources that don't specify the DBClusterIdentifier property";
    every other resource is deleted.
    """
    if resource_type == "AWS::RDS::DBCluster":
        return SNAPSHOT
    if resource_type == "AWS::RDS::DBInstance" and "DBClusterIdentifier" not in properties:
        return SNAPSHOT
    return DELETE


def default_update_replace_policy(resource_type: str, properties: dict[str, Any]) -> str:
    """UpdateReplacePolicy has no exceptions: without it the replaced resource is deleted
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-updatereplacepolicy.html)."""
    del resource_type, properties
    return DELETE
