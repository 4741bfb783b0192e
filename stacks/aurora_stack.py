"""An Aurora environment's stack: network, key, the Aurora DB cluster, its alarms and its backups
(with the disaster-recovery vault's stack in the DR region when ``backups.dr_region`` is set)."""

from __future__ import annotations

from aws_cdk import Environment, Stack, Tags
from aws_cdk import aws_backup as backup
from constructs import Construct

from rds_ha import (
    AuroraAlarms,
    AuroraDatabase,
    AuroraEnvironmentConfig,
    AuroraGlobalCluster,
    DatabaseBackups,
    DatabaseNetwork,
    backup_vault_arn,
    create_database_key,
)
from stacks.aurora_secondary_stack import AuroraSecondaryStack
from stacks.disaster_recovery_stack import DisasterRecoveryStack, dr_vault_name


class AuroraStack(Stack):
    def __init__(self, scope: Construct, *, config: AuroraEnvironmentConfig) -> None:
        super().__init__(
            scope,
            config.stack_name,
            stack_name=config.stack_name,
            env=Environment(account=config.account, region=config.region),
            description=f"rds-ha {config.name}: highly available {config.engine.value} cluster",
            termination_protection=config.is_production,
        )
        self.config = config
        Tags.of(self).add("rds-ha:environment", config.name)
        self.key = create_database_key(
            self, "DatabaseKey", description=f"rds-ha {config.name}: database, logs and secret"
        )
        self.network = DatabaseNetwork(
            self,
            "Network",
            cidr=config.vpc_cidr,
            encryption_key=self.key,
            log_retention=config.log_retention,
            log_group_suffix=config.stack_name,
        )
        self.vpc = self.network.vpc
        self.database = AuroraDatabase(
            self, "Database", vpc=self.vpc, encryption_key=self.key, **config.database_props()
        )
        self.alarms = AuroraAlarms(self, "Alarms", database=self.database, **config.alarms_props())
        self.disaster_recovery: DisasterRecoveryStack | None = None
        vault: backup.IBackupVault | None = None
        if config.backups.dr_region:
            self.disaster_recovery = DisasterRecoveryStack(scope, config=config)
            self.add_stack_dependency(self.disaster_recovery)
            vault = backup.BackupVault.from_backup_vault_arn(
                self,
                "DisasterRecoveryVault",
                backup_vault_arn(
                    self, region=config.backups.dr_region, vault_name=dr_vault_name(config)
                ),
            )
        self.backups = DatabaseBackups(
            self,
            "Backups",
            database=self.database,
            disaster_recovery_vault=vault,
            **config.backups_props(),
        )
        self.proxy = None
        # Global Database: this cluster becomes the primary; the secondary's stack follows.
        self.global_cluster: AuroraGlobalCluster | None = None
        self.secondary: AuroraSecondaryStack | None = None
        if config.global_database is not None:
            self.global_cluster = AuroraGlobalCluster(self, "GlobalDatabase", primary=self.database)
            self.secondary = AuroraSecondaryStack(
                scope, config=config, global_cluster_identifier=self.global_cluster.identifier
            )
            self.secondary.add_stack_dependency(self)

    @property
    def environment_stacks(self) -> list[Stack]:
        return [
            self,
            *([self.disaster_recovery] if self.disaster_recovery else []),
            *([self.secondary] if self.secondary else []),
        ]
