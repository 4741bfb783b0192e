"""One environment of ``environments.toml``, validated, and the construct properties it
gives: the one place where a configuration key becomes a construct argument.
"""

from __future__ import annotations

from typing import Any, Literal

from aws_cdk import Duration, RemovalPolicy, Size
from aws_cdk import aws_logs as logs
from pydantic import Field

from rds_ha.catalog.aws_rules import Features, combination_problems
from rds_ha.catalog.credentials import DEFAULT_ROTATION_DAYS, CredentialsMode
from rds_ha.catalog.engines import PROFILES, Deployment, Engine
from rds_ha.database import defaults
from rds_ha.database.validation import database_problems
from rds_ha.environments.compliance import (
    ExceptionName,
    acknowledgments,
    compliance_problems,
)
from rds_ha.environments.databases import DatabaseConfig, FleetDatabase, resolve
from rds_ha.environments.replicas import ReplicasConfig
from rds_ha.environments.resilience import ResilienceConfig
from rds_ha.environments.tables import (
    AccountId,
    AlarmOverride,
    BackupsConfig,
    Cidr,
    Email,
    HttpsUrl,
    Region,
    VpcId,
    _Strict,
)
from rds_ha.monitoring.alarm_thresholds import (
    THRESHOLD_NAMES,
    AlarmThresholds,
    DatabaseFacts,
    absolute_override_problem,
    alarm_problems,
)
from rds_ha.monitoring.database_alarms import DEFAULT_RUNBOOK_URL
from rds_ha.replicas import replica_rules

REMOVAL_POLICIES = {
    # Retained on update and delete; a failed first create still rolls back (RETAIN_NAMED).
    "retain": defaults.RETAIN_NAMED,
    "snapshot": RemovalPolicy.SNAPSHOT,
    "destroy": RemovalPolicy.DESTROY,
}


