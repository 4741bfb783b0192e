"""`rds-ha doctor DB_ID --template PATH`: drift between a live database and its synthesized
template, and where its engine version stands in the RDS lifecycle.

The template is read with the guard's loader (``rds_ha.guard.assembly``). Only literal template
values are compared: a value CloudFormation resolves at deploy time (a ``Ref`` to a parameter group
the stack names itself, an ``Fn::If``) is reported ``unknown``, never a pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rds_ha.cli.databases import CLUSTER, INSTANCE, Database
from rds_ha.cli.errors import AWS_FAILURES, UnsafeOperationError
from rds_ha.cli.ops_doctor import ERROR, FAIL, PASS, WARN, Check
from rds_ha.guard.assembly import GuardInputError, load_assembly, stack_name_of

UNKNOWN = "unknown"
SKIPPED = "skipped"

# Warn this many days before the end of standard support.
LIFECYCLE_WARN_DAYS = 180
STANDARD_SUPPORT = "open-source-rds-standard-support"
EXTENDED_SUPPORT = "open-source-rds-extended-support"

RESOURCE_TYPE = {INSTANCE: "AWS::RDS::DBInstance", CLUSTER: "AWS::RDS::DBCluster"}
IDENTIFIER_KEY = {INSTANCE: "DBInstanceIdentifier", CLUSTER: "DBClusterIdentifier"}
CLASS_KEY = {INSTANCE: "DBInstanceClass", CLUSTER: "DBClusterInstanceClass"}
PARAMETER_GROUP_KEY = {INSTANCE: "DBParameterGroupName", CLUSTER: "DBClusterParameterGroupName"}
PARAMETER_GROUP_TYPE = {
    INSTANCE: "AWS::RDS::DBParameterGroup",
    CLUSTER: "AWS::RDS::DBClusterParameterGroup",
}

DRIFT_CHECKS = (
    "drift-engine-version",
    "drift-instance-class",
    "drift-parameter-group",
    "drift-multi-az",
    "drift-deletion-protection",
    "drift-backup-retention",
)
LIFECYCLE_CHECKS = ("engine-lifecycle", "engine-minor-version")
CHECKS = DRIFT_CHECKS + LIFECYCLE_CHECKS


@dataclass(frozen=True)
class TemplateDatabase:
    """The template's resource for the database, and the template around it (to follow Refs)."""

    template: str  # the template's path within PATH (its file name for a flat cdk.out)
    stack: str
    logical_id: str
    properties: dict[str, Any]
    resources: dict[str, Any]

    def as_dict(self) -> dict[str, str]:
        return {"template": self.template, "stack": self.stack, "logical_id": self.logical_id}


def _literal(value: Any) -> tuple[bool, Any]:
    """(True, value) for a value written in the template; (False, None) for an intrinsic."""
    if isinstance(value, str | int | float | bool):
        return True, value
    return False, None


def find_in_template(path: Path, database: Database) -> TemplateDatabase:
    """The template resource of the database's type whose identifier is the database's."""
    try:
        templates = load_assembly(path, label="--template")
    except GuardInputError as error:
        raise UnsafeOperationError(f"{error}.") from None
    kind = database.kind
    seen: list[str] = []
    for name, template in templates.items():
        resources = template.get("Resources", {})
        for logical_id, resource in resources.items():
            if not isinstance(resource, dict) or resource.get("Type") != RESOURCE_TYPE[kind]:
                continue
            properties = resource.get("Properties") or {}
            is_literal, identifier = _literal(properties.get(IDENTIFIER_KEY[kind]))
            if not is_literal:
                seen.append(f"{logical_id} (identifier not literal)")
                continue
            if str(identifier).lower() == database.identifier:
                return TemplateDatabase(
                    template=name,
                    stack=stack_name_of(Path(name)),
                    logical_id=logical_id,
                    properties=properties,
                    resources=resources,
                )
            seen.append(str(identifier))
    raise UnsafeOperationError(
        f"--template {str(path)!r}: no {RESOURCE_TYPE[kind]} with {IDENTIFIER_KEY[kind]} "
        f"{database.identifier!r}; found: {', '.join(seen) or 'none'}."
    )


