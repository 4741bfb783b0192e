"""``FailoverGameDay``: an AWS FIS experiment template that forces a database failover."""

from __future__ import annotations

from typing import TypedDict

from aws_cdk import Acknowledgment, ArnFormat, CfnOutput, Stack, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_fis as fis
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from rds_ha.catalog.aurora import is_cluster_deployment
from rds_ha.catalog.aws_rules import cite
from rds_ha.catalog.engines import Deployment
from rds_ha.database import defaults
from rds_ha.database.i_highly_available_database import IHighlyAvailableDatabase
from rds_ha.database.keys import allow_cloudwatch_logs
from rds_ha.errors import ConfigurationError


# AWS FIS actions reference (https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html),
# Amazon RDS actions: aws:rds:reboot-db-instances runs RebootDBInstance on targets of resource
# type aws:rds:db (action target key DBInstances) and takes the optional parameter
# forceFailover ("true" fails a Multi-AZ instance over to its standby);
# aws:rds:failover-db-cluster runs FailoverDBCluster on targets of type aws:rds:cluster (key
# Clusters; the FIS service quotas are named "Target DBInstances for aws:rds:reboot-db-instances"
# and "Target Clusters for aws:rds:failover-db-cluster"). The permissions are those of the AWS
# managed policy AWSFaultInjectionSimulatorRDSAccess
# (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSFaultInjectionSimulatorRDSAccess.html:
# rds:RebootDBInstance on db, rds:FailoverDBCluster on cluster, rds:DescribeDBInstances and
# rds:DescribeDBClusters, and tag:GetResources, which only targets chosen by tags need), narrowed
# to this database, which the template targets by ARN.
class FailoverAction(TypedDict):
    action_id: str
    target_key: str
    resource_type: str
    parameters: dict[str, str]
    permissions: list[str]


INSTANCE_FAILOVER: FailoverAction = {
    "action_id": "aws:rds:reboot-db-instances",
    "target_key": "DBInstances",
    "resource_type": "aws:rds:db",
    "parameters": {"forceFailover": "true"},
    "permissions": ["rds:RebootDBInstance", "rds:DescribeDBInstances"],
}
CLUSTER_FAILOVER: FailoverAction = {
    "action_id": "aws:rds:failover-db-cluster",
    "target_key": "Clusters",
    "resource_type": "aws:rds:cluster",
    "parameters": {},
    "permissions": ["rds:FailoverDBCluster", "rds:DescribeDBClusters"],
}
# Experiment logging (https://docs.aws.amazon.com/fis/latest/userguide/monitoring-logging.html;
# the current log schema version is 2) to CloudWatch Logs is a vended log delivery: the
# experiment role creates the delivery and, when needed, the log group resource policy that lets
# delivery.logs.amazonaws.com write ("Experiment logging for AWS FIS", permissions; CloudWatch
# Logs user guide, "Logs sent to CloudWatch Logs"). These actions take no resource ARN.
LOG_DELIVERY_ACTIONS = [
    "logs:CreateLogDelivery",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
]
LOG_SCHEMA_VERSION = 2
TARGET_NAME = "Database"


