"""The export bucket and the bucket that keeps its server access logs."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from rds_ha.nag import acknowledge_rules, skip_checkov_checks

NONCURRENT_EXPORT_VERSION_DAYS = 30
S3_PACKS = ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
ACCESS_LOG_BUCKET_NOT_LOGGED = (
    "This is the access-log bucket of the export bucket: logging it to itself would log its own "
    "log deliveries without end, and another bucket for its logs would need one for its own."
)


def create_export_bucket(
    scope: Construct,
    *,
    encryption_key: kms.IKey,
    access_log_bucket: s3.Bucket,
    archive_after_days: int,
    expire_after_days: int,
) -> s3.Bucket:
    """SSE-KMS, private, versioned, logged; archived to Glacier Instant Retrieval, then expired."""
    bucket = s3.Bucket(
        scope,
        "ExportBucket",
        encryption=s3.BucketEncryption.KMS,
        encryption_key=encryption_key,
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
    log_access_to(access_log_bucket, bucket, prefix="export-bucket/")
    Validations.of(bucket).acknowledge(
        *(
            Acknowledgment(
                id=f"{pack}::{pack}-S3BucketReplicationEnabled",
                reason="The exports are derived data: the snapshots they come from are "
                "copied to the disaster-recovery region by AWS Backup and can be exported "
                "again there. Replication needs a bucket in another region that exists "
                "before this one.",
            )
            for pack in S3_PACKS
        )
    )
    return bucket


def create_access_log_bucket(scope: Construct, expire_after_days: int) -> s3.Bucket:
    bucket = s3.Bucket(
        scope,
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
    acknowledge_rules(bucket, {rule: (S3_PACKS, reason) for rule, reason in reasons.items()})
    skip_checkov_checks(bucket, {"CKV_AWS_18": ACCESS_LOG_BUCKET_NOT_LOGGED})
    return bucket


def log_access_to(access_log_bucket: s3.Bucket, bucket: s3.Bucket, *, prefix: str) -> None:
    """Server access logs of ``bucket`` to the access log bucket, delivered under a bucket
    policy (the bucket owner owns every object; no ACLs)."""
    cfn_bucket = bucket.node.default_child
    assert isinstance(cfn_bucket, s3.CfnBucket)
    cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
        destination_bucket_name=access_log_bucket.bucket_name, log_file_prefix=prefix
    )
    access_log_bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid="S3ServerAccessLogs",
            principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
            actions=["s3:PutObject"],
            resources=[access_log_bucket.arn_for_objects(f"{prefix}*")],
            conditions={
                "ArnLike": {"aws:SourceArn": bucket.bucket_arn},
                "StringEquals": {"aws:SourceAccount": Stack.of(bucket).account},
            },
        )
    )
