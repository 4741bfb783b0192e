"""How a database's master password is kept: the credentials modes. No aws_cdk."""

from __future__ import annotations

from enum import StrEnum


class CredentialsMode(StrEnum):
    """Who holds and rotates the master user's password."""

    SECRET = "secret"
    """A Secrets Manager secret of the stack's own, attached to the database and rotated by a
    Secrets Manager rotation function (single user). Admits every rds-ha feature: read
    replicas, the cross-region replica, blue/green upgrades, RDS Proxy."""
    RDS_MANAGED = "rds-managed"
    """RDS manages the password in Secrets Manager (``ManageMasterUserPassword``) and rotates
    it itself, with no function and no endpoints. RDS refuses read replicas of such a
    database and blue/green deployments of it (rule ``secrets.managed-password-*``)."""


# The tag on the DB instance or cluster naming its master secret with credentials = "secret"
# (RDS's own MasterUserSecret names it with "rds-managed"); the CLI reads it.
MASTER_SECRET_TAG = "rds-ha:master-secret-arn"

# Secrets Manager's rotation schedule, AutomaticallyAfterDays: 1-1000 days (AWS::SecretsManager::
# RotationSchedule RotationRules; Secrets Manager user guide, "Rotation schedules").
MIN_ROTATION_DAYS = 1
MAX_ROTATION_DAYS = 1000
DEFAULT_ROTATION_DAYS = 30