class FailoverGameDay(Construct):
    """An AWS FIS experiment template that forces ``database`` to fail over once, and stops
    (before it starts, or while it runs) when ``stop_condition_alarm`` is in ALARM.

    Start it with ``aws fis start-experiment --experiment-template-id <ExperimentTemplateId>``
    (the stack output). Nothing runs on its own.

    :param database: a Multi-AZ DB instance or a Multi-AZ DB cluster (a single-AZ instance has
        no standby to fail over to).
    :param stop_condition_alarm: the alarm that stops the experiment, e.g. the database's
        ``DatabaseAlarms.at_risk`` composite alarm.
    :param encryption_key: encrypts the experiment log group; CloudWatch Logs is let use it.
    :param log_retention: Default: one year.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database: IHighlyAvailableDatabase,
        stop_condition_alarm: cloudwatch.IAlarm,
        encryption_key: kms.IKey,
        log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
    ) -> None:
        super().__init__(scope, construct_id)
        if database.deployment is Deployment.SINGLE_AZ:
            raise ConfigurationError(
                self.node.path,
                [
                    cite(
                        "fis.force-failover-needs-standby",
                        "deployment='single-az': a forced failover needs a standby; allowed: "
                        "'multi-az-instance', 'multi-az-cluster'",
                    )
                ],
            )
        self.database = database
        # Aurora and Multi-AZ DB clusters fail over with aws:rds:failover-db-cluster.
        cluster = is_cluster_deployment(database.deployment)
        action = CLUSTER_FAILOVER if cluster else INSTANCE_FAILOVER
        identifier = database.identifier
        stack = Stack.of(self)

        log_group_name = f"/rds-ha/{identifier}/game-day"
        allow_cloudwatch_logs(encryption_key, log_group_name)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=log_group_name,
            retention=log_retention,
            encryption_key=encryption_key,
            removal_policy=defaults.RETAIN_NAMED,
        )
        self.role = iam.Role(
            self,
            "Role",
            # Confused-deputy protection: only FIS experiments of this account assume it.
            assumed_by=iam.ServicePrincipal(
                "fis.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="fis",
                            resource="experiment",
                            resource_name="*",
                            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
                        )
                    },
                },
            ),
            description=f"{identifier}: FIS failover game day",
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"{identifier}: force a failover of this database, log the experiment",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="FailOverThisDatabase",
                    actions=action["permissions"],
                    resources=[database.arn],
                ),
                iam.PolicyStatement(
                    sid="ExperimentLogDelivery", actions=LOG_DELIVERY_ACTIONS, resources=["*"]
                ),
            ],
        )
        Validations.of(self.policy).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                reason="FIS experiment logging to CloudWatch Logs is a vended log delivery: "
                "logs:CreateLogDelivery, logs:PutResourcePolicy, logs:DescribeResourcePolicies "
                "and logs:DescribeLogGroups take no resource ARN. The role can be assumed only "
                "by FIS experiments of this account, and may act on this one database only.",
            )
        )
        self.experiment_template = fis.CfnExperimentTemplate(
            self,
            "Resource",
            description=f"Force a failover of {identifier}; stops when "
            "the stop-condition alarm is in ALARM",
            role_arn=self.role.role_arn,
            stop_conditions=[
                fis.CfnExperimentTemplate.ExperimentTemplateStopConditionProperty(
                    source="aws:cloudwatch:alarm", value=stop_condition_alarm.alarm_arn
                )
            ],
            targets={
                TARGET_NAME: fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty(
                    resource_type=action["resource_type"],
                    resource_arns=[database.arn],
                    selection_mode="ALL",
                )
            },
            actions={
                "Failover": fis.CfnExperimentTemplate.ExperimentTemplateActionProperty(
                    action_id=action["action_id"],
                    description=f"Fail {identifier} over to its standby",
                    parameters=action["parameters"] or None,
                    targets={action["target_key"]: TARGET_NAME},
                )
            },
            log_configuration=fis.CfnExperimentTemplate.ExperimentTemplateLogConfigurationProperty(
                log_schema_version=LOG_SCHEMA_VERSION,
                cloud_watch_logs_configuration={"LogGroupArn": self.log_group.log_group_arn},
            ),
            tags={"Name": f"{identifier}-failover", "rds-ha:database": identifier},
        )
        cfn_policy = self.policy.node.default_child
        assert isinstance(cfn_policy, iam.CfnManagedPolicy)
        self.experiment_template.add_resource_dependency(cfn_policy)
        self.experiment_template_id = self.experiment_template.attr_id
        CfnOutput(
            self,
            "ExperimentTemplateId",
            value=self.experiment_template_id,
            description=f"{identifier}: aws fis start-experiment --experiment-template-id <this>",
        )