# --- drift --------------------------------------------------------------------------------------


def _as_bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def versions_match(template: str, live: str) -> bool:
    """A template pin matches every live version it is a prefix of, component by component: a
    major-only pin (``17``, ``8.0``) matches any minor of that major."""
    pinned = str(template).split(".")
    return str(live).split(".")[: len(pinned)] == pinned


def _unknown(check_id: str, key: str, value: Any, live: Any) -> Check:
    return Check(
        check_id,
        UNKNOWN,
        f"template {key} is resolved at deploy time ({_describe_intrinsic(value)}); "
        f"live {live}: not compared",
    )


def _describe_intrinsic(value: Any) -> str:
    if isinstance(value, dict) and len(value) == 1:
        function: str = next(iter(value))
        return function
    return type(value).__name__


def check_engine_version(db: Database, t: TemplateDatabase) -> Check:
    check_id, live = "drift-engine-version", db.raw.get("EngineVersion", "unknown")
    if "EngineVersion" not in t.properties:
        return Check(check_id, PASS, f"template pins no version; live {live}")
    is_literal, pinned = _literal(t.properties["EngineVersion"])
    if not is_literal:
        return _unknown(check_id, "EngineVersion", t.properties["EngineVersion"], live)
    if versions_match(pinned, live):
        return Check(check_id, PASS, f"template {pinned}, live {live}")
    return Check(check_id, WARN, f"template {pinned}, live {live}")


def check_instance_class(db: Database, t: TemplateDatabase) -> Check:
    check_id, key = "drift-instance-class", CLASS_KEY[db.kind]
    live = db.instance_class
    if key not in t.properties:
        return Check(check_id, SKIPPED, f"template sets no {key}; live {live}")
    is_literal, value = _literal(t.properties[key])
    if not is_literal:
        return _unknown(check_id, key, t.properties[key], live)
    status = PASS if str(value) == live else WARN
    return Check(check_id, status, f"template {value}, live {live}")


def live_parameter_group(db: Database) -> str | None:
    if db.kind == CLUSTER:
        return db.raw.get("DBClusterParameterGroup")
    groups = db.raw.get("DBParameterGroups") or []
    return groups[0].get("DBParameterGroupName") if groups else None


def check_parameter_group(db: Database, t: TemplateDatabase) -> Check:
    check_id, key = "drift-parameter-group", PARAMETER_GROUP_KEY[db.kind]
    live = live_parameter_group(db) or "none"
    live_default = live.startswith("default.")
    value = t.properties.get(key)
    if value is None:
        # Without one, RDS gives the engine's default group (default.<family>).
        status = PASS if live_default else WARN
        return Check(check_id, status, f"template sets none (the default group), live {live}")
    is_literal, name = _literal(value)
    if is_literal:
        status = PASS if str(name).lower() == live.lower() else WARN
        return Check(check_id, status, f"template {name}, live {live}")
    if isinstance(value, dict) and set(value) == {"Ref"}:
        target = t.resources.get(value["Ref"])
        if isinstance(target, dict) and target.get("Type") == PARAMETER_GROUP_TYPE[db.kind]:
            own = (target.get("Properties") or {}).get(key)
            is_literal, own_name = _literal(own)
            if own is not None and is_literal:
                status = PASS if str(own_name).lower() == live.lower() else WARN
                return Check(check_id, status, f"template {own_name} ({value['Ref']}), live {live}")
            if live_default:
                # The stack's own group can never be an RDS default group.
                return Check(
                    check_id,
                    WARN,
                    f"template: the stack's own group {value['Ref']}, live {live} (a default "
                    "group)",
                )
            return Check(
                check_id,
                UNKNOWN,
                f"template: the stack's own group {value['Ref']} (name generated at deploy "
                f"time), live {live}: not compared",
            )
    return _unknown(check_id, key, value, live)


