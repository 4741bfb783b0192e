"""Per-environment configuration: ``environments.toml`` validated into frozen models.

Every problem in every environment is reported at once, each naming the environment, the key,
the value and what is allowed, before any construct is built.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from rds_ha.backups import backup_rules
from rds_ha.catalog.engines import PROFILES, Deployment, Engine
from rds_ha.database import defaults
from rds_ha.database.validation import coerce_choice, database_problems
from rds_ha.errors import ConfigurationError
from rds_ha.monitoring.alarm_thresholds import (
    THRESHOLD_NAMES,
    AlarmThresholds,
    DatabaseFacts,
    absolute_override_problem,
    alarm_problems,
)

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "environments.toml"

AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
VpcId = Annotated[str, StringConstraints(pattern=r"^vpc-[0-9a-f]{8,17}$")]
Cidr = Annotated[str, StringConstraints(pattern=r"^\d{1,3}(\.\d{1,3}){3}/(1[6-9]|2[0-4])$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class AlarmOverride(_Strict):
    """One ``[environments.<name>.alarms]`` entry, e.g. ``max_cpu_percent = { warning = 70 }``."""

    warning: float | None = None
    critical: float | None = None
    warning_period_seconds: int | None = None
    warning_evaluation_periods: int | None = None
    warning_datapoints_to_alarm: int | None = None
    critical_period_seconds: int | None = None
    critical_evaluation_periods: int | None = None
    critical_datapoints_to_alarm: int | None = None


class BackupsConfig(_Strict):
    """The ``[environments.<name>.backups]`` table: AWS Backup, the DR copy and S3 exports."""

    dr_region: Region | None = Field(
        default=None, description="Region of the disaster-recovery vault; none: no copy."
    )
    continuous_retention_days: int | None = Field(
        default=None,
        description="Must equal backup_retention_days; none: backup_retention_days.",
    )
    daily_retention_days: int = backup_rules.DAILY_RETENTION_DAYS
    monthly_retention_days: int = backup_rules.MONTHLY_RETENTION_DAYS
    dr_retention_days: int | None = None
    dr_monthly_retention_days: int | None = Field(
        default=None, description="Retention of the monthly DR copies; none: monthly retention."
    )
    backup_start_hour_utc: int = backup_rules.BACKUP_START_HOUR_UTC
    restore_test_schedule: str = backup_rules.RESTORE_TEST_SCHEDULE
    export_snapshots: str = Field(
        default=backup_rules.EXPORT_SNAPSHOTS,
        description="'monthly' (AWS Backup monthly snapshots), 'all' or 'none'.",
    )
    export_archive_after_days: int = backup_rules.EXPORT_ARCHIVE_AFTER_DAYS
    export_expire_after_days: int = backup_rules.EXPORT_EXPIRE_AFTER_DAYS
    vault_lock: bool = False
    vault_lock_min_retention_days: int = 1
    vault_lock_max_retention_days: int = backup_rules.MAX_RETENTION_DAYS
    vault_lock_changeable_days: int | None = Field(
        default=None,
        description="Days until the lock becomes immutable (compliance mode); none: governance.",
    )

    def problems(
        self, *, region: str, backup_window: str, backup_retention_days: int, production: bool
    ) -> list[str]:
        problems = backup_rules.backup_problems(
            continuous_retention_days=(
                self.continuous_retention_days
                if self.continuous_retention_days is not None
                else backup_retention_days
            ),
            database_backup_retention_days=backup_retention_days,
            daily_retention_days=self.daily_retention_days,
            monthly_retention_days=self.monthly_retention_days,
            disaster_recovery_retention_days=self.dr_retention_days,
            disaster_recovery_monthly_retention_days=self.dr_monthly_retention_days,
            backup_start_hour_utc=self.backup_start_hour_utc,
            database_backup_window=backup_window,
            restore_test_schedule=self.restore_test_schedule,
            export_snapshots=self.export_snapshots,
            export_archive_after_days=self.export_archive_after_days,
            export_expire_after_days=self.export_expire_after_days,
            vault_lock_min_retention_days=(
                self.vault_lock_min_retention_days if self.vault_lock else None
            ),
            vault_lock_max_retention_days=(
                self.vault_lock_max_retention_days if self.vault_lock else None
            ),
        )
        # Field names inside the sub-table read as they are written in the file.
        problems = [f"backups.{problem}" for problem in problems]
        if self.dr_region == region:
            problems.append(
                f"backups.dr_region={self.dr_region!r}: must differ from region ({region!r}) "
                "so the copies survive the loss of the region"
            )
        if production and self.dr_region is None:
            problems.append("backups.dr_region: production needs a disaster-recovery region")
        changeable = self.vault_lock_changeable_days
        if changeable is not None and changeable < backup_rules.MIN_VAULT_LOCK_CHANGEABLE_DAYS:
            problems.append(
                f"backups.vault_lock_changeable_days={changeable}: must be at least "
                f"{backup_rules.MIN_VAULT_LOCK_CHANGEABLE_DAYS} (AWS Backup's grace period)"
            )
        return problems


class EnvironmentConfig(_Strict):
    """One ``[environments.<name>]`` table."""

    name: str
    account: AccountId
    region: Region
    engine: Engine
    engine_version: str
    instance_class: str
    deployment: Deployment
    allocated_storage_gib: int
    max_allocated_storage_gib: int
    backup_retention_days: int
    backup_window: str
    maintenance_window: str
    deletion_protection: bool
    alarm_emails: tuple[Email, ...]
    production: bool = Field(
        default=False, description="Production rules apply (true by default for 'prod')."
    )
    removal_policy: Literal["retain", "snapshot", "destroy"] | None = None
    database_identifier: str | None = None
    database_name: str | None = None
    master_username: str = defaults.MASTER_USERNAME
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
        if self.is_production:
            problems += self._production_problems()
        # An instance class already reported (a typo) is not reported again by the alarms.
        class_reported = any(p.startswith("instance_class=") for p in problems)
        problems += [
            problem
            for problem in self._alarm_problems()
            if not (class_reported and problem.startswith("instance_class="))
        ]
        return problems

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
        return problems


class AppConfig(_Strict):
    environments: dict[str, EnvironmentConfig]

    def select(self, name: str | None) -> list[EnvironmentConfig]:
        """One environment by name, or all of them for ``None``."""
        if name is None:
            return list(self.environments.values())
        if name not in self.environments:
            raise ConfigurationError(
                "env",
                [
                    f"env={name!r}: no such environment; valid: "
                    f"{', '.join(sorted(self.environments))}"
                ],
            )
        return [self.environments[name]]


def _describe(error: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return f"{location}: required key is missing"
    if error["type"] == "extra_forbidden":
        return f"{location}={error['input']!r}: unknown key"
    message = re.sub(r"^Value error, ", "", error["msg"])
    return f"{location}={error['input']!r}: {message}"


def _partial_problems(name: str, table: dict[str, Any], flagged: set[str]) -> list[str]:
    """The database rules applied to the keys of a table that failed type validation, so that
    one bad key does not hide the others' problems. Keys the type check flagged or that are
    missing are skipped (they are reported already)."""
    fields = EnvironmentConfig.model_fields

    def value(key: str) -> Any:
        if key in flagged:
            return None
        if key in table:
            return table[key]
        default = fields[key].default
        return None if fields[key].is_required() else default

    engine, _ = coerce_choice("engine", value("engine"), Engine)
    deployment, _ = coerce_choice("deployment", value("deployment"), Deployment)
    port = value("port") or (PROFILES[engine].port if engine else None)
    parameters = value("parameters")
    problems = database_problems(
        engine=engine,
        deployment=deployment,
        engine_version=value("engine_version"),
        instance_class=value("instance_class"),
        region=value("region") if isinstance(value("region"), str) else None,
        identifier=value("database_identifier") or f"rds-ha-{name}",
        allocated_storage_gib=value("allocated_storage_gib"),
        max_allocated_storage_gib=value("max_allocated_storage_gib"),
        backup_retention_days=value("backup_retention_days"),
        backup_window=value("backup_window"),
        maintenance_window=value("maintenance_window"),
        monitoring_interval_seconds=value("monitoring_interval_seconds"),
        port=port,
        master_username=value("master_username"),
        parameters=parameters if isinstance(parameters, dict) else {},
    )
    # The type check already named these keys: keep only the rules' own problems.
    return [
        p for p in problems if "must be a whole number" not in p and "must be a string" not in p
    ]


def parse_config(data: dict[str, Any], source: str = "environments.toml") -> AppConfig:
    """Validate raw TOML data; raises ConfigurationError listing every problem."""
    environments = data.get("environments")
    problems: list[str] = [
        f"{key}: unknown top-level table; allowed: environments"
        for key in data
        if key != "environments"
    ]
    if not isinstance(environments, dict) or not environments:
        raise ConfigurationError(source, [*problems, "environments: no [environments.<name>]"])
    parsed: dict[str, EnvironmentConfig] = {}
    for name, table in environments.items():
        if not isinstance(table, dict):
            problems.append(f"environments.{name}={table!r}: must be a table")
            continue
        if "name" in table:
            # The table's name is the environment's name; a key would silently override it.
            problems.append(f"[{name}] name={table['name']!r}: unknown key")
            continue
        try:
            environment = EnvironmentConfig.model_validate({**table, "name": name})
        except ValidationError as error:
            problems += [f"[{name}] {_describe(e)}" for e in error.errors()]
            flagged = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
            problems += [f"[{name}] {p}" for p in _partial_problems(name, table, flagged)]
            continue
        problems += [f"[{name}] {problem}" for problem in environment.problems()]
        parsed[name] = environment
    if problems:
        # Each problem once, in the order found.
        raise ConfigurationError(source, list(dict.fromkeys(problems)))
    return AppConfig(environments=parsed)


def load_config(path: str | Path = DEFAULT_CONFIG_PATH) -> AppConfig:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigurationError(str(path), ["file not found"]) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(str(path), [f"not valid TOML: {error}"]) from None
    return parse_config(data, source=str(path))
