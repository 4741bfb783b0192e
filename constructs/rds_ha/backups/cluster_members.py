"""What AWS Backup and the compliance packs need to know about an Aurora cluster: AWS Backup
protects it as a whole (resource type ``Aurora``); its DB instances hold no data of their own."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_rds as rds

from rds_ha.catalog.aurora import AuroraEngine
from rds_ha.database.i_highly_available_database import IHighlyAvailableDatabase

# AWS Backup Developer Guide, "Feature availability by resource": Aurora is its own resource
# type, backed up (snapshots and continuous backups) at the DB cluster level.
AURORA_BACKUP_PAGE = (
    "https://docs.aws.amazon.com/aws-backup/latest/devguide/backup-feature-availability.html"
)


def protected_resource_type(database: IHighlyAvailableDatabase) -> str:
    """``Aurora`` for an Aurora cluster, ``RDS`` for a DB instance or Multi-AZ DB cluster."""
    return "Aurora" if isinstance(database.engine, AuroraEngine) else "RDS"


def acknowledge_cluster_instances(database: IHighlyAvailableDatabase) -> None:
    """cdk-nag's RDSInBackupPlan (HIPAA, NIST 800-53 R5) looks for every ``CfnDBInstance`` in a
    backup selection; an Aurora cluster's instances are not backed up one by one (AWS Backup
    snapshots the cluster volume, whose ARN the selection holds), so their finding is
    acknowledged with that reason, once the cluster is in this plan."""
    if not isinstance(database.engine, AuroraEngine) or database.resource is None:
        return
    for child in database.resource.node.find_all():
        if isinstance(child, rds.CfnDBInstance):
            Validations.of(child).acknowledge(
                *(
                    Acknowledgment(
                        id=f"{pack}::{pack}-RDSInBackupPlan",
                        reason=f"An Aurora DB instance of {database.identifier}: AWS Backup "
                        "protects Aurora at the DB cluster level, and the cluster's ARN is in "
                        f"this stack's backup selection ({AURORA_BACKUP_PAGE}).",
                    )
                    for pack in ("HIPAA.Security", "NIST.800.53.R5")
                )
            )
