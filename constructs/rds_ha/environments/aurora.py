"""An Aurora environment of ``environments.toml`` (``engine = "aurora-postgresql"`` or
``"aurora-mysql"``), validated, and the ``AuroraDatabase`` and ``DatabaseBackups`` properties it
gives. The keys an RDS environment shares keep their names and meaning."""

from __future__ import annotations

from typing import Any, Literal

from aws_cdk import Duration
from aws_cdk import aws_logs as logs
from pydantic import Field

from rds_ha.aurora.validation import AuroraSettings, aurora_problems
from rds_ha.catalog.aurora import MAX_READERS, AuroraDeployment, AuroraEngine, AuroraStorageType
from rds_ha.catalog.aurora_rules import aurora_cite
from rds_ha.catalog.credentials import DEFAULT_ROTATION_DAYS, CredentialsMode
from rds_ha.database import defaults
from rds_ha.environments.config import REMOVAL_POLICIES, backups_props_of
from rds_ha.environments.tables import (
    AccountId,
    AlarmOverride,
    BackupsConfig,
    Cidr,
    Email,
    HttpsUrl,
    Region,
    _Strict,
)
from rds_ha.monitoring.database_alarms import DEFAULT_RUNBOOK_URL

AURORA_ENGINES = tuple(engine.value for engine in AuroraEngine)


class GlobalDatabaseConfig(_Strict):
    """``[environments.<name>.global_database]``: a secondary cluster in another region."""

    secondary_region: Region = Field(description="The secondary cluster's region.")
    instances: int = Field(
        default=1, description="DB instances of the secondary cluster (all readers), 1-16."
    )
    vpc_cidr: Cidr = Field(default="10.100.0.0/16", description="The secondary region's VPC.")