class EnvironmentConfig(_Strict):
    """One ``[environments.<name>]`` table."""

    name: str
    account: AccountId
    region: Region
    engine: Engine
    engine_version: str = Field(
        description="A major version alone ('17'; MySQL, MariaDB '8.4') leaves the minor to "
        "RDS; a full version ('17.9') pins it."
    )
    instance_class: str
    deployment: Deployment
    allocated_storage_gib: int
    max_allocated_storage_gib: int
    backup_retention_days: int
    backup_window: str
    maintenance_window: str
    deletion_protection: bool
    alarm_emails: tuple[Email, ...]
    alarm_runbook_url: HttpsUrl = Field(
        default=DEFAULT_RUNBOOK_URL,
        description="The page every alarm description and the dashboard link to, with an anchor "
        "per alarm (a copy of docs/alarms.md where your team keeps its runbooks); https, no '#'.",
    )
    production: bool = Field(
        default=False, description="Production rules apply (true by default for 'prod')."
    )
    removal_policy: Literal["retain", "snapshot", "destroy"] | None = None
    database_identifier: str | None = None
    database_name: str | None = None
    master_username: str = defaults.MASTER_USERNAME
    credentials: CredentialsMode = Field(
        default=defaults.CREDENTIALS,
        description="'secret': a Secrets Manager secret of the stack's own, rotated by a "
        "rotation function (admits read replicas and blue/green); 'rds-managed': RDS keeps "
        "and rotates the password (ManageMasterUserPassword), no replicas, no blue/green.",
    )
    master_password_rotation_days: int = Field(
        default=DEFAULT_ROTATION_DAYS,
        description="How often the rotation function changes the master password "
        "(credentials = 'secret'), 1-1000.",
    )
    auto_minor_version_upgrade: bool = True
    allow_major_version_upgrade: bool = Field(
        default=False, description="Set for the deploy that changes the major version only."
    )
    parameter_groups_by_major: bool = Field(
        default=False,
        description="The parameter (and option) group's construct id names its "
        "family, so that a major upgrade creates the new group beside the old.",
    )
    port: int | None = None
    monitoring_interval_seconds: int = defaults.MONITORING_INTERVAL_SECONDS
    log_retention_days: int = 365
    vpc_id: VpcId | None = None
    vpc_cidr: Cidr = "10.0.0.0/16"
    parameters: dict[str, str | int | float] = Field(default_factory=dict)
    alarms: dict[str, AlarmOverride] = Field(
        default_factory=dict, description="Alarm threshold overrides, by threshold name."
    )
    backups: BackupsConfig = Field(default_factory=BackupsConfig)
    shared_key: bool = Field(
        default=False,
        description="The fleet's databases use the environment's key (default: one key each).",
    )
    databases: dict[str, DatabaseConfig] = Field(
        default_factory=dict, description="More databases, each in a stack of its own."
    )
    resilience: ResilienceConfig = Field(default_factory=ResilienceConfig)
    replicas: ReplicasConfig = Field(default_factory=ReplicasConfig)
    compliance_exceptions: dict[ExceptionName, str] = Field(
        default_factory=dict,
        description="A setting the compliance packs fail, accepted on purpose outside "
        "production: setting -> the reason cdk-nag records when the stack acknowledges "
        "exactly that setting's rules on this database.",
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
    def fleet(self) -> tuple[FleetDatabase, ...]:
        """The databases of ``[environments.<env>.databases.*]``, beside the environment's own."""
        return tuple(resolve(self, name, table) for name, table in self.databases.items())

    def problems(self) -> list[str]:
        """Cross-field rules; the field types are already checked."""
        problems = database_problems(
            engine=self.engine,
            deployment=self.deployment,
            engine_version=self.engine_version,
            instance_class=self.instance_class,
            region=self.region,
            identifier=self.identifier,
            allocated_storage_gib=self.allocated_storage_gib,
            max_allocated_storage_gib=self.max_allocated_storage_gib,
            backup_retention_days=self.backup_retention_days,
            backup_window=self.backup_window,
            maintenance_window=self.maintenance_window,
            monitoring_interval_seconds=self.monitoring_interval_seconds,
            port=self.port or PROFILES[self.engine].port,
            master_username=self.master_username,
            parameters=self.parameters,
            auto_minor_version_upgrade=self.auto_minor_version_upgrade,
            allow_major_version_upgrade=self.allow_major_version_upgrade,
            parameter_groups_by_major=self.parameter_groups_by_major,
            credentials=self.credentials,
            master_password_rotation_days=self.master_password_rotation_days,
        )
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
        problems += self.replicas.problems(
            deployment=self.deployment,
            identifier=self.identifier,
            engine=self.engine.value,
            region=self.region,
            dr_region=self.backups.dr_region,
            backup_retention_days=self.backup_retention_days,
        )
        problems += combination_problems(self.features)
        problems += self.resilience.problems(
            production=self.is_production,
            engine=self.engine,
            engine_version=self.engine_version,
            deployment=self.deployment,
            parameters={name: str(value) for name, value in self.parameters.items()},
        )
        problems += [
            f"backups.{problem}"
            for problem in replica_rules.backup_replication_problems(
                replicate=self.backups.replicate_automated_backups,
                dr_region=self.backups.dr_region,
                deployment=self.deployment,
                retention_days=self.backups.automated_backup_replication_retention_days,
            )
        ]
        problems += [
            f"backups.{problem}"
            for problem in replica_rules.backup_replication_key_problems(
                key_arn=self.backups.automated_backup_replication_key_arn,
                dr_region=self.backups.dr_region,
                account=self.account,
            )
        ]
        if self.is_production:
            problems += self._production_problems()
        else:
            problems += compliance_problems(
                deletion_protection=self.deletion_protection,
                deployment=self.deployment,
                exceptions=self.compliance_exceptions,
            )
        # An instance class already reported (a typo) is not reported again by the alarms.
        class_reported = any(p.startswith("instance_class=") for p in problems)
        problems += [
            problem
            for problem in self._alarm_problems()
            if not (class_reported and problem.startswith("instance_class="))
        ]
        return problems

    @property
    def features(self) -> Features:
        """This database and what is built around it, as the rulebook reads them."""
        return Features(
            engine=self.engine,
            deployment=self.deployment,
            credentials=self.credentials,
            read_replicas=self.replicas.count if isinstance(self.replicas.count, int) else 0,
            cross_region_replica=self.replicas.cross_region,
            proxy=self.resilience.wants_proxy(
                production=self.is_production, deployment=self.deployment
            ),
            backup_replication=self.backups.replicate_automated_backups,
            game_day=self.resilience.game_day,
            backup_retention_days=self.backup_retention_days,
        )

    # --- construct properties --------------------------------------------------------------

    @property
    def log_retention(self) -> logs.RetentionDays:
        return defaults.LOG_RETENTION_BY_DAYS[self.log_retention_days]

    def database_props(self) -> dict[str, Any]:
        """``HighlyAvailableDatabase`` arguments (all but ``vpc`` and ``encryption_key``)."""
        return {
            "engine": self.engine,
            "engine_version": self.engine_version,
            "auto_minor_version_upgrade": self.auto_minor_version_upgrade,
            "allow_major_version_upgrade": self.allow_major_version_upgrade,
            "parameter_groups_by_major": self.parameter_groups_by_major,
            "deployment": self.deployment,
            "instance_class": self.instance_class,
            "identifier": self.identifier,
            "allocated_storage": _gib(self.allocated_storage_gib),
            "max_allocated_storage": _gib(self.max_allocated_storage_gib),
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
            "parameters": self.parameters,
            "log_retention": self.log_retention,
            "monitoring_interval": Duration.seconds(self.monitoring_interval_seconds),
        }

    def backups_props(self) -> dict[str, Any]:
        """``DatabaseBackups`` arguments (all but ``database`` and the DR vault)."""
        return backups_props_of(self.backups)

    @property
    def exports_snapshots(self) -> bool:
        return self.backups.export_snapshots != "none"

    def export_props(self) -> dict[str, Any]:
        """``SnapshotExport`` arguments (all but the database, VPC, key and alarm topic)."""
        settings = self.backups
        return {
            "export_snapshots": settings.export_snapshots,
            "export_archive_after": Duration.days(settings.export_archive_after_days),
            "export_expire_after": Duration.days(settings.export_expire_after_days),
            "log_retention": self.log_retention,
        }

    def alarms_props(self) -> dict[str, Any]:
        """``DatabaseAlarms`` arguments (all but ``database``)."""
        return {
            "thresholds": self.alarm_thresholds,
            "alarm_emails": self.alarm_emails,
            "runbook_url": self.alarm_runbook_url,
        }

    @property
    def alarm_thresholds(self) -> AlarmThresholds:
        return AlarmThresholds().with_overrides(
            {name: override.model_dump(exclude_none=True) for name, override in self.alarms.items()}
        )

    def _alarm_problems(self) -> list[str]:
        problems = [
            f"alarms.{name}: unknown threshold; allowed: {', '.join(THRESHOLD_NAMES)}"
            for name in self.alarms
            if name not in THRESHOLD_NAMES
        ]
        problems += [
            problem
            for name, override in self.alarms.items()
            if (problem := absolute_override_problem(name, override.model_dump()))
        ]
        if problems:
            return problems
        facts = DatabaseFacts(
            engine=self.engine,
            deployment=self.deployment,
            instance_class=self.instance_class,
            allocated_storage_gib=self.allocated_storage_gib,
            max_allocated_storage_gib=self.max_allocated_storage_gib,
            parameters={name: str(value) for name, value in self.parameters.items()},
        )
        return alarm_problems(self.alarm_thresholds, facts)

    def _production_problems(self) -> list[str]:
        problems = []
        if self.deployment is Deployment.SINGLE_AZ:
            problems.append(
                "deployment='single-az': production needs a standby; allowed: "
                "'multi-az-instance', 'multi-az-cluster'"
            )
        if not self.deletion_protection:
            problems.append("deletion_protection=false: production requires true")
        if self.effective_removal_policy != "retain":
            problems.append(f"removal_policy={self.removal_policy!r}: production requires 'retain'")
        if not self.alarm_emails:
            problems.append("alarm_emails=[]: production needs at least one address")
        if self.compliance_exceptions:
            problems.append(
                f"compliance_exceptions={sorted(self.compliance_exceptions)}: production "
                "passes every compliance pack; allowed: none"
            )
        return problems

    def compliance_acknowledgments(self) -> dict[str, tuple[tuple[str, ...], str]]:
        """The cdk-nag findings the stack acknowledges on this database (the arguments of
        ``rds_ha.acknowledge_rules``): those of the settings in ``compliance_exceptions``, none by
        default."""
        return acknowledgments(
            deletion_protection=self.deletion_protection,
            deployment=self.deployment,
            exceptions=self.compliance_exceptions,
        )


# The TOML keys carry their units in their names; the construct props are aws-cdk-lib types.
def _days(days: int | None) -> Duration | None:
    return None if days is None else Duration.days(days)


def _gib(gib: int | None) -> Size | None:
    return None if gib is None else Size.gibibytes(gib)


def backups_props_of(settings: BackupsConfig) -> dict[str, Any]:
    """``DatabaseBackups`` arguments of a ``[environments.<env>.backups]`` table."""
    return {
        "continuous_retention": _days(settings.continuous_retention_days),
        "daily_retention": Duration.days(settings.daily_retention_days),
        "monthly_retention": Duration.days(settings.monthly_retention_days),
        "backup_start_hour_utc": settings.backup_start_hour_utc,
        "disaster_recovery_retention": _days(settings.dr_retention_days),
        "disaster_recovery_monthly_retention": _days(settings.dr_monthly_retention_days),
        "vault_lock": settings.lock_configuration,
        "restore_test_schedule": settings.restore_test_schedule,
    }
