"""What protects a stateful resource besides not being replaced: its deletion and replace
policies, deletion protection, and (for RDS) its automated backups."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rds_ha.catalog.aws_rules import cite
from rds_ha.guard.findings import Category, Finding, Resource, properties
from rds_ha.guard.schemas import (
    BACKUP_RETENTION,
    BACKUP_TYPES,
    DEFAULT_BACKUP_RETENTION_DAYS,
    DELETE,
    POLICY_RANK,
    SNAPSHOT,
    default_deletion_policy,
    default_update_replace_policy,
    replacement_rules,
)
from rds_ha.guard.values import ABSENT, is_true, pointer_to_property, resolve_pointer


def fate_of_old(policy: Any) -> str:
    if policy == DELETE:
        return "deletes"
    if policy == SNAPSHOT:
        return "snapshots and deletes"
    return "orphans"


def effective_policy(resource: Resource, attribute: str) -> Any:
    explicit = resource.get(attribute, ABSENT)
    if explicit is not ABSENT:
        return explicit
    default = (
        default_deletion_policy if attribute == "DeletionPolicy" else default_update_replace_policy
    )
    return default(resource["Type"], properties(resource))


def describe_policy(resource: Resource, attribute: str) -> str:
    effective = effective_policy(resource, attribute)
    return f"{effective}" if attribute in resource else f"(absent: {effective})"


def weakened_policies(
    stack: str, logical_id: str, old: Resource, new: Resource
) -> Iterator[Finding]:
    for attribute in ("DeletionPolicy", "UpdateReplacePolicy"):
        before = effective_policy(old, attribute)
        after = effective_policy(new, attribute)
        if before == after and old.get(attribute) == new.get(attribute):
            continue
        old_rank = POLICY_RANK.get(before) if isinstance(before, str) else None
        new_rank = POLICY_RANK.get(after) if isinstance(after, str) else None
        weakened = old_rank is None or new_rank is None or new_rank < old_rank
        shown_old = describe_policy(old, attribute)
        shown_new = describe_policy(new, attribute)
        if weakened:
            category = Category.POLICY_WEAKENED
            message = f"{attribute} weakened from {shown_old} to {shown_new}"
        else:
            category = Category.IN_PLACE
            message = f"{attribute} changed from {shown_old} to {shown_new}"
        yield Finding(
            stack, logical_id, old["Type"], category, attribute, shown_old, shown_new, message
        )


def protection_off(stack: str, logical_id: str, old: Resource, new: Resource) -> Iterator[Finding]:
    for pointer in protection_pointers(old["Type"]):
        before = resolve_pointer(properties(old), pointer)
        after = resolve_pointer(properties(new), pointer)
        if before == after:
            continue
        prop = pointer_to_property(pointer)
        if is_true(before) and not is_true(after):
            category = Category.PROTECTION_OFF
            message = f"deletion protection turned off: {prop} {before!r} -> {after!r}"
        else:
            category = Category.IN_PLACE
            message = f"{prop} changed in place: {before!r} -> {after!r}"
        yield Finding(stack, logical_id, old["Type"], category, prop, before, after, message)


def protection_pointers(resource_type: str) -> tuple[str, ...]:
    rules = replacement_rules(resource_type)
    return rules.deletion_protection if rules else ()


def retention_days(resource: Resource) -> int | None:
    value = resolve_pointer(properties(resource), BACKUP_RETENTION)
    if value is ABSENT:
        return DEFAULT_BACKUP_RETENTION_DAYS
    try:
        return int(value)
    except (TypeError, ValueError):
        return None  # an intrinsic: not known before deploy


def backups_disabled(stack: str, logical_id: str, old: Resource, new: Resource) -> list[Finding]:
    if old["Type"] not in BACKUP_TYPES:
        return []
    before, after = retention_days(old), retention_days(new)
    if after != 0 or before == 0:
        return []
    prop = pointer_to_property(BACKUP_RETENTION)
    old_value = resolve_pointer(properties(old), BACKUP_RETENTION)
    new_value = resolve_pointer(properties(new), BACKUP_RETENTION)
    message = (
        f"automated backups turned off: {prop} {old_value!r} -> {new_value!r}; RDS deletes the "
        "automated backups and point-in-time restore is no longer possible"
    )
    return [
        Finding(
            stack,
            logical_id,
            old["Type"],
            Category.BACKUPS_DISABLED,
            prop,
            old_value,
            new_value,
            message,
        )
    ]


# Multi-AZ DB clusters: AWS::RDS::DBCluster with an RDS engine (Aurora's are aurora-*).
_MULTI_AZ_CLUSTER_ENGINES = frozenset({"mysql", "postgres"})


def aws_refusals(stack: str, logical_id: str, old: Resource, new: Resource) -> list[Finding]:
    """Changes RDS refuses on the deployed resource, each with its rulebook rule: the update
    would fail and CloudFormation roll it back, so the guard stops it before the deploy."""
    if old.get("Type") != "AWS::RDS::DBCluster":
        return []
    before, after = properties(old), properties(new)
    engine = str(after.get("Engine", before.get("Engine", ""))).lower()
    port_before, port_after = before.get("Port"), after.get("Port")
    if engine not in _MULTI_AZ_CLUSTER_ENGINES or port_before == port_after:
        return []
    return [
        Finding(
            stack,
            logical_id,
            "AWS::RDS::DBCluster",
            Category.AWS_REFUSES,
            "Port",
            port_before,
            port_after,
            cite(
                "cluster.no-port-change",
                f"Port {port_before} -> {port_after} on a Multi-AZ DB cluster: the update would "
                "fail and roll back",
            ),
        )
    ]
