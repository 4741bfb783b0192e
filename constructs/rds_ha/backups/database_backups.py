"""``DatabaseBackups``: AWS Backup with continuous PITR, copies to a second region and restore
testing."""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import Acknowledgment, Annotations, Duration, Fn, Validations
from aws_cdk import aws_backup as backup
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from rds_ha.backups import backup_rules
from rds_ha.backups.cluster_members import acknowledge_cluster_instances, protected_resource_type
from rds_ha.backups.vault import RuleWindows, backup_name, protected_backup_vault
from rds_ha.catalog.engines import Deployment
from rds_ha.database.i_highly_available_database import (
    IHighlyAvailableDatabase,
    missing_attribute_problems,
)
from rds_ha.database.keys import create_database_key
from rds_ha.database.units import renamed, whole_days
from rds_ha.errors import ConfigurationError

# The plan's monthly rule and the tag it puts on its recovery points; SnapshotExport's default
# ("monthly") exports the snapshots that carry it. The export handler reads the same names.
MONTHLY_RULE = "Monthly"
BACKUP_RULE_TAG = "rds-ha:backup-rule"
DAILY_RETENTION = Duration.days(backup_rules.DAILY_RETENTION_DAYS)
MONTHLY_RETENTION = Duration.days(backup_rules.MONTHLY_RETENTION_DAYS)
# The numbers the rules check (named as the environments.toml keys), by the props that carry
# them.
PROPS_BY_NUMBER = {
    "continuous_retention_days": ("continuous_retention", "Duration.days"),
    "daily_retention_days": ("daily_retention", "Duration.days"),
    "monthly_retention_days": ("monthly_retention", "Duration.days"),
    "dr_retention_days": ("disaster_recovery_retention", "Duration.days"),
    "dr_monthly_retention_days": ("disaster_recovery_monthly_retention", "Duration.days"),
}
# What the plan's rules and the restore tests read of a database (an import may lack them).
NEEDED = {
    "backup_retention_days": "AWS Backup's continuous backup takes over the automated backups "
    "and must keep them as long",
    "backup_window": "the plan's start hour must not overlap it",
    "subnet_group": "restore tests restore into the database's own subnets, never a default VPC",
}


