"""What the guard knows about resource types: which ones hold data, and what CloudFormation
does when their properties change. Create-only properties come from the CloudFormation resource
provider schemas that cfn-lint ships, so they follow AWS rather than a hand-kept list."""

from __future__ import annotations

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


@dataclass(frozen=True)
class ReplacementRules:
    """JSON pointers (``/properties/A/B``) from a type's provider schema.

    ``create_only``: changing one always replaces the resource.
    ``conditional``: CloudFormation replaces the resource when the change cannot be made in place
    (``conditionalCreateOnlyProperties``, e.g. ``Engine`` on ``AWS::RDS::DBInstance``).
    """

    create_only: tuple[str, ...]
    conditional: tuple[str, ...]
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
        conditional=tuple(schema.get("conditionalCreateOnlyProperties", ())),
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
