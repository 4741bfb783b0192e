"""One environment's disaster-recovery vault, in its DR region.

CloudFormation cannot reference resources across regions, so the database stack refers to this
vault by its deterministic name (its ARN is known before it exists) and deploys after it.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, Stack, Tags
from constructs import Construct

from rds_ha import (
    AuroraEnvironmentConfig,
    EnvironmentConfig,
    automated_backup_key_alias,
    create_database_key,
    protected_backup_vault,
)


def dr_vault_name(config: EnvironmentConfig | AuroraEnvironmentConfig) -> str:
    return f"{config.identifier}-dr-backups"


class DisasterRecoveryStack(Stack):
    def __init__(
        self, scope: Construct, *, config: EnvironmentConfig | AuroraEnvironmentConfig
    ) -> None:
        assert config.backups.dr_region
        super().__init__(
            scope,
            f"{config.stack_name}-dr",
            # Explicit, so that a pipeline Stage does not prefix it: the deployed stack is the same.
            stack_name=f"{config.stack_name}-dr",
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
            lock=config.backups.lock_configuration,
        )
        if config.backups.replicate_automated_backups:
            # RDS re-encrypts the replicated automated backups with a key of this region. The
            # database stack needs its key ARN (RDS documents no alias form for it), which is
            # known only once this stack has made it: the output says what to configure.
            self.automated_backup_key = create_database_key(
                self,
                "AutomatedBackupKey",
                description=f"rds-ha {config.name}: replicated automated backups",
            )
            self.automated_backup_key.add_alias(automated_backup_key_alias(config.identifier))
            CfnOutput(
                self,
                "AutomatedBackupKeyArn",
                value=self.automated_backup_key.key_arn,
                description=f"{config.name}: backups.automated_backup_replication_key_arn",
            )