def check_multi_az(db: Database, t: TemplateDatabase) -> Check:
    check_id, live = "drift-multi-az", db.multi_az
    if db.kind == CLUSTER and "MultiAZ" not in t.properties:
        return Check(check_id, SKIPPED, "a DB cluster's template sets no MultiAZ")
    value = t.properties.get("MultiAZ", False)  # CloudFormation's default
    is_literal, wanted = _literal(value)
    if not is_literal:
        return _unknown(check_id, "MultiAZ", value, _on(live))
    wanted = _as_bool(wanted)
    status = PASS if wanted == live else WARN
    return Check(check_id, status, f"template {_on(wanted)}, live {_on(live)}")


def _on(value: bool) -> str:
    return "on" if value else "off"


def check_deletion_protection(db: Database, t: TemplateDatabase) -> Check:
    check_id, live = "drift-deletion-protection", bool(db.raw.get("DeletionProtection"))
    value = t.properties.get("DeletionProtection", False)
    is_literal, wanted = _literal(value)
    if not is_literal:
        return _unknown(check_id, "DeletionProtection", value, _on(live))
    wanted = _as_bool(wanted)
    detail = f"template {_on(wanted)}, live {_on(live)}"
    if wanted == live:
        return Check(check_id, PASS, detail)
    return Check(check_id, FAIL if wanted else WARN, detail)


def check_backup_retention(db: Database, t: TemplateDatabase) -> Check:
    check_id = "drift-backup-retention"
    live = int(db.raw.get("BackupRetentionPeriod") or 0)
    value = t.properties.get("BackupRetentionPeriod", 1)  # CloudFormation's default
    is_literal, wanted = _literal(value)
    if not is_literal:
        return _unknown(check_id, "BackupRetentionPeriod", value, f"{live} days")
    wanted = int(wanted)
    detail = f"template {wanted} days, live {live} days"
    if live == wanted:
        return Check(check_id, PASS, detail)
    return Check(check_id, FAIL if live < wanted else WARN, detail)


DriftFn = Callable[[Database, TemplateDatabase], Check]
_DRIFT: dict[str, DriftFn] = {
    "drift-engine-version": check_engine_version,
    "drift-instance-class": check_instance_class,
    "drift-parameter-group": check_parameter_group,
    "drift-multi-az": check_multi_az,
    "drift-deletion-protection": check_deletion_protection,
    "drift-backup-retention": check_backup_retention,
}


def drift_checks(
    db: Database, t: TemplateDatabase, skip: frozenset[str] = frozenset()
) -> list[Check]:
    return [
        Check(check_id, SKIPPED, "skipped with --skip") if check_id in skip else check(db, t)
        for check_id, check in _DRIFT.items()
    ]


# --- engine lifecycle ----------------------------------------------------------------------------


def has_major_engine_versions(rds: Any) -> bool:
    """Whether this botocore knows DescribeDBMajorEngineVersions (added in 2025)."""
    return "DescribeDBMajorEngineVersions" in rds.meta.service_model.operation_names


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in version.split("."))


def _this_version(rds: Any, db: Database) -> dict[str, Any] | None:
    response = rds.describe_db_engine_versions(
        Engine=db.engine, EngineVersion=db.raw.get("EngineVersion", "")
    )
    versions = response.get("DBEngineVersions", [])
    return versions[0] if versions else None


def _major_lifecycles(rds: Any, engine: str, major: str) -> list[dict[str, Any]]:
    response = rds.describe_db_major_engine_versions(Engine=engine, MajorEngineVersion=major)
    for entry in response.get("DBMajorEngineVersions", []):
        if entry.get("MajorEngineVersion") == major:
            value: list[dict[str, Any]] = entry.get("SupportedEngineLifecycles", [])
            return value
    return []


def _extended_support_note(db: Database) -> str:
    setting = db.raw.get("EngineLifecycleSupport")
    if setting == EXTENDED_SUPPORT:
        return "RDS Extended Support is on: it is billed per vCPU-hour after that date"
    if setting and setting.endswith("-disabled"):
        return "RDS Extended Support is disabled: RDS upgrades the major version after that date"
    return "Extended Support setting not reported"


