"""``SnapshotExport``: every new snapshot of a database exported to S3 as Parquet."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from rds_ha.database import defaults
from rds_ha.database.i_highly_available_database import IHighlyAvailableDatabase
from rds_ha.database.keys import allow_cloudwatch_logs, create_database_key
from rds_ha.database.units import renamed, whole_days
from rds_ha.errors import ConfigurationError
from rds_ha.functions import create_after_policy
from rds_ha.nag import skip_checkov_checks
from rds_ha.snapshot_export import export_rules
from rds_ha.snapshot_export.buckets import create_access_log_bucket, create_export_bucket
from rds_ha.snapshot_export.dead_letters import create_dead_letter_queue, export_failures_alarm
from rds_ha.snapshot_export.function_policy import (
    EXPORT_SERVICE_PRINCIPAL,
    export_function_policy,
)
from rds_ha.snapshot_export.rds_api_endpoint import rds_api_endpoint_of

HANDLER_DIR = Path(__file__).resolve().parent / "handler"
# The AWS Backup event the handler acts on. The handler is shipped alone as the function's code,
# so it keeps its own copy; importing it here would load boto3 into every synth. A test checks
# that the two agree.
BACKUP_JOB_EVENT = "Backup Job State Change"
# RDS events that announce a finished snapshot: manual (0042) and automated (0091) DB snapshots,
# manual (0075) and automated (0169) DB cluster snapshots.
SNAPSHOT_CREATED_EVENT_IDS = (
    "RDS-EVENT-0042",
    "RDS-EVENT-0091",
    "RDS-EVENT-0075",
    "RDS-EVENT-0169",
)
EXPORT_PREFIX = "snapshots"
EXPORT_FUNCTION_RETRIES = 2
EXPORT_TARGET_RETRIES = 4


EXPORT_ARCHIVE_AFTER = Duration.days(export_rules.EXPORT_ARCHIVE_AFTER_DAYS)
EXPORT_EXPIRE_AFTER = Duration.days(export_rules.EXPORT_EXPIRE_AFTER_DAYS)


class SnapshotExport(Construct):
    """Each new snapshot of ``database`` exported to an S3 bucket (``.export_bucket``) in
    Parquet, by a function in the VPC that starts an RDS export task.

    - the export bucket (SSE-KMS with ``encryption_key``, versioned, private, archived then
      expired) and a bucket for its server access logs;
    - the export role that RDS's export service assumes, granted through the bucket and key
      policies only;
    - the export function (isolated subnets, its own security group, bounded retries, a
      dead-letter queue under ``encryption_key``, an alarm on that queue) and its log group;
    - EventBridge rules for the snapshots to export;
    - the VPC's RDS API interface endpoint, unless the VPC has one.

    :param database: the database whose snapshots are exported.
    :param vpc: the VPC the export function runs in (isolated subnets; it reaches the RDS API
        through an interface endpoint).
    :param encryption_key: key for the exports, the dead-letter queue, the function's
        environment and logs. Default: a new key with yearly rotation, kept when the stack is
        deleted. A key passed in must let CloudWatch Logs, the export role and the function use
        it when it is imported (its policy is left alone then).
    :param export_snapshots: which snapshots are exported to S3. ``"monthly"``: only the
        snapshots of the plan's monthly rule (tagged ``rds-ha:backup-rule=Monthly``);
        ``"all"``: every snapshot of the database (RDS automated and manual snapshots and every
        AWS Backup snapshot; an export costs per GB of snapshot, each time); ``"none"``: no
        export bucket, function or rules. Default: ``"monthly"``.
    :param export_archive_after: exports move to S3 Glacier Instant Retrieval (still
        readable by Athena) after this long, whole days (``Duration.days(90)``). Default: 30
        days.
    :param export_expire_after: exports are deleted after this long, whole days. Default: 730
        days.
    :param log_retention: retention of the export function's log group. Default: one year.
    :param create_rds_api_endpoint: Default: true (an interface endpoint for the RDS API in the
        VPC, with private DNS, reachable only from the export functions). A VPC holds one such
        endpoint: the first ``SnapshotExport`` in a VPC creates it and the others in the same
        app reuse it. Pass false when the VPC already has one made elsewhere (the function then
        sends HTTPS to the VPC's CIDR), or pass it as ``rds_api_endpoint``.
    :param rds_api_endpoint: an existing RDS API interface endpoint of the VPC; the export
        function is let in through its security group. Default: see ``create_rds_api_endpoint``.
    :param alarm_topic: the topic told when a snapshot export fails (a message arrives in the
        export dead-letter queue). Default: none, with the warning
        ``rds-ha:export-failures-unwatched``; add an action to ``export_failures_alarm`` then.
    :param export_function_reserved_concurrency: reserved concurrent executions of the export
        function. Default: none reserved (it runs a few times a month and needs one execution at
        a time; reserving any fails the deploy in accounts whose concurrency quota is low, as
        in new accounts, because Lambda keeps a minimum of unreserved concurrency). Retries stay
        bounded and failed events go to the dead-letter queue either way.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database: IHighlyAvailableDatabase,
        vpc: ec2.IVpc,
        encryption_key: kms.IKey | None = None,
        export_snapshots: str = export_rules.EXPORT_SNAPSHOTS,
        export_archive_after: Duration = EXPORT_ARCHIVE_AFTER,
        export_expire_after: Duration = EXPORT_EXPIRE_AFTER,
        log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
        create_rds_api_endpoint: bool = True,
        rds_api_endpoint: ec2.IInterfaceVpcEndpoint | None = None,
        alarm_topic: sns.ITopic | None = None,
        export_function_reserved_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        archive_days, archive_problem = whole_days("export_archive_after", export_archive_after)
        expire_days, expire_problem = whole_days("export_expire_after", export_expire_after)
        problems = [problem for problem in (archive_problem, expire_problem) if problem]
        # A prop that is not whole days is reported above; its default stands in for the rules.
        export_archive_after_days = archive_days or export_rules.EXPORT_ARCHIVE_AFTER_DAYS
        export_expire_after_days = expire_days or export_rules.EXPORT_EXPIRE_AFTER_DAYS
        problems += renamed(
            export_rules.export_problems(
                export_snapshots=export_snapshots,
                export_archive_after_days=export_archive_after_days,
                export_expire_after_days=export_expire_after_days,
                export_function_reserved_concurrency=export_function_reserved_concurrency,
            ),
            {
                "export_archive_after_days": ("export_archive_after", "Duration.days"),
                "export_expire_after_days": ("export_expire_after", "Duration.days"),
            },
        )
        if export_snapshots == "none":
            problems.append(
                "export_snapshots='none': leave the SnapshotExport out instead; it exports "
                "'monthly' or 'all' snapshots"
            )
        if problems:
            raise ConfigurationError(self.node.path, problems)
        self.database = database
        self.database_arn = database.arn
        self.database_arns = [self.database_arn]
        self.export_snapshots = export_snapshots
        self.encryption_key: kms.IKey = encryption_key or create_database_key(
            self, "Key", description=f"{database.identifier}: snapshot exports"
        )
        self.access_log_bucket = create_access_log_bucket(self, export_expire_after_days)
        self.export_bucket = create_export_bucket(
            self,
            encryption_key=self.encryption_key,
            access_log_bucket=self.access_log_bucket,
            archive_after_days=export_archive_after_days,
            expire_after_days=export_expire_after_days,
        )
        self.export_role = iam.Role(
            self,
            "ExportRole",
            assumed_by=iam.ServicePrincipal(EXPORT_SERVICE_PRINCIPAL),
            description=f"{self.database.identifier}: RDS snapshot export to its S3 bucket",
        )
        # Granted through the bucket and key policies, scoped to this bucket and key only.
        self.export_bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="RdsSnapshotExport",
                principals=[self.export_role],
                actions=[
                    "s3:PutObject",
                    "s3:GetObject",
                    "s3:ListBucket",
                    "s3:DeleteObject",
                    "s3:GetBucketLocation",
                ],
                resources=[self.export_bucket.bucket_arn, self.export_bucket.arn_for_objects("*")],
            )
        )
        self.encryption_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="RdsSnapshotExportEncrypt",
                principals=[self.export_role],
                actions=[
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:CreateGrant",
                    "kms:DescribeKey",
                    "kms:RetireGrant",
                ],
                resources=["*"],
            )
        )
        self._create_export_function(
            vpc,
            log_retention,
            create_rds_api_endpoint,
            rds_api_endpoint,
            export_function_reserved_concurrency,
        )
        self.export_failures_alarm = export_failures_alarm(
            self, self.dead_letter_queue, identifier=database.identifier, topic=alarm_topic
        )

    def _create_export_function(
        self,
        vpc: ec2.IVpc,
        log_retention: logs.RetentionDays,
        create_rds_api_endpoint: bool,
        rds_api_endpoint: ec2.IInterfaceVpcEndpoint | None,
        reserved_concurrency: int | None,
    ) -> None:
        identifier = self.database.identifier
        log_group_name = f"/rds-ha/{identifier}/snapshot-export"
        allow_cloudwatch_logs(self.encryption_key, log_group_name)
        self.export_log_group = logs.LogGroup(
            self,
            "ExportFunctionLogs",
            log_group_name=log_group_name,
            retention=log_retention,
            encryption_key=self.encryption_key,
            removal_policy=defaults.RETAIN_NAMED,
        )
        self.dead_letter_queue = create_dead_letter_queue(self, self.encryption_key)
        security_group = ec2.SecurityGroup(
            self,
            "ExportFunctionSecurityGroup",
            vpc=vpc,
            description=f"{identifier}: snapshot export function (HTTPS to the RDS API only)",
            allow_all_outbound=False,
        )
        function_role = iam.Role(
            self,
            "ExportFunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{identifier}: start exports of this database's snapshots",
        )
        policy, self._databases_statement = export_function_policy(
            self,
            role=function_role,
            identifier=identifier,
            database_arn=self.database_arn,
            export_role=self.export_role,
            dead_letter_queue=self.dead_letter_queue,
            log_group=self.export_log_group,
        )
        self.export_function = lambda_.Function(
            self,
            "ExportFunction",
            description=f"{identifier}: export each new snapshot to S3 as Parquet",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="snapshot_export.handler",
            code=lambda_.Code.from_asset(
                str(HANDLER_DIR), exclude=["__pycache__", "*.pyc", "__init__.py"]
            ),
            role=function_role.without_policy_updates(),
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            security_groups=[security_group],
            timeout=Duration.seconds(30),
            memory_size=256,
            reserved_concurrent_executions=reserved_concurrency,
            retry_attempts=EXPORT_FUNCTION_RETRIES,
            max_event_age=Duration.hours(6),
            dead_letter_queue=self.dead_letter_queue,
            log_group=self.export_log_group,
            environment_encryption=self.encryption_key,
            environment={
                "DATABASE_ARN": self.database_arn,
                "EXPORT_BUCKET": self.export_bucket.bucket_name,
                "EXPORT_PREFIX": EXPORT_PREFIX,
                "EXPORT_ROLE_ARN": self.export_role.role_arn,
                "EXPORT_KEY_ARN": self.encryption_key.key_arn,
                "EXPORT_SNAPSHOTS": self.export_snapshots,
            },
        )
        # Lambda checks the role's network-interface permissions when it creates the function,
        # so it waits for the policy (added to the dependencies CDK itself declares).
        # CDK's own DependsOn is kept: it includes the subnets' route table associations.
        create_after_policy(self.export_function, policy)
        if reserved_concurrency is None:
            self._acknowledge_unreserved_concurrency()
        self.encryption_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="SnapshotExportStart",
                principals=[function_role],
                actions=["kms:CreateGrant", "kms:DescribeKey"],
                resources=["*"],
            )
        )
        # The function reads its environment, encrypted with this key, and sends failed events
        # to the dead-letter queue, encrypted with it too.
        self.encryption_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ExportFunctionEnvironmentAndDeadLetters",
                principals=[function_role],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
            )
        )
        endpoint = rds_api_endpoint or (
            rds_api_endpoint_of(self, vpc, identifier=identifier)
            if create_rds_api_endpoint
            else None
        )
        self.rds_api_endpoint = endpoint
        if endpoint is not None:
            endpoint.connections.allow_default_port_from(
                security_group, f"Snapshot export function of {identifier} to the RDS API"
            )
        else:
            security_group.add_egress_rule(
                ec2.Peer.ipv4(vpc.vpc_cidr_block),
                ec2.Port.tcp(443),
                "HTTPS to the VPC's RDS API endpoint",
            )
        self._create_rules()

    def add_database(self, database: IHighlyAvailableDatabase) -> None:
        """Export the snapshots of one more database to the same bucket, with the same
        function, role and rules.

        The database may be in another stack: it is named by the ARN formatted from its fixed
        identifier (``database.arn_for``), so this construct's stack does not depend on the
        database's and the database's stack can depend on this one.
        """
        arn = database.arn_for(self)
        if arn in self.database_arns:
            return
        self.database_arns.append(arn)
        self._databases_statement.add_resources(arn)
        # One ARN, or several separated by commas (ARNs hold no commas).
        self.export_function.add_environment("DATABASE_ARN", ",".join(self.database_arns))
        # Event patterns merge arrays: the rule then matches any of the databases.
        self.backup_rule.add_event_pattern(detail={"resourceArn": [arn]})

    def _acknowledge_unreserved_concurrency(self) -> None:
        reason = (
            "Reserved concurrency is opt-in (export_function_reserved_concurrency): reserving "
            "any fails the deploy in accounts with a low concurrency quota, such as new "
            "accounts, because Lambda keeps a minimum of unreserved concurrency. The function "
            "runs a few times a month; retries are bounded and failed events go to a "
            "dead-letter queue."
        )
        Validations.of(self.export_function).acknowledge(
            *(
                Acknowledgment(id=f"{pack}::{pack}-LambdaConcurrency", reason=reason)
                for pack in ("HIPAA.Security", "NIST.800.53.R5")
            )
        )
        skip_checkov_checks(self.export_function, {"CKV_AWS_115": reason})

    def _create_rules(self) -> None:
        target = targets.LambdaFunction(
            self.export_function,
            dead_letter_queue=self.dead_letter_queue,
            retry_attempts=EXPORT_TARGET_RETRIES,
            max_event_age=Duration.hours(6),
        )
        identifier = self.database.identifier
        # Copy jobs are left out: the copy's recovery point is in the DR region, and the
        # snapshot it copies is exported when its own backup job completes.
        self.backup_rule = events.Rule(
            self,
            "BackupCompletedRule",
            description=f"{identifier}: AWS Backup job completed -> export to S3",
            event_pattern=events.EventPattern(
                source=["aws.backup"],
                detail_type=[BACKUP_JOB_EVENT],
                detail={"resourceArn": [self.database_arn]},
            ),
            targets=[target],
        )
        self.snapshot_rule: events.Rule | None = None
        if self.export_snapshots == "all":
            self.snapshot_rule = events.Rule(
                self,
                "SnapshotCreatedRule",
                description=f"{identifier}: RDS snapshot created -> export to S3",
                event_pattern=events.EventPattern(
                    source=["aws.rds"],
                    detail_type=["RDS DB Snapshot Event", "RDS DB Cluster Snapshot Event"],
                    detail={"EventID": list(SNAPSHOT_CREATED_EVENT_IDS)},
                ),
                targets=[target],
            )
