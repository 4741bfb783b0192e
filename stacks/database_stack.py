"""One environment's stack: network and highly available database, wired together."""

from __future__ import annotations

from aws_cdk import Environment, RemovalPolicy, Stack, Tags
from aws_cdk import aws_backup as backup
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from rds_ha import HighlyAvailableDatabase
from rds_ha.backups.database_backups import DatabaseBackups, backup_vault_arn
from rds_ha.database import defaults
from rds_ha.database.keys import create_database_key
from rds_ha.monitoring.database_alarms import DatabaseAlarms
from stacks.config import EnvironmentConfig
from stacks.disaster_recovery_stack import DisasterRecoveryStack, dr_vault_name, vault_lock
from stacks.network import DatabaseNetwork

REMOVAL_POLICIES = {
    # Retained on update and delete; a failed first create still rolls back (defaults.RETAIN_NAMED).
    "retain": defaults.RETAIN_NAMED,
    "snapshot": RemovalPolicy.SNAPSHOT,
    "destroy": RemovalPolicy.DESTROY,
}


class DatabaseStack(Stack):
    def __init__(self, scope: Construct, *, config: EnvironmentConfig) -> None:
        super().__init__(
            scope,
            config.stack_name,
            env=Environment(account=config.account, region=config.region),
            description=f"rds-ha {config.name}: highly available {config.engine.value} database",
            termination_protection=config.is_production,
        )
        self.config = config
        Tags.of(self).add("rds-ha:environment", config.name)
        log_retention = defaults.LOG_RETENTION_BY_DAYS[config.log_retention_days]
        # One customer-managed key per environment encrypts the database and everything that
        # holds its data or logs.
        self.key = create_database_key(
            self, "DatabaseKey", description=f"rds-ha {config.name}: database, logs and secret"
        )
        if config.vpc_id:
            self.vpc = ec2.Vpc.from_lookup(self, "Vpc", vpc_id=config.vpc_id)
        else:
            self.network = DatabaseNetwork(
                self,
                "Network",
                cidr=config.vpc_cidr,
                encryption_key=self.key,
                log_retention=log_retention,
                log_group_suffix=config.stack_name,
            )
            self.vpc = self.network.vpc
        self.database = HighlyAvailableDatabase(
            self,
            "Database",
            vpc=self.vpc,
            engine=config.engine,
            engine_version=config.engine_version,
            deployment=config.deployment,
            instance_class=config.instance_class,
            identifier=config.identifier,
            allocated_storage_gib=config.allocated_storage_gib,
            max_allocated_storage_gib=config.max_allocated_storage_gib,
            backup_retention_days=config.backup_retention_days,
            backup_window=config.backup_window,
            maintenance_window=config.maintenance_window,
            deletion_protection=config.deletion_protection,
            removal_policy=REMOVAL_POLICIES[config.effective_removal_policy],
            encryption_key=self.key,
            master_username=config.master_username,
            database_name=config.database_name,
            port=config.port,
            parameters=config.parameters,
            log_retention=log_retention,
            monitoring_interval_seconds=config.monitoring_interval_seconds,
        )
        self.alarms = DatabaseAlarms(
            self,
            "Alarms",
            database=self.database,
            thresholds=config.alarm_thresholds,
            alarm_emails=config.alarm_emails,
        )
        self._add_backups(scope, config, log_retention)

    def _add_backups(
        self, scope: Construct, config: EnvironmentConfig, log_retention: logs.RetentionDays
    ) -> None:
        """AWS Backup, the copy to the DR region's vault (its own stack) and S3 exports."""
        settings = config.backups
        dr_vault = None
        self.disaster_recovery: DisasterRecoveryStack | None = None
        if settings.dr_region:
            self.disaster_recovery = DisasterRecoveryStack(scope, config=config)
            self.add_stack_dependency(self.disaster_recovery)
            dr_vault = backup.BackupVault.from_backup_vault_arn(
                self,
                "DisasterRecoveryVault",
                backup_vault_arn(self, region=settings.dr_region, vault_name=dr_vault_name(config)),
            )
        self.backups = DatabaseBackups(
            self,
            "Backups",
            database=self.database,
            vpc=self.vpc,
            continuous_retention_days=settings.continuous_retention_days,
            daily_retention_days=settings.daily_retention_days,
            monthly_retention_days=settings.monthly_retention_days,
            backup_start_hour_utc=settings.backup_start_hour_utc,
            disaster_recovery_vault=dr_vault,
            disaster_recovery_retention_days=settings.dr_retention_days,
            disaster_recovery_monthly_retention_days=settings.dr_monthly_retention_days,
            vault_lock=vault_lock(config),
            restore_test_schedule=settings.restore_test_schedule,
            export_snapshots=settings.export_snapshots,
            export_archive_after_days=settings.export_archive_after_days,
            export_expire_after_days=settings.export_expire_after_days,
            log_retention=log_retention,
            alarm_topic=self.alarms.topic,
        )

    @property
    def environment_stacks(self) -> list[Stack]:
        """This stack and, when there is one, its disaster-recovery stack."""
        return [self, *([self.disaster_recovery] if self.disaster_recovery else [])]
