"""``replicate_automated_backups``: RDS cross-region automated backup replication of a
``HighlyAvailableDatabase`` DB instance, the cheaper second region (no running instance there).
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, Stack, Token
from aws_cdk import aws_rds as rds

from rds_ha.database.highly_available_database import HighlyAvailableDatabase
from rds_ha.database.i_highly_available_database import IHighlyAvailableDatabase
from rds_ha.database.units import renamed, whole_days
from rds_ha.errors import ConfigurationError
from rds_ha.replicas.replica_rules import (
    backup_replication_key_problems,
    backup_replication_problems,
)


def automated_backup_key_alias(identifier: str) -> str:
    """The fixed alias of the DR region's key for ``identifier``'s replicated backups."""
    return f"alias/{identifier}-automated-backups"


def key_alias_arn(stack: Stack, *, region: str, alias: str) -> str:
    """``arn:<partition>:kms:<region>:<account>:alias/<name>``, known before the key exists.

    Not for ``replicate_automated_backups``: RDS documents a key ARN only there."""
    return stack.format_arn(
        service="kms",
        region=region,
        resource="alias",
        resource_name=alias.removeprefix("alias/"),
        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
    )


def replicate_automated_backups(
    database: IHighlyAvailableDatabase,
    *,
    region: str,
    kms_key_id: str,
    retention: Duration | None = None,
) -> rds.CfnDBInstance:
    """Replicate ``database``'s automated backups (snapshots and transaction logs, so a
    point-in-time restore in ``region``) to ``region``, encrypted with ``kms_key_id``.

    :param region: the destination region; not the database's.
    :param kms_key_id: the ARN of a KMS key in ``region`` (an encrypted instance needs one).
        A key ARN, not an alias: the RDS API reference (StartDBInstanceAutomatedBackupsReplication,
        KmsKeyId) and AWS::RDS::DBInstance AutomaticBackupReplicationKmsKeyId document "the
        Amazon Resource Name (ARN) for the KMS encryption key in the destination Amazon Web
        Services Region" and no alias form (see ``replica_rules.KEY_ARN_PATTERN``). A key of
        another stack in ``region`` cannot be referenced: pass its ARN as a string.
    :param retention: of the replicated backups, 1-35 whole days (``Duration.days(14)``).
        Default: the database's backup retention.

    The three ``AutomaticBackupReplication*`` properties of AWS::RDS::DBInstance are updated in
    place (none is create-only in its resource schema), so this can be turned on for an
    existing database. They are properties of the database's own resource: an imported
    database is refused (its own template, or StartDBInstanceAutomatedBackupsReplication,
    turns it on).
    """
    path = database.node.path
    if not isinstance(database, HighlyAvailableDatabase):
        raise ConfigurationError(
            path,
            [
                f"database={database.identifier!r}: imported; automated backup replication is "
                "set on the AWS::RDS::DBInstance resource itself, which another template "
                "holds; allowed: a HighlyAvailableDatabase of this app (or turn it on where "
                "the database is deployed)"
            ],
        )
    retention_days, retention_problem = whole_days("retention", retention)
    problems = [retention_problem] if retention_problem else []
    problems += renamed(
        backup_replication_problems(
            replicate=True,
            dr_region=region,
            deployment=database.deployment,
            retention_days=retention_days,
        ),
        {"automated_backup_replication_retention_days": ("retention", "Duration.days")},
    )
    if region == Stack.of(database).region:
        problems.append(f"region={region!r}: must differ from the database's region")
    if not Token.is_unresolved(kms_key_id):
        problems += [
            problem.replace("automated_backup_replication_key_arn=", "kms_key_id=", 1)
            for problem in backup_replication_key_problems(
                key_arn=kms_key_id, dr_region=region, account=None
            )
        ]
    if problems:
        raise ConfigurationError(path, problems)
    assert database.instance is not None
    resource = database.instance.node.default_child
    assert isinstance(resource, rds.CfnDBInstance)
    resource.automatic_backup_replication_region = region
    resource.automatic_backup_replication_kms_key_id = kms_key_id
    resource.automatic_backup_replication_retention_period = (
        retention_days or database.backup_retention_days
    )
    return resource
