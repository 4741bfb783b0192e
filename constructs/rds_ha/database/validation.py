"""The rules a database's settings must follow, shared by the construct and the config loader.

Each problem is one line that names the field, the value received and what is allowed. Values
that are unresolved CDK tokens are skipped: they are only known at deploy time.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from aws_cdk import Token

from rds_ha.catalog.aws_rules import PERFORMANCE_INSIGHTS_UNSUPPORTED_CLASSES, cite
from rds_ha.catalog.credentials import (
    DEFAULT_ROTATION_DAYS,
    MAX_ROTATION_DAYS,
    MIN_ROTATION_DAYS,
    CredentialsMode,
)
from rds_ha.catalog.engines import (
    PROFILES,
    Deployment,
    Engine,
    EngineProfile,
    instance_class_problem,
    is_major_version,
    major_version_problem,
    newest_of_major,
    parameter_value_problem,
    version_class_problem,
    version_problem,
)
from rds_ha.database import defaults
from rds_ha.database.windows import parse_backup_window, parse_maintenance_window, windows_overlap

E = TypeVar("E", bound=StrEnum)


def _known(value: object) -> bool:
    return not (isinstance(value, str | int | float) and Token.is_unresolved(value))


def coerce_choice(field: str, value: object, choices: type[E]) -> tuple[E | None, str | None]:
    """``value`` as a member of ``choices``, read case-insensitively from its value or its name
    (``"Postgres"``, ``"MULTI_AZ_INSTANCE"``); otherwise None and a problem listing the allowed
    values."""
    if isinstance(value, choices):
        return value, None
    if isinstance(value, str):
        folded = value.strip().lower()
        for member in choices:
            if folded in (member.value, member.name.lower()):
                return member, None
    allowed = ", ".join(repr(member.value) for member in choices)
    return None, f"{field}={value!r}: must be one of {allowed}"


def _whole_number(field: str, value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return None
    return f"{field}={value!r}: must be a whole number (int), not {type(value).__name__}"


def _text(field: str, value: object) -> str | None:
    return (
        None
        if isinstance(value, str)
        else (f"{field}={value!r}: must be a string, not {type(value).__name__}")
    )


def database_problems(
    *,
    engine: Engine | None,
    deployment: Deployment | None,
    engine_version: str,
    instance_class: str,
    region: str | None,
    identifier: str,
    allocated_storage_gib: int,
    max_allocated_storage_gib: int,
    backup_retention_days: int | None,
    backup_window: str,
    maintenance_window: str,
    monitoring_interval_seconds: int | None,
    port: int | None,
    master_username: str,
    parameters: Mapping[str, object],
    auto_minor_version_upgrade: object = True,
    allow_major_version_upgrade: object = False,
    parameter_groups_by_major: object = False,
    credentials: CredentialsMode | None = CredentialsMode.SECRET,
    master_password_rotation_days: float | None = DEFAULT_ROTATION_DAYS,
) -> list[str]:
    """Every problem with these settings, or an empty list. ``engine`` or ``deployment`` is None
    when it was itself invalid (already reported): the checks that depend on it are skipped, and
    so are the checks of any other setting given as None."""
    problems: list[str] = []
    numbers = {
        "allocated_storage_gib": allocated_storage_gib,
        "max_allocated_storage_gib": max_allocated_storage_gib,
        "backup_retention_days": backup_retention_days,
        "monitoring_interval_seconds": monitoring_interval_seconds,
        "port": port,
    }
    texts = {
        "engine_version": engine_version,
        "instance_class": instance_class,
        "identifier": identifier,
        "backup_window": backup_window,
        "maintenance_window": maintenance_window,
        "master_username": master_username,
    }
    wrong = {
        field: None if value is None else problem
        for field, value in {**numbers, **texts}.items()
        if value is None
        or (
            _known(value)
            and (problem := (_whole_number if field in numbers else _text)(field, value))
        )
    }
    problems += [problem for problem in wrong.values() if problem]
    switches = {
        "auto_minor_version_upgrade": auto_minor_version_upgrade,
        "allow_major_version_upgrade": allow_major_version_upgrade,
        "parameter_groups_by_major": parameter_groups_by_major,
    }
    problems += [
        f"{field}={value!r}: must be true or false (bool), not {type(value).__name__}"
        for field, value in switches.items()
        if not isinstance(value, bool)
    ]

    def ok(*fields: str) -> bool:
        return not any(field in wrong for field in fields)

    if (
        ok("identifier")
        and _known(identifier)
        and not defaults.IDENTIFIER_PATTERN.match(identifier)
    ):
        problems.append(
            f"identifier={identifier!r}: must be 1-63 lower-case letters, digits or hyphens, "
            "start with a letter, and have no trailing or double hyphen"
        )
    profile = PROFILES[engine] if engine is not None else None
    # With an invalid deployment (reported already), version and class are checked as for the
    # default deployment rather than not at all.
    checked = deployment or defaults.DEPLOYMENT
    if profile is not None and ok("engine_version"):
        problems += _engine_problems(
            profile, checked, engine_version, auto_minor_version_upgrade is not False
        )
        problems += _major_upgrade_problems(checked, allow_major_version_upgrade)
    if ok("instance_class"):
        problems += _instance_class_problems(
            profile,
            checked,
            region,
            instance_class,
            _full_version(profile, checked, engine_version) if ok("engine_version") else None,
        )
    if (
        ok("instance_class")
        and engine in (Engine.MYSQL, Engine.MARIADB)
        and instance_class in PERFORMANCE_INSIGHTS_UNSUPPORTED_CLASSES
    ):
        problems.append(
            cite(
                "performance-insights.instance-classes",
                f"instance_class={instance_class!r}: RDS has no Performance Insights on this "
                f"class for {PROFILES[engine].display_name}, which every rds-ha database has on",
            )
        )
    if ok("allocated_storage_gib", "max_allocated_storage_gib"):
        problems += _storage_problems(deployment, allocated_storage_gib, max_allocated_storage_gib)
    if (
        backup_retention_days is not None
        and ok("backup_retention_days")
        and not (
            defaults.MIN_BACKUP_RETENTION_DAYS
            <= backup_retention_days
            <= defaults.MAX_BACKUP_RETENTION_DAYS
        )
    ):
        problems.append(
            f"backup_retention_days={backup_retention_days}: must be 1-35 (automated backups "
            "and point-in-time restore cannot be switched off)"
        )
    if ok("backup_window", "maintenance_window"):
        problems += _window_problems(backup_window, maintenance_window)
    if (
        ok("monitoring_interval_seconds")
        and monitoring_interval_seconds not in defaults.MONITORING_INTERVALS_SECONDS
    ):
        problems.append(
            f"monitoring_interval_seconds={monitoring_interval_seconds}: must be one of "
            f"{', '.join(map(str, defaults.MONITORING_INTERVALS_SECONDS))}"
        )
    if port is not None and ok("port") and not defaults.MIN_PORT <= port <= defaults.MAX_PORT:
        problems.append(f"port={port}: must be {defaults.MIN_PORT}-{defaults.MAX_PORT}")
    if ok("master_username") and (
        not master_username.isidentifier()
        or not master_username[:1].isalpha()
        or len(master_username) > 16
    ):
        problems.append(
            f"master_username={master_username!r}: must be 1-16 letters, digits or underscores, "
            "starting with a letter"
        )
    if profile is not None:
        problems += parameter_problems(profile, parameters)
    if (
        credentials is CredentialsMode.SECRET
        and master_password_rotation_days is not None
        and not (
            float(master_password_rotation_days).is_integer()
            and MIN_ROTATION_DAYS <= master_password_rotation_days <= MAX_ROTATION_DAYS
        )
    ):
        problems.append(
            f"master_password_rotation_days={master_password_rotation_days:g}: must be whole "
            f"days, {MIN_ROTATION_DAYS}-{MAX_ROTATION_DAYS} (Secrets Manager's rotation schedule)"
        )
    return problems


def _engine_problems(
    profile: EngineProfile, deployment: Deployment, version: str, auto_minor_upgrades: bool
) -> list[str]:
    if deployment is Deployment.MULTI_AZ_CLUSTER and not profile.supports_multi_az_cluster:
        return [
            cite(
                "cluster.engines",
                f"deployment={deployment.value!r}: RDS offers Multi-AZ DB clusters for "
                f"PostgreSQL and MySQL only, not {profile.display_name}; use 'multi-az-instance'",
            )
        ]
    if not _known(version):
        return []
    if not is_major_version(profile.engine, version):
        problem = version_problem(profile.engine, deployment, version)
        return [f"engine_version={version!r}: {problem}"] if problem else []
    # A major version alone ("17"; MySQL, MariaDB "8.4"): the DB instance gets RDS's default
    # minor of that major and auto minor version upgrades move it on without the template
    # having to follow (see builders.py for the documentation behind it).
    if deployment is Deployment.MULTI_AZ_CLUSTER:
        return [
            f"engine_version={version!r}: a Multi-AZ DB cluster needs the full version (RDS "
            f"documents a major-only EngineVersion for DB instances); e.g. "
            f"{newest_of_major(profile.engine, deployment, version) or profile.default_version!r}"
        ]
    if not auto_minor_upgrades:
        full = newest_of_major(profile.engine, deployment, version) or profile.default_version
        return [
            f"engine_version={version!r}: with auto_minor_version_upgrade=false the template "
            f"must name the full version the database runs (nothing else moves it), e.g. {full!r}"
        ]
    problem = major_version_problem(profile.engine, deployment, version)
    return [f"engine_version={version!r}: {problem}"] if problem else []


def _major_upgrade_problems(
    deployment: Deployment, allow_major_version_upgrade: object
) -> list[str]:
    if allow_major_version_upgrade is True and deployment is Deployment.MULTI_AZ_CLUSTER:
        return [
            "allow_major_version_upgrade=true: rds-ha upgrades the major version through the "
            "config for DB instances only; upgrade a Multi-AZ DB cluster with "
            "`aws rds modify-db-cluster --engine-version ... --allow-major-version-upgrade`"
        ]
    return []


def _full_version(profile: EngineProfile | None, deployment: Deployment, version: str) -> str:
    """The version whose instance classes apply: a major alone stands for its newest version."""
    if profile is None or not _known(version) or not is_major_version(profile.engine, version):
        return version
    return newest_of_major(profile.engine, deployment, version) or version


def _instance_class_problems(
    profile: EngineProfile | None,
    deployment: Deployment | None,
    region: str | None,
    instance_class: str,
    version: str | None,
) -> list[str]:
    """One problem at most: the first rule the class breaks (its form, the region's offer, then
    the engine version's offer)."""
    if not _known(instance_class):
        return []
    if not defaults.INSTANCE_CLASS_PATTERN.match(instance_class):
        return [
            f"instance_class={instance_class!r}: must be an RDS instance class like 'db.m7g.large'"
        ]
    if profile is None or deployment is None:
        return []
    problem = None
    if region and _known(region):
        problem = instance_class_problem(profile.engine, deployment, region, instance_class)
    if (
        problem is None
        and version
        and _known(version)
        and deployment is not Deployment.MULTI_AZ_CLUSTER
    ):
        problem = version_class_problem(profile.engine, version, instance_class)
    return [f"instance_class={instance_class!r}: {problem}"] if problem else []


def _storage_problems(deployment: Deployment | None, allocated: int, maximum: int) -> list[str]:
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
        if not _known(value):
            continue
        value_problem = parameter_value_problem(profile.engine, name, text)
        if value_problem:
            problems.append(f"parameters.{name}={text!r}: {value_problem}")
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
