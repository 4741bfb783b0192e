"""One environment's read replica in its DR region (``[environments.<env>.replicas]
cross_region = true``), in a stack of its own: ``rds-ha-<env>-dr-replica``.

Not in the DR stack: that stack deploys *before* the database stack (the database's backup
plan copies into its vault, by name), while the replica needs its source to exist and so
deploys *after* it. One stack cannot be on both sides of the database stack. CloudFormation
cannot refer to resources across regions, so the replica names its source by the ARN formatted
from the source's fixed identifier, and everything else it uses is made here, in the DR region:
a key, a small VPC (isolated subnets, no NAT), an alarm topic and the replica's alarms.
"""

from __future__ import annotations

from aws_cdk import Environment, Stack, Tags
from constructs import Construct

from rds_ha import (
    CrossRegionReadReplica,
    DatabaseNetwork,
    EnvironmentConfig,
    HighlyAvailableDatabase,
    alarm_topic,
    alarm_topic_key,
    create_database_key,
)


class DisasterRecoveryReplicaStack(Stack):
    def __init__(
        self, scope: Construct, *, config: EnvironmentConfig, source: HighlyAvailableDatabase
    ) -> None:
        assert config.backups.dr_region
        name = f"{config.stack_name}-dr-replica"
        super().__init__(
            scope,
            name,
            # Explicit, so that a pipeline Stage does not prefix it: the deployed stack is the same.
            stack_name=name,
            env=Environment(account=config.account, region=config.backups.dr_region),
            description=f"rds-ha {config.name}: read replica in the disaster-recovery region",
            termination_protection=config.is_production,
        )
        Tags.of(self).add("rds-ha:environment", config.name)
        self.key = create_database_key(
            self, "ReplicaKey", description=f"rds-ha {config.name}: DR region read replica"
        )
        self.network = DatabaseNetwork(
            self,
            "Network",
            cidr=config.replicas.cross_region_vpc_cidr,
            encryption_key=self.key,
            log_retention=config.log_retention,
            log_group_suffix=name,
        )
        self.vpc = self.network.vpc
        identifier = f"{config.identifier}-dr-reader"
        self.topic_key = alarm_topic_key(self, identifier)
        self.topic = alarm_topic(
            self, identifier, key=self.topic_key, alarm_emails=config.alarm_emails
        )
        self.replica = CrossRegionReadReplica(
            self,
            "Replica",
            source=source,
            vpc=self.vpc,
            encryption_key=self.key,
            alarm_topic=self.topic,
            thresholds=config.alarm_thresholds,
            deletion_protection=config.deletion_protection,
            log_retention=config.log_retention,
            **config.replicas.cross_region_props(),
        )
