"""What rds-ha knows about Aurora: the two engines, the two deployments, their ports, log types
and parameter defaults, which versions and classes Aurora offers (cfn-lint's RDS data, as for
RDS), and the rules of Aurora's own settings (readers, promotion tiers, Serverless v2 capacity,
backtrack, storage type), each ending with the rule it follows (``aurora_rules``).

No aws_cdk here: the configuration layer and the CLI use it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from rds_ha.catalog.aurora_rules import aurora_cite
from rds_ha.catalog.engines import (
    Deployment,
    _cfn_lint_classes,
    _cfn_lint_versions,
    _version_key,
    nearest_classes,
)


class AuroraEngine(StrEnum):
    AURORA_POSTGRESQL = "aurora-postgresql"
    AURORA_MYSQL = "aurora-mysql"


class AuroraDeployment(StrEnum):
    """The writer and readers of an Aurora DB cluster share one cluster volume, six copies in
    three AZs; a reader is the failover target."""

    PROVISIONED = "aurora"
    """A writer and readers of one provisioned DB instance class each."""
    SERVERLESS_V2 = "aurora-serverless-v2"
    """Writer and readers ``db.serverless``, scaling in place between ``min_capacity`` and
    ``max_capacity`` ACUs."""


class AuroraStorageType(StrEnum):
    """Aurora's cluster storage configurations (CreateDBCluster ``AuroraStorageType``)."""

    STANDARD = "aurora"
    IO_OPTIMIZED = "aurora-iopt1"


SERVERLESS_CLASS = "db.serverless"
MAX_READERS = 15
MAX_PROMOTION_TIER = 15
# 72 hours, in seconds (CreateDBCluster BacktrackWindow: "from 0 to 259,200").
MAX_BACKTRACK_SECONDS = 259_200
MAX_CAPACITY_ACU = 256.0
MAX_CAPACITY_ACU_OLDER = 128.0


@dataclass(frozen=True)
class AuroraProfile:
    engine: AuroraEngine
    display_name: str
    port: int
    default_version: str
    log_types: tuple[str, ...]
    # The cluster parameter group's defaults: TLS enforced, slow queries and connections logged.
    cluster_parameters: Mapping[str, str]
    # Values a user parameter may not take (they would switch TLS off); value -> reason.
    forbidden_values: Mapping[str, Mapping[str, str]]
    # The first version of each major that lets Serverless v2 scale to 0 ACUs (auto-pause).
    auto_pause_since: Mapping[str, str]

    def major_version(self, version: str) -> str:
        """``17.9`` -> ``17``; ``8.0.mysql_aurora.3.10.2`` -> ``8.0``."""
        if self.engine is AuroraEngine.AURORA_POSTGRESQL:
            return version.split(".", maxsplit=1)[0]
        return ".".join(version.split(".")[:2])

    def parameter_group_family(self, version: str) -> str:
        return f"{self.engine.value}{self.major_version(version)}"

    def comparable_version(self, version: str) -> tuple[int, ...]:
        """Aurora MySQL orders by its own version (``3.10.2`` of ``8.0.mysql_aurora.3.10.2``)."""
        if "mysql_aurora." in version:
            version = version.split("mysql_aurora.", 1)[1]
        return _version_key(version)


