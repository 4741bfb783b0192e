"""The rules of read replicas and automated backup replication: problems as lines naming the
field, the value and what is allowed. No aws_cdk."""

from __future__ import annotations

import re

from rds_ha.catalog import instance_classes
from rds_ha.catalog.aws_rules import cite
from rds_ha.catalog.engines import Deployment
from rds_ha.catalog.instance_classes import Capacity

# "Working with DB instance read replicas" (RDS user guide): up to 15 read replicas per source
# DB instance for RDS for MySQL, MariaDB and PostgreSQL.
MAX_READ_REPLICAS = 15
# AWS::RDS::DBInstance AutomaticBackupReplicationRetentionPeriod: minimum 1, maximum 35.
MAX_REPLICATED_RETENTION_DAYS = 35
MAX_IDENTIFIER_LENGTH = 63
REPLICA_COUNT = 0


def replica_identifier(source_identifier: str, number: int) -> str:
    """``<source>-reader-<n>``, counted from 1."""
    return f"{source_identifier}-reader-{number}"


def replica_problems(
    *,
    count: int,
    instance_class: str | None,
    deployment: Deployment | None,
    source_identifier: str,
    prefix: str = "",
) -> list[str]:
    problems: list[str] = []
    if not isinstance(count, int) or not 0 <= count <= MAX_READ_REPLICAS:
        problems.append(
            cite(
                "replica.max-per-source",
                f"{prefix}count={count!r}: must be 0-{MAX_READ_REPLICAS} (RDS's read replicas "
                "per source DB instance)",
            )
        )
        return problems
    if deployment is Deployment.MULTI_AZ_CLUSTER and count:
        problems.append(
            f"{prefix}count={count}: a Multi-AZ DB cluster's two readable standbys are behind its "
            "reader endpoint (published as reader-endpoint); allowed: 0"
        )
    if instance_class is not None and instance_classes.lookup(instance_class) is None:
        problems.append(
            f"{prefix}instance_class={instance_class!r}: not in the rds-ha instance-class catalog"
        )
    if count:
        longest = replica_identifier(source_identifier, count)
        if len(longest) > MAX_IDENTIFIER_LENGTH:
            problems.append(
                f"{prefix}count={count}: the replica identifier {longest!r} is longer than "
                f"{MAX_IDENTIFIER_LENGTH} characters; shorten the database identifier"
            )
    return problems


def capacity_against_primary(replica_class: str, primary_class: str | None) -> Capacity | None:
    """How the replica's class compares with the primary's; none when either is unknown (an
    imported primary may have no class)."""
    replica = instance_classes.lookup(replica_class)
    primary = instance_classes.lookup(primary_class) if primary_class is not None else None
    if replica is None or primary is None:
        return None
    return replica.compare(primary)


def backup_replication_problems(
    *,
    replicate: bool,
    dr_region: str | None,
    deployment: Deployment | None,
    retention_days: int | None,
    prefix: str = "",
) -> list[str]:
    if not replicate:
        if retention_days is not None:
            return [
                f"{prefix}automated_backup_replication_retention_days={retention_days}: only "
                "with replicate_automated_backups = true"
            ]
        return []
    problems = []
    if not dr_region:
        problems.append(
            f"{prefix}replicate_automated_backups=true: needs dr_region (the region the "
            "automated backups are replicated to)"
        )
    if deployment is Deployment.MULTI_AZ_CLUSTER:
        problems.append(
            cite(
                "backup-replication.no-multi-az-cluster",
                f"{prefix}replicate_automated_backups=true: rds-ha replicates a DB instance's "
                "automated backups (AWS::RDS::DBInstance AutomaticBackupReplicationRegion); "
                "allowed with deployment 'multi-az-instance' or 'single-az'",
            )
        )
    if retention_days is not None and not 1 <= retention_days <= MAX_REPLICATED_RETENTION_DAYS:
        problems.append(
            cite(
                "backup-replication.retention",
                f"{prefix}automated_backup_replication_retention_days={retention_days}: must be "
                f"1-{MAX_REPLICATED_RETENTION_DAYS}",
            )
        )
    return problems


# Engines with cross-region read replicas of a DB instance, all versions, in all Regions:
# "Supported Regions and DB engines for cross-Region read replicas in Amazon RDS"
# (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.RDS_Fea_Regions_DB-eng.Feature.CrossRegionReadReplicas.html)
# lists RDS for MariaDB, MySQL and PostgreSQL (and Db2, Oracle, SQL Server, which rds-ha does
# not deploy), so every rds-ha engine qualifies; the replica runs the source's version.
CROSS_REGION_ENGINES = frozenset({"postgres", "mysql", "mariadb"})