class DatabaseBackups(Construct):
    """The database's backups, owned by the user rather than by RDS alone.

    - an AWS Backup vault (``.vault``) encrypted with a customer-managed key, whose access policy
      denies deleting recovery points; optionally a vault lock;
    - a backup plan (``.plan``): continuous backup (point-in-time restore), daily snapshots and
      monthly snapshots kept longer, each copied to the disaster-recovery vault when given;
    - a selection (``.selection``) that puts the database in the plan;
    - a restore testing plan and selection that restore the latest recovery point on a schedule.

    More databases join the same vault, plan and restore testing with ``add_database``.

    Exporting snapshots to S3 is ``SnapshotExport``'s job; pass it this construct's
    ``encryption_key`` to keep one key for a database's backups and exports.

    :param database: the database to protect: a ``HighlyAvailableDatabase``, or one imported
        with its ``backup_retention_days``, ``backup_window`` and ``subnet_group``.
    :param encryption_key: key for the vault (the copies in it) and, by convention, the
        snapshot exports. Default: a new key with yearly rotation, kept when the stack is
        deleted.
    :param vault_name: Default: ``<database identifier>-backups`` (the identifier cut to fit
        AWS Backup's 50 characters).
    :param continuous_retention: point-in-time restore through AWS Backup, 1-35 whole days
        (``Duration.days(14)``). AWS Backup takes over the RDS automated backups and their
        retention, so it must equal the database's backup retention. Default: the database's
        backup retention.
    :param daily_retention: whole days. Default: 35 days.
    :param monthly_retention: whole days. Default: 365 days; must be longer than the daily
        retention.
    :param backup_start_hour_utc: the hour AWS Backup starts its jobs (one-hour start window);
        it must not overlap the database's ``backup_window``. Default: 5 (05:00 UTC).
    :param disaster_recovery_vault: a vault in another region the daily and monthly snapshots
        are copied to. Default: no copy, with the warning ``rds-ha:no-dr-copy``. AWS Backup
        does not copy Multi-AZ DB cluster snapshots; for a cluster the copy is left out with the
        warning ``rds-ha:cluster-copy-unsupported``.
    :param disaster_recovery_retention: retention of the daily copies in the DR vault, whole
        days. Default: the daily retention.
    :param disaster_recovery_monthly_retention: retention of the monthly copies in the DR
        vault. Default: the monthly retention.
    :param vault_lock: Default: no vault lock (the access policy still denies deletion). With
        ``changeable_for`` set, the lock becomes immutable (compliance mode) after that time.
    :param restore_test_schedule: when AWS Backup restores the latest recovery point to check it.
        Default: ``cron(0 6 ? * SAT *)`` (Saturdays 06:00 UTC).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database: IHighlyAvailableDatabase,
        encryption_key: kms.IKey | None = None,
        vault_name: str | None = None,
        continuous_retention: Duration | None = None,
        daily_retention: Duration = DAILY_RETENTION,
        monthly_retention: Duration = MONTHLY_RETENTION,
        backup_start_hour_utc: int = backup_rules.BACKUP_START_HOUR_UTC,
        disaster_recovery_vault: backup.IBackupVault | None = None,
        disaster_recovery_retention: Duration | None = None,
        disaster_recovery_monthly_retention: Duration | None = None,
        vault_lock: backup.LockConfiguration | None = None,
        restore_test_schedule: str = backup_rules.RESTORE_TEST_SCHEDULE,
    ) -> None:
        super().__init__(scope, construct_id)
        missing = missing_attribute_problems(database, "DatabaseBackups", NEEDED)
        if missing:
            raise ConfigurationError(self.node.path, missing)
        assert database.backup_retention_days is not None and database.backup_window is not None
        given = {
            "continuous_retention": continuous_retention,
            "daily_retention": daily_retention,
            "monthly_retention": monthly_retention,
            "disaster_recovery_retention": disaster_recovery_retention,
            "disaster_recovery_monthly_retention": disaster_recovery_monthly_retention,
        }
        days: dict[str, int | None] = {}
        problems = []
        for prop, value in given.items():
            days[prop], problem = whole_days(prop, value)
            problems += [problem] if problem else []
        continuous_retention_days = days["continuous_retention"]
        if continuous_retention_days is None:
            continuous_retention_days = database.backup_retention_days
        # A prop that is not whole days is reported above; its default stands in for the rules.
        daily_retention_days = days["daily_retention"] or backup_rules.DAILY_RETENTION_DAYS
        monthly_retention_days = days["monthly_retention"] or backup_rules.MONTHLY_RETENTION_DAYS
        disaster_recovery_retention_days = days["disaster_recovery_retention"]
        disaster_recovery_monthly_retention_days = days["disaster_recovery_monthly_retention"]
        problems += backup_rules.backup_problems(
            continuous_retention_days=continuous_retention_days,
            database_backup_retention_days=database.backup_retention_days,
            daily_retention_days=daily_retention_days,
            monthly_retention_days=monthly_retention_days,
            disaster_recovery_retention_days=disaster_recovery_retention_days,
            disaster_recovery_monthly_retention_days=disaster_recovery_monthly_retention_days,
            backup_start_hour_utc=backup_start_hour_utc,
            database_backup_window=database.backup_window,
            restore_test_schedule=restore_test_schedule,
            vault_lock_min_retention_days=_days_or_none(vault_lock and vault_lock.min_retention),
            vault_lock_max_retention_days=_days_or_none(vault_lock and vault_lock.max_retention),
        )
        problems = renamed(problems, PROPS_BY_NUMBER)
        if problems:
            raise ConfigurationError(self.node.path, problems)
        self.database = database
        self.database_arn = database.arn
        self.continuous_retention_days = continuous_retention_days
        self.backup_start_hour_utc = backup_start_hour_utc
        self.encryption_key: kms.IKey = encryption_key or create_database_key(
            self, "Key", description=f"{database.identifier}: backups and snapshot exports"
        )
        self.vault = protected_backup_vault(
            self,
            "Vault",
            vault_name=vault_name or backup_name(database.identifier, "-backups"),
            encryption_key=self.encryption_key,
            lock=vault_lock,
        )
        self.role = self._create_backup_role()
        self.copy_destination = self._copy_destination(disaster_recovery_vault)
        self.plan = self._create_plan(
            continuous_retention_days=continuous_retention_days,
            daily_retention_days=daily_retention_days,
            monthly_retention_days=monthly_retention_days,
            start_hour=backup_start_hour_utc,
            copy_to=self.copy_destination,
            copy_retention_days=disaster_recovery_retention_days or daily_retention_days,
            monthly_copy_retention_days=(
                disaster_recovery_monthly_retention_days or monthly_retention_days
            ),
        )
        self.selection = backup.BackupSelection(
            self,
            "Selection",
            backup_plan=self.plan,
            backup_selection_name=backup_name(database.identifier, "-database"),
            resources=[backup.BackupResource.from_arn(self.database_arn)],
            role=self.role,
        )
        acknowledge_cluster_instances(database)
        self._create_restore_testing(restore_test_schedule)

    def add_database(
        self, database: IHighlyAvailableDatabase, *, scope: Construct, construct_id: str = "Backup"
    ) -> Construct:
        """Put one more database in this vault's plan and restore testing.

        Makes, in ``scope`` (e.g. the database's own stack, so that it deploys and rolls back
        with the database), a construct ``construct_id`` holding a backup selection
        (``Selection``) and a restore testing selection (``RestoreTestingSelection``). They
        refer to this plan and role; nothing in this construct refers to the new database, so
        a stack holding it never depends on the database's stack. The database's
        ``backup_retention_days`` must equal the plan's continuous retention, and its
        ``backup_window`` must not overlap the plan's start hour.
        """
        missing = missing_attribute_problems(database, "DatabaseBackups.add_database", NEEDED)
        if missing:
            raise ConfigurationError(f"{scope.node.path}/{construct_id}", missing)
        assert database.backup_retention_days is not None and database.backup_window is not None
        problems = backup_rules.membership_problems(
            continuous_retention_days=self.continuous_retention_days,
            backup_start_hour_utc=self.backup_start_hour_utc,
            database_backup_retention_days=database.backup_retention_days,
            database_backup_window=database.backup_window,
        )
        problems = renamed(problems, PROPS_BY_NUMBER)
        if problems:
            raise ConfigurationError(f"{scope.node.path}/{construct_id}", problems)
        member = Construct(scope, construct_id)
        arn = database.arn_for(member)
        backup.BackupSelection(
            member,
            "Selection",
            backup_plan=self.plan,
            backup_selection_name=backup_name(database.identifier, "-database"),
            resources=[backup.BackupResource.from_arn(arn)],
            role=self.role,
        )
        selection = self._restore_testing_selection(member, database, arn)
        selection.node.add_dependency(self.restore_testing_plan)
        if self.copy_destination is not None and database.deployment is Deployment.MULTI_AZ_CLUSTER:
            Annotations.of(member).add_warning_v2(
                "rds-ha:cluster-copy-unsupported",
                f"{database.identifier}: AWS Backup does not copy Multi-AZ DB cluster "
                "snapshots to another region; only the S3 exports and the in-region vault "
                "protect this cluster.",
            )
        return member

    def _create_backup_role(self) -> iam.Role:
        policies = (
            "service-role/AWSBackupServiceRolePolicyForBackup",
            "service-role/AWSBackupServiceRolePolicyForRestores",
        )
        role = iam.Role(
            self,
            "BackupRole",
            assumed_by=iam.ServicePrincipal("backup.amazonaws.com"),
            description=f"{self.database.identifier}: AWS Backup jobs, copies and restore tests",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(name) for name in policies
            ],
        )
        Validations.of(role).acknowledge(
            *(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-IAM4"
                    f"[Policy::arn:<AWS::Partition>:iam::aws:policy/{name}]",
                    reason="AWS Backup's own service-role policy: it follows every change in what "
                    "AWS Backup needs to snapshot, copy and restore RDS, where a hand-written "
                    "copy that falls behind fails backups silently. Only backup.amazonaws.com "
                    "can assume the role.",
                )
                for name in policies
            )
        )
        return role

    def _copy_destination(self, vault: backup.IBackupVault | None) -> backup.IBackupVault | None:
        annotations = Annotations.of(self)
        if vault is None:
            annotations.add_warning_v2(
                "rds-ha:no-dr-copy",
                f"{self.database.identifier}: no disaster-recovery vault, so no backup survives "
                "the loss of the region.",
            )
            return None
        if self.database.deployment is Deployment.MULTI_AZ_CLUSTER:
            annotations.add_warning_v2(
                "rds-ha:cluster-copy-unsupported",
                f"{self.database.identifier}: AWS Backup does not copy Multi-AZ DB cluster "
                "snapshots to another region; only the S3 exports and the in-region vault "
                "protect this cluster.",
            )
            return None
        return vault

    def _create_plan(
        self,
        *,
        continuous_retention_days: int,
        daily_retention_days: int,
        monthly_retention_days: int,
        start_hour: int,
        copy_to: backup.IBackupVault | None,
        copy_retention_days: int,
        monthly_copy_retention_days: int,
    ) -> backup.BackupPlan:
        plan = backup.BackupPlan(
            self,
            "Plan",
            backup_plan_name=backup_name(self.database.identifier, "-plan"),
            backup_vault=self.vault,
        )

        def copies(retention_days: int) -> list[backup.BackupPlanCopyActionProps] | None:
            if copy_to is None:
                return None
            return [
                backup.BackupPlanCopyActionProps(
                    destination_backup_vault=copy_to, delete_after=Duration.days(retention_days)
                )
            ]

        windows: RuleWindows = {
            "start_window": Duration.minutes(backup_rules.BACKUP_START_WINDOW_MINUTES),
            "completion_window": Duration.hours(8),
        }
        plan.add_rule(
            backup.BackupPlanRule(
                rule_name="Continuous",
                enable_continuous_backup=True,
                delete_after=Duration.days(continuous_retention_days),
                schedule_expression=events.Schedule.cron(minute="0", hour=str(start_hour)),
                **windows,
            )
        )
        # No cold-storage transition: AWS Backup moves only some resource types to cold storage
        # and RDS snapshots are not among them (the setting would be ignored). Long-term,
        # low-cost copies of the data are the Parquet exports in S3, which do move to an
        # archive class.
        plan.add_rule(
            backup.BackupPlanRule(
                rule_name="Daily",
                delete_after=Duration.days(daily_retention_days),
                schedule_expression=events.Schedule.cron(minute="0", hour=str(start_hour)),
                copy_actions=copies(copy_retention_days),
                **windows,
            )
        )
        plan.add_rule(
            backup.BackupPlanRule(
                rule_name=MONTHLY_RULE,
                delete_after=Duration.days(monthly_retention_days),
                schedule_expression=events.Schedule.cron(minute="0", hour=str(start_hour), day="1"),
                copy_actions=copies(monthly_copy_retention_days),
                # Marks the snapshots that are exported to S3 by default.
                recovery_point_tags={BACKUP_RULE_TAG: MONTHLY_RULE},
                **windows,
            )
        )
        return plan

    def _create_restore_testing(self, schedule: str) -> None:
        name = _restore_testing_name(self.database.identifier, "_restores")
        self.restore_testing_plan_name = name
        plan = backup.CfnRestoreTestingPlan(
            self,
            "RestoreTestingPlan",
            restore_testing_plan_name=name,
            schedule_expression=schedule,
            start_window_hours=4,
            recovery_point_selection=backup.CfnRestoreTestingPlan.RestoreTestingRecoveryPointSelectionProperty(
                algorithm="LATEST_WITHIN_WINDOW",
                include_vaults=[self.vault.backup_vault_arn],
                recovery_point_types=["CONTINUOUS", "SNAPSHOT"],
                selection_window_days=7,
            ),
        )
        selection = self._restore_testing_selection(self, self.database, self.database_arn)
        selection.add_resource_dependency(plan)
        self.restore_testing_plan = plan
        self.restore_testing_selection = selection

    def _restore_testing_selection(
        self, scope: Construct, database: IHighlyAvailableDatabase, arn: str
    ) -> backup.CfnRestoreTestingSelection:
        assert database.subnet_group is not None
        return backup.CfnRestoreTestingSelection(
            scope,
            "RestoreTestingSelection",
            restore_testing_plan_name=self.restore_testing_plan_name,
            restore_testing_selection_name=_restore_testing_name(
                database.identifier, "_restores_database"
            ),
            iam_role_arn=self.role.role_arn,
            protected_resource_type=protected_resource_type(database),
            protected_resource_arns=[arn],
            # The restored copy goes into the database's own isolated subnets and security
            # group (no ingress), never a default VPC.
            restore_metadata_overrides={
                "dbSubnetGroupName": database.subnet_group.subnet_group_name,
                "vpcSecurityGroupIds": _json_list(
                    [group.security_group_id for group in database.security_groups]
                ),
            },
            validation_window_hours=1,
        )


def _json_list(values: Sequence[str]) -> str:
    """``["a","b"]`` of values that may be tokens (restore metadata values are strings)."""
    parts: list[str] = ['["']
    for index, value in enumerate(values):
        parts += [value] if index == 0 else ['","', value]
    return Fn.join("", [*parts, '"]'])


def _days_or_none(duration: object) -> int | None:
    return int(duration.to_days()) if isinstance(duration, Duration) else None


def _restore_testing_name(identifier: str, suffix: str) -> str:
    """Restore testing names allow only letters, digits and underscores."""
    return backup_name(re.sub(r"[^A-Za-z0-9_]", "_", identifier), suffix)
