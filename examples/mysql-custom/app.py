"""MySQL with custom engine parameters and alarm thresholds, its alarms sent to an SNS topic
that exists already."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks
from constructs import Construct

from rds_ha import (
    AlarmThresholds,
    DatabaseAlarms,
    DatabaseBackups,
    DatabaseNetwork,
    Engine,
    HighlyAvailableDatabase,
    create_database_key,
)

ENV = cdk.Environment(account="123456789012", region="eu-west-1")
# Your on-call topic. Its access policy must let CloudWatch alarms and RDS events publish, and
# its key (if any) let them use it.
ONCALL_TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:dba-oncall"


class CatalogStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        vpc = DatabaseNetwork(
            self,
            "Network",
            cidr="10.1.0.0/16",
            encryption_key=create_database_key(self, "FlowLogsKey", description="VPC flow logs"),
            log_retention=logs.RetentionDays.ONE_YEAR,
            log_group_suffix=self.stack_name,
        ).vpc
        database = HighlyAvailableDatabase(
            self,
            "Catalog",
            vpc=vpc,
            identifier="catalog",
            engine=Engine.MYSQL,
            engine_version="8.4",
            instance_class="db.r7g.large",
            # Merged over rds-ha's defaults (TLS required, slow-query and error logs on).
            parameters={
                "max_connections": "800",
                "long_query_time": "0.5",
                "innodb_lock_wait_timeout": "20",
            },
        )
        # Any threshold left out keeps its default (docs/alarms.md).
        thresholds = AlarmThresholds().with_overrides(
            {
                "max_cpu_percent": {"warning": 70, "critical": 85},
                "min_free_storage_percent": {"warning": 15, "critical": 10},
                "max_connections_percent": {"warning": 60, "critical": 80},
            }
        )
        DatabaseAlarms(
            self,
            "Alarms",
            database=database,
            thresholds=thresholds,
            topic=sns.Topic.from_topic_arn(self, "OncallTopic", ONCALL_TOPIC_ARN),
        )
        DatabaseBackups(self, "Backups", database=database)


app = cdk.App()
CatalogStack(app, "Catalog", env=ENV)
# The four compliance packs, as validation plugins: `cdk synth` fails on any finding.
cdk.Validations.of(app).add_plugins(
    AwsSolutionsChecks(app), HIPAASecurityChecks(app), NIST80053R5Checks(app), PCIDSS321Checks(app)
)
app.synth()
