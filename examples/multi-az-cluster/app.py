"""A Multi-AZ DB cluster (a writer and two readable standbys in three AZs) with its alarms.

RDS names the cluster's three member instances itself; the alarms watch the worst member,
whose identifiers a small custom resource (ClusterMemberLookup) reads when the stack deploys."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks
from constructs import Construct

from rds_ha import (
    DatabaseAlarms,
    DatabaseBackups,
    DatabaseNetwork,
    Deployment,
    HighlyAvailableDatabase,
    create_database_key,
)

ENV = cdk.Environment(account="123456789012", region="eu-west-1")


class PaymentsStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        vpc = DatabaseNetwork(
            self,
            "Network",
            cidr="10.2.0.0/16",
            encryption_key=create_database_key(self, "FlowLogsKey", description="VPC flow logs"),
            log_retention=logs.RetentionDays.ONE_YEAR,
            log_group_suffix=self.stack_name,
        ).vpc
        database = HighlyAvailableDatabase(
            self,
            "Payments",
            vpc=vpc,
            identifier="payments",
            deployment=Deployment.MULTI_AZ_CLUSTER,
            # A class with local NVMe storage, as Multi-AZ DB clusters need.
            instance_class="db.m6gd.large",
        )
        alarms = DatabaseAlarms(self, "Alarms", database=database, alarm_emails=["dba@example.com"])
        cdk.CfnOutput(
            self, "ClusterMembers", value=cdk.Fn.join(",", alarms.cluster_member_identifiers)
        )
        DatabaseBackups(self, "Backups", database=database)


app = cdk.App()
PaymentsStack(app, "Payments", env=ENV)
# The four compliance packs, as validation plugins: `cdk synth` fails on any finding.
cdk.Validations.of(app).add_plugins(
    AwsSolutionsChecks(app), HIPAASecurityChecks(app), NIST80053R5Checks(app), PCIDSS321Checks(app)
)
app.synth()