def cross_region_replica_identifier(source_identifier: str) -> str:
    """``<source>-dr-reader``: the read replica in the DR region."""
    return f"{source_identifier}-dr-reader"


def cross_region_problems(
    *,
    cross_region: bool,
    dr_region: str | None,
    region: str | None,
    deployment: Deployment | None,
    engine: str | None,
    backup_retention_days: int | None,
    instance_class: str | None,
    source_identifier: str,
    prefix: str = "",
) -> list[str]:
    if not cross_region:
        if instance_class is not None:
            return [f"{prefix}cross_region_instance_class={instance_class!r}: only with "
                    "cross_region = true"]  # fmt: skip
        return []
    problems = []
    if not dr_region:
        problems.append(
            f"{prefix}cross_region=true: needs backups.dr_region (the region of the replica)"
        )
    elif dr_region == region:
        problems.append(
            f"{prefix}cross_region=true: backups.dr_region={dr_region!r} is the database's own "
            "region; a cross-region replica needs another"
        )
    if deployment is Deployment.MULTI_AZ_CLUSTER:
        # CreateDBInstanceReadReplica, SourceDBClusterIdentifier: "The source DB cluster must be
        # in the same Amazon Web Services Region as the read replica. Cross-Region replication
        # isn't supported."
        # (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html)
        problems.append(
            cite(
                "replica.no-cross-region-from-cluster",
                f"{prefix}cross_region=true: RDS has no cross-region read replica of a Multi-AZ "
                "DB cluster (deployment='multi-az-cluster'); allowed with deployment "
                "'multi-az-instance' or 'single-az'",
            )
        )
    if engine is not None and engine not in CROSS_REGION_ENGINES:
        problems.append(
            f"{prefix}cross_region=true: engine {engine!r} has no cross-region read replicas; "
            f"allowed: {', '.join(sorted(CROSS_REGION_ENGINES))}"
        )
    # CreateDBInstanceReadReplica, SourceDBInstanceIdentifier: the source "must have automatic
    # backups enabled, that is, its backup retention period must be greater than 0".
    if backup_retention_days is not None and backup_retention_days < 1:
        problems.append(
            cite(
                "replica.source-needs-backups",
                f"{prefix}cross_region=true: backup_retention_days={backup_retention_days}: the "
                "source of a read replica needs automated backups; allowed: 1-35",
            )
        )
    if instance_class is not None and instance_classes.lookup(instance_class) is None:
        problems.append(
            f"{prefix}cross_region_instance_class={instance_class!r}: not in the rds-ha "
            "instance-class catalog"
        )
    identifier = cross_region_replica_identifier(source_identifier)
    if len(identifier) > MAX_IDENTIFIER_LENGTH:
        problems.append(
            f"{prefix}cross_region=true: the replica identifier {identifier!r} is longer than "
            f"{MAX_IDENTIFIER_LENGTH} characters; shorten the database identifier"
        )
    return problems


# The form RDS documents for the key of replicated automated backups. The RDS API reference,
# StartDBInstanceAutomatedBackupsReplication, KmsKeyId: "The KMS key ID is the Amazon Resource
# Name (ARN) for the KMS encryption key in the destination Amazon Web Services Region, for
# example, arn:aws:kms:us-east-1:123456789012:key/AKIAIOSFODNN7EXAMPLE."
# (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_StartDBInstanceAutomatedBackupsReplication.html)
# CloudFormation's AutomaticBackupReplicationKmsKeyId carries the same text. Unlike
# CreateDBInstanceReadReplica's KmsKeyId ("the key ARN, key ID, alias ARN, or alias name"),
# neither names an alias form, so rds-ha passes a key ARN only.
KEY_ARN_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:kms:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):key/"
    r"(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)


def backup_replication_key_problems(
    *, key_arn: str | None, dr_region: str | None, account: str | None, prefix: str = ""
) -> list[str]:
    """A key ARN of ``dr_region`` (and ``account`` when given); none is not a problem here."""
    if key_arn is None:
        return []
    match = KEY_ARN_PATTERN.match(key_arn)
    if match is None:
        return [
            cite(
                "backup-replication.key-arn",
                f"{prefix}automated_backup_replication_key_arn={key_arn!r}: must be a KMS key "
                "ARN (arn:aws:kms:<region>:<account>:key/<key-id>); RDS documents no alias form "
                "here",
            )
        ]
    problems = []
    if dr_region and match["region"] != dr_region:
        problems.append(
            f"{prefix}automated_backup_replication_key_arn={key_arn!r}: a key of region "
            f"{match['region']!r}; must be of dr_region {dr_region!r}"
        )
    if account and match["account"] != account:
        problems.append(
            f"{prefix}automated_backup_replication_key_arn={key_arn!r}: a key of account "
            f"{match['account']!r}; must be of the environment's account {account!r}"
        )
    return problems
