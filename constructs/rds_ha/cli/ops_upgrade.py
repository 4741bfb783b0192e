"""`rds-ha upgrade`: the checks of an engine upgrade through an RDS blue/green
deployment. Nothing here changes AWS; ops_bluegreen does the work once the plan is approved.

What RDS documents, and what the checks below enforce; each refusal names its rule in the
rulebook (rds_ha.catalog.aws_rules, ids ``blue-green.*`` and
``secrets.managed-password-no-blue-green``), where the page and AWS's words are:
- engines: RDS for MySQL, MariaDB and PostgreSQL only (not Db2, Oracle, SQL Server); MySQL 8.0.11
  to 8.0.13 are not supported (a community bug);
- not supported: Multi-AZ DB cluster deployments, cascading read replicas, cross-Region read
  replicas, master passwords managed in Secrets Manager by RDS (so the database needs
  credentials = "secret", rds-ha's default);
- Multi-AZ DB instance deployments are supported;
- RDS Proxy is supported for RDS for PostgreSQL, MySQL and MariaDB (rds-proxy-blue-green.html)
  when the blue instance is already a target of the proxy before the deployment is created; at
  the switchover RDS checks that the proxy reaches both environments, so a target that is not
  AVAILABLE is refused here, and the plan names each proxy and what its clients see;
- "AWS CloudFormation" is listed as unsupported without saying how: rds-ha creates the
  deployment through the API, never in a template, and the switchover keeps the identifier the
  stack knows; --write-config then makes the template describe the new version;
- the switchover "typically takes under a minute"; during it writes are blocked and connections
  dropped on both environments; its timeout is 30-3600 s (default 300) and a switchover that
  runs over it is rolled back with no change to either environment.

The proxies that target the database and rds-ha's own rule on the master secret's rotation are
read in ops_upgrade_clients.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from rds_ha.catalog.aws_rules import cite
from rds_ha.cli.databases import CLUSTER, Database, require_available
from rds_ha.cli.errors import UnsafeOperationError
from rds_ha.cli.ops_upgrade_clients import ProxyTarget, proxy_targets

BLUE_GREEN_ENGINES = ("postgres", "mysql", "mariadb")
SWITCHOVER_TIMEOUT_MIN, SWITCHOVER_TIMEOUT_MAX, SWITCHOVER_TIMEOUT_DEFAULT = 30, 3600, 300
# Free storage the blue must keep: at least this share of the allocated storage. The green
# starts as a copy with the same allocated storage, so it has the same headroom; and the blue
# retains WAL (PostgreSQL's replication slot) or binary logs (MySQL, MariaDB) for the green until
# it has caught up, which after a major upgrade of the green can be hours of writes. 20 % is the
# margin rds-ha's storage alarm keeps too; storage autoscaling raises the ceiling, not the floor.
MIN_FREE_STORAGE_PERCENT = 20
# A deployment in one of these states is finished with: it does not block a new upgrade.
FINISHED_STATES = ("DELETING",)
KEEP_OLD_HOURS_DEFAULT = 24
_GROUP_NAME = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,254}(?<!-)$")


@dataclass(frozen=True)
class VersionChange:
    engine: str
    current: str
    target: str
    major: bool
    current_family: str
    target_family: str


@dataclass(frozen=True)
class ParameterGroupChoice:
    current: str
    target: str
    create: bool  # create ``target`` for the new family from ``current``'s user values
    family: str
    user_parameters: tuple[dict[str, Any], ...] = ()


@dataclass
class UpgradePlan:
    database: Database
    version: VersionChange
    parameter_group: ParameterGroupChoice
    instance_class: str
    switchover_timeout_seconds: int
    free_storage: dict[str, Any]
    snapshot_id: str
    deployment_name: str
    warnings: list[str] = field(default_factory=list)

    def expected_green(self) -> dict[str, Any]:
        """What the green must be before it may take over: the plan's target, and otherwise
        the same as the blue."""
        raw = self.database.raw
        return {
            "EngineVersion": self.version.target,
            "DBInstanceClass": self.instance_class,
            "DBParameterGroupName": self.parameter_group.target,
            "MultiAZ": bool(raw.get("MultiAZ")),
            "DeletionProtection": bool(raw.get("DeletionProtection")),
            "StorageEncrypted": bool(raw.get("StorageEncrypted")),
            "KmsKeyId": raw.get("KmsKeyId"),
        }


def check_switchover_timeout(seconds: int) -> int:
    if not SWITCHOVER_TIMEOUT_MIN <= seconds <= SWITCHOVER_TIMEOUT_MAX:
        raise UnsafeOperationError(
            f"--switchover-timeout {seconds}: RDS accepts {SWITCHOVER_TIMEOUT_MIN}-"
            f"{SWITCHOVER_TIMEOUT_MAX} seconds (default {SWITCHOVER_TIMEOUT_DEFAULT})."
        )
    return seconds


def check_group_name(value: str) -> str:
    folded = value.strip().lower()
    if not _GROUP_NAME.match(folded):
        raise UnsafeOperationError(
            f"--parameter-group {value!r} is not a valid DB parameter group name: 1-255 letters, "
            "digits or hyphens, starting with a letter, without '--' or a trailing hyphen."
        )
    return folded


# --- what RDS supports for blue/green ----------------------------------------------------------


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version.split("-", 1)[0]))


def blue_green_problems(rds: Any, database: Database) -> list[str]:
    """Why RDS cannot run a blue/green deployment for this database (empty when it can), each
    with its rule's id, AWS's words, the page and the fix."""
    name = database.identifier
    if database.kind == CLUSTER:
        return [cite("blue-green.no-multi-az-cluster", f"{name} is a Multi-AZ DB cluster")]
    raw = database.raw
    problems = []
    engine, version = database.engine, raw.get("EngineVersion", "")
    if engine not in BLUE_GREEN_ENGINES:
        problems.append(
            cite(
                "blue-green.engines",
                f"{name} runs {engine}: RDS blue/green deployments support only "
                f"{', '.join(BLUE_GREEN_ENGINES)}",
            )
        )
    elif engine == "mysql" and _version_key(version) <= (8, 0, 13):
        problems.append(
            cite(
                "blue-green.mysql-8.0.14",
                f"{name} runs MySQL {version}: blue/green needs MySQL 8.0.14 or later",
            )
        )
    if raw.get("MasterUserSecret"):
        problems.append(
            cite(
                "secrets.managed-password-no-blue-green",
                f"{name}'s master password is managed by RDS in Secrets Manager "
                "(credentials = 'rds-managed')",
            )
        )
    if raw.get("ReadReplicaSourceDBInstanceIdentifier"):
        problems.append(
            cite(
                "blue-green.no-cascading-replicas",
                f"{name} is a read replica of {raw['ReadReplicaSourceDBInstanceIdentifier']}: "
                "upgrade its source",
            )
        )
    region = rds.meta.region_name
    for replica in raw.get("ReadReplicaDBInstanceIdentifiers", []):
        if replica.startswith("arn:") and f":{region}:" not in replica:
            problems.append(
                cite(
                    "blue-green.no-cross-region-replica",
                    f"{name} has a cross-Region read replica ({replica})",
                )
            )
        else:
            child = _instance(rds, replica)
            if child and child.get("ReadReplicaDBInstanceIdentifiers"):
                problems.append(
                    cite(
                        "blue-green.no-cascading-replicas",
                        f"{name}'s read replica {replica} has replicas of its own",
                    )
                )
    return problems


# --- RDS Proxy in front of the blue ------------------------------------------------------------


def proxy_problems(database: Database, targets: list[ProxyTarget]) -> list[str]:
    """RDS Proxy supports blue/green for these engines when the blue is already a target;
    RDS's switchover guardrails check that the proxy reaches both environments, so a target
    the proxy cannot reach now is refused before anything is created."""
    problems = []
    for target in targets:
        if database.engine not in BLUE_GREEN_ENGINES:
            problems.append(
                cite(
                    "blue-green.proxy-engines",
                    f"proxy {target.proxy} targets {database.identifier} ({database.engine})",
                )
            )
        elif target.state != "AVAILABLE":
            why = f" ({target.reason})" if target.reason else ""
            problems.append(
                cite(
                    "blue-green.proxy-target-first",
                    f"proxy {target.proxy}'s target {database.identifier} is "
                    f"{target.state or 'of unknown health'}{why}, not AVAILABLE: RDS checks at "
                    "the switchover that the proxy reaches both environments",
                )
            )
    return problems


def _instance(rds: Any, identifier: str) -> dict[str, Any] | None:
    try:
        value: dict[str, Any] | None = rds.describe_db_instances(DBInstanceIdentifier=identifier)[
            "DBInstances"
        ][0]
        return value
    except ClientError:
        return None


def deployments_of(rds: Any, arn: str) -> list[dict[str, Any]]:
    """Blue/green deployments with this database as source (in progress) or as target (a
    switchover done, its old blue not yet cleaned up)."""
    found: dict[str, dict[str, Any]] = {}
    for name in ("source", "target"):
        response = rds.describe_blue_green_deployments(Filters=[{"Name": name, "Values": [arn]}])
        for deployment in response.get("BlueGreenDeployments", []):
            found[deployment["BlueGreenDeploymentIdentifier"]] = deployment
    return [d for d in found.values() if d.get("Status") not in FINISHED_STATES]


def check_no_deployment(rds: Any, database: Database) -> None:
    existing = deployments_of(rds, database.arn)
    if existing:
        listed = ", ".join(
            f"{d['BlueGreenDeploymentIdentifier']} ({d.get('BlueGreenDeploymentName')}, "
            f"{d.get('Status')})"
            for d in existing
        )
        raise UnsafeOperationError(
            f"{database.identifier} already has a blue/green deployment: {listed}. Finish it "
            f"first: `rds-ha upgrade {database.identifier} --cleanup` removes it. "
            "Nothing was changed."
        )


# --- the version -------------------------------------------------------------------------------


def _engine_version(rds: Any, engine: str, version: str) -> dict[str, Any] | None:
    versions = rds.describe_db_engine_versions(Engine=engine, EngineVersion=version).get(
        "DBEngineVersions", []
    )
    return next((v for v in versions if v.get("EngineVersion") == version), None)


def check_version(rds: Any, database: Database, target: str) -> VersionChange:
    engine, current = database.engine, database.raw.get("EngineVersion", "")
    if target == current:
        raise UnsafeOperationError(f"{database.identifier} already runs {engine} {current}.")
    running = _engine_version(rds, engine, current)
    if running is None:
        raise UnsafeOperationError(
            f"RDS does not describe {engine} {current}, the version {database.identifier} runs, "
            f"in {rds.meta.region_name}, so its upgrade targets are unknown. Nothing was changed."
        )
    targets = {t["EngineVersion"]: t for t in running.get("ValidUpgradeTarget", [])}
    if target not in targets:
        offered = sorted(targets, key=_version_key)
        raise UnsafeOperationError(
            f"--to {target}: not a valid upgrade target of {engine} {current}; RDS offers: "
            f"{', '.join(offered) or 'none'}. Nothing was changed."
        )
    wanted = _engine_version(rds, engine, target) or {}
    current_family = running.get("DBParameterGroupFamily", "")
    return VersionChange(
        engine=engine,
        current=current,
        target=target,
        major=bool(targets[target].get("IsMajorVersionUpgrade")),
        current_family=current_family,
        target_family=wanted.get("DBParameterGroupFamily") or current_family,
    )


# --- the parameter group -----------------------------------------------------------------------


def _group(rds: Any, name: str) -> dict[str, Any] | None:
    try:
        groups = rds.describe_db_parameter_groups(DBParameterGroupName=name)["DBParameterGroups"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "DBParameterGroupNotFound":
            return None
        raise
    # RDS raises DBParameterGroupNotFound; moto answers an empty list.
    return groups[0] if groups else None


def user_parameters(rds: Any, group: str) -> tuple[dict[str, Any], ...]:
    """The values set in ``group`` (Source=user), i.e. what differs from the engine defaults."""
    found = []
    paginator = rds.get_paginator("describe_db_parameters")
    for page in paginator.paginate(DBParameterGroupName=group, Source="user"):
        for parameter in page.get("Parameters", []):
            if parameter.get("Source", "user") == "user" and "ParameterValue" in parameter:
                found.append(parameter)
    return tuple(found)


def default_group_name(database: Database, family: str) -> str:
    """``<DB_ID>-<family>`` with the family's dots as hyphens (``mysql8.4`` -> ``mysql8-4``)."""
    return f"{database.identifier}-{family.replace('.', '-')}"[:255].rstrip("-")


