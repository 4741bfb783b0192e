"""Every default of the library in one place, each one the safe, highly available choice."""

from __future__ import annotations

import re

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_logs as logs

from rds_ha.catalog.credentials import DEFAULT_ROTATION_DAYS, CredentialsMode
from rds_ha.catalog.engines import Deployment, Engine, EngineProfile

ENGINE = Engine.POSTGRES
DEPLOYMENT = Deployment.MULTI_AZ_INSTANCE
INSTANCE_CLASS = "db.m7g.large"
# Multi-AZ DB clusters run on classes with local NVMe storage for their write path.
CLUSTER_INSTANCE_CLASS = "db.m6gd.large"
ALLOCATED_STORAGE_GIB = 100
# gp3 below 400 GiB has a fixed baseline and RDS refuses an Iops value; clusters require one.
MIN_CLUSTER_STORAGE_GIB = 400
CLUSTER_GP3_IOPS = 12000
# Storage autoscaling headroom when no maximum is given.
MAX_ALLOCATED_STORAGE_FACTOR = 5
BACKUP_RETENTION_DAYS = 7
BACKUP_RETENTION = Duration.days(BACKUP_RETENTION_DAYS)
BACKUP_WINDOW = "02:00-02:30"
MAINTENANCE_WINDOW = "sun:03:00-sun:03:30"
REMOVAL_POLICY = RemovalPolicy.SNAPSHOT
# Resources that must outlive their stack but have fixed names (log groups, backup vaults, a
# retained database) are kept on update and delete, but not when the stack operation that created
# them rolls back: CloudFormation's RetainExceptOnCreate "behaves like Retain for stack operations,
# except for the stack operation that initially created the resource. If the stack operation that
# created the resource is rolled back, CloudFormation deletes the resource"
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html).
# With plain Retain a failed first deploy leaves the names taken and the retry fails with
# "already exists"; for a locked backup vault, for good.
RETAIN_NAMED = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
DELETION_PROTECTION = True
LOG_RETENTION = logs.RetentionDays.ONE_YEAR
MONITORING_INTERVAL_SECONDS = 60
MONITORING_INTERVAL = Duration.seconds(MONITORING_INTERVAL_SECONDS)
MASTER_USERNAME = "rdsha_admin"
# The mode that admits every feature (read replicas, blue/green): see CredentialsMode.
CREDENTIALS = CredentialsMode.SECRET
MASTER_PASSWORD_ROTATION = Duration.days(DEFAULT_ROTATION_DAYS)
PARAMETER_PATH_ROOT = "/rds-ha"

MIN_BACKUP_RETENTION_DAYS = 1
MAX_BACKUP_RETENTION_DAYS = 35
MIN_STORAGE_GIB = 20
MAX_STORAGE_GIB = 65536
MONITORING_INTERVALS_SECONDS = (1, 5, 10, 15, 30, 60)
# Port range RDS accepts for PostgreSQL, MySQL and MariaDB.
MIN_PORT, MAX_PORT = 1150, 65535

IDENTIFIER_PATTERN = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$")
INSTANCE_CLASS_PATTERN = re.compile(r"^db\.[a-z0-9-]+\.[a-z0-9]+$")


def default_identifier(stack_name: str, construct_id: str) -> str:
    """A valid, deterministic RDS identifier from the stack name and construct id.

    The identifier is fixed rather than generated so that a change CloudFormation can only make
    by replacement fails on the name clash instead of creating a new, empty database.
    """
    raw = re.sub(r"[^a-z0-9]+", "-", f"{stack_name}-{construct_id}".lower())
    raw = re.sub(r"-+", "-", raw).strip("-")
    if not raw or not raw[0].isalpha():
        raw = f"db-{raw}"
    return raw[:63].rstrip("-")


def default_max_allocated_storage_gib(allocated_storage_gib: int) -> int:
    return min(allocated_storage_gib * MAX_ALLOCATED_STORAGE_FACTOR, MAX_STORAGE_GIB)


def instance_class_for(deployment: Deployment) -> str:
    if deployment is Deployment.MULTI_AZ_CLUSTER:
        return CLUSTER_INSTANCE_CLASS
    return INSTANCE_CLASS


def allocated_storage_for(deployment: Deployment) -> int:
    if deployment is Deployment.MULTI_AZ_CLUSTER:
        return MIN_CLUSTER_STORAGE_GIB
    return ALLOCATED_STORAGE_GIB


# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_BY_DAYS = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def default_engine_version(
    profile: EngineProfile, deployment: Deployment, *, auto_minor_version_upgrade: object
) -> str:
    """The major of the tested version (``"17"``) for a DB instance with auto minor version
    upgrades on, so that RDS's upgrades never leave the template behind; otherwise the tested
    full version (``"17.9"``), which the template must then name."""
    if auto_minor_version_upgrade is False or deployment is Deployment.MULTI_AZ_CLUSTER:
        return profile.default_version
    return profile.major_version(profile.default_version)
