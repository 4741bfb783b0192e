"""An Aurora environment's Global Database secondary: its own stack in
``global_database.secondary_region`` (key, VPC, the secondary cluster, its alarms and the
replication alarms), deployed after the environment's stack, which makes the global database."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Environment, Stack, Tags, Validations
from aws_cdk import aws_rds as rds
from constructs import Construct

from rds_ha import (
    AuroraAlarms,
    AuroraDatabase,
    AuroraEnvironmentConfig,
    DatabaseNetwork,
    GlobalDatabaseAlarms,
    create_database_key,
)


class AuroraSecondaryStack(Stack):
    def __init__(
        self, scope: Construct, *, config: AuroraEnvironmentConfig, global_cluster_identifier: str
    ) -> None:
        assert config.global_database is not None
        settings = config.global_database
        super().__init__(
            scope,
            f"{config.stack_name}-secondary",
            stack_name=f"{config.stack_name}-secondary",
            env=Environment(account=config.account, region=settings.secondary_region),
            description=f"rds-ha {config.name}: Aurora Global Database secondary cluster",
            termination_protection=config.is_production,
        )
        self.config = config
        Tags.of(self).add("rds-ha:environment", config.name)
        # An encrypted secondary needs a key of its own region (CreateDBCluster, KmsKeyId).
        self.key = create_database_key(
            self, "DatabaseKey", description=f"rds-ha {config.name}: secondary cluster and logs"
        )
        self.network = DatabaseNetwork(
            self,
            "Network",
            cidr=settings.vpc_cidr,
            encryption_key=self.key,
            log_retention=config.log_retention,
            log_group_suffix=self.stack_name,
        )
        self.database = AuroraDatabase(
            self,
            "Database",
            vpc=self.network.vpc,
            encryption_key=self.key,
            global_cluster_identifier=global_cluster_identifier,
            **config.secondary_props(),
        )
        self.alarms = AuroraAlarms(self, "Alarms", database=self.database, **config.alarms_props())
        self.replication_alarms = GlobalDatabaseAlarms(
            self,
            "ReplicationAlarms",
            secondary=self.database,
            alarm_topic=self.alarms.topic,
            runbook_url=config.alarm_runbook_url,
        )
        for child in self.database.cluster.node.find_all():
            if isinstance(child, rds.CfnDBInstance):
                Validations.of(child).acknowledge(
                    *(
                        Acknowledgment(
                            id=f"{pack}::{pack}-RDSInBackupPlan",
                            reason="An instance of a Global Database secondary cluster: it "
                            "holds the primary's data, which the primary region's AWS Backup "
                            "plan (and its copies to the DR vault) protects.",
                        )
                        for pack in ("HIPAA.Security", "NIST.800.53.R5")
                    )
                )

    @property
    def environment_stacks(self) -> list[Stack]:
        return [self]