def choose_parameter_group(
    rds: Any, database: Database, version: VersionChange, name: str | None
) -> ParameterGroupChoice:
    groups = database.raw.get("DBParameterGroups") or [{}]
    current = groups[0].get("DBParameterGroupName", "")
    if name is None and version.target_family == version.current_family:
        return ParameterGroupChoice(current, current, False, version.target_family)
    target = name or default_group_name(database, version.target_family)
    existing = _group(rds, target)
    if existing is not None:
        family = existing.get("DBParameterGroupFamily")
        if family != version.target_family:
            raise UnsafeOperationError(
                f"parameter group {target} exists for family {family}, but {version.engine} "
                f"{version.target} needs {version.target_family}; name another with "
                "--parameter-group. Nothing was changed."
            )
        return ParameterGroupChoice(current, target, False, version.target_family)
    # A default group has no values of its own to copy.
    copied = () if current.startswith("default.") else user_parameters(rds, current)
    return ParameterGroupChoice(current, target, True, version.target_family, copied)


# --- the database's state ----------------------------------------------------------------------


def readiness_problems(database: Database) -> list[str]:
    raw = database.raw
    problems = []
    pending = raw.get("PendingModifiedValues") or {}
    if pending:
        listed = ", ".join(f"{key}={value!r}" for key, value in pending.items())
        problems.append(
            f"{database.identifier} has pending modifications ({listed}): apply them or let the "
            "maintenance window apply them first, so the green copies a settled database."
        )
    if not raw.get("BackupRetentionPeriod"):
        problems.append(
            f"{database.identifier} has automated backups off (BackupRetentionPeriod 0): "
            "blue/green deployments need them on."
        )
    return problems