PROFILES: Mapping[AuroraEngine, AuroraProfile] = MappingProxyType(
    {
        AuroraEngine.AURORA_POSTGRESQL: AuroraProfile(
            engine=AuroraEngine.AURORA_POSTGRESQL,
            display_name="Aurora PostgreSQL",
            port=15432,
            default_version="17.9",
            log_types=("postgresql", "iam-db-auth-error"),
            cluster_parameters=MappingProxyType(
                {
                    "rds.force_ssl": "1",
                    "log_min_duration_statement": "1000",
                    "log_connections": "1",
                    "log_disconnections": "1",
                    "log_lock_waits": "1",
                    "shared_preload_libraries": "pg_stat_statements",
                }
            ),
            forbidden_values=MappingProxyType(
                {"rds.force_ssl": {"0": "rds-ha enforces TLS for every connection"}}
            ),
            # Aurora User Guide, "Aurora Serverless v2 capacity" (minimum capacity 0 ACUs):
            # Aurora PostgreSQL 16.3, 15.7, 14.12, 13.15 and higher; 17 and 18 throughout.
            auto_pause_since=MappingProxyType(
                {"13": "13.15", "14": "14.12", "15": "15.7", "16": "16.3", "17": "17", "18": "18"}
            ),
        ),
        AuroraEngine.AURORA_MYSQL: AuroraProfile(
            engine=AuroraEngine.AURORA_MYSQL,
            display_name="Aurora MySQL",
            port=13306,
            default_version="8.0.mysql_aurora.3.10.2",
            log_types=("audit", "error", "general", "slowquery", "iam-db-auth-error"),
            cluster_parameters=MappingProxyType(
                {
                    "require_secure_transport": "ON",
                    "slow_query_log": "1",
                    "long_query_time": "1",
                    # CloudWatch Logs export reads the log files; TABLE would export nothing.
                    "log_output": "FILE",
                    "innodb_print_all_deadlocks": "1",
                    # Aurora MySQL's Advanced Auditing writes the audit log that is exported.
                    "server_audit_logging": "1",
                    "server_audit_events": "CONNECT,QUERY_DCL,QUERY_DDL",
                }
            ),
            forbidden_values=MappingProxyType(
                {
                    "require_secure_transport": {
                        "0": "rds-ha enforces TLS for every connection",
                        "OFF": "rds-ha enforces TLS for every connection",
                    },
                    "log_output": {"TABLE": "the slow query log would not reach CloudWatch Logs"},
                }
            ),
            # Aurora MySQL 3.08.0 and higher (8.0-compatible), and 8.4.
            auto_pause_since=MappingProxyType({"8.0": "8.0.mysql_aurora.3.08.0", "8.4": "8.4"}),
        ),
    }
)


def available_versions(engine: AuroraEngine) -> frozenset[str]:
    """Versions Aurora offers for a new DB cluster of this engine (cfn-lint's data)."""
    offered = _cfn_lint_versions("aws_rds_dbcluster", "engine_version.json").get(engine.value)
    deprecated = _cfn_lint_versions("aws_rds_dbcluster", "engine_version_deprecated.json").get(
        engine.value, frozenset()
    )
    return frozenset((offered or frozenset()) - deprecated)


def version_problem(engine: AuroraEngine, version: str) -> str | None:
    """Why ``version`` cannot be used for a new cluster (a major alone is refused: the template
    pins the full version, as for a Multi-AZ DB cluster), or None when it can."""
    profile = PROFILES[engine]
    offered = available_versions(engine)
    if version in offered and profile.major_version(version) != version:
        return None
    line = sorted(
        (v for v in offered if profile.major_version(v) == profile.major_version(version)),
        key=profile.comparable_version,
    )
    newest = line or sorted(offered, key=profile.comparable_version)
    return (
        f"{version!r} is not a full {profile.display_name} version that Aurora offers for a new "
        f"DB cluster (deprecated, unknown or a major alone); "
        f"{'offered' if line else 'newest'}: {', '.join(newest[-3:])}"
    )


def instance_class_problem(engine: AuroraEngine, region: str, instance_class: str) -> str | None:
    """Why ``instance_class`` cannot run an Aurora DB instance in ``region``, or None."""
    offered = _cfn_lint_classes("aws_rds_dbinstance", "dbinstanceclass_enum.json", region).get(
        engine.value, frozenset()
    )
    if not offered or instance_class in offered:
        return None
    provisioned = frozenset(offered - {SERVERLESS_CLASS})
    return (
        f"{instance_class!r} is not offered for {PROFILES[engine].display_name} in {region}; "
        f"nearest: {', '.join(nearest_classes(instance_class, provisioned))}"
    )


def supports_auto_pause(engine: AuroraEngine, version: str) -> bool:
    profile = PROFILES[engine]
    since = profile.auto_pause_since.get(profile.major_version(version))
    return since is not None and profile.comparable_version(version) >= profile.comparable_version(
        since
    )


