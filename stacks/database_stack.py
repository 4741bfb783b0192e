"""One environment's stack: network and highly available database, wired together."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Environment, RemovalPolicy, Stack, Tags, Validations
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from rds_ha import HighlyAvailableDatabase, defaults
from rds_ha.database_alarms import DatabaseAlarms
from rds_ha.keys import create_database_key
from stacks.config import EnvironmentConfig
from stacks.network import DatabaseNetwork

REMOVAL_POLICIES = {
    "retain": RemovalPolicy.RETAIN,
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
        for pack in ("HIPAA.Security", "NIST.800.53.R5"):
            Validations.of(self.database.resource).acknowledge(
                Acknowledgment(
                    id=f"{pack}::{pack}-RDSInBackupPlan",
                    reason="Automated RDS backups with point-in-time restore are on; the AWS "
                    "Backup plan is added by DatabaseBackups.",
                )
            )
        self.alarms = DatabaseAlarms(
            self,
            "Alarms",
            database=self.database,
            thresholds=config.alarm_thresholds,
            alarm_emails=config.alarm_emails,
        )