def free_storage(cloudwatch: Any, database: Database, now: datetime) -> dict[str, Any]:
    """The lowest FreeStorageSpace of the last hour against the threshold; ``ok`` is None when
    CloudWatch has no datapoint."""
    allocated_gib = database.raw.get("AllocatedStorage") or 0
    needed = allocated_gib * 1024**3 * MIN_FREE_STORAGE_PERCENT / 100
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/RDS",
        MetricName="FreeStorageSpace",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": database.identifier}],
        StartTime=now - timedelta(hours=1),
        EndTime=now,
        Period=300,
        Statistics=["Minimum"],
    ).get("Datapoints", [])
    lowest = min((p["Minimum"] for p in points), default=None)
    return {
        "allocated_gib": allocated_gib,
        "free_bytes": lowest,
        "free_gib": round(lowest / 1024**3, 1) if lowest is not None else None,
        "min_free_percent": MIN_FREE_STORAGE_PERCENT,
        "min_free_gib": round(needed / 1024**3, 1),
        "ok": None if lowest is None else lowest >= needed,
    }


def storage_problem(storage: dict[str, Any], database: Database) -> str | None:
    if storage["ok"] is not False:
        return None
    return (
        f"{database.identifier} has {storage['free_gib']} GiB free of {storage['allocated_gib']} "
        f"GiB; an upgrade through blue/green needs at least {storage['min_free_percent']} % free "
        f"({storage['min_free_gib']} GiB): the blue keeps its logs for the green until the green "
        "has caught up. Add storage first."
    )


def check_upgrade(rds: Any, database: Database) -> list[ProxyTarget]:
    """Everything that refuses before any version or group lookup: exit 2, nothing changed.
    Returns the proxies that target the database, for the plan."""
    problems = blue_green_problems(rds, database)
    targets: list[ProxyTarget] = []
    if not problems:
        targets = proxy_targets(rds, database)
        problems = proxy_problems(database, targets) + readiness_problems(database)
    if problems:
        raise UnsafeOperationError(
            "cannot upgrade with a blue/green deployment:\n  - "
            + "\n  - ".join(problems)
            + "\nNothing was changed."
        )
    require_available(database, "an upgrade")
    return targets
