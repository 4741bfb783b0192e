"""``RecoveryPointWatch``: how much data a point-in-time restore would lose, measured and
alarmed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from rds_ha.catalog.aurora import is_cluster_deployment
from rds_ha.database import defaults
from rds_ha.database.i_highly_available_database import IHighlyAvailableDatabase
from rds_ha.database.keys import allow_cloudwatch_logs, create_database_key
from rds_ha.errors import ConfigurationError
from rds_ha.functions import create_after_policy
from rds_ha.nag import acknowledge_rules, skip_checkov_checks

HANDLER_DIR = Path(__file__).resolve().parent / "handler"
# The handler's names for what it publishes. It is shipped alone as the function's code, so it
# keeps its own copy; importing it here would load boto3 into every synth. A test checks that
# the two agree.
METRIC_NAME = "RecoveryPointAgeSeconds"
DEFAULT_NAMESPACE = "rds-ha"
DIMENSIONS = {"instance": "DBInstanceIdentifier", "cluster": "DBClusterIdentifier"}
MAX_RECOVERY_POINT_AGE = Duration.minutes(15)
# RDS uploads transaction logs for point-in-time restore every five minutes, so the age of the
# latest restorable time normally stays under about five minutes.
SCHEDULE = Duration.minutes(5)
ALARM_PERIODS = 3


class RecoveryPointWatch(Construct):
    """A function, run every five minutes, that publishes ``RecoveryPointAgeSeconds``
    (``now - LatestRestorableTime``) for each database in ``databases``, and one alarm per
    database when it exceeds ``max_recovery_point_age`` for 3 of 3 runs or has no data (backups
    off, or the function failing).

    The function runs outside the VPC (Lambda's default networking): it only calls the RDS and
    CloudWatch APIs, which isolated subnets reach only through interface endpoints (one per
    service per VPC, billed per AZ-hour), and it touches no data of the databases.

    :param databases: the databases to watch (DB instances and Multi-AZ DB clusters).
    :param alarm_topic: notified when an alarm fires and when it returns to OK.
    :param max_recovery_point_age: Default: 15 minutes; at least 10 minutes (two runs).
    :param encryption_key: encrypts the function's log group and environment. Default: a new
        key with yearly rotation, kept when the stack is deleted.
    :param metric_namespace: Default: ``rds-ha``.
    :param log_retention: Default: one year.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        databases: Sequence[IHighlyAvailableDatabase],
        alarm_topic: sns.ITopic,
        max_recovery_point_age: Duration = MAX_RECOVERY_POINT_AGE,
        encryption_key: kms.IKey | None = None,
        metric_namespace: str = DEFAULT_NAMESPACE,
        log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = []
        if not databases:
            problems.append("databases=[]: watch at least one database")
        identifiers = [database.identifier for database in databases]
        if len(set(identifiers)) != len(identifiers):
            problems.append(f"databases={identifiers}: each database once")
        threshold_seconds = max_recovery_point_age.to_seconds()
        if threshold_seconds < 2 * SCHEDULE.to_seconds():
            problems.append(
                f"max_recovery_point_age={threshold_seconds:g} s: must be at least "
                f"{2 * SCHEDULE.to_seconds():g} s (two runs of the function); RDS uploads "
                "transaction logs every five minutes"
            )
        if problems:
            raise ConfigurationError(self.node.path, problems)
        self.databases = list(databases)
        self.metric_namespace = metric_namespace
        self.max_recovery_point_age = max_recovery_point_age
        self.encryption_key: kms.IKey = encryption_key or create_database_key(
            self, "Key", description="rds-ha: recovery point watch logs"
        )
        name = f"{Stack.of(self).stack_name}-recovery-point-watch"
        log_group_name = f"/rds-ha/{name}"
        allow_cloudwatch_logs(self.encryption_key, log_group_name)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=log_group_name,
            retention=log_retention,
            encryption_key=self.encryption_key,
            removal_policy=defaults.RETAIN_NAMED,
        )
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{name}: describe the watched databases, publish their recovery point age",
        )
        self.policy = self._policy(role)
        self.function = lambda_.Function(
            self,
            "Function",
            description="Publish now - LatestRestorableTime of each watched database",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="recovery_point.handler",
            code=lambda_.Code.from_asset(
                str(HANDLER_DIR), exclude=["__pycache__", "*.pyc", "__init__.py"]
            ),
            role=role.without_policy_updates(),
            timeout=Duration.seconds(30),
            memory_size=128,
            retry_attempts=0,
            log_group=self.log_group,
            environment_encryption=self.encryption_key,
            environment={
                "DATABASES": json.dumps(
                    [{"identifier": d.identifier, "kind": _kind(d)} for d in self.databases]
                ),
                "METRIC_NAMESPACE": metric_namespace,
            },
        )
        create_after_policy(self.function, self.policy)
        self._acknowledge_function_findings()
        self.schedule = events.Rule(
            self,
            "Schedule",
            description=f"{name}: every {SCHEDULE.to_minutes():g} minutes",
            schedule=events.Schedule.rate(SCHEDULE),
            targets=[targets.LambdaFunction(self.function, retry_attempts=0)],
        )
        action = cw_actions.SnsAction(alarm_topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for database in self.databases:
            alarm = cloudwatch.Alarm(
                self,
                f"Alarm-{database.identifier}",
                alarm_name=f"{database.identifier}-recovery-point-age",
                alarm_description=(
                    f"{database.identifier}: a point-in-time restore would lose more than "
                    f"{threshold_seconds / 60:g} minutes of data (LatestRestorableTime is "
                    f"older), or the age is not being measured; check automated backups and "
                    f"the function's log group {log_group_name}."
                ),
                metric=self.metric_recovery_point_age(database),
                threshold=threshold_seconds,
                evaluation_periods=ALARM_PERIODS,
                datapoints_to_alarm=ALARM_PERIODS,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                # No data: no restorable time, or the function is not running. Either way the
                # data-loss window is unknown.
                treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            self.alarms[database.identifier] = alarm

    def metric_recovery_point_age(self, database: IHighlyAvailableDatabase) -> cloudwatch.Metric:
        """Seconds between now and the database's latest restorable time (Maximum per run)."""
        return cloudwatch.Metric(
            namespace=self.metric_namespace,
            metric_name=METRIC_NAME,
            dimensions_map={DIMENSIONS[_kind(database)]: database.identifier},
            statistic="Maximum",
            period=SCHEDULE,
            unit=cloudwatch.Unit.SECONDS,
        )

    def _policy(self, role: iam.Role) -> iam.ManagedPolicy:
        instances = [d.arn for d in self.databases if _kind(d) == "instance"]
        clusters = [d.arn for d in self.databases if _kind(d) == "cluster"]
        statements = []
        if instances:
            statements.append(
                iam.PolicyStatement(
                    sid="DescribeWatchedInstances",
                    actions=["rds:DescribeDBInstances"],
                    resources=instances,
                )
            )
        if clusters:
            statements.append(
                iam.PolicyStatement(
                    sid="DescribeWatchedClusters",
                    actions=["rds:DescribeDBClusters"],
                    resources=clusters,
                )
            )
        statements += [
            # PutMetricData has no resource-level permissions (Service Authorization Reference,
            # Amazon CloudWatch: "*" only); the cloudwatch:namespace condition key limits it to
            # this namespace.
            iam.PolicyStatement(
                sid="PublishRecoveryPointAge",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": self.metric_namespace}},
            ),
            iam.PolicyStatement(
                sid="Logs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            ),
            iam.PolicyStatement(
                sid="DecryptEnvironment",
                actions=["kms:Decrypt"],
                resources=[self.encryption_key.key_arn],
            ),
        ]
        policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Recovery point watch: describe the watched databases, publish metrics",
            roles=[role],
            statements=statements,
        )
        Validations.of(policy).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                reason="cloudwatch:PutMetricData has no resource-level permissions (Service "
                "Authorization Reference, Amazon CloudWatch); the statement is limited to the "
                f"{self.metric_namespace!r} namespace by the cloudwatch:namespace condition key.",
            )
        )
        return policy

    def _acknowledge_function_findings(self) -> None:
        outside_vpc = (
            "The function only calls the RDS and CloudWatch APIs and reads no database data; "
            "the VPC's subnets are isolated (no NAT), so inside it would need interface "
            "endpoints for both APIs, which a VPC can hold only once per service. It runs with "
            "Lambda's default networking instead, with a role limited to describing the "
            "watched databases and publishing one metric namespace."
        )
        no_reserved = (
            "Reserving concurrency fails the deploy in accounts with a low concurrency quota, "
            "such as new accounts. The function runs once every five minutes for a few "
            "seconds; a run that does not happen leaves the metric without data, which the "
            "alarms treat as breaching."
        )
        no_dlq = (
            "A failed run has nothing to replay: the next run five minutes later measures "
            "afresh, and missing data points put the alarms in ALARM (treat missing data as "
            "breaching), so a dead-letter queue would add nothing."
        )
        findings = {
            "LambdaInsideVPC": (("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"), outside_vpc),
            "LambdaConcurrency": (("HIPAA.Security", "NIST.800.53.R5"), no_reserved),
            "LambdaDLQ": (("HIPAA.Security", "NIST.800.53.R5"), no_dlq),
        }
        acknowledge_rules(self.function, findings)
        skip_checkov_checks(
            self.function,
            {"CKV_AWS_115": no_reserved, "CKV_AWS_116": no_dlq, "CKV_AWS_117": outside_vpc},
        )


def _kind(database: IHighlyAvailableDatabase) -> str:
    return "cluster" if is_cluster_deployment(database.deployment) else "instance"