def capacity_problems(
    engine: AuroraEngine, version: str, min_capacity: float, max_capacity: float
) -> list[str]:
    """The Serverless v2 capacity range's problems (ServerlessV2ScalingConfiguration)."""
    problems = []
    for field, value in (("min_capacity", min_capacity), ("max_capacity", max_capacity)):
        if value * 2 != int(value * 2) or not 0 <= value <= MAX_CAPACITY_ACU:
            problems.append(
                aurora_cite(
                    "aurora.serverless-v2-capacity",
                    f"{field}={value}: must be 0-{MAX_CAPACITY_ACU:g} ACUs in steps of 0.5",
                )
            )
    if problems:
        return problems
    if max_capacity < 1:
        problems.append(
            aurora_cite(
                "aurora.serverless-v2-capacity", f"max_capacity={max_capacity}: must be at least 1"
            )
        )
    if min_capacity > max_capacity:
        problems.append(
            aurora_cite(
                "aurora.serverless-v2-capacity",
                f"min_capacity={min_capacity}: above max_capacity={max_capacity}",
            )
        )
    if min_capacity == 0 and not supports_auto_pause(engine, version):
        since = PROFILES[engine].auto_pause_since
        problems.append(
            aurora_cite(
                "aurora.serverless-v2-auto-pause",
                f"min_capacity=0 with engine_version={version!r}: that version does not scale "
                f"to 0 ACUs (auto-pause); allowed: min_capacity >= 0.5, or a version from "
                f"{', '.join(since.values())} on",
            )
        )
    return problems


def reader_problems(readers: int, promotion_tiers: tuple[int, ...]) -> list[str]:
    problems = []
    if not 0 <= readers <= MAX_READERS:
        problems.append(
            aurora_cite("aurora.max-readers", f"readers={readers}: must be 0-{MAX_READERS}")
        )
    if promotion_tiers and len(promotion_tiers) != readers:
        problems.append(
            f"reader_promotion_tiers={list(promotion_tiers)}: one tier per reader "
            f"({readers}), or none for tier 1 each"
        )
    problems += [
        aurora_cite(
            "aurora.promotion-tier",
            f"reader_promotion_tiers[{index}]={tier}: must be 0-{MAX_PROMOTION_TIER}",
        )
        for index, tier in enumerate(promotion_tiers)
        if not 0 <= tier <= MAX_PROMOTION_TIER
    ]
    return problems


def backtrack_problems(engine: AuroraEngine, backtrack_window_hours: float) -> list[str]:
    if backtrack_window_hours == 0:
        return []
    if engine is not AuroraEngine.AURORA_MYSQL:
        return [
            aurora_cite(
                "aurora.backtrack-mysql-only",
                f"backtrack_window_hours={backtrack_window_hours:g} with engine="
                f"{engine.value!r}: allowed: 0 (backtrack is Aurora MySQL's)",
            )
        ]
    if not 0 < backtrack_window_hours * 3600 <= MAX_BACKTRACK_SECONDS:
        return [
            aurora_cite(
                "aurora.backtrack-window",
                f"backtrack_window_hours={backtrack_window_hours:g}: must be 0-72",
            )
        ]
    return []


def parameter_problems(engine: AuroraEngine, parameters: Mapping[str, object]) -> list[str]:
    """A parameter that would switch TLS off or break log export."""
    forbidden = PROFILES[engine].forbidden_values
    problems = []
    for name, value in parameters.items():
        refused = {bad.upper(): why for bad, why in forbidden.get(name, {}).items()}
        reason = refused.get(str(value).strip().upper())
        if reason:
            allowed = PROFILES[engine].cluster_parameters[name]
            problems.append(f"parameters.{name}={value!r}: {reason}; allowed: {allowed!r}")
    return problems


def is_cluster_deployment(deployment: object) -> bool:
    """A deployment whose database is a DB cluster (its ARN ``cluster:``, its metrics and
    failover the cluster's): a Multi-AZ DB cluster or Aurora."""
    return deployment is Deployment.MULTI_AZ_CLUSTER or isinstance(deployment, AuroraDeployment)
