"""One environment's stack: network and highly available database, wired together, and the
stacks of the environment's other databases (``[environments.<env>.databases.<name>]``)."""

from __future__ import annotations

from aws_cdk import Annotations, Environment, Stack, Tags
from aws_cdk import aws_backup as backup
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from rds_ha import (
    DatabaseAlarms,
    DatabaseBackups,
    DatabaseNetwork,
    DatabaseProxy,
    EnvironmentConfig,
    FailoverGameDay,
    FleetDashboard,
    HighlyAvailableDatabase,
    ReadReplicas,
    RecoveryPointWatch,
    SnapshotExport,
    acknowledge_rules,
    backup_vault_arn,
    create_database_key,
    replicate_automated_backups,
)
from stacks.disaster_recovery_replica_stack import DisasterRecoveryReplicaStack
from stacks.disaster_recovery_stack import DisasterRecoveryStack, dr_vault_name
from stacks.fleet_database_stack import FleetDatabaseStack
from stacks.resilience import add_resilience

# "You can have up to 20 proxies for each AWS account ID", adjustable in Service Quotas (RDS
# user guide, "Quotas and limitations for RDS Proxy"): a warning, not an error.
PROXIES_PER_ACCOUNT = 20


class DatabaseStack(Stack):
    def __init__(self, scope: Construct, *, config: EnvironmentConfig) -> None:
        super().__init__(
            scope,
            config.stack_name,
            # Explicit, so that a pipeline Stage does not prefix it: the deployed stack is the same.
            stack_name=config.stack_name,
            env=Environment(account=config.account, region=config.region),
            description=f"rds-ha {config.name}: highly available {config.engine.value} database",
            termination_protection=config.is_production,
        )
        self.config = config
        Tags.of(self).add("rds-ha:environment", config.name)
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
                log_retention=config.log_retention,
                log_group_suffix=config.stack_name,
            )
            self.vpc = self.network.vpc
        self.database = HighlyAvailableDatabase(
            self, "Database", vpc=self.vpc, encryption_key=self.key, **config.database_props()
        )
        if acknowledged := config.compliance_acknowledgments():
            acknowledge_rules(self.database, acknowledged)
        self.alarms = DatabaseAlarms(
            self,
            "Alarms",
            database=self.database,
            log_retention=config.log_retention,
            **config.alarms_props(),
        )
        self.backups = DatabaseBackups(
            self,
            "Backups",
            database=self.database,
            disaster_recovery_vault=self._disaster_recovery_vault(scope, config),
            **config.backups_props(),
        )
        self.export: SnapshotExport | None = None
        if config.exports_snapshots:
            # "Default" is left out of logical ids: the export's resources keep the ids they
            # had when DatabaseBackups made them, and share its key.
            self.export = SnapshotExport(
                self.backups,
                "Default",
                database=self.database,
                vpc=self.vpc,
                encryption_key=self.backups.encryption_key,
                alarm_topic=self.alarms.topic,
                **config.export_props(),
            )
        self._add_resilience(config)

        self.dashboard: FleetDashboard | None = None
        self.database_stacks: list[FleetDatabaseStack] = []
        if config.fleet:
            self._build_fleet(scope, config)

        # Read replicas (or a Multi-AZ DB cluster's reader endpoint) on the environment's topic.
        self.replicas = ReadReplicas(
            self,
            "Replicas",
            database=self.database,
            vpc=self.vpc,
            alarm_topic=self.alarms.topic,
            thresholds=config.alarm_thresholds,
            log_retention=config.log_retention,
            **config.replicas.replicas_props(),
        )
        if config.backups.replicate_automated_backups and config.backups.dr_region:
            self._replicate_automated_backups(config)
        # The DR region's read replica: after this stack, since its source must exist.
        self.disaster_recovery_replica: DisasterRecoveryReplicaStack | None = None
        if config.replicas.cross_region and config.backups.dr_region:
            self.disaster_recovery_replica = DisasterRecoveryReplicaStack(
                scope, config=config, source=self.database
            )
            self.disaster_recovery_replica.add_stack_dependency(self)

    def _replicate_automated_backups(self, config: EnvironmentConfig) -> None:
        """To the DR region, with the DR stack's key, by its ARN (RDS documents no alias form
        for it; see ``replica_rules.KEY_ARN_PATTERN``). A key's ARN is known only once the
        DR stack has made it, so turning this on takes two deploys: the first makes the key
        (output AutomatedBackupKeyArn), the second, with that ARN in the configuration,
        starts the replication."""
        key_arn = config.backups.automated_backup_replication_key_arn
        if key_arn is None:
            Annotations.of(self).add_warning_v2(
                "rds-ha:automated-backup-key-pending",
                f"{config.name}: automated backups are not replicated yet. Deploy "
                f"{config.stack_name}-dr, then set backups.automated_backup_replication_key_arn "
                "to its output AutomatedBackupKeyArn and deploy again.",
            )
            return
        assert config.backups.dr_region
        replicate_automated_backups(
            self.database,
            region=config.backups.dr_region,
            kms_key_id=key_arn,
            retention=config.backups.automated_backup_replication_retention,
        )

    def _build_fleet(self, scope: Construct, config: EnvironmentConfig) -> None:
        """The overview dashboard here, and a stack for each database of the fleet."""
        # An underscore cannot be in an RDS identifier, so this name never meets a database's
        # own dashboard (named by its identifier).
        self.dashboard = FleetDashboard(
            self, "FleetDashboard", dashboard_name=f"{config.stack_name}_databases"
        )
        self.dashboard.add_database(self.alarms)
        self.database_stacks = [
            FleetDatabaseStack(scope, environment=self, database=database)
            for database in config.fleet
        ]
        stacks: list[DatabaseStack | FleetDatabaseStack] = [self, *self.database_stacks]
        proxies = [stack for stack in stacks if stack.proxy is not None]
        if len(proxies) > PROXIES_PER_ACCOUNT:
            Annotations.of(self).add_warning_v2(
                "rds-ha:proxy-quota",
                f"{len(proxies)} RDS Proxies in account {config.account}, region "
                f"{config.region} (this environment's databases): the default quota is "
                f"{PROXIES_PER_ACCOUNT} per account and region; ask for more (Service Quotas, "
                "Amazon RDS, Proxies) before deploying, or set resilience.proxy = false on some "
                "databases.",
            )

    def _add_resilience(self, config: EnvironmentConfig) -> None:
        """RDS Proxy, the recovery point watch and the failover game day, when enabled."""
        resilience = add_resilience(
            self,
            config=config,
            database=self.database,
            alarms=self.alarms,
            vpc=self.vpc,
            encryption_key=self.key,
            proxy=config.resilience.wants_proxy(
                production=config.is_production, deployment=config.deployment
            ),
            recovery_point_watch=config.resilience.watches_recovery_point(fleet=False),
        )
        self.proxy: DatabaseProxy | None = resilience.proxy
        self.recovery_point_watch: RecoveryPointWatch | None = resilience.recovery_point_watch
        self.game_day: FailoverGameDay | None = resilience.game_day

    def _disaster_recovery_vault(
        self, scope: Construct, config: EnvironmentConfig
    ) -> backup.IBackupVault | None:
        """The DR region's vault (its own stack, deployed first), referred to by its name."""
        self.disaster_recovery: DisasterRecoveryStack | None = None
        dr_region = config.backups.dr_region
        if not dr_region:
            return None
        self.disaster_recovery = DisasterRecoveryStack(scope, config=config)
        self.add_stack_dependency(self.disaster_recovery)
        return backup.BackupVault.from_backup_vault_arn(
            self,
            "DisasterRecoveryVault",
            backup_vault_arn(self, region=dr_region, vault_name=dr_vault_name(config)),
        )

    @property
    def environment_stacks(self) -> list[Stack]:
        """This stack, its disaster-recovery stacks (vault, replica) when there are, and its
        databases' stacks."""
        return [
            self,
            *([self.disaster_recovery] if self.disaster_recovery else []),
            *([self.disaster_recovery_replica] if self.disaster_recovery_replica else []),
            *self.database_stacks,
        ]
