"""Backup vaults that refuse deletion, and AWS Backup names."""

from __future__ import annotations

from typing import TypedDict

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_backup as backup
from aws_cdk import aws_kms as kms
from constructs import Construct

from rds_ha.database import defaults

# AWS Backup's vault, plan, selection and restore testing names are at most 50 characters
# (AWS Backup API reference; the CloudFormation schemas constrain only some of them).
BACKUP_NAME_MAX_LENGTH = 50


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


def backup_name(head: str, suffix: str) -> str:
    """``head`` cut so that it and ``suffix`` fit in an AWS Backup name."""
    return head[: BACKUP_NAME_MAX_LENGTH - len(suffix)] + suffix


class RuleWindows(TypedDict):
    """The start and completion windows of a backup plan rule (``BackupPlanRule`` keywords)."""

    start_window: Duration
    completion_window: Duration
