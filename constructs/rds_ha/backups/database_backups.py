"""``DatabaseBackups``: AWS Backup with continuous PITR, copies to a second region, restore
testing, and snapshots exported to S3 as Parquet."""

from __future__ import annotations

import re
import weakref
from pathlib import Path

from aws_cdk import (
    Acknowledgment,
    Annotations,
    ArnFormat,
    Duration,
    Fn,
    RemovalPolicy,
    Stack,
    Validations,
)
from aws_cdk import aws_backup as backup
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from rds_ha.backups import backup_rules
from rds_ha.catalog.engines import Deployment
from rds_ha.database import defaults
from rds_ha.database.highly_available_database import HighlyAvailableDatabase
from rds_ha.database.keys import allow_cloudwatch_logs, create_database_key
from rds_ha.errors import ConfigurationError
from rds_ha.nag import nag_finding_text
from rds_ha.snapshot_export.handler.snapshot_export import (
    BACKUP_JOB_EVENT,
    BACKUP_RULE_TAG,
    MONTHLY_RULE,
)

HANDLERS_DIR = Path(__file__).resolve().parent.parent / "snapshot_export" / "handler"
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
NONCURRENT_EXPORT_VERSION_DAYS = 30
# AWS Backup's vault, plan, selection and restore testing names are at most 50 characters
# (AWS Backup API reference; the CloudFormation schemas constrain only some of them).
BACKUP_NAME_MAX_LENGTH = 50
# StartExportTask takes the role that RDS's export service assumes: the role trusts
# export.rds.amazonaws.com (RDS user guide, "Exporting DB snapshot data to Amazon S3": the
# role's trust policy names that principal). IAM matches iam:PassedToService against the service
# principal the role is passed to ("IAM: Pass an IAM role to a specific AWS service": the
# principal in the role's trust policy). The RDS documentation does not say whether
# StartExportTask presents export.rds.amazonaws.com or rds.amazonaws.com, so the condition admits
# both RDS principals and nothing else.
EXPORT_SERVICE_PRINCIPAL = "export.rds.amazonaws.com"
EXPORT_PASSED_TO_SERVICES = (EXPORT_SERVICE_PRINCIPAL, "rds.amazonaws.com")

# One RDS API interface endpoint per VPC: an interface endpoint with private DNS takes the
# service's DNS name for the whole VPC, so a second one for the same service fails to create
# ("private-dns-enabled cannot be set because there is already a conflicting DNS domain").
# The first DatabaseBackups in a VPC creates it; later ones in the same app reuse it.
_RDS_API_ENDPOINTS: weakref.WeakKeyDictionary[object, dict[str, ec2.InterfaceVpcEndpoint]] = (
    weakref.WeakKeyDictionary()
)


def protected_backup_vault(
    scope: Construct,
    construct_id: str,
    *,
    vault_name: str,
    encryption_key: kms.IKey,
    lock: backup.LockConfiguration | None = None,
) -> backup.BackupVault:
    """A vault whose access policy denies deleting recovery points or shortening their lifecycle
    to everyone, retained when its stack is deleted; optionally with a vault lock."""
    return backup.BackupVault(
        scope,
        construct_id,
        backup_vault_name=vault_name,
        encryption_key=encryption_key,
        block_recovery_point_deletion=True,
        lock_configuration=lock,
        removal_policy=defaults.RETAIN_NAMED,
    )


