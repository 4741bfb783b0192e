"""A database in eu-west-1 and its cross-region read replica in eu-central-1, in a second
stack that deploys after the first: promote it (`rds-ha promote`) if eu-west-1 is lost.

CloudFormation cannot refer to a resource in another region: the replica names its source by
the ARN formatted from the source's fixed identifier, and everything it uses (key, VPC,
alarm topic) is of its own region."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks
from constructs import Construct

from rds_ha import (
    CrossRegionReadReplica,
    DatabaseAlarms,
    DatabaseBackups,
    DatabaseNetwork,
    HighlyAvailableDatabase,
    alarm_topic,
    alarm_topic_key,
    create_database_key,
)

ACCOUNT = "123456789012"
PRIMARY = cdk.Environment(account=ACCOUNT, region="eu-west-1")
DR = cdk.Environment(account=ACCOUNT, region="eu-central-1")


class PrimaryStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        vpc = DatabaseNetwork(
            self,
            "Network",
            cidr="10.4.0.0/16",
            encryption_key=create_database_key(self, "FlowLogsKey", description="VPC flow logs"),
            log_retention=logs.RetentionDays.ONE_YEAR,
            log_group_suffix=self.stack_name,
        ).vpc
        # The default credentials mode (a secret of the stack's own) admits read replicas;
        # RDS refuses them for a master password it manages itself.
        self.database = HighlyAvailableDatabase(self, "Ledger", vpc=vpc, identifier="ledger")
        DatabaseAlarms(self, "Alarms", database=self.database, alarm_emails=["dba@example.com"])
        DatabaseBackups(self, "Backups", database=self.database)


class ReplicaStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: HighlyAvailableDatabase,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # KMS keys are regional: the replica's storage is encrypted with a key of this region.
        key = create_database_key(self, "ReplicaKey", description="ledger DR read replica")
        vpc = DatabaseNetwork(
            self,
            "Network",
            cidr="10.5.0.0/16",
            encryption_key=create_database_key(self, "FlowLogsKey", description="VPC flow logs"),
            log_retention=logs.RetentionDays.ONE_YEAR,
            log_group_suffix=self.stack_name,
        ).vpc
        identifier = "ledger-dr-reader"
        topic = alarm_topic(
            self,
            identifier,
            key=alarm_topic_key(self, identifier),
            alarm_emails=["dba@example.com"],
        )
        self.replica = CrossRegionReadReplica(
            self, "Replica", source=source, vpc=vpc, encryption_key=key, alarm_topic=topic
        )


app = cdk.App()
primary = PrimaryStack(app, "Ledger", env=PRIMARY)
replica = ReplicaStack(app, "LedgerDrReplica", source=primary.database, env=DR)
# The source must exist before its replica is created.
replica.add_stack_dependency(primary)
# The four compliance packs, as validation plugins: `cdk synth` fails on any finding.
cdk.Validations.of(app).add_plugins(
    AwsSolutionsChecks(app), HIPAASecurityChecks(app), NIST80053R5Checks(app), PCIDSS321Checks(app)
)
app.synth()
