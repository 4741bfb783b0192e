"""What rds-ha knows about each database engine: ports, log types, parameter defaults, and which
engine versions RDS offers for new databases.

Engine versions come from the RDS data that cfn-lint ships (the same data behind its W3691
"deprecated engine version" check), so the list follows cfn-lint releases instead of a hand-kept
table.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any


class Engine(StrEnum):
    POSTGRES = "postgres"
    MYSQL = "mysql"
    MARIADB = "mariadb"


class Deployment(StrEnum):
    """How the database survives the loss of an instance or an Availability Zone."""

    MULTI_AZ_INSTANCE = "multi-az-instance"
    """One primary and a synchronous standby in another AZ behind one endpoint."""
    MULTI_AZ_CLUSTER = "multi-az-cluster"
    """One writer and two readable standbys in three AZs; failover typically under 35 s."""
    SINGLE_AZ = "single-az"
    """No standby: an instance or AZ failure is an outage. For development only."""


@dataclass(frozen=True)
class EngineProfile:
    engine: Engine
    display_name: str
    # RDS defaults are the first ports scanners try; rds-ha uses these instead.
    port: int
    default_version: str
    instance_log_types: tuple[str, ...]
    cluster_log_types: tuple[str, ...]
    default_parameters: Mapping[str, str]
    # Parameters whose user value would switch TLS off or break log export; value -> reason.
    forbidden_values: Mapping[str, Mapping[str, str]]
    # Parameters that belong to the other engine family: a typo or a copy-paste from elsewhere.
    foreign_parameters: frozenset[str]
    supports_multi_az_cluster: bool
    # MySQL and MariaDB log connections through the MariaDB audit plugin (an option group).
    audit_plugin: bool

    def major_version(self, version: str) -> str:
        parts = version.split(".")
        return parts[0] if self.engine is Engine.POSTGRES else ".".join(parts[:2])

    def parameter_group_family(self, version: str) -> str:
        return f"{self.engine.value}{self.major_version(version)}"


_MYSQL_FAMILY_DEFAULTS = {
    "require_secure_transport": "1",
    "slow_query_log": "1",
    "long_query_time": "1",
    # CloudWatch Logs export reads the log files; TABLE output would export nothing.
    "log_output": "FILE",
    "innodb_print_all_deadlocks": "1",
}
_MYSQL_FAMILY_FORBIDDEN = {
    "require_secure_transport": {
        "0": "rds-ha enforces TLS for every connection",
        "OFF": "rds-ha enforces TLS for every connection",
    },
    "log_output": {
        "TABLE": "the slow query log would no longer reach CloudWatch Logs",
        "NONE": "the slow query log would no longer reach CloudWatch Logs",
    },
}
_POSTGRES_ONLY = frozenset({"rds.force_ssl", "log_min_duration_statement", "log_connections"})
_MYSQL_ONLY = frozenset({"require_secure_transport", "slow_query_log", "long_query_time"})

PROFILES: Mapping[Engine, EngineProfile] = MappingProxyType(
    {
        Engine.POSTGRES: EngineProfile(
            engine=Engine.POSTGRES,
            display_name="PostgreSQL",
            port=15432,
            default_version="17.9",
            instance_log_types=("postgresql", "upgrade", "iam-db-auth-error"),
            cluster_log_types=("postgresql",),
            default_parameters=MappingProxyType(
                {
                    "rds.force_ssl": "1",
                    "log_min_duration_statement": "1000",
                    "log_connections": "1",
                    "log_disconnections": "1",
                    "log_lock_waits": "1",
                    "log_autovacuum_min_duration": "10000",
                    "shared_preload_libraries": "pg_stat_statements",
                }
            ),
            forbidden_values=MappingProxyType(
                {"rds.force_ssl": {"0": "rds-ha enforces TLS for every connection"}}
            ),
            foreign_parameters=_MYSQL_ONLY,
            supports_multi_az_cluster=True,
            audit_plugin=False,
        ),
        Engine.MYSQL: EngineProfile(
            engine=Engine.MYSQL,
            display_name="MySQL",
            port=13306,
            default_version="8.4.9",
            instance_log_types=("audit", "error", "general", "slowquery", "iam-db-auth-error"),
            cluster_log_types=("error", "general", "slowquery"),
            default_parameters=MappingProxyType(_MYSQL_FAMILY_DEFAULTS),
            forbidden_values=MappingProxyType(_MYSQL_FAMILY_FORBIDDEN),
            foreign_parameters=_POSTGRES_ONLY,
            supports_multi_az_cluster=True,
            audit_plugin=True,
        ),
        Engine.MARIADB: EngineProfile(
            engine=Engine.MARIADB,
            display_name="MariaDB",
            port=13306,
            default_version="11.8.6",
            instance_log_types=("audit", "error", "general", "slowquery", "iam-db-auth-error"),
            cluster_log_types=(),
            default_parameters=MappingProxyType(_MYSQL_FAMILY_DEFAULTS),
            forbidden_values=MappingProxyType(_MYSQL_FAMILY_FORBIDDEN),
            foreign_parameters=_POSTGRES_ONLY,
            # RDS offers Multi-AZ DB clusters for MySQL and PostgreSQL only.
            supports_multi_az_cluster=False,
            audit_plugin=True,
        ),
    }
)


@cache
def _cfn_lint_extensions() -> Path:
    """cfn-lint's RDS data folder, found without importing cfn-lint: its package __init__ loads
    the whole linter (about 0.4 s), and only these JSON files are needed here."""
    spec = importlib.util.find_spec("cfnlint")
    assert spec is not None and spec.submodule_search_locations, "cfn-lint is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "schemas" / "extensions"


def _cfn_lint_data(resource: str, filename: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((_cfn_lint_extensions() / resource / filename).read_text())
    return data


@cache
def _cfn_lint_versions(resource: str, filename: str) -> Mapping[str, frozenset[str]]:
    data = _cfn_lint_data(resource, filename)
    versions: dict[str, frozenset[str]] = {}
    for rule in data.get("allOf", []):
        condition = rule.get("if", {}).get("properties", {})
        engine = condition.get("Engine", {}).get("const")
        # engine_version.json lists versions under "then"; the deprecated list under "if".
        then = rule.get("then")
        then_properties = then.get("properties", {}) if isinstance(then, dict) else {}
        enum = (
            then_properties.get("EngineVersion", {}).get("enum")
            or condition.get("EngineVersion", {}).get("enum")
            or []
        )
        if engine:
            versions[engine] = frozenset(versions.get(engine, frozenset()) | set(enum))
    return versions


def available_versions(engine: Engine, deployment: Deployment) -> frozenset[str]:
    """Versions RDS offers for a new database of this engine and deployment."""
    resource = (
        "aws_rds_dbcluster" if deployment is Deployment.MULTI_AZ_CLUSTER else "aws_rds_dbinstance"
    )
    offered = _cfn_lint_versions(resource, "engine_version.json").get(engine.value, frozenset())
    deprecated = _cfn_lint_versions(resource, "engine_version_deprecated.json").get(
        engine.value, frozenset()
    )
    return frozenset(offered - deprecated)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(
        int(part) for part in version.split("-", maxsplit=1)[0].split(".") if part.isdigit()
    )


def version_problem(engine: Engine, deployment: Deployment, version: str) -> str | None:
    """Why ``version`` cannot be used for a new database, or None when it can. The suggestions
    are the newest offered versions of the same major (or minor) line as ``version`` ("17" ->
    17.x), and the newest overall only when that line has none."""
    offered = available_versions(engine, deployment)
    if version in offered:
        return None
    ordered = sorted(offered, key=_version_key)
    prefix = version.strip().rstrip(".")
    same_line: list[str] = []
    while prefix and not same_line:
        same_line = [v for v in ordered if v == prefix or v.startswith(f"{prefix}.")]
        prefix = prefix.rpartition(".")[0]
    suggestions, label = (same_line[-3:], "offered") if same_line else (ordered[-3:], "newest")
    return (
        f"{version!r} is not a {PROFILES[engine].display_name} version that RDS offers for a new "
        f"{deployment.value} database (deprecated or unknown, give the full version); {label}: "
        f"{', '.join(suggestions)}"
    )


def is_major_version(engine: Engine, version: str) -> bool:
    """True when ``version`` names a major version only: PostgreSQL ``"17"``, MySQL ``"8.4"``,
    MariaDB ``"11.8"`` (for MySQL and MariaDB RDS counts X.Y as the major version and Z as the
    minor: "MySQL on Amazon RDS versions", "MariaDB on Amazon RDS versions" in the RDS user
    guide)."""
    return PROFILES[engine].major_version(version) == version


def listed_version(engine: Engine, deployment: Deployment, version: str) -> bool:
    """True when cfn-lint's EngineVersion list has ``version`` (offered or deprecated): the
    list CDK's template validation (E9006) and cfn-lint's E3691 check it against."""
    resource = (
        "aws_rds_dbcluster" if deployment is Deployment.MULTI_AZ_CLUSTER else "aws_rds_dbinstance"
    )
    return version in _cfn_lint_versions(resource, "engine_version.json").get(
        engine.value, frozenset()
    )


def newest_of_major(engine: Engine, deployment: Deployment, major: str) -> str | None:
    """The newest version of ``major`` that RDS offers for a new database, or None."""
    profile = PROFILES[engine]
    line = [v for v in available_versions(engine, deployment) if profile.major_version(v) == major]
    return max(line, key=_version_key) if line else None


def major_version_problem(engine: Engine, deployment: Deployment, major: str) -> str | None:
    """Why a major-only ``major`` cannot be used for a new database, or None when RDS offers a
    version of it (cfn-lint's data lists full versions: a major is offered when one of its
    versions is)."""
    if newest_of_major(engine, deployment, major):
        return None
    profile = PROFILES[engine]
    majors = sorted(
        {profile.major_version(v) for v in available_versions(engine, deployment)},
        key=_version_key,
    )
    return (
        f"{major!r} is not a {profile.display_name} major version that RDS offers for a new "
        f"{deployment.value} database; newest: {', '.join(majors[-3:])}"
    )


@cache
def _cfn_lint_classes(resource: str, filename: str, region: str) -> Mapping[str, frozenset[str]]:
    data = _cfn_lint_data(resource, filename)
    classes: dict[str, frozenset[str]] = {}
    for rule in data.get(region, {}).get("allOf", []):
        engine = rule.get("if", {}).get("properties", {}).get("Engine", {}).get("const")
        then = rule.get("then", {}).get("properties", {})
        enum: list[str] = next((spec.get("enum", []) for spec in then.values()), [])
        if engine:
            classes[engine] = frozenset(classes.get(engine, frozenset()) | set(enum))
    return classes


def available_instance_classes(
    engine: Engine, deployment: Deployment, region: str
) -> frozenset[str]:
    """Instance classes RDS offers for this engine and deployment in ``region`` (empty when the
    region is unknown to the shipped data)."""
    if deployment is Deployment.MULTI_AZ_CLUSTER:
        source = ("aws_rds_dbcluster", "dbclusterinstanceclass_enum.json")
    else:
        source = ("aws_rds_dbinstance", "dbinstanceclass_enum.json")
    return _cfn_lint_classes(*source, region).get(engine.value, frozenset())


def instance_class_problem(
    engine: Engine, deployment: Deployment, region: str, instance_class: str
) -> str | None:
    """Why ``instance_class`` cannot be used, or None when it can (or the region is unknown)."""
    offered = available_instance_classes(engine, deployment, region)
    if not offered or instance_class in offered:
        return None
    nearest = ", ".join(nearest_classes(instance_class, offered))
    return (
        f"{instance_class!r} is not offered for {PROFILES[engine].display_name} "
        f"{deployment.value} in {region}; nearest: {nearest}"
    )


def nearest_classes(instance_class: str, offered: frozenset[str], count: int = 4) -> list[str]:
    """The offered classes closest to a mistyped one (``db.r7g.larg`` -> ``db.r7g.large``, ...),
    by spelling first, then the rest of the same family."""
    close = difflib.get_close_matches(instance_class, sorted(offered), n=count, cutoff=0.6)
    family = instance_class.rsplit(".", 1)[0]
    same_family = sorted(
        (name for name in offered if name.startswith(f"{family}.") and name not in close),
        key=lambda name: difflib.SequenceMatcher(None, instance_class, name).ratio(),
        reverse=True,
    )
    return [*close, *same_family][:count] or sorted(offered)[:count]


@cache
def _cfn_lint_version_classes() -> tuple[tuple[str, re.Pattern[str], frozenset[str]], ...]:
    """cfn-lint's db_instance_class.json (rule E3062): per engine and version line, the DB
    instance classes RDS offers."""
    data = _cfn_lint_data("aws_rds_dbinstance", "db_instance_class.json")
    rules = []
    for rule in data.get("allOf", []):
        condition = rule.get("if", {}).get("properties", {})
        engine = condition.get("Engine", {}).get("const")
        pattern = condition.get("EngineVersion", {}).get("pattern")
        enum = rule.get("then", {}).get("properties", {}).get("DBInstanceClass", {}).get("enum")
        if engine and pattern and enum:
            rules.append((engine, re.compile(pattern), frozenset(enum)))
    return tuple(rules)


def classes_for_version(engine: Engine, version: str) -> frozenset[str] | None:
    """DB instance classes RDS offers for this engine version, or None when the shipped data
    does not know the version (then only the region's list applies)."""
    matched = [
        classes
        for name, pattern, classes in _cfn_lint_version_classes()
        if name == engine.value and pattern.match(version)
    ]
    return frozenset().union(*matched) if matched else None


def version_class_problem(engine: Engine, version: str, instance_class: str) -> str | None:
    """Why a DB instance of ``engine`` ``version`` cannot run on ``instance_class``, or None."""
    offered = classes_for_version(engine, version)
    if offered is None or instance_class in offered:
        return None
    return (
        f"{instance_class!r} is not offered for {PROFILES[engine].display_name} {version}; "
        f"nearest: {', '.join(nearest_classes(instance_class, offered))}"
    )


# Engine parameters whose values are numbers or switches, checked so that a typo fails at synth
# rather than at deploy. RDS formulas ("{DBInstanceClassMemory/12582880}") are accepted as they
# are: RDS evaluates them.
_POSTGRES_NUMERIC = {
    "max_connections": "integer",
    "log_min_duration_statement": "integer",
    "log_autovacuum_min_duration": "integer",
    "work_mem": "integer",
    "maintenance_work_mem": "integer",
    "shared_buffers": "integer",
    "effective_cache_size": "integer",
    "statement_timeout": "integer",
    "idle_in_transaction_session_timeout": "integer",
    "lock_timeout": "integer",
    "autovacuum_max_workers": "integer",
    "random_page_cost": "number",
    "rds.force_ssl": "switch",
    "log_connections": "switch",
    "log_disconnections": "switch",
    "log_lock_waits": "switch",
}
_MYSQL_NUMERIC = {
    "max_connections": "integer",
    "innodb_buffer_pool_size": "integer",
    "wait_timeout": "integer",
    "interactive_timeout": "integer",
    "max_allowed_packet": "integer",
    "long_query_time": "number",
    "require_secure_transport": "switch",
    "slow_query_log": "switch",
    "innodb_print_all_deadlocks": "switch",
}
NUMERIC_PARAMETERS: Mapping[Engine, Mapping[str, str]] = MappingProxyType(
    {
        Engine.POSTGRES: MappingProxyType(_POSTGRES_NUMERIC),
        Engine.MYSQL: MappingProxyType(_MYSQL_NUMERIC),
        Engine.MARIADB: MappingProxyType(_MYSQL_NUMERIC),
    }
)
_VALUE_PATTERNS = {
    "integer": (re.compile(r"^-?\d+$"), "a whole number"),
    "number": (re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$"), "a number"),
    "switch": (re.compile(r"^(0|1|on|off|true|false)$", re.I), "0, 1, on or off"),
}


def parameter_value_problem(engine: Engine, name: str, value: str) -> str | None:
    """Why ``value`` is not valid for a known numeric or switch parameter, or None."""
    kind = NUMERIC_PARAMETERS[engine].get(name)
    if kind is None or "{" in value:
        return None
    pattern, allowed = _VALUE_PATTERNS[kind]
    if pattern.match(value.strip()):
        return None
    return f"must be {allowed} (or an RDS formula such as '{{DBInstanceClassMemory/12582880}}')"