def backup_vault_arn(scope: Construct, *, region: str, vault_name: str) -> str:
    """The ARN of a vault in this account and ``region``, known before it exists."""
    return Stack.of(scope).format_arn(
        service="backup",
        region=region,
        resource="backup-vault",
        resource_name=vault_name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


class DatabaseBackups(Construct):
    """The database's backups, owned by the user rather than by RDS alone.

    - an AWS Backup vault (``.vault``) encrypted with a customer-managed key, whose access policy
      denies deleting recovery points; optionally a vault lock;
    - a backup plan (``.plan``): continuous backup (point-in-time restore), daily snapshots and
      monthly snapshots kept longer, each copied to the disaster-recovery vault when given;
    - a selection (``.selection``) that puts the database in the plan;
    - a restore testing plan and selection that restore the latest recovery point on a schedule;
    - the export of snapshots to an S3 bucket (``.export_bucket``) as Parquet.

    :param database: the database to protect.
    :param vpc: the VPC the export function runs in (isolated subnets; it reaches the RDS API
        through an interface endpoint).
    :param encryption_key: key for the vault, the export bucket, the dead-letter queue and the
        export function's logs. Default: a new key with yearly rotation, kept when the stack is
        deleted. A key passed in must already allow the export role, the export function and
        CloudWatch Logs to use it (its policy is left alone when it is imported).
    :param vault_name: Default: ``<database identifier>-backups`` (the identifier cut to fit
        AWS Backup's 50 characters).
    :param continuous_retention_days: point-in-time restore through AWS Backup, 1-35. AWS
        Backup takes over the RDS automated backups and their retention, so it must equal the
        database's ``backup_retention_days``. Default: the database's ``backup_retention_days``.
    :param daily_retention_days: Default: 35.
    :param monthly_retention_days: Default: 365; must be longer than the daily retention.
    :param backup_start_hour_utc: the hour AWS Backup starts its jobs (one-hour start window);
        it must not overlap the database's ``backup_window``. Default: 5 (05:00 UTC).
    :param disaster_recovery_vault: a vault in another region the daily and monthly snapshots
        are copied to. Default: no copy, with the warning ``rds-ha:no-dr-copy``. AWS Backup
        does not copy Multi-AZ DB cluster snapshots; for a cluster the copy is left out with the
        warning ``rds-ha:cluster-copy-unsupported``.
    :param disaster_recovery_retention_days: retention of the daily copies in the DR vault.
        Default: the daily retention.
    :param disaster_recovery_monthly_retention_days: retention of the monthly copies in the DR
        vault. Default: the monthly retention.
    :param vault_lock: Default: no vault lock (the access policy still denies deletion). With
        ``changeable_for`` set, the lock becomes immutable (compliance mode) after that time.
    :param restore_test_schedule: when AWS Backup restores the latest recovery point to check it.
        Default: ``cron(0 6 ? * SAT *)`` (Saturdays 06:00 UTC).
    :param export_snapshots: which snapshots are exported to S3. ``"monthly"``: only the
        snapshots of the plan's monthly rule (tagged ``rds-ha:backup-rule=Monthly``);
        ``"all"``: every snapshot of the database (RDS automated and manual snapshots and every
        AWS Backup snapshot; an export costs per GB of snapshot, each time); ``"none"``: no
        export bucket, function or rules. Default: ``"monthly"``.
    :param export_archive_after_days: exports move to S3 Glacier Instant Retrieval (still
        readable by Athena) after this many days. Default: 30.
    :param export_expire_after_days: exports are deleted after this many days. Default: 730.
    :param log_retention: retention of the export function's log group. Default: one year.
    :param create_rds_api_endpoint: Default: true (an interface endpoint for the RDS API in the
        VPC, with private DNS, reachable only from the export functions). A VPC holds one such
        endpoint: the first ``DatabaseBackups`` in a VPC creates it and the others in the same
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
        database: HighlyAvailableDatabase,
        vpc: ec2.IVpc,
        encryption_key: kms.IKey | None = None,
        vault_name: str | None = None,
        continuous_retention_days: int | None = None,
        daily_retention_days: int = backup_rules.DAILY_RETENTION_DAYS,
        monthly_retention_days: int = backup_rules.MONTHLY_RETENTION_DAYS,
        backup_start_hour_utc: int = backup_rules.BACKUP_START_HOUR_UTC,
        disaster_recovery_vault: backup.IBackupVault | None = None,
        disaster_recovery_retention_days: int | None = None,
        disaster_recovery_monthly_retention_days: int | None = None,
        vault_lock: backup.LockConfiguration | None = None,
        restore_test_schedule: str = backup_rules.RESTORE_TEST_SCHEDULE,
        export_snapshots: str = backup_rules.EXPORT_SNAPSHOTS,
        export_archive_after_days: int = backup_rules.EXPORT_ARCHIVE_AFTER_DAYS,
        export_expire_after_days: int = backup_rules.EXPORT_EXPIRE_AFTER_DAYS,
        log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
        create_rds_api_endpoint: bool = True,
        rds_api_endpoint: ec2.IInterfaceVpcEndpoint | None = None,
        alarm_topic: sns.ITopic | None = None,
        export_function_reserved_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        if continuous_retention_days is None:
            continuous_retention_days = database.backup_retention_days
        problems = backup_rules.backup_problems(
            continuous_retention_days=continuous_retention_days,
            database_backup_retention_days=database.backup_retention_days,
            daily_retention_days=daily_retention_days,
            monthly_retention_days=monthly_retention_days,
            disaster_recovery_retention_days=disaster_recovery_retention_days,
            disaster_recovery_monthly_retention_days=disaster_recovery_monthly_retention_days,
            backup_start_hour_utc=backup_start_hour_utc,
            database_backup_window=database.backup_window,
            restore_test_schedule=restore_test_schedule,
            export_snapshots=export_snapshots,
            export_archive_after_days=export_archive_after_days,
            export_expire_after_days=export_expire_after_days,
            vault_lock_min_retention_days=_days_or_none(vault_lock and vault_lock.min_retention),
            vault_lock_max_retention_days=_days_or_none(vault_lock and vault_lock.max_retention),
        )
        if (
            export_function_reserved_concurrency is not None
            and export_function_reserved_concurrency < 1
        ):
            problems.append(
                f"export_function_reserved_concurrency={export_function_reserved_concurrency}: "
                "must be at least 1, or None to reserve nothing"
            )
        if problems:
            raise ConfigurationError(self.node.path, problems)
        self.database = database
        self.database_arn = _database_arn(database)
        self.encryption_key: kms.IKey = encryption_key or create_database_key(
            self, "Key", description=f"{database.identifier}: backups and snapshot exports"
        )
        self.vault = protected_backup_vault(
            self,
            "Vault",
            vault_name=vault_name or _backup_name(database.identifier, "-backups"),
            encryption_key=self.encryption_key,
            lock=vault_lock,
        )
        self.role = self._create_backup_role()
        self.plan = self._create_plan(
            continuous_retention_days=continuous_retention_days,
            daily_retention_days=daily_retention_days,
            monthly_retention_days=monthly_retention_days,
            start_hour=backup_start_hour_utc,
            copy_to=self._copy_destination(disaster_recovery_vault),
            copy_retention_days=disaster_recovery_retention_days or daily_retention_days,
            monthly_copy_retention_days=(
                disaster_recovery_monthly_retention_days or monthly_retention_days
            ),
        )
        self.selection = backup.BackupSelection(
            self,
            "Selection",
            backup_plan=self.plan,
            backup_selection_name=_backup_name(database.identifier, "-database"),
            resources=[backup.BackupResource.from_arn(self.database_arn)],
            role=self.role,
        )
        self._create_restore_testing(restore_test_schedule)
        self.export_snapshots = export_snapshots
        if export_snapshots != "none":
            self._create_export(
                vpc=vpc,
                archive_after_days=export_archive_after_days,
                expire_after_days=export_expire_after_days,
                log_retention=log_retention,
                create_rds_api_endpoint=create_rds_api_endpoint,
                rds_api_endpoint=rds_api_endpoint,
                reserved_concurrency=export_function_reserved_concurrency,
            )
            self._watch_dead_letter_queue(alarm_topic)

    # --- AWS Backup ------------------------------------------------------------------------

    def _create_backup_role(self) -> iam.Role:
        policies = (
            "service-role/AWSBackupServiceRolePolicyForBackup",
            "service-role/AWSBackupServiceRolePolicyForRestores",
        )
        role = iam.Role(
            self,
            "BackupRole",
            assumed_by=iam.ServicePrincipal("backup.amazonaws.com"),
            description=f"{self.database.identifier}: AWS Backup jobs, copies and restore tests",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(name) for name in policies
            ],
        )
        Validations.of(role).acknowledge(
            *(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-IAM4"
                    f"[Policy::arn:<AWS::Partition>:iam::aws:policy/{name}]",
                    reason="AWS Backup's own service-role policy: it follows every change in what "
                    "AWS Backup needs to snapshot, copy and restore RDS, where a hand-written "
                    "copy that falls behind fails backups silently. Only backup.amazonaws.com "
                    "can assume the role.",
                )
                for name in policies
            )
        )
        return role

    def _copy_destination(self, vault: backup.IBackupVault | None) -> backup.IBackupVault | None:
        annotations = Annotations.of(self)
        if vault is None:
            annotations.add_warning_v2(
                "rds-ha:no-dr-copy",
                f"{self.database.identifier}: no disaster-recovery vault, so no backup survives "
                "the loss of the region.",
            )
            return None
        if self.database.deployment is Deployment.MULTI_AZ_CLUSTER:
            annotations.add_warning_v2(
                "rds-ha:cluster-copy-unsupported",
                f"{self.database.identifier}: AWS Backup does not copy Multi-AZ DB cluster "
                "snapshots to another region; only the S3 exports and the in-region vault "
                "protect this cluster.",
            )
            return None
        return vault

    def _create_plan(
        self,
        *,
        continuous_retention_days: int,
        daily_retention_days: int,
        monthly_retention_days: int,
        start_hour: int,
        copy_to: backup.IBackupVault | None,
        copy_retention_days: int,
        monthly_copy_retention_days: int,
    ) -> backup.BackupPlan:
        plan = backup.BackupPlan(
            self,
            "Plan",
            backup_plan_name=_backup_name(self.database.identifier, "-plan"),
            backup_vault=self.vault,
        )

        def copies(retention_days: int) -> list[backup.BackupPlanCopyActionProps] | None:
            if copy_to is None:
                return None
            return [
                backup.BackupPlanCopyActionProps(
                    destination_backup_vault=copy_to, delete_after=Duration.days(retention_days)
                )
            ]

        windows = {
            "start_window": Duration.minutes(backup_rules.BACKUP_START_WINDOW_MINUTES),
            "completion_window": Duration.hours(8),
        }
        plan.add_rule(
            backup.BackupPlanRule(
                rule_name="Continuous",
                enable_continuous_backup=True,
                delete_after=Duration.days(continuous_retention_days),
                schedule_expression=events.Schedule.cron(minute="0", hour=str(start_hour)),
                **windows,
            )
        )
        # No cold-storage transition: AWS Backup moves only some resource types to cold storage
        # and RDS snapshots are not among them (the setting would be ignored). Long-term,
        # low-cost copies of the data are the Parquet exports in S3, which do move to an
        # archive class.
        plan.add_rule(
            backup.BackupPlanRule(
                rule_name="Daily",
                delete_after=Duration.days(daily_retention_days),
                schedule_expression=events.Schedule.cron(minute="0", hour=str(start_hour)),
                copy_actions=copies(copy_retention_days),
                **windows,
            )
        )
        plan.add_rule(
            backup.BackupPlanRule(
                rule_name=MONTHLY_RULE,
                delete_after=Duration.days(monthly_retention_days),
                schedule_expression=events.Schedule.cron(minute="0", hour=str(start_hour), day="1"),
                copy_actions=copies(monthly_copy_retention_days),
                # Marks the snapshots that are exported to S3 by default.
                recovery_point_tags={BACKUP_RULE_TAG: MONTHLY_RULE},
                **windows,
            )
        )
        return plan

    def _create_restore_testing(self, schedule: str) -> None:
        name = _restore_testing_name(self.database.identifier, "_restores")
        plan = backup.CfnRestoreTestingPlan(
            self,
            "RestoreTestingPlan",
            restore_testing_plan_name=name,
            schedule_expression=schedule,
            start_window_hours=4,
            recovery_point_selection=backup.CfnRestoreTestingPlan.RestoreTestingRecoveryPointSelectionProperty(
                algorithm="LATEST_WITHIN_WINDOW",
                include_vaults=[self.vault.backup_vault_arn],
                recovery_point_types=["CONTINUOUS", "SNAPSHOT"],
                selection_window_days=7,
            ),
        )
        selection = backup.CfnRestoreTestingSelection(
            self,
            "RestoreTestingSelection",
            restore_testing_plan_name=name,
            restore_testing_selection_name=_restore_testing_name(
                self.database.identifier, "_restores_database"
            ),
            iam_role_arn=self.role.role_arn,
            protected_resource_type="RDS",
            protected_resource_arns=[self.database_arn],
            # The restored copy goes into the database's own isolated subnets and security
            # group (no ingress), never a default VPC.
            restore_metadata_overrides={
                "dbSubnetGroupName": self.database.subnet_group.subnet_group_name,
                "vpcSecurityGroupIds": Fn.join(
                    "", ['["', self.database.security_group.security_group_id, '"]']
                ),
            },
            validation_window_hours=1,
        )
        selection.add_resource_dependency(plan)
        self.restore_testing_plan = plan
        self.restore_testing_selection = selection

    # --- snapshot export to S3 -----------------------------------------------------------

    def _create_export(
        self,
        *,
        vpc: ec2.IVpc,
        archive_after_days: int,
        expire_after_days: int,
        log_retention: logs.RetentionDays,
        create_rds_api_endpoint: bool,
        rds_api_endpoint: ec2.IInterfaceVpcEndpoint | None,
        reserved_concurrency: int | None,
    ) -> None:
        self.access_log_bucket = self._create_access_log_bucket(expire_after_days)
        self.export_bucket = s3.Bucket(
            self,
            "ExportBucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.encryption_key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ArchiveThenExpire",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=Duration.days(archive_after_days),
                        )
                    ],
                    expiration=Duration.days(expire_after_days),
                    noncurrent_version_expiration=Duration.days(NONCURRENT_EXPORT_VERSION_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._log_access_to(self.export_bucket, prefix="export-bucket/")
        Validations.of(self.export_bucket).acknowledge(
            *(
                Acknowledgment(
                    id=f"{pack}::{pack}-S3BucketReplicationEnabled",
                    reason="The exports are derived data: the snapshots they come from are "
                    "copied to the disaster-recovery region by AWS Backup and can be exported "
                    "again there. Replication needs a bucket in another region that exists "
                    "before this one.",
                )
                for pack in _S3_PACKS
            )
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
            vpc, log_retention, create_rds_api_endpoint, rds_api_endpoint, reserved_concurrency
        )

    def _log_access_to(self, bucket: s3.Bucket, *, prefix: str) -> None:
        """Server access logs of ``bucket`` to the access log bucket, delivered under a bucket
        policy (the bucket owner owns every object; no ACLs)."""
        cfn_bucket = bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
            destination_bucket_name=self.access_log_bucket.bucket_name, log_file_prefix=prefix
        )
        self.access_log_bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="S3ServerAccessLogs",
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[self.access_log_bucket.arn_for_objects(f"{prefix}*")],
                conditions={
                    "ArnLike": {"aws:SourceArn": bucket.bucket_arn},
                    "StringEquals": {"aws:SourceAccount": Stack.of(self).account},
                },
            )
        )

    def _create_access_log_bucket(self, expire_after_days: int) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "AccessLogBucket",
            # S3 delivers server access logs only to buckets encrypted with S3-managed keys.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="Expire",
                    expiration=Duration.days(expire_after_days),
                    noncurrent_version_expiration=Duration.days(NONCURRENT_EXPORT_VERSION_DAYS),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        reasons = {
            "S3DefaultEncryptionKMS": "S3 server access logging delivers only to buckets whose "
            "default encryption is SSE-S3; SSE-KMS would stop the access logs.",
            "S3BucketReplicationEnabled": "Access logs describe requests to this region's "
            "export bucket; they are kept here for audit and expire with the exports.",
        }
        Validations.of(bucket).acknowledge(
            *(
                Acknowledgment(id=f"{pack}::{pack}-{rule}", reason=reason)
                for pack in _S3_PACKS
                for rule, reason in reasons.items()
            )
        )
        return bucket

    def _create_export_function(
        self,
        vpc: ec2.IVpc,
        log_retention: logs.RetentionDays,
        create_rds_api_endpoint: bool,
        rds_api_endpoint: ec2.IInterfaceVpcEndpoint | None,
        reserved_concurrency: int | None,
    ) -> None:
        stack = Stack.of(self)
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
        self.dead_letter_queue = sqs.Queue(
            self,
            "ExportDeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.encryption_key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self._let_senders_use_key_for_dead_letters()
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
        policy = self._export_function_policy(function_role, stack)
        self.export_function = lambda_.Function(
            self,
            "ExportFunction",
            description=f"{identifier}: export each new snapshot to S3 as Parquet",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="snapshot_export.handler",
            code=lambda_.Code.from_asset(
                str(HANDLERS_DIR), exclude=["__pycache__", "*.pyc", "__init__.py"]
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
        cfn_function = self.export_function.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction)
        cfn_policy = policy.node.default_child
        assert isinstance(cfn_policy, iam.CfnManagedPolicy)
        cfn_function.add_resource_dependency(cfn_policy)
        # CDK's own DependsOn (kept: it includes the subnets' route table associations) names
        # the role, which the Role GetAtt already implies; cfn-lint calls that obsolete.
        cfn_function.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
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
            self._rds_api_endpoint_of(vpc) if create_rds_api_endpoint else None
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

    def _rds_api_endpoint_of(self, vpc: ec2.IVpc) -> ec2.IInterfaceVpcEndpoint:
        """The VPC's RDS API endpoint, created here if no DatabaseBackups of this app made one."""
        endpoints = _RDS_API_ENDPOINTS.setdefault(self.node.root, {})
        existing = endpoints.get(vpc.node.addr)
        if existing is not None:
            return existing
        # Its own security group: no egress at all, HTTPS in from the export functions only.
        endpoint_security_group = ec2.SecurityGroup(
            self,
            "RdsApiEndpointSecurityGroup",
            vpc=vpc,
            description=f"{self.database.identifier}: RDS API endpoint (HTTPS from the export "
            "function)",
            allow_all_outbound=False,
        )
        endpoint = ec2.InterfaceVpcEndpoint(
            self,
            "RdsApiEndpoint",
            vpc=vpc,
            service=ec2.InterfaceVpcEndpointAwsService.RDS,
            subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            private_dns_enabled=True,
            open=False,
            security_groups=[endpoint_security_group],
        )
        endpoints[vpc.node.addr] = endpoint
        return endpoint

    def _let_senders_use_key_for_dead_letters(self) -> None:
        """Lambda (asynchronous invocation) and EventBridge (rule target) send failed events to
        the dead-letter queue, which is encrypted with this key.

        EventBridge needs kms:Decrypt and kms:GenerateDataKey on a customer-managed key of the
        target's dead-letter queue ("Using dead-letter queues to process undelivered events",
        EventBridge user guide); the function's role sends as itself and needs the same through
        SQS (SQS developer guide, "Key management": producers need kms:GenerateDataKey and
        kms:Decrypt).
        """
        stack = Stack.of(self)
        self.encryption_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ExportDeadLettersFromEventBridge",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )

    def _watch_dead_letter_queue(self, topic: sns.ITopic | None) -> None:
        """An alarm as soon as one failed export event waits in the dead-letter queue."""
        self.export_failures_alarm = cloudwatch.Alarm(
            self,
            "ExportFailuresAlarm",
            alarm_name=f"{self.database.identifier}-snapshot-export-failed",
            alarm_description=f"{self.database.identifier}: a snapshot export event failed "
            "after its retries and waits in the dead-letter queue "
            f"({self.dead_letter_queue.queue_name}); read it, fix the cause, export the "
            "snapshot with `rds-ha snapshot` or the export function, then purge the queue.",
            metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            # SQS publishes queue metrics every few minutes while the queue exists.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        if topic is None:
            Annotations.of(self).add_warning_v2(
                "rds-ha:export-failures-unwatched",
                f"{self.database.identifier}: no alarm_topic, so a failed snapshot export is "
                "not notified; add an action to export_failures_alarm.",
            )
            return
        action = cw_actions.SnsAction(topic)
        self.export_failures_alarm.add_alarm_action(action)
        self.export_failures_alarm.add_ok_action(action)

    def _acknowledge_unreserved_concurrency(self) -> None:
        Validations.of(self.export_function).acknowledge(
            *(
                Acknowledgment(
                    id=f"{pack}::{pack}-LambdaConcurrency",
                    reason="Reserved concurrency is opt-in "
                    "(export_function_reserved_concurrency): reserving any fails the deploy in "
                    "accounts with a low concurrency quota, such as new accounts, because "
                    "Lambda keeps a minimum of unreserved concurrency. The function runs a few "
                    "times a month; retries are bounded and failed events go to a dead-letter "
                    "queue.",
                )
                for pack in ("HIPAA.Security", "NIST.800.53.R5")
            )
        )

    def _export_function_policy(self, role: iam.Role, stack: Stack) -> iam.ManagedPolicy:
        def rds_arn(resource: str, name: str) -> str:
            return stack.format_arn(
                service="rds",
                resource=resource,
                resource_name=name,
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )

        snapshots = [rds_arn("snapshot", "*"), rds_arn("cluster-snapshot", "*")]
        ec2_resources = stack.format_arn(service="ec2", resource="*", resource_name="*")
        policy = iam.ManagedPolicy(
            self,
            "ExportFunctionPolicy",
            description=f"{self.database.identifier}: snapshot export function",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    sid="ReadSnapshotsAndStartExports",
                    actions=[
                        "rds:DescribeDBSnapshots",
                        "rds:DescribeDBClusterSnapshots",
                        "rds:DescribeExportTasks",
                        "rds:StartExportTask",
                    ],
                    resources=[*snapshots, self.database_arn],
                ),
                iam.PolicyStatement(
                    sid="PassExportRole",
                    actions=["iam:PassRole"],
                    resources=[self.export_role.role_arn],
                    conditions={
                        "StringEquals": {"iam:PassedToService": list(EXPORT_PASSED_TO_SERVICES)}
                    },
                ),
                iam.PolicyStatement(
                    sid="DeadLetters",
                    actions=["sqs:SendMessage"],
                    resources=[self.dead_letter_queue.queue_arn],
                ),
                iam.PolicyStatement(
                    sid="Logs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.export_log_group.log_group_arn],
                ),
                # What AWSLambdaVPCAccessExecutionRole grants, split by what EC2 can scope.
                # Describing network interfaces and subnets has no resource-level permissions
                # (Service Authorization Reference, Amazon EC2: "*" only).
                iam.PolicyStatement(
                    sid="VpcDescribe",
                    actions=["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
                    resources=["*"],
                ),
                # The network interfaces Lambda creates in the function's subnets get ids only
                # at run time, and Lambda checks these permissions against the function's
                # subnets and security groups when it creates the function: scoped to EC2
                # resources of this account and region, as the Lambda developer guide's VPC
                # example does ("arn:aws:ec2:<region>:<account>:*/*").
                iam.PolicyStatement(
                    sid="VpcNetworkInterfaces",
                    actions=[
                        "ec2:CreateNetworkInterface",
                        "ec2:DeleteNetworkInterface",
                        "ec2:AssignPrivateIpAddresses",
                        "ec2:UnassignPrivateIpAddresses",
                    ],
                    resources=[ec2_resources],
                ),
            ],
        )
        reason = (
            "Snapshot names are chosen by RDS and AWS Backup at run time (rds:..., "
            "awsbackup:job-...), so snapshot ARNs can only be matched by a pattern, limited to "
            "this account and region; the function asks RDS whether each snapshot belongs to its "
            "database. Lambda's VPC networking (as in AWSLambdaVPCAccessExecutionRole): EC2 has "
            "no resource-level permissions for describing network interfaces and subnets ('*'), "
            "and the network interfaces Lambda creates and deletes get ids only at run time "
            "(EC2 resources of this account and region)."
        )
        # cdk-nag names each wildcard resource as it reads it from the template.
        Validations.of(policy).acknowledge(
            *(
                Acknowledgment(
                    id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{arn}]", reason=reason
                )
                for arn in (
                    "*",
                    nag_finding_text(self, ec2_resources),
                    *(nag_finding_text(self, snapshot) for snapshot in snapshots),
                )
            )
        )
        return policy

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


_S3_PACKS = ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")


def _days_or_none(duration: Duration | None) -> int | None:
    return int(duration.to_days()) if duration is not None else None


def _database_arn(database: HighlyAvailableDatabase) -> str:
    if database.instance is not None:
        return database.instance.instance_arn
    assert database.cluster is not None
    return database.cluster.attr_db_cluster_arn


def _backup_name(head: str, suffix: str) -> str:
    """``head`` cut so that it and ``suffix`` fit in an AWS Backup name."""
    return head[: BACKUP_NAME_MAX_LENGTH - len(suffix)] + suffix


def _restore_testing_name(identifier: str, suffix: str) -> str:
    """Restore testing names allow only letters, digits and underscores."""
    return _backup_name(re.sub(r"[^A-Za-z0-9_]", "_", identifier), suffix)
