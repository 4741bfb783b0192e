"""One environment's disaster-recovery vault, in its DR region.

CloudFormation cannot reference resources across regions, so the database stack refers to this
vault by its deterministic name (its ARN is known before it exists) and deploys after it.
"""

from __future__ import annotations

from aws_cdk import Duration, Environment, Stack, Tags
from aws_cdk import aws_backup as backup
from constructs import Construct

from rds_ha.backups.database_backups import protected_backup_vault
from rds_ha.database.keys import create_database_key
from stacks.config import EnvironmentConfig


def dr_vault_name(config: EnvironmentConfig) -> str:
    return f"{config.identifier}-dr-backups"


def vault_lock(config: EnvironmentConfig) -> backup.LockConfiguration | None:
    """The vault lock of ``[backups]``, or none when ``vault_lock`` is false."""
    settings = config.backups
    if not settings.vault_lock:
        return None
    changeable = settings.vault_lock_changeable_days
    return backup.LockConfiguration(
        min_retention=Duration.days(settings.vault_lock_min_retention_days),
        max_retention=Duration.days(settings.vault_lock_max_retention_days),
        changeable_for=Duration.days(changeable) if changeable is not None else None,
    )


class DisasterRecoveryStack(Stack):
    def __init__(self, scope: Construct, *, config: EnvironmentConfig) -> None:
        assert config.backups.dr_region
        super().__init__(
            scope,
            f"{config.stack_name}-dr",
            env=Environment(account=config.account, region=config.backups.dr_region),
            description=f"rds-ha {config.name}: disaster-recovery backup vault",
            termination_protection=config.is_production,
        )
        Tags.of(self).add("rds-ha:environment", config.name)
        # Copies are re-encrypted with this region's key: the primary region's key cannot be
        # used here, and must not be needed to restore after losing that region.
        self.key = create_database_key(
            self, "BackupKey", description=f"rds-ha {config.name}: disaster-recovery backups"
        )
        self.vault = protected_backup_vault(
            self,
            "Vault",
            vault_name=dr_vault_name(config),
            encryption_key=self.key,
            lock=vault_lock(config),
        )