class AuroraEnvironmentConfig(_Strict):
    """One ``[environments.<name>]`` table whose engine is Aurora."""

    name: str
    account: AccountId
    region: Region
    engine: AuroraEngine
    engine_version: str | None = Field(
        default=None,
        description="The full version ('17.9', '8.0.mysql_aurora.3.10.2'); none: rds-ha's.",
    )
    deployment: AuroraDeployment = Field(
        default=AuroraDeployment.PROVISIONED,
        description="'aurora' (provisioned writer and readers) or 'aurora-serverless-v2'.",
    )
    instance_class: str = Field(default="db.r7g.large", description="Provisioned writer, readers.")
    readers: int = Field(default=1, description="Aurora Replicas, 0-15 (production: at least 1).")
    reader_promotion_tiers: tuple[int, ...] = Field(
        default=(), description="One failover tier (0-15) per provisioned reader; none: 1 each."
    )
    min_capacity: float = Field(default=0.5, description="Serverless v2 ACUs (0: auto-pause).")
    max_capacity: float = Field(default=8, description="Serverless v2 ACUs, 1-256.")
    storage_type: AuroraStorageType = AuroraStorageType.STANDARD
    backtrack_window_hours: float = Field(
        default=0, description="Aurora MySQL backtrack, 0-72 hours (0: off)."
    )
    backup_retention_days: int = defaults.BACKUP_RETENTION_DAYS
    backup_window: str = defaults.BACKUP_WINDOW
    maintenance_window: str = defaults.MAINTENANCE_WINDOW
    deletion_protection: bool = True
    alarm_emails: tuple[Email, ...] = ()
    alarm_runbook_url: HttpsUrl = DEFAULT_RUNBOOK_URL
    production: bool = False
    removal_policy: Literal["retain", "snapshot", "destroy"] | None = None
    database_identifier: str | None = None
    database_name: str | None = None
    master_username: str = defaults.MASTER_USERNAME
    credentials: CredentialsMode = defaults.CREDENTIALS
    master_password_rotation_days: int = DEFAULT_ROTATION_DAYS
    port: int | None = None
    monitoring_interval_seconds: int = defaults.MONITORING_INTERVAL_SECONDS
    log_retention_days: int = 365
    vpc_cidr: Cidr = "10.0.0.0/16"
    parameters: dict[str, str | int | float] = Field(default_factory=dict)
    alarms: dict[str, AlarmOverride] = Field(
        default_factory=dict, description="AuroraAlarms threshold overrides, by name."
    )
    backups: BackupsConfig = Field(default_factory=BackupsConfig)
    global_database: GlobalDatabaseConfig | None = Field(
        default=None, description="An Aurora global database with a secondary in another region."
    )

    @property
    def is_production(self) -> bool:
        return self.production or self.name == "prod"

    @property
    def effective_removal_policy(self) -> str:
        return self.removal_policy or ("retain" if self.is_production else "snapshot")

    @property
    def stack_name(self) -> str:
        return f"rds-ha-{self.name}"

    @property
    def identifier(self) -> str:
        return self.database_identifier or f"rds-ha-{self.name}"

    @property
    def log_retention(self) -> logs.RetentionDays:
        return defaults.LOG_RETENTION_BY_DAYS[self.log_retention_days]

    def problems(self) -> list[str]:
        """Cross-field rules (the types are checked already)."""
        problems = aurora_problems(
            AuroraSettings(
                engine=self.engine,
                engine_version=self.engine_version,
                deployment=self.deployment,
                instance_class=self.instance_class,
                readers=self.readers,
                reader_promotion_tiers=self.reader_promotion_tiers,
                min_capacity=self.min_capacity,
                max_capacity=self.max_capacity,
                storage_type=self.storage_type,
                backtrack_window_hours=self.backtrack_window_hours,
                identifier=self.identifier,
                region=self.region,
                backup_retention_days=self.backup_retention_days,
                backup_window=self.backup_window,
                maintenance_window=self.maintenance_window,
                monitoring_interval_seconds=self.monitoring_interval_seconds,
                port=self.port,
                master_username=self.master_username,
                parameters=dict(self.parameters),
                credentials=self.credentials,
                master_password_rotation_days=self.master_password_rotation_days,
                global_database=self.global_database is not None,
            )
        )
        problems += self._global_database_problems()
        if self.log_retention_days not in defaults.LOG_RETENTION_BY_DAYS:
            problems.append(
                f"log_retention_days={self.log_retention_days}: must be one of "
                f"{', '.join(map(str, defaults.LOG_RETENTION_BY_DAYS))}"
            )
        problems += self.backups.problems(
            region=self.region,
            backup_window=self.backup_window,
            backup_retention_days=self.backup_retention_days,
            production=self.is_production,
        )
        if self.backups.replicate_automated_backups:
            problems.append(
                "backups.replicate_automated_backups=true: RDS replicates a DB instance's "
                "automated backups to another region, not an Aurora cluster's; allowed: false "
                "(backups.dr_region copies the cluster's AWS Backup recovery points)"
            )
        if self.is_production:
            problems += self._production_problems()
        elif not self.deletion_protection:
            problems.append(
                "deletion_protection=false: the compliance packs fail it (AwsSolutions-RDS10, "
                "HIPAA and NIST RDSInstanceDeletionProtectionEnabled); allowed: true"
            )
        return problems

    def _global_database_problems(self) -> list[str]:
        settings = self.global_database
        if settings is None:
            return []
        problems = []
        if settings.secondary_region == self.region:
            problems.append(
                aurora_cite(
                    "aurora.global-secondary-region",
                    f"global_database.secondary_region={settings.secondary_region!r}: the "
                    "environment's own region",
                )
            )
        if not 1 <= settings.instances <= MAX_READERS + 1:
            problems.append(
                f"global_database.instances={settings.instances}: allowed: 1-{MAX_READERS + 1} "
                "(a headless secondary, with no instance, is not built by rds-ha)"
            )
        return problems

    def _production_problems(self) -> list[str]:
        problems = []
        if self.readers < 1:
            problems.append(
                "readers=0: production needs a failover target: Aurora fails over to a reader "
                "[aurora.failover-target]; allowed: 1-15 (spread over the other AZs)"
            )
        if not self.deletion_protection:
            problems.append("deletion_protection=false: production requires true")
        if self.effective_removal_policy != "retain":
            problems.append(f"removal_policy={self.removal_policy!r}: production requires 'retain'")
        if not self.alarm_emails:
            problems.append("alarm_emails=[]: production needs at least one address")
        if self.deployment is AuroraDeployment.SERVERLESS_V2 and self.min_capacity == 0:
            problems.append(
                "min_capacity=0: an auto-paused production writer takes seconds to resume on "
                "the first connection; allowed: 0.5 or more"
            )
        return problems

    # --- construct properties --------------------------------------------------------------

    def backups_props(self) -> dict[str, Any]:
        """``DatabaseBackups`` arguments (all but ``database`` and the DR vault)."""
        return backups_props_of(self.backups)

    def secondary_props(self) -> dict[str, Any]:
        """``AuroraDatabase`` arguments of the global database's secondary cluster."""
        assert self.global_database is not None
        props = self.database_props()
        props.update(
            identifier=f"{self.identifier}-secondary",
            readers=self.global_database.instances - 1,
            reader_promotion_tiers=(),
            database_name=None,
        )
        return props

    def alarms_props(self) -> dict[str, Any]:
        """``AuroraAlarms`` arguments (all but ``database``)."""
        return {
            "alarm_emails": self.alarm_emails,
            "runbook_url": self.alarm_runbook_url,
            "overrides": {
                name: override.model_dump(exclude_none=True)
                for name, override in self.alarms.items()
            },
        }

    def database_props(self) -> dict[str, Any]:
        """``AuroraDatabase`` arguments (all but ``vpc`` and ``encryption_key``)."""
        return {
            "engine": self.engine,
            "engine_version": self.engine_version,
            "deployment": self.deployment,
            "instance_class": self.instance_class,
            "readers": self.readers,
            "reader_promotion_tiers": self.reader_promotion_tiers,
            "min_capacity": self.min_capacity,
            "max_capacity": self.max_capacity,
            "storage_type": self.storage_type,
            "backtrack_window": (
                Duration.seconds(int(self.backtrack_window_hours * 3600))
                if self.backtrack_window_hours
                else None
            ),
            "identifier": self.identifier,
            "backup_retention": Duration.days(self.backup_retention_days),
            "backup_window": self.backup_window,
            "maintenance_window": self.maintenance_window,
            "deletion_protection": self.deletion_protection,
            "removal_policy": REMOVAL_POLICIES[self.effective_removal_policy],
            "master_username": self.master_username,
            "credentials": self.credentials,
            "master_password_rotation": Duration.days(self.master_password_rotation_days),
            "database_name": self.database_name,
            "port": self.port,
            "parameters": {name: str(value) for name, value in self.parameters.items()},
            "log_retention": self.log_retention,
            "monitoring_interval": Duration.seconds(self.monitoring_interval_seconds),
        }
