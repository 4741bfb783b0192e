"""The rules a database's settings must follow, shared by the construct and the config loader.

Each problem is one line that names the field, the value received and what is allowed. Values
that are unresolved CDK tokens are skipped: they are only known at deploy time.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Token

from rds_ha import defaults
from rds_ha.engines import (
    PROFILES,
    Deployment,
    Engine,
    EngineProfile,
    instance_class_problem,
    version_problem,
)
from rds_ha.windows import parse_backup_window, parse_maintenance_window, windows_overlap


def _known(value: object) -> bool:
    return not (isinstance(value, str) and Token.is_unresolved(value))


def database_problems(
    *,
    engine: Engine,
    deployment: Deployment,
    engine_version: str,
    instance_class: str,
    region: str | None,
    identifier: str,
    allocated_storage_gib: int,
    max_allocated_storage_gib: int,
    backup_retention_days: int,
    backup_window: str,
    maintenance_window: str,
    monitoring_interval_seconds: int,
    port: int,
    master_username: str,
    parameters: Mapping[str, object],
) -> list[str]:
    """Every problem with these settings, or an empty list."""
    profile = PROFILES[engine]
    problems: list[str] = []
    if _known(identifier) and not defaults.IDENTIFIER_PATTERN.match(identifier):
        problems.append(
            f"identifier={identifier!r}: must be 1-63 lower-case letters, digits or hyphens, "
            "start with a letter, and have no trailing or double hyphen"
        )
    problems += _engine_problems(profile, deployment, engine_version)
    problems += _instance_class_problems(profile, deployment, region, instance_class)
    problems += _storage_problems(deployment, allocated_storage_gib, max_allocated_storage_gib)
    if not (
        defaults.MIN_BACKUP_RETENTION_DAYS
        <= backup_retention_days
        <= defaults.MAX_BACKUP_RETENTION_DAYS
    ):
        problems.append(
            f"backup_retention_days={backup_retention_days}: must be 1-35 (automated backups "
            "and point-in-time restore cannot be switched off)"
        )
    problems += _window_problems(backup_window, maintenance_window)
    if monitoring_interval_seconds not in defaults.MONITORING_INTERVALS_SECONDS:
        problems.append(
            f"monitoring_interval_seconds={monitoring_interval_seconds}: must be one of "
            f"{', '.join(map(str, defaults.MONITORING_INTERVALS_SECONDS))}"
        )
    if not defaults.MIN_PORT <= port <= defaults.MAX_PORT:
        problems.append(f"port={port}: must be {defaults.MIN_PORT}-{defaults.MAX_PORT}")
    if (
        not master_username.isidentifier()
        or not master_username[:1].isalpha()
        or len(master_username) > 16
    ):
        problems.append(
            f"master_username={master_username!r}: must be 1-16 letters, digits or underscores, "
            "starting with a letter"
        )
    problems += parameter_problems(profile, parameters)
    return problems


def _engine_problems(profile: EngineProfile, deployment: Deployment, version: str) -> list[str]:
    if deployment is Deployment.MULTI_AZ_CLUSTER and not profile.supports_multi_az_cluster:
        return [
            f"deployment={deployment.value!r}: RDS offers Multi-AZ DB clusters for PostgreSQL "
            f"and MySQL only, not {profile.display_name}; use 'multi-az-instance'"
        ]
    if _known(version):
        problem = version_problem(profile.engine, deployment, version)
        if problem:
            return [f"engine_version={version!r}: {problem}"]
    return []


def _instance_class_problems(
    profile: EngineProfile, deployment: Deployment, region: str | None, instance_class: str
) -> list[str]:
    if not _known(instance_class):
        return []
    if not defaults.INSTANCE_CLASS_PATTERN.match(instance_class):
        return [
            f"instance_class={instance_class!r}: must be an RDS instance class like 'db.m7g.large'"
        ]
    if region and _known(region):
        problem = instance_class_problem(profile.engine, deployment, region, instance_class)
        if problem:
            return [f"instance_class={instance_class!r}: {problem}"]
    return []


def _storage_problems(deployment: Deployment, allocated: int, maximum: int) -> list[str]:
    problems = []
    if not defaults.MIN_STORAGE_GIB <= allocated <= defaults.MAX_STORAGE_GIB:
        problems.append(f"allocated_storage_gib={allocated}: gp3 storage must be 20-65536 GiB")
    if deployment is Deployment.MULTI_AZ_CLUSTER:
        if allocated < defaults.MIN_CLUSTER_STORAGE_GIB:
            problems.append(
                f"allocated_storage_gib={allocated}: a Multi-AZ DB cluster on gp3 needs at least "
                f"{defaults.MIN_CLUSTER_STORAGE_GIB} GiB"
            )
    elif maximum <= allocated:
        problems.append(
            f"max_allocated_storage_gib={maximum}: must be above allocated_storage_gib "
            f"({allocated}) so storage can autoscale"
        )
    elif maximum > defaults.MAX_STORAGE_GIB:
        problems.append(f"max_allocated_storage_gib={maximum}: must be at most 65536")
    return problems


def _window_problems(backup_window: str, maintenance_window: str) -> list[str]:
    problems = []
    for name, window, parse in (
        ("backup_window", backup_window, parse_backup_window),
        ("maintenance_window", maintenance_window, parse_maintenance_window),
    ):
        try:
            parse(window)
        except ValueError as error:
            problems.append(f"{name}: {error}")
    if not problems and windows_overlap(backup_window, maintenance_window):
        problems.append(
            f"backup_window={backup_window!r} overlaps maintenance_window="
            f"{maintenance_window!r}: RDS requires them not to overlap"
        )
    return problems


def parameter_problems(profile: EngineProfile, parameters: Mapping[str, object]) -> list[str]:
    """User parameters that belong to another engine or would switch off TLS or log export."""
    problems = []
    for name, value in parameters.items():
        text = str(value)
        if name in profile.foreign_parameters:
            problems.append(
                f"parameters.{name}: not a {profile.display_name} parameter (it belongs to "
                "another engine)"
            )
        reason = profile.forbidden_values.get(name, {}).get(text.upper())
        if reason:
            allowed = profile.default_parameters.get(name)
            problems.append(f"parameters.{name}={text!r}: {reason}; allowed: {allowed!r}")
    return problems