def check_lifecycle(
    rds: Any, db: Database, version: dict[str, Any], now: datetime, *, major_api: bool
) -> Check:
    check_id, live = "engine-lifecycle", db.raw.get("EngineVersion", "")
    major = version.get("MajorEngineVersion") or live.split(".")[0]
    if not major_api:
        # Without the lifecycle dates, the version's status is all there is.
        if version.get("Status") == "deprecated":
            return Check(check_id, WARN, f"{db.engine} {live} is deprecated")
        return Check(
            check_id,
            UNKNOWN,
            f"{db.engine} {live} is {version.get('Status', 'listed')}; this botocore has no "
            "DescribeDBMajorEngineVersions, so the end of standard support is unknown",
        )
    lifecycles = _major_lifecycles(rds, db.engine, major)
    by_name = {x.get("LifecycleSupportName"): x for x in lifecycles}
    end = by_name.get(STANDARD_SUPPORT, {}).get("LifecycleSupportEndDate")
    if end is None:
        return Check(
            check_id, UNKNOWN, f"RDS gives no end of standard support for {db.engine} {major}"
        )
    days = (end - now).days
    extended_end = by_name.get(EXTENDED_SUPPORT, {}).get("LifecycleSupportEndDate")
    tail = f" (Extended Support until {extended_end:%Y-%m-%d})" if extended_end else ""
    if days < 0:
        return Check(
            check_id,
            WARN,
            f"standard support for {db.engine} {major} ended {end:%Y-%m-%d}, {-days} days ago"
            f"{tail}; {_extended_support_note(db)}",
        )
    if days <= LIFECYCLE_WARN_DAYS:
        return Check(
            check_id,
            WARN,
            f"standard support for {db.engine} {major} ends {end:%Y-%m-%d}, in {days} days"
            f"{tail}; {_extended_support_note(db)}",
        )
    return Check(
        check_id,
        PASS,
        f"standard support for {db.engine} {major} until {end:%Y-%m-%d} ({days} days)",
    )


def check_minor_version(db: Database, version: dict[str, Any]) -> Check:
    live = db.raw.get("EngineVersion", "")
    newer = sorted(
        (
            target["EngineVersion"]
            for target in version.get("ValidUpgradeTarget", [])
            if not target.get("IsMajorVersionUpgrade")
            and _version_key(target["EngineVersion"]) > _version_key(live)
        ),
        key=_version_key,
    )
    if not newer:
        return Check("engine-minor-version", PASS, f"{live} is the newest minor RDS offers")
    shown = ", ".join(newer[-3:])
    return Check(
        "engine-minor-version",
        WARN,
        f"{live}: {len(newer)} newer minor version(s) in the same major, up to {newer[-1]} "
        f"({shown}); `rds-ha maintenance` or `rds-ha upgrade` applies one",
    )


def lifecycle_checks(
    rds: Any,
    db: Database,
    now: datetime,
    *,
    skip: frozenset[str] = frozenset(),
    major_api: bool | None = None,
) -> list[Check]:
    wanted = [c for c in LIFECYCLE_CHECKS if c not in skip]
    skipped = [Check(c, SKIPPED, "skipped with --skip") for c in LIFECYCLE_CHECKS if c in skip]
    if not wanted:
        return skipped
    try:
        version = _this_version(rds, db)
    except AWS_FAILURES as error:
        return [Check(c, ERROR, f"could not check: {error}") for c in wanted] + skipped
    if version is None:
        live = f"{db.engine} {db.raw.get('EngineVersion')}"
        return [Check(c, UNKNOWN, f"RDS lists no engine version {live}") for c in wanted] + skipped
    results: list[Check] = []
    if "engine-lifecycle" in wanted:
        if major_api is None:
            major_api = has_major_engine_versions(rds)
        try:
            results.append(check_lifecycle(rds, db, version, now, major_api=major_api))
        except AWS_FAILURES as error:
            results.append(Check("engine-lifecycle", ERROR, f"could not check: {error}"))
    if "engine-minor-version" in wanted:
        results.append(check_minor_version(db, version))
    order = {c: i for i, c in enumerate(LIFECYCLE_CHECKS)}
    return sorted(results + skipped, key=lambda c: order[c.id])
