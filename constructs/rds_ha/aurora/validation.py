"""The rules an Aurora DB cluster's settings follow, shared by ``AuroraDatabase`` and the
configuration layer: every problem at once, each naming the field, the value and what is
allowed (the RDS rules of ``database.validation`` where Aurora shares them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rds_ha.catalog.aurora import (
    PROFILES,
    AuroraDeployment,
    AuroraEngine,
    AuroraStorageType,
    backtrack_problems,
    capacity_problems,
    instance_class_problem,
    parameter_problems,
    reader_problems,
    version_problem,
)
from rds_ha.catalog.aurora_rules import aurora_cite
from rds_ha.catalog.credentials import MAX_ROTATION_DAYS, MIN_ROTATION_DAYS, CredentialsMode
from rds_ha.database import defaults
from rds_ha.database.validation import _window_problems, coerce_choice


@dataclass(frozen=True)
class AuroraSettings:
    """One Aurora DB cluster's settings as given (choices may still be strings)."""

    engine: object
    engine_version: str | None
    deployment: object
    instance_class: str
    readers: int
    reader_promotion_tiers: tuple[int, ...]
    min_capacity: float
    max_capacity: float
    storage_type: object
    backtrack_window_hours: float
    identifier: str
    region: str | None
    backup_retention_days: float
    backup_window: str
    maintenance_window: str
    monitoring_interval_seconds: float
    port: int | None
    master_username: str
    parameters: dict[str, object] = field(default_factory=dict)
    credentials: object = CredentialsMode.SECRET
    master_password_rotation_days: float = 30
    # A member of an Aurora global database (its primary or a secondary).
    global_database: bool = False

    @property
    def known_engine(self) -> AuroraEngine | None:
        return coerce_choice("engine", self.engine, AuroraEngine)[0]

    @property
    def known_deployment(self) -> AuroraDeployment | None:
        return coerce_choice("deployment", self.deployment, AuroraDeployment)[0]

    @property
    def known_credentials(self) -> CredentialsMode | None:
        return coerce_choice("credentials", self.credentials, CredentialsMode)[0]


def aurora_problems(settings: AuroraSettings) -> list[str]:
    """Every problem of these settings, or an empty list."""
    s = settings
    problems = [
        problem
        for name, value, choices in (
            ("engine", s.engine, AuroraEngine),
            ("deployment", s.deployment, AuroraDeployment),
            ("storage_type", s.storage_type, AuroraStorageType),
            ("credentials", s.credentials, CredentialsMode),
        )
        if (problem := coerce_choice(name, value, choices)[1])
    ]
    if not defaults.IDENTIFIER_PATTERN.match(s.identifier):
        problems.append(
            f"identifier={s.identifier!r}: must be 1-63 lower-case letters, digits or hyphens, "
            "start with a letter, and have no trailing or double hyphen"
        )
    engine, deployment = s.known_engine, s.known_deployment
    version = s.engine_version or (PROFILES[engine].default_version if engine else None)
    if engine is not None and version is not None:
        if problem := version_problem(engine, version):
            problems.append(f"engine_version={version!r}: {problem}")
        problems += parameter_problems(engine, s.parameters)
        problems += backtrack_problems(engine, s.backtrack_window_hours)
        if s.global_database and s.backtrack_window_hours:
            problems.append(
                aurora_cite(
                    "aurora.global-no-backtrack",
                    f"backtrack_window_hours={s.backtrack_window_hours:g} in a global database: "
                    "allowed: 0",
                )
            )
        if deployment is AuroraDeployment.SERVERLESS_V2:
            problems += capacity_problems(engine, version, s.min_capacity, s.max_capacity)
        elif (
            deployment is AuroraDeployment.PROVISIONED
            and s.region
            and (problem := instance_class_problem(engine, s.region, s.instance_class))
        ):
            problems.append(f"instance_class={s.instance_class!r}: {problem}")
    if deployment is AuroraDeployment.SERVERLESS_V2 and s.reader_promotion_tiers:
        problems.append(
            f"reader_promotion_tiers={list(s.reader_promotion_tiers)}: Serverless v2 readers "
            "scale with the writer in tier 1; allowed: none"
        )
    problems += reader_problems(s.readers, s.reader_promotion_tiers)
    if (
        not (
            defaults.MIN_BACKUP_RETENTION_DAYS
            <= s.backup_retention_days
            <= defaults.MAX_BACKUP_RETENTION_DAYS
        )
        or not float(s.backup_retention_days).is_integer()
    ):
        problems.append(
            f"backup_retention_days={s.backup_retention_days:g}: must be whole days, 1-35 "
            "(Aurora's automated backups cannot be switched off)"
        )
    problems += _window_problems(s.backup_window, s.maintenance_window)
    if s.monitoring_interval_seconds not in defaults.MONITORING_INTERVALS_SECONDS:
        problems.append(
            f"monitoring_interval_seconds={s.monitoring_interval_seconds:g}: must be one of "
            f"{', '.join(map(str, defaults.MONITORING_INTERVALS_SECONDS))}"
        )
    if s.port is not None and not defaults.MIN_PORT <= s.port <= defaults.MAX_PORT:
        problems.append(f"port={s.port}: must be {defaults.MIN_PORT}-{defaults.MAX_PORT}")
    if (
        not s.master_username.isidentifier()
        or not s.master_username[:1].isalpha()
        or len(s.master_username) > 16
    ):
        problems.append(
            f"master_username={s.master_username!r}: must be 1-16 letters, digits or "
            "underscores, starting with a letter"
        )
    if s.known_credentials is CredentialsMode.SECRET and not (
        float(s.master_password_rotation_days).is_integer()
        and MIN_ROTATION_DAYS <= s.master_password_rotation_days <= MAX_ROTATION_DAYS
    ):
        problems.append(
            f"master_password_rotation_days={s.master_password_rotation_days:g}: must be "
            f"whole days, {MIN_ROTATION_DAYS}-{MAX_ROTATION_DAYS}"
        )
    return problems
