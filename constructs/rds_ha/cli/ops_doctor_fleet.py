"""`rds-ha doctor --all`: the doctor's checks over every database of an account and region."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from rds_ha.cli import ops_doctor
from rds_ha.cli.databases import CLUSTER, INSTANCE, Database
from rds_ha.cli.errors import UnsafeOperationError

DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 32

# Multi-AZ DB clusters exist for these engines only (RDS User Guide, "Multi-AZ DB cluster
# deployments"); describe_db_clusters also lists Aurora, Neptune and DocumentDB clusters.
MULTI_AZ_CLUSTER_ENGINES = frozenset({"mysql", "postgres"})

# From the worst down: a database's status is the worst of its checks'.
SEVERITY = (ops_doctor.ERROR, ops_doctor.FAIL, ops_doctor.WARN, ops_doctor.PASS, "skipped")


@dataclass(frozen=True)
class TagFilter:
    """``--tag KEY=VALUE`` options: a database matches when, for every key given, its tag of that
    key has one of the values given for it (AND across keys, OR within a key)."""

    wanted: dict[str, frozenset[str]] = field(default_factory=dict)

    def matches(self, tags: Iterable[dict[str, Any]]) -> bool:
        have = {tag.get("Key"): tag.get("Value", "") for tag in tags}
        return all(have.get(key) in values for key, values in self.wanted.items())

    def as_dict(self) -> dict[str, list[str]]:
        return {key: sorted(values) for key, values in self.wanted.items()}


def parse_tags(values: Sequence[str]) -> TagFilter:
    """``KEY=VALUE`` strings (the value may be empty or hold '='); exit 2 on any other form."""
    wanted: dict[str, set[str]] = {}
    for value in values:
        key, equals, tag_value = value.partition("=")
        if not equals or not key.strip():
            raise UnsafeOperationError(
                f"--tag {value!r}: expected KEY=VALUE, e.g. --tag rds-ha:environment=prod."
            )
        wanted.setdefault(key, set()).add(tag_value)
    return TagFilter({key: frozenset(values) for key, values in wanted.items()})


def is_multi_az_db_cluster(cluster: dict[str, Any]) -> bool:
    return cluster.get("Engine") in MULTI_AZ_CLUSTER_ENGINES


def list_databases(rds: Any, tags: TagFilter | None = None) -> list[Database]:
    """The account's databases in the client's region, by identifier: DB instances that are not
    cluster members, and Multi-AZ DB clusters. The describe calls have no tag filter (their
    Filters take identifiers, engines and domains), so tags are matched here, on TagList."""
    tags = tags or TagFilter()
    databases = []
    for page in rds.get_paginator("describe_db_instances").paginate():
        databases += [
            Database(INSTANCE, instance)
            for instance in page.get("DBInstances", [])
            if not instance.get("DBClusterIdentifier")
        ]
    for page in rds.get_paginator("describe_db_clusters").paginate():
        databases += [
            Database(CLUSTER, cluster)
            for cluster in page.get("DBClusters", [])
            if is_multi_az_db_cluster(cluster)
        ]
    matching = [db for db in databases if tags.matches(db.raw.get("TagList") or [])]
    return sorted(matching, key=lambda db: (db.identifier, db.kind))


def deployment(db: Database) -> str:
    if db.kind == CLUSTER:
        return "Multi-AZ DB cluster"
    return "Multi-AZ instance" if db.multi_az else "single-AZ instance"


def worst_status(checks: Iterable[ops_doctor.Check]) -> str:
    statuses = {check.status for check in checks}
    return next((status for status in SEVERITY if status in statuses), "skipped")


@dataclass(frozen=True)
class DatabaseReport:
    database: Database
    checks: list[ops_doctor.Check]

    @property
    def failed(self) -> list[ops_doctor.Check]:
        return ops_doctor.failed(self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database.identifier,
            "kind": self.database.kind,
            "engine": self.database.engine,
            "deployment": deployment(self.database),
            "status": worst_status(self.checks),
            "passed": not self.failed,
            "failed_checks": [check.id for check in self.failed],
            "checks": [check.as_dict() for check in self.checks],
        }


def run_fleet(
    databases: Sequence[Database],
    clients: ops_doctor.Clients,
    *,
    thresholds: ops_doctor.Thresholds,
    skip: frozenset[str],
    now: datetime,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[DatabaseReport]:
    """Every database's checks, at most ``concurrency`` databases at a time, in the order given.
    The threads share ``clients`` (boto3 clients are thread-safe; sessions are not, so no thread
    makes its own) and one AccountData, so account-wide lists are fetched once per run."""
    shared = replace(clients, account=ops_doctor.AccountData(clients.rds, clients.cloudwatch))

    def audit(database: Database) -> DatabaseReport:
        checks = ops_doctor.run_checks(database, shared, thresholds=thresholds, skip=skip, now=now)
        return DatabaseReport(database, checks)

    if not databases:
        return []
    workers = max(1, min(concurrency, len(databases)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rds-ha-doctor") as pool:
        return list(pool.map(audit, databases))


def summary(reports: Sequence[DatabaseReport], tags: TagFilter) -> dict[str, Any]:
    failed = [r.database.identifier for r in reports if r.failed]
    by_status: dict[str, int] = {}
    for report in reports:
        status = worst_status(report.checks)
        by_status[status] = by_status.get(status, 0) + 1
    return {
        "databases": len(reports),
        "passed": len(reports) - len(failed),
        "failed": len(failed),
        "failed_databases": failed,
        "by_status": {status: by_status[status] for status in SEVERITY if status in by_status},
        "tags": tags.as_dict(),
    }
